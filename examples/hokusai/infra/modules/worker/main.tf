variable "queue" {
  type = string
}

variable "secret_names" {
  type    = list(string)
  default = ["DATABASE_HOST"]
}

resource "aws_ecs_task_definition" "worker" {
  family                = "hokusai-worker-development"
  container_definitions = <<JSON
[
  {
    "name": "worker",
    "image": "hokusai/worker:latest",
    "secrets": [
      {"name": "DATABASE_HOST", "valueFrom": "/hokusai/development/database_host"}
    ],
    "environment": [
      {"name": "QUEUE_NAME", "value": "hokusai-jobs-development"}
    ]
  }
]
JSON
}

resource "aws_ecs_service" "worker" {
  name            = "hokusai-worker-development"
  cluster         = "hokusai-development"
  task_definition = aws_ecs_task_definition.worker.arn
}

# The incident's service, as its infrastructure repository declares it.
provider "aws" {
  region = "us-east-1"
}

locals {
  secret_prefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hokusai/development"
  # Every secret the API reads; the container's `secrets` list is built from it.
  api_secrets = ["DATABASE_HOST", "MLFLOW_SERVER_URL", "HUGGINGFACE_API_KEY"]
}

resource "aws_ecs_task_definition" "api" {
  family                   = "hokusai-api-development"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "512"
  memory                   = "1024"

  container_definitions = jsonencode([
    {
      name      = "api"
      image     = "hokusai/api:latest"
      essential = true
      secrets = [
        for name in local.api_secrets : {
          name      = name
          valueFrom = "${local.secret_prefix}/${lower(name)}"
        }
      ]
      environment = [
        { name = "LOG_LEVEL", value = "info" },
        { name = "PORT", value = "8000" },
      ]
    }
  ])
}

resource "aws_ecs_service" "api" {
  name            = "hokusai-api-development"
  cluster         = "hokusai-development"
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 2

  lifecycle {
    ignore_changes = [task_definition]
  }
}

module "worker" {
  source = "./modules/worker"
  queue  = "hokusai-jobs-development"
}

# The hook in front of one service: every deployment of a new revision asks drift-gate at
# PRE_SCALE_UP, before any task of it starts. Build the two inputs first (README.md):
#
#   python deploy/lambda/build_zip.py --python 3.13 --arch arm64 --policy drift-gate.yaml \
#     --output drift-gate-hook.zip
#   drift-gate iam-policy --lambda-hook --policy drift-gate.yaml > drift-gate-roles.json

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.4.0"
    }
  }
}

provider "aws" {
  region = var.region
}

module "drift_gate_hook" {
  source = "../.."

  zip_path     = "${path.module}/drift-gate-hook.zip"
  roles_json   = file("${path.module}/drift-gate-roles.json")
  runtime      = "python3.13"
  architecture = "arm64"
}

resource "aws_ecs_service" "api" {
  name            = "hokusai-api-development"
  cluster         = var.cluster_arn
  task_definition = var.task_definition_arn
  desired_count   = 2
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.subnet_ids
    security_groups = var.security_group_ids
  }

  # ECS blue/green: the new revision is scaled up beside the old one, after the hook said yes.
  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "api"
    container_port   = 8080

    advanced_configuration {
      alternate_target_group_arn = var.alternate_target_group_arn
      production_listener_rule   = var.production_listener_rule_arn
      role_arn                   = var.load_balancer_role_arn
    }
  }

  deployment_configuration {
    strategy = "BLUE_GREEN"

    lifecycle_hook {
      hook_target_arn  = module.drift_gate_hook.function_arn
      role_arn         = module.drift_gate_hook.invoke_role_arn
      lifecycle_stages = ["PRE_SCALE_UP"]
      hook_details     = jsonencode({ unverified = "fail" })
    }
  }
}

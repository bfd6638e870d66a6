terraform {
  # Cross-object preconditions and `optional` attributes; tested with 1.11.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.4.0 added aws_ecs_service's deployment_configuration (and its lifecycle_hook).
      version = ">= 6.4.0"
    }
  }
}

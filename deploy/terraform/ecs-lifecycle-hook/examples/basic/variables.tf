variable "region" {
  description = "The service's region."
  type        = string
  default     = "us-east-1"
}

variable "cluster_arn" {
  description = "The ECS cluster."
  type        = string
}

variable "task_definition_arn" {
  description = "The revision the service runs."
  type        = string
}

variable "subnet_ids" {
  description = "The tasks' subnets."
  type        = list(string)
}

variable "security_group_ids" {
  description = "The tasks' security groups."
  type        = list(string)
}

variable "target_group_arn" {
  description = "The production target group."
  type        = string
}

variable "alternate_target_group_arn" {
  description = "The target group the new revision is registered in (blue/green)."
  type        = string
}

variable "production_listener_rule_arn" {
  description = "The listener rule that routes production traffic."
  type        = string
}

variable "load_balancer_role_arn" {
  description = "The role that lets ECS move the listener rule between target groups."
  type        = string
}

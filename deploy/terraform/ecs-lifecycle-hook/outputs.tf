output "function_arn" {
  description = "The hook function: the lifecycle_hook's hook_target_arn."
  value       = aws_lambda_function.hook.arn
}

output "function_name" {
  description = "The function's name."
  value       = aws_lambda_function.hook.function_name
}

output "invoke_role_arn" {
  description = "The role ECS invokes the function with: the lifecycle_hook's role_arn."
  value       = aws_iam_role.invoke.arn
}

output "log_group_name" {
  description = "The function's log group: one JSON line per answer."
  value       = aws_cloudwatch_log_group.function.name
}

output "lifecycle_hook" {
  description = "The arguments of an aws_ecs_service's deployment_configuration.lifecycle_hook block, at PRE_SCALE_UP."
  value = {
    hook_target_arn  = aws_lambda_function.hook.arn
    role_arn         = aws_iam_role.invoke.arn
    lifecycle_stages = ["PRE_SCALE_UP"]
    hook_details     = jsonencode({ unverified = var.unverified })
  }
}

output "event_rule_arns" {
  description = "The re-check's EventBridge rules (empty unless events_enabled)."
  value       = { for name, rule in aws_cloudwatch_event_rule.recheck : name => rule.arn }
}

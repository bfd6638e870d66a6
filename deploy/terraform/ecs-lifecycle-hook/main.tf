# drift-gate's deployment hook: the function, its role, the role ECS invokes it with, its
# log group and, optionally, the EventBridge rules of the re-check (docs/deploy-hook.md).

locals {
  roles   = jsondecode(var.roles_json)
  handler = "drift_gate.aws_lambda.handler"
  environment = {
    for name, value in {
      DRIFT_GATE_POLICY              = var.policy
      DRIFT_GATE_GITHUB_REPOSITORY   = var.github_repository
      DRIFT_GATE_GITHUB_TOKEN_SECRET = var.github_token_secret_arn
      DRIFT_GATE_METRICS_NAMESPACE   = var.metrics_namespace
    } : name => value if value != null
  }
  # The ECS events the re-check runs on: the patterns of docs/deploy-hook.md ("The events,
  # and the rules that send them"), tests/unit/test_deploy_terraform.py compares them.
  event_patterns = {
    deployment = {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Deployment State Change"]
      detail = {
        eventName = [
          "SERVICE_DEPLOYMENT_COMPLETED",
          "SERVICE_DEPLOYMENT_FAILED",
          "SERVICE_DEPLOYMENT_IN_PROGRESS",
        ]
      }
    }
    task-stopped = {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Task State Change"]
      detail = merge(
        {
          lastStatus = ["STOPPED"]
          group      = [{ prefix = "service:" }]
          stoppedReason = [
            { wildcard = "*unable to pull secrets*" },
            { wildcard = "*unable to retrieve secret*" },
            { wildcard = "*registry auth*" },
          ]
        },
        length(var.event_cluster_arns) > 0 ? { clusterArn = var.event_cluster_arns } : {},
      )
    }
  }
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "function" {
  name = "${var.function_name}-function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# The role policy drift-gate printed for the policy file: what the hook (and the re-check)
# calls, scoped as `iam-policy` scopes it, so it is not written twice.
resource "aws_iam_role_policy" "function" {
  name   = "drift-gate"
  role   = aws_iam_role.function.id
  policy = jsonencode(local.roles.FunctionRolePolicy)

  lifecycle {
    precondition {
      condition     = strcontains(var.roles_json, "log-group:/aws/lambda/${var.function_name}")
      error_message = "roles_json was printed for another function name: run `drift-gate iam-policy --lambda-hook --function-name ${var.function_name}`."
    }
    precondition {
      condition     = var.github_token_secret_arn == null || strcontains(var.roles_json, coalesce(var.github_token_secret_arn, "-"))
      error_message = "roles_json does not grant the token secret: add `--events --github-token-secret ARN` to `drift-gate iam-policy --lambda-hook`."
    }
  }
}

resource "aws_lambda_function" "hook" {
  function_name    = var.function_name
  role             = aws_iam_role.function.arn
  package_type     = var.image_uri != null ? "Image" : "Zip"
  filename         = var.zip_path
  source_code_hash = var.zip_path != null ? filebase64sha256(var.zip_path) : null
  handler          = var.zip_path != null ? local.handler : null
  runtime          = var.zip_path != null ? var.runtime : null
  image_uri        = var.image_uri
  architectures    = [var.architecture]
  timeout          = var.timeout_seconds
  memory_size      = var.memory_size
  tags             = var.tags

  dynamic "environment" {
    for_each = length(local.environment) > 0 ? [local.environment] : []
    content {
      variables = environment.value
    }
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = (var.zip_path == null) != (var.image_uri == null)
      error_message = "Give zip_path (deploy/lambda/build_zip.py) or image_uri (the Dockerfile's lambda target), not both."
    }
  }
}

# The role in the service's lifecycle_hook (role_arn): ECS assumes it to invoke this function.
resource "aws_iam_role" "invoke" {
  name = "${var.function_name}-invoke"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "invoke" {
  name = "invoke-drift-gate-hook"
  role = aws_iam_role.invoke.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "EcsInvokesTheDriftGateHook"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = aws_lambda_function.hook.arn
    }]
  })
}

# --- The re-check on ECS events (events_enabled) ------------------------------------------

resource "aws_cloudwatch_event_rule" "recheck" {
  for_each      = var.events_enabled ? local.event_patterns : {}
  name          = "${var.function_name}-${each.key}"
  description   = "drift-gate re-checks the service on this ECS event"
  event_pattern = jsonencode(each.value)
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "recheck" {
  for_each = aws_cloudwatch_event_rule.recheck
  rule     = each.value.name
  arn      = aws_lambda_function.hook.arn
}

resource "aws_lambda_permission" "recheck" {
  for_each      = aws_cloudwatch_event_rule.recheck
  statement_id  = "drift-gate-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.hook.function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}

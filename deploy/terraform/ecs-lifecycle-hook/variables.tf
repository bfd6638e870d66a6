variable "function_name" {
  description = "The function's name: its log group is /aws/lambda/NAME. Give the same to `drift-gate iam-policy --function-name`."
  type        = string
  default     = "drift-gate-hook"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "A Lambda function's name is 1-64 letters, digits, - and _."
  }
}

variable "roles_json" {
  description = "What `drift-gate iam-policy --lambda-hook --policy drift-gate.yaml [--events ...]` printed (a JSON object): its FunctionRolePolicy becomes the function's role policy."
  type        = string

  validation {
    condition     = can(jsondecode(var.roles_json).FunctionRolePolicy.Statement)
    error_message = "roles_json is the JSON object `drift-gate iam-policy --lambda-hook` prints, with its FunctionRolePolicy."
  }
}

variable "zip_path" {
  description = "The deployable zip (deploy/lambda/build_zip.py). Give zip_path or image_uri, not both."
  type        = string
  default     = null
}

variable "image_uri" {
  description = "An image built from the Dockerfile's lambda target, in ECR. Give zip_path or image_uri, not both."
  type        = string
  default     = null
}

variable "runtime" {
  description = "The Lambda runtime of the zip (the --python it was built for)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "The zip is built for python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "x86_64 or arm64: the --arch the zip (or the image) was built for."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "The architecture is x86_64 or arm64."
  }
}

variable "timeout_seconds" {
  description = "The function's timeout. The hook answers 20 s before it (an answer is always sent)."
  type        = number
  default     = 120

  validation {
    condition     = var.timeout_seconds >= 30 && var.timeout_seconds <= 900
    error_message = "Between 30 and 900 seconds (Lambda's limit is 15 minutes)."
  }
}

variable "memory_size" {
  description = "The function's memory in MB."
  type        = number
  default     = 512
}

variable "log_retention_days" {
  description = "How long the function's log group keeps its lines (one JSON line per answer)."
  type        = number
  default     = 30
}

variable "policy" {
  description = "DRIFT_GATE_POLICY: a path in the package or image, or s3://BUCKET/KEY. Null: drift-gate.yaml at the package's root."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "DRIFT_GATE_GITHUB_REPOSITORY (OWNER/NAME): where the re-check opens, updates and closes a service's issue. Null: no issues."
  type        = string
  default     = null
}

variable "github_token_secret_arn" {
  description = "DRIFT_GATE_GITHUB_TOKEN_SECRET: the full ARN of the secret holding drift-gate's own GitHub token (never an application's). roles_json must grant GetSecretValue on it (--github-token-secret)."
  type        = string
  default     = null
}

variable "metrics_namespace" {
  description = "DRIFT_GATE_METRICS_NAMESPACE: the CloudWatch namespace the re-check publishes in. Null: no metrics."
  type        = string
  default     = null
}

variable "events_enabled" {
  description = "Also re-check a service on ECS deployment events and stopped tasks (EventBridge rules invoking the function)."
  type        = bool
  default     = false
}

variable "event_cluster_arns" {
  description = "With events_enabled: only these clusters' stopped tasks (empty: every cluster of the region)."
  type        = list(string)
  default     = []
}

variable "unverified" {
  description = "The hook's setting when drift-gate could not verify a revision: fail (roll back) or continue (with a warning in the log)."
  type        = string
  default     = "fail"

  validation {
    condition     = contains(["fail", "continue"], var.unverified)
    error_message = "unverified is fail or continue."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

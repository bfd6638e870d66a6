#!/usr/bin/env bash
# Builds drift-gate's command line from the DG_* variables the action sets (never from
# interpolated text) and runs it. drift-gate itself writes the job summary, the annotations
# and the step outputs; this script's exit code is drift-gate's.
set -uo pipefail

args=(check)
[ -n "${DG_POLICY:-}" ] && args+=(--policy "$DG_POLICY")
[ -n "${DG_TERRAFORM_DIR:-}" ] && args+=(--terraform-dir "$DG_TERRAFORM_DIR")
[ -n "${DG_PLAN_JSON:-}" ] && args+=(--plan-json "$DG_PLAN_JSON")
[ -n "${DG_PLAN_FILE:-}" ] && args+=(--plan-file "$DG_PLAN_FILE")
[ -n "${DG_WORKSPACE:-}" ] && args+=(--workspace "$DG_WORKSPACE")
for var_file in ${DG_VAR_FILES:-}; do  # one per line or space-separated; paths have no spaces
  args+=(--var-file "$var_file")
done
while IFS= read -r plan_arg; do  # one per line: an option may hold spaces (-var='a=b c')
  plan_arg="${plan_arg#"${plan_arg%%[![:space:]]*}"}"
  [ -n "$plan_arg" ] && args+=("--plan-arg=$plan_arg")
done <<< "${DG_PLAN_ARGS:-}"
[ "${DG_TERRAFORM_INIT:-false}" = "true" ] && args+=(--terraform-init)
[ -n "${DG_TERRAFORM_BIN:-}" ] && args+=(--terraform-bin "$DG_TERRAFORM_BIN")
[ -n "${DG_ENVIRONMENT:-}" ] && args+=(--environment "$DG_ENVIRONMENT")
[ "${DG_OFFLINE:-false}" = "true" ] && args+=(--offline)
args+=(--fail-on "${DG_FAIL_ON:-error}")
[ -n "${DG_SARIF_CATEGORY:-}" ] && args+=(--sarif-category "$DG_SARIF_CATEGORY")

reports="${RUNNER_TEMP:-/tmp}/drift-gate"
mkdir -p "$reports"
formats="${DG_FORMATS//,/ }"
if [ "${DG_SARIF_UPLOAD:-false}" = "true" ] && [[ " $formats " != *" sarif "* ]]; then
  formats="$formats sarif"  # the upload step needs it
fi
for format in $formats; do
  case "$format" in
    json | sarif | html) extension="$format" ;;
    markdown) extension=md ;;
    junit) extension=xml ;;
    *)
      echo "::error title=drift-gate::input formats: unknown format '$format' (json, sarif, markdown, junit, html)"
      exit 2
      ;;
  esac
  args+=(--format "$format" --output "$reports/drift-gate.$extension")
done
args+=(--format console)  # the job log

drift-gate "${args[@]}"

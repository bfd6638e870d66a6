#!/usr/bin/env bash
# Builds drift-gate's command line from the DG_* variables the action sets (never from
# interpolated text) and runs it. drift-gate itself writes the job summary, the annotations
# and the step outputs; this script's exit code is drift-gate's.
set -uo pipefail

# Text from an input in a workflow command (::error): escaped as GitHub's toolkit escapes a
# command's message, so no input can end the line and issue a command of its own.
escape_data() {
  local text="$1"
  text="${text//'%'/%25}"
  text="${text//$'\r'/%0D}"
  text="${text//$'\n'/%0A}"
  printf '%s' "$text"
}

# For the comment step, whatever happens: the gate's exit code, and the SARIF category the
# gate ran with (the last --sarif-category, from the input or the args input: drift-gate's
# option takes the last one too), so the comment is the category's the report was written
# for. Written with a random delimiter: a category cannot add an output line of its own.
args=(check)
outputs_on_exit() {
  local code=$? category="" taken="" word delimiter
  for word in "${args[@]}"; do
    if [ -n "$taken" ]; then category="$word"; taken=""; continue; fi
    case "$word" in
      --sarif-category) taken=yes ;;
      --sarif-category=*) category="${word#--sarif-category=}" ;;
    esac
  done
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    delimiter="ghadelimiter_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    {
      echo "gate-exit-code=$code"
      printf 'gate-sarif-category<<%s\n%s\n%s\n' "$delimiter" "$category" "$delimiter"
    } >> "$GITHUB_OUTPUT"
  fi
  exit "$code"
}
trap outputs_on_exit EXIT

[ -n "${DG_POLICY:-}" ] && args+=(--policy "$DG_POLICY")
[ -n "${DG_TERRAFORM_DIR:-}" ] && args+=(--terraform-dir "$DG_TERRAFORM_DIR")
[ -n "${DG_PLAN_JSON:-}" ] && args+=(--plan-json "$DG_PLAN_JSON")
[ -n "${DG_PLAN_FILE:-}" ] && args+=(--plan-file "$DG_PLAN_FILE")
[ -n "${DG_WORKSPACE:-}" ] && args+=(--workspace "$DG_WORKSPACE")
# One per line or space-separated (paths have no spaces); split without glob expansion.
read -ra var_files <<< "$(printf '%s' "${DG_VAR_FILES:-}" | tr '\r\n\t' '   ')"
for var_file in "${var_files[@]}"; do
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

# The args input: words as a shell splits them (shlex), never expanded or evaluated; each
# word reaches drift-gate as one argument (NUL-separated, so any character survives).
if [ -n "${DG_ARGS:-}" ]; then
  extra_file="$(mktemp)"
  if ! python3 -c 'import os, shlex, sys
try:
    words = shlex.split(os.environ["DG_ARGS"], comments=False, posix=True)
except ValueError as error:
    sys.exit(f"input args: {error} (quote each word at most once, close every quote)")
sys.stdout.write("".join(word + "\0" for word in words))' > "$extra_file" 2> "$extra_file.err"; then
    echo "::error title=drift-gate::$(escape_data "$(cat "$extra_file.err")")"
    exit 2
  fi
  mapfile -d '' extra < "$extra_file"
  rm -f "$extra_file" "$extra_file.err"
  args+=("${extra[@]}")
fi

reports="${RUNNER_TEMP:-/tmp}/drift-gate"
mkdir -p "$reports"
formats="$(printf '%s' "${DG_FORMATS:-}" | tr ',\r\n\t' '    ')"
if [ "${DG_SARIF_UPLOAD:-false}" = "true" ] && [[ " $formats " != *" sarif "* ]]; then
  formats="$formats sarif"  # the upload step needs it
fi
if [ "${DG_PR_COMMENT:-false}" = "true" ] && [[ " $formats " != *" json "* ]]; then
  formats="$formats json"  # the comment step reads it
fi
read -ra format_list <<< "$formats"  # split on blanks, never glob-expanded
for format in "${format_list[@]}"; do
  case "$format" in
    json | sarif | html) extension="$format" ;;
    markdown) extension=md ;;
    junit) extension=xml ;;
    *)
      echo "::error title=drift-gate::input formats: unknown format '$(escape_data "$format")' (json, sarif, markdown, junit, html)"
      exit 2
      ;;
  esac
  args+=(--format "$format" --output "$reports/drift-gate.$extension")
done
args+=(--format console)  # the job log

drift-gate "${args[@]}"

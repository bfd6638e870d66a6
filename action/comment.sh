#!/usr/bin/env bash
# The pull-request comment, from the JSON report the gate step wrote (DG_* set by the action,
# never interpolated text). Exit 0 when there is no pull request or no write access (a
# fork's): drift-gate says so; the gate step's exit code is the verdict, not this one.
# DG_GATE_EXIT_CODE is the gate's final exit code; with no report (the gate failed before
# writing one) the comment says so rather than leave an earlier run's verdict standing.
# DG_COMMENT_CATEGORY is the SARIF category the gate ran with (the input or args).
set -uo pipefail

if [ -n "${DG_JSON_REPORT:-}" ] && [ -f "$DG_JSON_REPORT" ]; then
  args=(github-comment --report "$DG_JSON_REPORT")
else
  args=(github-comment --no-report)
fi
args+=(--exit-code "${DG_GATE_EXIT_CODE:?DG_GATE_EXIT_CODE is set by the action}")
[ -n "${DG_COMMENT_CATEGORY:-}" ] && args+=(--category "$DG_COMMENT_CATEGORY")

drift-gate "${args[@]}"

#!/usr/bin/env bash
# The pull-request comment, from the JSON report the gate step wrote (DG_* set by the action,
# never interpolated text). Exit 0 when there is no pull request or no write access (a
# fork's): drift-gate says so; the gate step's exit code is the verdict, not this one.
set -uo pipefail

args=(github-comment --report "$DG_JSON_REPORT")
[ -n "${DG_SARIF_CATEGORY:-}" ] && args+=(--category "$DG_SARIF_CATEGORY")

drift-gate "${args[@]}"

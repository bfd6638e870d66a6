#!/usr/bin/env bash
# Installs drift-gate into the private venv that prepare.sh named: the action's own ref
# (default) or a given version, on top of the exact dependency versions in
# action/requirements.txt. A venv restored by actions/cache under the same key is used as it
# is, once it has answered `drift-gate --version`.
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is set by the runner}"
venv="${DG_VENV:?DG_VENV comes from the prepare step}"
key="${DG_CACHE_KEY:?DG_CACHE_KEY comes from the prepare step}"
version="${DRIFT_GATE_VERSION:-}"

if [ "$(cat "$venv/.drift-gate-cache-key" 2>/dev/null)" = "$key" ] \
  && "$venv/bin/drift-gate" --version >/dev/null 2>&1; then
  echo "drift-gate: using the cached venv ($key)"
else
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$action_path/action/requirements.txt"
  if [ -n "$version" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "drift-gate==$version"
  else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$action_path"
  fi
  echo "$key" > "$venv/.drift-gate-cache-key"
fi
# Only drift-gate goes on PATH: the venv's python and pip must not shadow a later
# actions/setup-python in the same job.
only="${RUNNER_TEMP:-/tmp}/drift-gate-bin"
mkdir -p "$only"
ln -sf "$venv/bin/drift-gate" "$only/drift-gate"
echo "$only" >> "${GITHUB_PATH:?GITHUB_PATH is set by the runner}"
"$only/drift-gate" --version

#!/usr/bin/env bash
# Installs drift-gate into a private venv: the action's own ref (default) or a given version,
# on top of the exact dependency versions in action/requirements.txt.
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is set by the runner}"
venv="${RUNNER_TEMP:-/tmp}/drift-gate-venv"
version="${DRIFT_GATE_VERSION:-}"

# A version goes into a pip requirement: refuse anything that is not one (no pip options).
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+(\.[0-9]+)*([abc]|rc|\.post|\.dev)?[0-9]*$ ]]; then
  echo "::error title=drift-gate::input version '$version' is not a version such as 0.1.0"
  exit 2
fi

# The pins resolve for Python 3.10 to 3.13 (tested): say so plainly rather than fail in pip.
if ! python3 -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)'; then
  found=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
  echo "::error title=drift-gate::the runner's python3 is $found; drift-gate needs Python 3.10 to 3.13 (add actions/setup-python before this step)"
  exit 2
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$action_path/action/requirements.txt"
if [ -n "$version" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "drift-gate==$version"
else
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$action_path"
fi
# Only drift-gate goes on PATH: the venv's python and pip must not shadow a later
# actions/setup-python in the same job.
only="${RUNNER_TEMP:-/tmp}/drift-gate-bin"
mkdir -p "$only"
ln -sf "$venv/bin/drift-gate" "$only/drift-gate"
echo "$only" >> "${GITHUB_PATH:?GITHUB_PATH is set by the runner}"
"$only/drift-gate" --version

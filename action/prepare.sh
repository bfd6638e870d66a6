#!/usr/bin/env bash
# First step of the action: refuses a runner it cannot serve, at once and in one line, and
# (when it installs) checks the runner's Python and the version input, then names the private
# venv and its cache key for actions/cache.
set -euo pipefail

# The install and the run are bash on a Linux runner; Windows (Scripts\ instead of bin/) and
# macOS (bash 3.2) are not tested, so they are refused rather than left to break half-way.
if [ "${RUNNER_OS:-Linux}" != "Linux" ]; then
  echo "::error title=drift-gate::the drift-gate action runs on Linux runners (ubuntu-*, or a self-hosted Linux runner); this runner is ${RUNNER_OS}. Use runs-on: ubuntu-latest for this job, or run the container image (docs/container.md)."
  exit 2
fi

[ "${DG_INSTALL:-true}" = "true" ] || exit 0

version="${DRIFT_GATE_VERSION:-}"
# A version goes into a pip requirement: refuse anything that is not one (no pip options).
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+(\.[0-9]+)*([abc]|rc|\.post|\.dev)?[0-9]*$ ]]; then
  # Not echoed: the input could carry a workflow command of its own (%, CR, LF).
  echo "::error title=drift-gate::input version is not a version such as 0.1.0 (the input is in this step's env: DRIFT_GATE_VERSION)"
  exit 2
fi

# The pins resolve with wheels for Python 3.10 to 3.14 on x86_64 and arm64 (tested): say so
# plainly rather than fail in pip.
if ! python3 -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 14) else 1)'; then
  found=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
  echo "::error title=drift-gate::the runner's python3 is $found; drift-gate needs Python 3.10 to 3.14 (add actions/setup-python before this step)"
  exit 2
fi

venv="${RUNNER_TEMP:-/tmp}/drift-gate-venv"
# The key changes with anything that changes the venv: the runner, the interpreter (a venv
# links to it), the venv's path, the pinned requirements and what drift-gate is installed
# (the version asked for, else the action's own sources).
key=$(GITHUB_ACTION_PATH="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is set by the runner}" \
  DG_VENV="$venv" python3 - <<'PY'
import hashlib, os, pathlib, platform, sys

root = pathlib.Path(os.environ["GITHUB_ACTION_PATH"])
digest = hashlib.sha256()
for part in (sys.version, os.path.realpath(sys.executable), os.environ["DG_VENV"]):
    digest.update(part.encode() + b"\0")
version = os.environ.get("DRIFT_GATE_VERSION", "")
sources = [root / "action" / "requirements.txt"]
if not version:
    sources += [root / "pyproject.toml", *sorted((root / "drift_gate").rglob("*"))]
digest.update(version.encode() + b"\0")
for path in sources:
    if path.is_file() and "__pycache__" not in path.parts:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
python = "%d.%d" % sys.version_info[:2]
print(f"drift-gate-venv-1-{platform.system()}-{platform.machine()}-py{python}-{digest.hexdigest()[:32]}")
PY
)
{
  echo "venv=$venv"
  echo "cache-key=$key"
} >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is set by the runner}"

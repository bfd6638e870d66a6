#!/usr/bin/env python3
"""Build drift-gate's deployable Lambda zip (docs/deploy-hook.md#packaging).

    python deploy/lambda/build_zip.py --python 3.13 --arch arm64 [--policy drift-gate.yaml] \
        [--output dist/drift-gate-lambda-py3.13-arm64.zip]

pip installs, into an empty folder, the pinned dependencies (action/requirements.txt) as the
Lambda runtime's platform wheels (manylinux2014 for x86_64 or aarch64, CPython of the chosen
version, wheels only: nothing is compiled here), then drift-gate itself from this
repository, without its dependencies. The folder's content goes to the zip's root, where
Lambda imports from (`drift_gate.aws_lambda.handler`), with the policy, when given, as
`drift-gate.yaml` beside `drift_gate/`. Entries are sorted and dated 1980-01-01, so the same
inputs give the same zip. Standard library only: any Python 3.10+ with pip runs it.

Exit 0: built, within Lambda's limits; 1: built, over them; 2: bad input (an option, the
policy), before anything is downloaded; 3: pip could not install (no network, no wheel).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHONS = ("3.12", "3.13")
ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}  # Lambda's name -> the wheels' machine
# Lambda's quotas, read as decimal megabytes (the stricter reading): a zip uploaded directly,
# and the function with its layers, unzipped.
ZIPPED_LIMIT = 50_000_000
UNZIPPED_LIMIT = 250_000_000
DATE = (1980, 1, 1, 0, 0, 0)
LEFT_OUT = ("__pycache__", ".pyc")
COPY_LEFT_OUT = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "tests",
    "node_modules",
)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--python", choices=PYTHONS, required=True, help="the Lambda runtime")
    parser.add_argument("--arch", choices=sorted(ARCHES), required=True, help="its architecture")
    parser.add_argument("--policy", type=Path, help="a policy put at the root as drift-gate.yaml")
    parser.add_argument("--output", type=Path, help="the zip (default: dist/drift-gate-lambda-…)")
    parser.add_argument(
        "--requirements",
        type=Path,
        default=REPO / "action" / "requirements.txt",
        help="the pinned dependencies (default: action/requirements.txt)",
    )
    return parser.parse_args(argv)


class BadInputError(Exception):
    """What the user gave cannot be built: exit 2, one line."""


def pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    completed = subprocess.run(command, check=False)  # noqa: S603 - our own arguments
    if completed.returncode != 0:
        print(f"build_zip: pip failed (exit {completed.returncode}): {args[0]}", file=sys.stderr)
        raise SystemExit(3)


def install(target: Path, python: str, machine: str, requirements: Path) -> None:
    """The platform wheels of the pins, then drift-gate's own pure-Python wheel, unpacked."""
    pip(
        "install", "--quiet", "--no-compile", "--target", str(target),
        "--implementation", "cp", "--python-version", python,
        "--abi", f"cp{python.replace('.', '')}",
        "--platform", f"manylinux2014_{machine}", "--platform", f"manylinux_2_17_{machine}",
        "--only-binary=:all:", "--requirement", str(requirements),
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="drift-gate-wheel-") as wheels:
        # A copy of the sources, so that building leaves nothing in the repository.
        source = Path(wheels) / "source"
        shutil.copytree(
            REPO,
            source,
            ignore=shutil.ignore_patterns(*COPY_LEFT_OUT),
        )
        pip("wheel", "--quiet", "--no-deps", "--wheel-dir", wheels, str(source))
        (wheel,) = Path(wheels).glob("drift_gate-*.whl")
        # A pure-Python wheel unpacked is installed; pip would add a direct_url.json naming
        # this temporary folder, and the zip would differ from one build to the next.
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts for this machine


def check_policy(policy: Path) -> None:
    """A policy that would fail every invocation is refused here, by the loader of the
    drift-gate being packaged, when this Python has its dependencies (else the build says it
    did not validate the policy)."""
    sys.path.insert(0, str(REPO))
    try:
        from drift_gate.errors import InvalidInputError
        from drift_gate.policy import load_policy
    except ImportError:
        print(f"build_zip: {policy} not validated (no drift-gate in this Python)", file=sys.stderr)
        return
    try:
        load_policy(policy)
    except InvalidInputError as error:
        raise BadInputError(str(error)) from None


def write_zip(folder: Path, policy: Path | None, output: Path) -> tuple[int, int]:
    """Every file under `folder` at the zip's root (and the policy); (zipped, unzipped) bytes."""
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(part.endswith(LEFT_OUT) for part in path.parts)
    )
    entries = [(path.relative_to(folder).as_posix(), path) for path in files]
    if policy is not None:
        entries.append(("drift-gate.yaml", policy))
    output.parent.mkdir(parents=True, exist_ok=True)
    unzipped = 0
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = 0o100644 << 16  # readable by Lambda's user, not writable
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data)
    return output.stat().st_size, unzipped


def check_inputs(given: argparse.Namespace) -> None:
    """The files given exist, and the policy is one drift-gate reads (BadInputError)."""
    if given.policy is not None:
        if not given.policy.is_file():
            raise BadInputError(f"--policy {given.policy}: no such file")
        check_policy(given.policy)
    if not given.requirements.is_file():
        raise BadInputError(f"--requirements {given.requirements}: no such file")


def main(argv: list[str] | None = None) -> int:
    given = arguments(argv)
    try:
        check_inputs(given)
    except BadInputError as error:
        print(f"build_zip: {error}", file=sys.stderr)
        return 2
    output = given.output or REPO / "dist" / f"drift-gate-lambda-py{given.python}-{given.arch}.zip"
    with tempfile.TemporaryDirectory(prefix="drift-gate-lambda-") as folder:
        install(Path(folder), given.python, ARCHES[given.arch], given.requirements)
        zipped, unzipped = write_zip(Path(folder), given.policy, output)
    print(f"{output}: {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped")
    if zipped > ZIPPED_LIMIT or unzipped > UNZIPPED_LIMIT:
        print("build_zip: over Lambda's limits (50 MB zipped, 250 MB unzipped)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())

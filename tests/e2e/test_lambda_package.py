"""The deployable Lambda zip (deploy/lambda/build_zip.py, docs/deploy-hook.md#packaging),
built for a runtime that is not this machine's (Python 3.13 on arm64): the platform wheels
are that runtime's, the handler is where Lambda imports from, the policy sits beside it, and
the zip is within Lambda's limits. It downloads the pinned wheels from PyPI, as CI does."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "deploy" / "lambda" / "build_zip.py"
POLICY = REPO / "policies" / "example.yaml"


def build(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *options],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.e2e
def test_the_zip_for_python_3_13_on_arm64_holds_that_runtimes_wheels(tmp_path: Path) -> None:
    output = tmp_path / "hook.zip"
    before = sorted(path.name for path in REPO.iterdir())
    built = build(
        "--python", "3.13", "--arch", "arm64", "--policy", str(POLICY),
        "--output", str(output),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    assert sorted(path.name for path in REPO.iterdir()) == before  # nothing built in the repo
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        # Lambda imports the handler from the zip's root; the policy is its default path.
        assert (
            archive.read("drift_gate/aws_lambda.py")
            == (REPO / "drift_gate" / "aws_lambda.py").read_bytes()
        )
        assert archive.read("drift-gate.yaml") == POLICY.read_bytes()
        assert "drift_gate/schemas/policy.schema.json" in names  # package data too
        unzipped = sum(info.file_size for info in archive.infolist())
        modes = {info.external_attr >> 16 for info in archive.infolist()}
    native = sorted(name for name in names if name.endswith(".so"))
    assert "pydantic_core/_pydantic_core.cpython-313-aarch64-linux-gnu.so" in native
    assert all("cpython-313-aarch64-linux-gnu" in name for name in native), native
    assert not [name for name in names if "__pycache__" in name or name.startswith("bin/")]
    # Nothing that names the build's temporary folders (the zip is the same from build to build).
    assert not [name for name in names if name.endswith("direct_url.json")]
    assert modes == {0o100644}
    # Lambda's quotas: 50 MB zipped (uploaded directly), 250 MB unzipped.
    zipped = output.stat().st_size
    assert zipped < 50_000_000
    assert unzipped < 250_000_000
    assert f"{output}: {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped" in (
        built.stdout
    )


def test_an_invalid_policy_is_refused_before_anything_is_downloaded(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nenvironments: 3\n")
    built = build("--python", "3.12", "--arch", "x86_64", "--policy", str(bad))
    assert built.returncode == 2
    assert built.stderr.startswith("build_zip: invalid policy")
    assert "pip" not in built.stderr
    absent = build("--python", "3.12", "--arch", "x86_64", "--policy", "nope.yaml")
    assert (absent.returncode, absent.stderr) == (
        2,
        "build_zip: --policy nope.yaml: no such file\n",
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [(["--python", "3.11", "--arch", "arm64"], "invalid choice"), (["--python", "3.12"], "--arch")],
)
def test_a_runtime_lambda_does_not_offer_is_refused(
    tmp_path: Path, options: list[str], words: str
) -> None:
    built = build(*options)
    assert built.returncode == 2
    assert words in built.stderr

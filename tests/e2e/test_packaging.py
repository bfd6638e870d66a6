"""What PyPI and pip see: the wheel and the sdist carry the license, PEP 639 metadata, the
project's URLs, and a long description whose links work off GitHub. Built as pip builds it
(isolated, with the pinned backend from the package registry). The sdist is checked by
.ci/build-dist, which builds it with `build` and lists it."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The wheel, the sdist, and what the build backend printed."""
    out = tmp_path_factory.mktemp("dist")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--verbose",
            "-w",
            str(out),
            str(_copy(tmp_path_factory)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    (wheel,) = out.glob("drift_gate-*.whl")
    return wheel, out, completed.stdout + completed.stderr


def _copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout copied aside: setuptools writes build/ and *.egg-info into the tree it
    builds, so two test runs building the same checkout at once would clash."""
    copy = tmp_path_factory.mktemp("source") / "drift-gate"
    ignored = shutil.ignore_patterns(
        ".git",
        ".venv",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        "node_modules",
        "tools",
        ".*_cache",
    )
    shutil.copytree(REPO, copy, ignore=ignored)
    return copy


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(archive.read(name))


def test_the_wheel_ships_the_license_with_pep_639_metadata(built: tuple[Path, Path, str]) -> None:
    wheel, _, _ = built
    metadata = wheel_metadata(wheel)
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    with zipfile.ZipFile(wheel) as archive:
        licenses = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert len(licenses) == 1
        assert b"Apache License" in archive.read(licenses[0])
    assert not any(c.startswith("License ::") for c in metadata.get_all("Classifier") or [])


def test_the_project_urls_and_a_description_without_relative_links(
    built: tuple[Path, Path, str],
) -> None:
    metadata = wheel_metadata(built[0])
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
    description = metadata.get_payload()
    assert isinstance(description, str)
    relative = [
        target
        for target in re.findall(r"\]\(([^)\s]+)\)", description)
        if not re.match(r"(https?|mailto):|#", target)
    ]
    assert relative == []  # they would 404 on PyPI


def test_the_build_backend_is_pinned_and_says_nothing_deprecated(
    built: tuple[Path, Path, str],
) -> None:
    requires = re.search(r"requires = \[(.*?)\]", (REPO / "pyproject.toml").read_text(), re.S)
    assert requires is not None
    assert re.fullmatch(r'"setuptools==[\d.]+"', requires.group(1).strip())
    assert "SetuptoolsDeprecationWarning" not in built[2]  # the backend's, shown with --verbose

"""The HTML report in a real headless Chromium (Debian's chromium package; .ci/run installs it).

Chromium runs with no network access of its own (the flags stop background requests), on a
file:// URL: the page must work with no external asset at all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from drift_gate.report import RenderOptions, reporters
from tests.reports import sample_report

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        # In CI the browser is installed by .ci/run, so a missing one is a failure, not a skip.
        assert not os.environ.get("CI"), "chromium is not installed; .ci/run installs it"
        pytest.skip("chromium is not installed here (apt-get install chromium); CI runs this test")
    return found


def run_browser(chromium: str, tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    completed = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(reporters()["html"].render(sample_report(), RenderOptions()))
    return path


def test_page_shows_the_verdict_and_findings_and_takes_a_screenshot(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    dom = run_browser(chromium, tmp_path, "--dump-dom", page.as_uri())

    assert re.search(r'<h1 id="verdict">DRIFT</h1>', dom)
    assert 'data-ready="true"' in dom  # the page's script ran
    assert '<span id="visible-count">4</span>' in dom
    assert "DG101 secret-missing" in dom
    assert 'class="link fail" title="failed">containers get declared names' in dom
    # A link that did not run is drawn as not checked, never as ok.
    assert (
        'class="link skip" title="not checked: no logs declared for this service">'
        "application log clean (not checked)"
    ) in dom

    screenshot = tmp_path / "report.png"
    run_browser(
        chromium, tmp_path, "--window-size=1280,900", f"--screenshot={screenshot}", page.as_uri()
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000


def test_filters_hide_severities_and_environments_in_the_browser(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    only_errors = run_browser(
        chromium, tmp_path, "--dump-dom", page.as_uri() + "#hide=warning,info"
    )
    assert '<span id="visible-count">2</span>' in only_errors
    only_plan = run_browser(
        chromium, tmp_path, "--dump-dom", page.as_uri() + "#environment=terraform"
    )
    assert '<span id="visible-count">1</span>' in only_plan


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text()
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", html)
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html

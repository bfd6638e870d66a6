"""The declared-side seam end to end: a side registered in drift_gate/declared_sides.py gets
its option on `check`, its file is read by its own source, and the services it declares are
checked live like the policy's, with nothing else of drift-gate changed for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from drift_gate.demo import CLUSTER, REGION, SERVICE, IncidentAccount
from tests.conftest import REPO, Cli, MotoServer

REGISTER = """
import sys
import drift_gate.declared_sides as sides
sides.DECLARED_SIDES = (
    sides.DeclaredSide(
        name="services file",
        option="--services-file",
        metavar="FILE",
        help="A JSON file naming services and their secrets (tests only).",
        source="tests.declared_side_example:ServicesFile",
    ),
)
from drift_gate.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_registered(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", REGISTER, *args],
        env={**cli.env, "PYTHONPATH": str(REPO)},
        cwd=cli.cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def services_file(tmp_path: Path, secret: str) -> Path:
    path = tmp_path / "services.json"
    document = {
        "region": REGION,
        "services": [{"cluster": CLUSTER, "service": SERVICE, "containers": {"api": [secret]}}],
    }
    path.write_text(json.dumps(document))
    return path


def test_a_registered_side_has_its_option(cli: Cli) -> None:
    completed = run_registered(cli, "check", "--help")
    assert completed.returncode == 0, completed.stderr
    assert "--services-file FILE" in completed.stdout


def test_its_services_are_checked_live_as_the_policys_are(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path
) -> None:
    IncidentAccount.create(moto_server.client)  # the incident: the key is not deployed
    report_path = tmp_path / "report.json"
    drift = run_registered(
        cli_on_moto,
        "check",
        "--services-file",
        str(services_file(tmp_path, "HUGGINGFACE_API_KEY")),
        "--format",
        "json",
        "--output",
        str(report_path),
    )
    assert drift.returncode == 1, drift.stderr
    report = json.loads(report_path.read_text())
    [missing] = [f for f in report["findings"] if f["rule_id"] == "DG101"]
    assert missing["target"]["variable"] == "HUGGINGFACE_API_KEY"
    assert missing["declared_in"] == f"{tmp_path / 'services.json'}:1"
    assert report["services"][0]["service"] == SERVICE

    deployed = services_file(tmp_path, "DATABASE_HOST")
    passed = run_registered(cli_on_moto, "check", "--services-file", str(deployed))
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_its_files_do_not_go_with_offline(cli: Cli, tmp_path: Path) -> None:
    completed = run_registered(
        cli, "check", "--offline", "--services-file", str(services_file(tmp_path, "KEY"))
    )
    assert completed.returncode == 2
    assert "checked live, without --offline" in completed.stderr


def test_a_file_its_source_cannot_read_is_invalid_input(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "services.json"
    broken.write_text("[1, 2")
    completed = run_registered(cli, "check", "--services-file", str(broken))
    assert completed.returncode == 2
    assert (
        completed.stderr.strip()
        == f"drift-gate: error: {broken}: not a services file (JSONDecodeError)"
    )

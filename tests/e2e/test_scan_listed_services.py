"""`drift-gate scan`: a ListServices entry that is not a service of the cluster, account and
region asked (or a name with an invisible character) is a malformed answer: that cluster
could not be verified (exit 3), never a service taken by its name (review 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, MotoServer
from tests.e2e.test_scan import DEFAULT_ACCOUNT, OTHER_ACCOUNT, fleet, scan_json

pytestmark = pytest.mark.e2e


class _ServicesAnswered:
    """A real (moto) ECS client whose ListServices answer has `arns` added to moto's."""

    def __init__(self, client: Any, arns: list[str]) -> None:
        self._client = client
        self._arns = arns

    def list_services(self, **arguments: Any) -> Any:
        answer = dict(self._client.list_services(**arguments))
        answer["serviceArns"] = [*answer["serviceArns"], *self._arns]
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _answering_services(monkeypatch: pytest.MonkeyPatch, arns: list[str]) -> None:
    from drift_gate.engine import scan_discovery as scan
    from drift_gate.sources.discovery import list_services

    def listed(client: Any, cluster: str, account: str | None = None) -> Any:
        return list_services(_ServicesAnswered(client, arns), cluster, account)

    monkeypatch.setattr(scan, "list_services", listed)


ARN = f"arn:aws:ecs:us-east-1:{DEFAULT_ACCOUNT}:service"


@pytest.mark.parametrize(
    ("arn", "words"),
    [
        # The service `fine` itself, as another account's, region's or cluster's: it was
        # taken by its name and passed.
        (f"arn:aws:ecs:us-east-1:{OTHER_ACCOUNT}:service/web/fine", "another account"),
        (f"arn:aws:ecs:eu-west-1:{DEFAULT_ACCOUNT}:service/web/fine", "another region"),
        (f"{ARN}/other/fine", "another cluster"),
        # An invisible character: a zero-width space was DG206 (exit 1), a trailing space
        # exit 3; both are names no service has.
        (f"{ARN}/web/fine\u200b", "not a service ARN"),
        (f"{ARN}/web/\u200b", "not a service ARN"),
        (f"{ARN}/web/fine\u2060", "not a service ARN"),
        (f"{ARN}/web/fi\x00ne", "not a service ARN"),
    ],
)
def test_a_listed_service_not_of_the_cluster_asked_is_could_not_verify(
    cli_on_moto: Cli,
    moto_server: MotoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arn: str,
    words: str,
) -> None:
    fleet(moto_server).service("web", "fine")
    _answering_services(monkeypatch, [arn])

    exit_code, report, stderr = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 3, stderr
    (finding,) = report["findings"]
    assert (finding["rule_id"], finding["target"]["cluster"]) == ("DG901", "web")
    assert (
        "ecs:ListServices answered without what drift-gate reads (serviceArns[1]: "
        in finding["message"]
    )
    assert words in finding["message"]
    assert report["scanned"][0]["verified"] is False


def test_the_services_of_the_cluster_asked_still_pass(
    cli_on_moto: Cli, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old ARN form (no cluster in it) of the account and region asked is read."""
    fleet(moto_server).service("web", "fine")
    _answering_services(monkeypatch, [f"{ARN}/fine"])

    exit_code, report, stderr = scan_json(cli_on_moto, tmp_path, "--region", "us-east-1")

    assert exit_code == 0, stderr
    assert report["scanned"][0]["verified"] is True

"""`drift-gate demo --serve`: the demo's emulated account, kept running for a try-out by hand.

The account is in the incident's state after `terraform apply` (act b): the revision with
HUGGINGFACE_API_KEY is registered, the service still runs the one without it. A person
exports the printed variables, runs `drift-gate check` (it fails), runs the fix it prints
(`aws ecs update-service ... --force-new-deployment`) and runs the check again (it passes).
moto answers on 127.0.0.1 only; its update_service is made to roll out as ECS does
(_moto_compat.roll_out_on_update_service), which a plain moto server does not.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from unittest import mock

from drift_gate import _moto_compat
from drift_gate.demo import CLUSTER, FAMILY, REGION, SECRET_NAMES, SERVICE, IncidentAccount
from drift_gate.errors import InvalidInputError

POLICY_FILE = "drift-gate-demo.yaml"
HOOK_EVENT_FILE = "hook-event.json"  # what ECS would send the lifecycle hook's function
TASK_EVENT_FILE = "task-event.json"  # what EventBridge would send the event re-check
# Fake keys: moto accepts any; they only keep boto from looking for real ones.
DEMO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo"}

Echo = Callable[[str], None]


@contextmanager
def moto_server(port: int) -> Iterator[str]:
    """moto in server mode on 127.0.0.1:port (0: a free port); yields its endpoint URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        raise InvalidInputError(
            "demo --serve needs moto's server: pip install 'drift-gate[demo]'"
        ) from error
    # One log line per request from the server's werkzeug would bury the instructions.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if port:
        refuse_a_port_in_use(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.stop()


def refuse_a_port_in_use(port: int) -> None:
    """The server binds in its own thread, where a failure is lost: try the port here first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise InvalidInputError(
                f"demo --serve {port}: cannot listen on 127.0.0.1:{port} "
                f"({error.strerror or error}); give another port, or none for any free one"
            ) from None


def prepare_account(endpoint: str) -> IncidentAccount:
    """The incident after `terraform apply`: the fixed revision registered, not deployed."""
    import boto3

    _moto_compat.enable_policy_simulator()
    _moto_compat.enable_service_revisions()
    _moto_compat.enable_service_deployments()
    _moto_compat.roll_out_on_update_service()
    # The user's profile or endpoint must not steer the clients that build the account.
    cleared = {k: "" for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"}
    with mock.patch.dict(os.environ, cleared):
        for key in cleared:
            os.environ.pop(key, None)
        session = boto3.session.Session(
            aws_access_key_id=DEMO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DEMO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=endpoint)

        account = IncidentAccount.create(client)
        _moto_compat.settle(CLUSTER, SERVICE, REGION)
        account.register_revision(list(SECRET_NAMES))
    return account


def write_policy(directory: Path) -> Path:
    """The demo's policy, next to the user, so the printed commands can name it."""
    path = directory / POLICY_FILE
    text = resources.files("drift_gate").joinpath("demo_policy.yaml").read_text("utf-8")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            f"{path}: cannot write the demo's policy ({error.strerror or error}); "
            "run demo --serve from a directory you can write to"
        ) from None
    return path


def write_events(directory: Path) -> tuple[Path, Path]:
    """Two saved payloads, next to the user, for `lifecycle-hook` and `on-event`: the
    PRE_SCALE_UP invocation of a deployment whose target revision is the one the service runs
    (without HUGGINGFACE_API_KEY), and a task of it stopped because its secrets could not be
    pulled. Written after the account is prepared: the revision's ARN is the emulation's."""
    revision = _moto_compat.service_revision_arn(CLUSTER, SERVICE, REGION)
    prefix = revision.split(":service-revision/", 1)[0]  # arn:aws:ecs:REGION:ACCOUNT
    service_arn = f"{prefix}:service/{CLUSTER}/{SERVICE}"
    account = prefix.split(":")[4]
    hook = {
        "executionId": "demo-serve-pre-scale-up",
        "lifecycleStage": "PRE_SCALE_UP",
        "resourceArn": f"{prefix}:service-deployment/{CLUSTER}/{SERVICE}/demo",
        "executionDetails": {
            "serviceArn": service_arn,
            "targetServiceRevisionArn": revision,
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
        },
        "hookDetails": {"unverified": "fail"},
    }
    task_arn = f"{prefix}:task/{CLUSTER}/0123456789abcdef0123456789abcdef"
    task = {
        "version": "0",
        "id": "demo-serve-task-stopped",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": account,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [task_arn],
        "detail": {
            "clusterArn": f"{prefix}:cluster/{CLUSTER}",
            "group": f"service:{SERVICE}",
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedReason": "ResourceInitializationError: unable to pull secrets or registry "
            "auth: execution resource retrieval failed",
            "taskArn": task_arn,
            "taskDefinitionArn": f"{prefix}:task-definition/{FAMILY}:1",
            "version": 3,
        },
    }
    paths = (directory / HOOK_EVENT_FILE, directory / TASK_EVENT_FILE)
    for path, payload in zip(paths, (hook, task), strict=True):
        try:
            path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise InvalidInputError(
                f"{path}: cannot write the demo's saved event ({error.strerror or error}); "
                "run demo --serve from a directory you can write to"
            ) from None
    return paths


def instructions(endpoint: str, policy: Path, events: tuple[Path, Path] | None = None) -> list[str]:
    """What to export and run, in order; the fix is the one the report prints."""
    exports = {
        **DEMO_CREDENTIALS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,  # what boto3 and older aws CLIs read
        "AWS_ENDPOINT_URL": endpoint,
    }
    return [
        f"drift-gate demo: an emulated AWS account answers on {endpoint} (moto, 127.0.0.1 only).",
        "It is the incident after `terraform apply`: the revision with HUGGINGFACE_API_KEY is",
        "registered, the service still runs the one without it. In another shell:",
        "",
        *(f"  export {name}={value}" for name, value in exports.items()),
        f"  drift-gate check --policy {policy}        # fails: DG101, DG201",
        f"  aws ecs update-service --cluster {CLUSTER} --service {SERVICE} \\",
        f"      --task-definition {FAMILY} --force-new-deployment   # the fix DG201 prints",
        f"  drift-gate check --policy {policy}        # passes",
        "",
        *_event_lines(policy, events),
        "Without the aws CLI, the same call from Python:",
        f"  python3 -c \"import boto3; boto3.client('ecs').update_service(cluster='{CLUSTER}', "
        f"service='{SERVICE}', taskDefinition='{FAMILY}', forceNewDeployment=True)\"",
        "",
        "Ctrl-C (or SIGTERM) stops it; nothing is kept.",
    ]


def _event_lines(policy: Path, events: tuple[Path, Path] | None) -> list[str]:
    if events is None:
        return []
    hook, task = events
    return [
        "The deployment hook and the event re-check, on saved payloads (docs/deploy-hook.md):",
        f"  drift-gate lifecycle-hook --event {hook} --policy {policy}",
        "      # FAILED: the revision the service runs lacks HUGGINGFACE_API_KEY",
        f"  drift-gate on-event --event {task} --policy {policy}",
        "      # a task that could not pull its secrets: drift before the fix, pass after",
        "",
    ]


def serve(echo: Echo, port: int, directory: Path, stop: threading.Event | None = None) -> int:
    """Run the emulated account until `stop` is set or Ctrl-C; exit 0."""
    stop = stop or threading.Event()
    stop_on_signals(stop)
    policy = write_policy(directory)
    with moto_server(port) as endpoint:
        prepare_account(endpoint)
        events = write_events(directory)
        for line in instructions(endpoint, policy, events):
            echo(line)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        echo("drift-gate demo: stopped")
    return 0


def stop_on_signals(stop: threading.Event) -> None:
    """Ctrl-C and SIGTERM (a container's stop, a supervisor's) end the demo cleanly, even
    when it was started with SIGINT ignored (a background job of a script inherits that)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers belong to the main thread; the caller's `stop` ends it
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())

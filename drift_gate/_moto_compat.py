"""Make moto's ECS roll out a deployment the way real ECS does. Used by the demo and the tests.

moto 5.2 does not replace the PRIMARY deployment on update_service: it changes
service.taskDefinition but keeps a single PRIMARY deployment on the old revision, and a
new service stays IN_PROGRESS with no running tasks forever. Real ECS starts a new PRIMARY
deployment on the new revision, keeps the old one ACTIVE until it drains, then drops it.
drift-gate reads the PRIMARY deployment, so without this the emulated account would never
show a completed redeploy. This reaches into moto internals (moto/ecs/models.py:
Service.deployments is a list of dicts), which is why the extras pin moto to 5.2.x.
It works in-process and with moto's ThreadedMotoServer, which shares the process.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

_deployment_ids = itertools.count(1)


def _service(cluster: str, service: str, region: str, account_id: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account_id][region].services[f"{cluster}:{service}"]


def _default_account() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return str(DEFAULT_ACCOUNT_ID)


def settle(cluster: str, service: str, region: str, account_id: str | None = None) -> None:
    """Finish the current PRIMARY deployment: every desired task running, rollout COMPLETED."""
    state = _service(cluster, service, region, account_id or _default_account())
    primary = state.deployments[0]
    primary.update(rolloutState="COMPLETED", runningCount=state.desired_count, pendingCount=0)
    state.deployments = [primary]
    state.running_count = state.desired_count
    state.pending_count = 0


def roll_out(
    cluster: str,
    service: str,
    task_definition_arn: str,
    region: str,
    *,
    completed: bool = True,
    account_id: str | None = None,
) -> None:
    """Start a new PRIMARY deployment on `task_definition_arn`, as ECS does on update_service.

    With completed=True the old deployment has drained and the rollout is COMPLETED; with
    completed=False the old deployment stays ACTIVE and the new one is IN_PROGRESS.
    """
    state = _service(cluster, service, region, account_id or _default_account())
    _start_deployment(state, task_definition_arn, completed=completed)


def roll_back(cluster: str, service: str, region: str, account_id: str | None = None) -> None:
    """ECS's rollback of the IN_PROGRESS PRIMARY deployment (a lifecycle hook answered
    FAILED): the deployment before it is PRIMARY again, its tasks still running."""
    state = _service(cluster, service, region, account_id or _default_account())
    previous = dict(state.deployments[1], status="PRIMARY", rolloutState="COMPLETED")
    state.deployments = [previous]
    state.task_definition = previous["taskDefinition"]


def _start_deployment(state: Any, task_definition_arn: str, *, completed: bool) -> None:
    previous = dict(state.deployments[0], status="ACTIVE")
    new = dict(
        previous,
        id=f"ecs-svc/drift-gate-compat-{next(_deployment_ids)}",
        status="PRIMARY",
        taskDefinition=task_definition_arn,
        rolloutState="COMPLETED" if completed else "IN_PROGRESS",
        runningCount=state.desired_count if completed else 0,
        pendingCount=0 if completed else state.desired_count,
    )
    state.deployments = [new] if completed else [new, previous]
    _revision_of(state, new)  # ECS creates the service revision with the deployment
    state.task_definition = task_definition_arn
    state.running_count = state.desired_count if completed else previous.get("runningCount", 0)


def roll_out_on_update_service() -> None:
    """Make moto's update_service start a new PRIMARY deployment, as ECS does, and finish it.

    For `drift-gate demo --serve`, where a person runs the printed fix (`aws ecs
    update-service ... --force-new-deployment`) against the emulated account: on a plain moto
    server the old PRIMARY stays, so the check could never turn green. A new task definition
    (family, family:revision or ARN, resolved as ECS resolves it) or --force-new-deployment
    starts a deployment that completes at once. Idempotent; this process only.
    """
    from moto.ecs.models import EC2ContainerServiceBackend

    if getattr(EC2ContainerServiceBackend, "_drift_gate_roll_out", False):
        return
    original = EC2ContainerServiceBackend.update_service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        asked = service_properties.get("task_definition")
        forced = bool(service_properties.get("force_new_deployment"))
        service = original(self, service_properties)  # pops what it reads
        if asked or forced:
            arn = self.describe_task_definition(asked).arn if asked else service.task_definition
            _start_deployment(service, str(arn), completed=True)
        return service

    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend._drift_gate_roll_out = True  # type: ignore[attr-defined]


def enable_policy_simulator() -> None:
    """Answer iam:SimulatePrincipalPolicy from the role's own policies, as IAM does.

    moto 5.2 has no policy simulator (a NotImplementedError, HTTP 500 in server mode). This
    evaluates the principal's inline and attached policies with moto's own policy engine
    (the one its IAM enforcement uses): an explicit Deny wins, then any Allow, else an
    implicit deny; ContextEntries feed the conditions. Permission boundaries, SCPs and
    resource policies are not modelled (the real simulator covers the first two). One
    EvaluationResult per action with ResourceSpecificResults, as IAM answers today.
    Idempotent; affects moto in this process only (in-process and ThreadedMotoServer).
    """
    from moto.iam.responses import IamResponse

    if getattr(IamResponse, "_drift_gate_simulator", False):
        return
    IamResponse.simulate_principal_policy = _simulate_principal_policy  # type: ignore[attr-defined]
    IamResponse._drift_gate_simulator = True  # type: ignore[attr-defined]


def _statements(policy: Any) -> list[dict[str, Any]]:
    from moto.iam.models import Policy

    if isinstance(policy, Policy):
        document = next(v.document for v in policy.versions if v.is_default)
    else:
        document = policy
    statements = json.loads(document)["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _applies(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> bool:
    """Does `statement` speak about this action on this resource, its conditions holding?

    moto's IAMPolicyStatement matches elements and conditions; its verdict is not used,
    since it treats an Allow whose condition fails as a Deny (right for its trust policies,
    not for identity policies).
    """
    from moto.iam.access_control import IAMPolicyStatement

    engine = IAMPolicyStatement(statement)
    for element in ("Action", "Resource"):
        value = action if element == "Action" else resource
        if f"Not{element}" in statement:
            if engine._check_element_matches(f"Not{element}", value):
                return False
        elif not engine._check_element_matches(element, value):
            return False
    return bool(engine._check_conditions(context))


def _simulate_principal_policy(self: Any) -> Any:
    from moto.core.responses import ActionResult

    source = self._get_param("PolicySourceArn")
    role = self.backend.get_role_by_arn(source)  # NoSuchEntity, as IAM answers
    statements = [
        statement
        for policy in (*role.policies.values(), *role.managed_policies.values())
        for statement in _statements(policy)
    ]
    context = {
        entry["ContextKeyName"]: entry["ContextKeyValues"][0]
        for entry in self._get_param("ContextEntries", []) or []
        if entry.get("ContextKeyValues")
    }

    def decide(action: str, resource: str) -> str:
        effects = {s.get("Effect") for s in statements if _applies(s, action, resource, context)}
        if "Deny" in effects:
            return "explicitDeny"
        return "allowed" if "Allow" in effects else "implicitDeny"

    resources = self._get_param("ResourceArns", []) or ["*"]
    results = []
    for action in self._get_param("ActionNames", []):
        per_resource = [
            {"EvalResourceName": resource, "EvalResourceDecision": decide(action, resource)}
            for resource in resources
        ]
        decisions = {item["EvalResourceDecision"] for item in per_resource}
        overall = next((d for d in ("explicitDeny", "implicitDeny") if d in decisions), "allowed")
        results.append(
            {
                "EvalActionName": action,
                "EvalResourceName": "*",
                "EvalDecision": overall,
                "ResourceSpecificResults": per_resource,
            }
        )
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


# --- DescribeServiceRevisions: an emulation (moto 5.2 has none of the service-revision APIs) --

_revision_ids = itertools.count(5_270_000_000_000_000_001)
# Revision ARN -> the revision as DescribeServiceRevisions answers it; deployment -> its ARN.
# Kept for the process, like ECS keeps revisions after their deployment is gone.
_revisions: dict[str, dict[str, Any]] = {}
_revision_arns: dict[str, str] = {}


def _revision_of(state: Any, deployment: dict[str, Any]) -> str:
    """The service revision a deployment targets, created on first sight."""
    key = f"{state.arn}#{deployment['id']}"
    if key in _revision_arns:
        return _revision_arns[key]
    arn = f"{state.arn.replace(':service/', ':service-revision/', 1)}/{next(_revision_ids)}"
    _revision_arns[key] = arn
    _revisions[arn] = {
        "serviceRevisionArn": arn,
        "serviceArn": state.arn,
        "clusterArn": state.cluster_arn,
        "taskDefinition": deployment["taskDefinition"],
        "launchType": deployment.get("launchType") or "FARGATE",
    }
    return arn


def service_revision_arn(
    cluster: str, service: str, region: str, account_id: str | None = None
) -> str:
    """The ARN of the service revision the PRIMARY deployment targets: what ECS passes a
    lifecycle hook as `targetServiceRevisionArn` during that deployment."""
    state = _service(cluster, service, region, account_id or _default_account())
    primary = next(d for d in state.deployments if d["status"] == "PRIMARY")
    return _revision_of(state, primary)


def enable_service_revisions() -> None:
    """Answer ecs:DescribeServiceRevisions, as ECS does, from the services' deployments.

    An emulation: moto 5.2 implements none of ECS's service-revision and service-deployment
    APIs. Each deployment of a service (the one create_service makes, and each one started by
    roll_out or update_service here) targets one service revision, whose `taskDefinition` is
    the deployment's and whose `containerImages` are the registered task definition's images
    (no digest: moto resolves none). An ARN not known is answered in `failures` with reason
    MISSING, as ECS answers a revision it cannot describe; at most 20 ARNs a call.
    Idempotent; this process only (in-process and ThreadedMotoServer).
    """
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse, "_drift_gate_revisions", False):
        return
    EC2ContainerServiceResponse.describe_service_revisions = _describe_service_revisions  # type: ignore[attr-defined]
    EC2ContainerServiceResponse._drift_gate_revisions = True  # type: ignore[attr-defined]


def _describe_service_revisions(self: Any) -> Any:
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult

    asked = self._get_param("serviceRevisionArns") or []
    if not 1 <= len(asked) <= 20:
        raise JsonRESTError("InvalidParameterException", "serviceRevisionArns: 1 to 20 ARNs")
    backend = self.ecs_backend
    for state in list(backend.services.values()):
        for deployment in state.deployments:
            _revision_of(state, deployment)
    found, failures = [], []
    for arn in asked:
        revision = _revisions.get(arn)
        if revision is None or f":{backend.account_id}:" not in arn:
            failures.append({"arn": arn, "reason": "MISSING", "detail": "not found"})
            continue
        definition = backend.describe_task_definition(revision["taskDefinition"])
        images = [
            {"containerName": c["name"], "image": c["image"]}
            for c in definition.container_definitions
        ]
        found.append({**revision, "containerImages": images})
    return ActionResult({"serviceRevisions": found, "failures": failures})


# --- Service deployments paused at a PAUSE hook: an emulation (moto 5.2 has none of them) ---

_deployment_arn_ids = itertools.count(1)
# Service deployment ARN -> what DescribeServiceDeployments answers, plus the state to restore.
_service_deployments: dict[str, dict[str, Any]] = {}


def start_paused_deployment(
    cluster: str,
    service: str,
    task_definition_arn: str,
    region: str,
    account_id: str | None = None,
) -> str:
    """Start a deployment of `task_definition_arn` that stops at a PAUSE lifecycle hook at
    PRE_SCALE_UP (no task of it yet) and waits for ContinueServiceDeployment: its ARN.

    An emulation of ECS's PAUSE hooks: CONTINUE finishes the deployment (the new revision
    runs); ROLLBACK puts the previous deployment back as PRIMARY, as ECS rolls back."""
    state = _service(cluster, service, region, account_id or _default_account())
    previous = dict(state.deployments[0])
    _start_deployment(state, task_definition_arn, completed=False)
    arn = (
        f"{state.arn.replace(':service/', ':service-deployment/', 1)}/"
        f"drift-gate-compat-{next(_deployment_arn_ids)}"
    )
    _service_deployments[arn] = {
        "serviceDeploymentArn": arn,
        "serviceArn": state.arn,
        "clusterArn": state.cluster_arn,
        "status": "IN_PROGRESS",
        "lifecycleStage": "PRE_SCALE_UP",
        "targetServiceRevision": {"arn": _revision_of(state, state.deployments[0])},
        "lifecycleHookDetails": [
            {
                "hookId": f"hook-{next(_deployment_arn_ids)}",
                "targetType": "PAUSE",
                "status": "AWAITING_ACTION",
                "timeoutAction": "ROLLBACK",
            }
        ],
        "_state": (cluster, service, region, account_id, previous),
        "_deployment_id": state.deployments[0]["id"],
    }
    return arn


def service_deployment(arn: str) -> dict[str, Any]:
    """The emulated deployment as DescribeServiceDeployments answers it (for the tests)."""
    return {k: v for k, v in _service_deployments[arn].items() if not k.startswith("_")}


def enable_service_deployments() -> None:
    """Answer ecs:ListServiceDeployments, DescribeServiceDeployments and
    ContinueServiceDeployment for the deployments `start_paused_deployment` started.

    An emulation: moto 5.2 implements none of them. Only those deployments are known (a
    service without one lists none); an unknown ARN is a failure with reason MISSING.
    Idempotent; this process only (in-process and ThreadedMotoServer).
    """
    from moto.ecs.responses import EC2ContainerServiceResponse as Response

    if getattr(Response, "_drift_gate_deployments", False):
        return
    Response.list_service_deployments = _list_service_deployments  # type: ignore[attr-defined]
    Response.describe_service_deployments = _describe_service_deployments  # type: ignore[attr-defined]
    Response.continue_service_deployment = _continue_service_deployment  # type: ignore[attr-defined]
    Response._drift_gate_deployments = True  # type: ignore[attr-defined]


def _prune(backend: Any) -> None:
    """Forget deployments of services this account no longer has (moto's reset, a deleted
    service) and paused ones the service no longer runs: ECS would not list them either."""
    for arn, deployment in list(_service_deployments.items()):
        cluster, service = deployment["_state"][:2]
        state = backend.services.get(f"{cluster}:{service}")
        ids = [] if state is None else [d["id"] for d in state.deployments]
        gone = state is None or state.arn != deployment["serviceArn"]
        if gone or (
            deployment["status"] == "IN_PROGRESS" and deployment["_deployment_id"] not in ids
        ):
            del _service_deployments[arn]


def _last(name: str | None) -> str:
    return (name or "default").rsplit("/", 1)[-1]


def _list_service_deployments(self: Any) -> Any:
    from moto.core.responses import ActionResult

    _prune(self.ecs_backend)
    cluster, service = _last(self._get_param("cluster")), _last(self._get_param("service"))
    statuses = self._get_param("status") or []
    found = [
        {k: d[k] for k in ("serviceDeploymentArn", "serviceArn", "clusterArn", "status")}
        | {"targetServiceRevisionArn": d["targetServiceRevision"]["arn"]}
        for d in _service_deployments.values()
        if d["serviceArn"].endswith(f"/{cluster}/{service}")
        and f":{self.ecs_backend.account_id}:" in d["serviceArn"]
        and (not statuses or d["status"] in statuses)
    ]
    return ActionResult({"serviceDeployments": found})


def _describe_service_deployments(self: Any) -> Any:
    from moto.core.responses import ActionResult

    _prune(self.ecs_backend)
    found, failures = [], []
    for arn in self._get_param("serviceDeploymentArns") or []:
        if arn in _service_deployments:
            found.append(service_deployment(arn))
        else:
            failures.append({"arn": arn, "reason": "MISSING", "detail": "not found"})
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _continue_service_deployment(self: Any) -> Any:
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult

    arn, action = self._get_param("serviceDeploymentArn"), self._get_param("action")
    deployment = _service_deployments.get(arn)
    hooks = [] if deployment is None else deployment["lifecycleHookDetails"]
    hook = next((h for h in hooks if h["hookId"] == self._get_param("hookId")), None)
    if deployment is None or hook is None or hook["status"] != "AWAITING_ACTION":
        raise JsonRESTError("InvalidParameterException", "no hook of it awaits action")
    if action not in ("CONTINUE", "ROLLBACK"):
        raise JsonRESTError("InvalidParameterException", "action: CONTINUE or ROLLBACK")
    cluster, service, region, account_id, previous = deployment["_state"]
    if action == "CONTINUE":
        hook["status"], deployment["status"] = "SUCCEEDED", "SUCCESSFUL"
        settle(cluster, service, region, account_id)
    else:
        hook["status"], deployment["status"] = "FAILED", "ROLLBACK_SUCCESSFUL"
        state = _service(cluster, service, region, account_id or _default_account())
        state.deployments = [dict(previous, status="PRIMARY")]
        state.task_definition = previous["taskDefinition"]
    deployment.pop("lifecycleStage", None)
    return ActionResult({"serviceDeploymentArn": arn})

"""The live side: what the ECS service's PRIMARY deployment really runs.

Calls are the minimum the checks need: describe_services in batches of 10 (the API's
limit), describe_task_definition once per distinct ARN (revisions are immutable, so the
cache never goes stale), and one list_task_definitions walk per family for the latest
ACTIVE revision. Responses are reduced to models here; values are dropped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import botocore.exceptions

from drift_gate.model import (
    Deployment,
    ServiceState,
    TaskDefinitionSpec,
    split_task_definition_arn,
)
from drift_gate.sources.answers import (
    DeploymentAnswer,
    DescribeServicesAnswer,
    DescribeTaskDefinitionAnswer,
    ItemFailureError,
    ListTaskDefinitionsAnswer,
    MalformedAnswerError,
    ServiceAnswer,
    TaskDefinitionBody,
    TaskSetAnswer,
    read_answer,
    shown_reason,
)
from drift_gate.sources.aws import (
    AWS_FAILURES,
    Failure,
    chunks,
    classify_failure,
    error_code,
    pages,
)
from drift_gate.sources.containers import container_vars, repeated_name

DESCRIBE_SERVICES_LIMIT = 10
# Task definition and family look-ups are independent and latency-bound; a few at a time
# hides the round trips without nearing ECS's read rate limits (about 20 per second).
DEFAULT_WORKERS = 8

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceMissing:
    """describe_services answered, and the service is not there (reason MISSING)."""

    reason: str


@dataclass(frozen=True)
class ClusterMissing:
    """The cluster itself does not exist."""


# A Failure: DescribeServices answered, but not with the service nor with its absence.
ServiceLookup = ServiceState | ServiceMissing | ClusterMissing | Failure

# The one reason DescribeServices gives for a service that does not exist.
ABSENT = "MISSING"
OPERATION = "ecs:DescribeServices"


def _cached(cache: dict[str, T | Exception], key: str, fetch: Callable[[str], T]) -> T:
    """The cached answer for `key`, fetching it once; a remembered AWS failure is raised again."""
    if key not in cache:
        try:
            cache[key] = fetch(key)
        except AWS_FAILURES as error:
            cache[key] = error
    answer = cache[key]
    if isinstance(answer, Exception):
        raise answer
    return answer


@dataclass
class EcsReader:
    """Reads services and task definitions from one ECS client, caching what cannot change.

    Failures are cached too, so each distinct item costs one call (with its retries) even
    when several services share it.
    """

    client: Any
    workers: int = DEFAULT_WORKERS
    _task_definitions: dict[str, TaskDefinitionSpec | Exception] = field(default_factory=dict)
    _latest_by_family: dict[str, str | Exception | None] = field(default_factory=dict)

    def services(
        self, cluster: str, names: Iterable[str], *, tags: bool = False
    ) -> dict[str, ServiceLookup]:
        """Each named service in `cluster`, keyed by the name as given (with its tags if asked)."""
        unique = list(dict.fromkeys(names))
        batches = list(chunks(unique, DESCRIBE_SERVICES_LIMIT))
        found: dict[str, ServiceLookup] = {}
        if len(batches) <= 1:
            for batch in batches:
                found.update(self.describe_batch(cluster, batch, tags=tags))
            return found
        # Hundreds of services are hundreds of round trips: made concurrently (the client is
        # thread-safe); the first failure is raised, as the sequential loop would.
        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            for answer in pool.map(
                lambda batch: self.describe_batch(cluster, batch, tags=tags), batches
            ):
                found.update(answer)
        finally:
            # After a failure the batches not started are dropped, and those in flight are not
            # waited for: their answers would be dropped too, and each may still be retrying
            # (an unreachable endpoint: up to about half a second of back-off, on the path
            # where every service becomes "could not verify"). They end on their own; the
            # interpreter waits for them at exit, as it would have here.
            pool.shutdown(wait=False, cancel_futures=True)
        return found

    def describe_batch(
        self, cluster: str, batch: Sequence[str], *, tags: bool = False
    ) -> dict[str, ServiceLookup]:
        """One DescribeServices call (at most 10 names), keyed by the names as given."""
        extra = {"include": ["TAGS"]} if tags else {}
        try:
            response = self.client.describe_services(cluster=cluster, services=list(batch), **extra)
        except botocore.exceptions.ClientError as error:
            if error_code(error) == "ClusterNotFoundException":
                return {name: ClusterMissing() for name in batch}
            raise
        answer = read_answer(DescribeServicesAnswer, response, "ecs:DescribeServices")
        return _lookups(cluster, batch, answer)

    def prefetch(self, deployed_arns: Iterable[str]) -> None:
        """Fetch, concurrently, every task definition and family look-up the checks will ask for.

        First the deployed revisions and their families' latest ACTIVE revisions (together),
        then the latest revisions that differ from the deployed ones. Results land in the
        caches.
        """
        arns = list(dict.fromkeys(deployed_arns))
        families = list(dict.fromkeys(split_task_definition_arn(arn)[0] for arn in arns))
        # The deployed revisions and the family look-ups are independent: one queue for both.
        work: list[tuple[Callable[[str], object], str]] = [
            *((self.task_definition, arn) for arn in arns),
            *((self.latest_active_arn, family) for family in families),
        ]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(self._quietly, [fetch for fetch, _ in work], [key for _, key in work]))
            latest = [self._latest_by_family.get(family) for family in families]
            newer = [
                arn for arn in latest if isinstance(arn, str) and arn not in self._task_definitions
            ]
            list(pool.map(self._quietly, [self.task_definition] * len(newer), newer))

    @staticmethod
    def _quietly(fetch: Callable[[str], object], key: str) -> None:
        # A failure stays in the cache and is raised where the check asks for the item.
        try:
            fetch(key)
        except AWS_FAILURES:
            return

    def task_definition(self, arn: str) -> TaskDefinitionSpec:
        """The task definition at this exact ARN (never by family: that can resolve elsewhere)."""
        return _cached(self._task_definitions, arn, self._describe_task_definition)

    def _describe_task_definition(self, arn: str) -> TaskDefinitionSpec:
        response = self.client.describe_task_definition(taskDefinition=arn)
        operation = "ecs:DescribeTaskDefinition"
        answer = read_answer(DescribeTaskDefinitionAnswer, response, operation)
        definitions = answer.taskDefinition.containerDefinitions
        repeated = repeated_name(container.name for container in definitions)
        if repeated is not None:
            # Which of two containers of one name runs is not to be guessed.
            first, second = repeated
            raise MalformedAnswerError(
                operation,
                f"taskDefinition.containerDefinitions[{second}].name: the name of "
                f"containerDefinitions[{first}] again",
            )
        return _task_definition_spec(answer.taskDefinition)

    def latest_active_arn(self, family: str) -> str | None:
        """The ARN of the highest ACTIVE revision of `family`, or None if it has none."""
        return _cached(self._latest_by_family, family, self._find_latest_active)

    def _find_latest_active(self, family: str) -> str | None:
        # Sorted DESC, the first page holding the family holds its newest revision, so the
        # walk usually stops after one call. The max() over that page keeps the answer right
        # even where the sort is not applied (moto ignores it).
        arguments = {"familyPrefix": family, "status": "ACTIVE", "sort": "DESC"}
        operation = "ecs:ListTaskDefinitions"
        for page in pages(
            self.client.list_task_definitions, arguments, ListTaskDefinitionsAnswer, operation
        ):
            matching = [
                (revision, arn)
                for arn in page.taskDefinitionArns
                for listed, revision in [_family_and_revision(arn)]
                if listed == family
            ]
            if matching:
                return max(matching)[1]
        return None


def _lookups(
    cluster: str, batch: Sequence[str], answer: DescribeServicesAnswer
) -> dict[str, ServiceLookup]:
    """Each name asked, by what the answer says of it: only the reason MISSING is absence.

    Any other reason (ACCESS_DENIED, INTERNAL_ERROR, ...) leaves that service unverified; a
    failure about a service not asked means the answer is not to this question (the whole
    batch is unverified), and a name answered neither way is not verified either way.
    """
    by_name: dict[str, ServiceLookup] = {}
    for index, raw in enumerate(answer.services):
        several = _several_primaries(raw, f"services[{index}]")
        if several is not None:
            by_name[raw.serviceName] = by_name[raw.serviceArn] = several
            continue
        state = _service_state(cluster, raw)
        by_name[state.name] = by_name[state.arn] = state
    asked = set(batch)
    for failure in answer.failures:
        arn = failure.arn or ""
        name = arn.rsplit("/", 1)[-1]
        key = arn if arn in asked else name
        if not arn or key not in asked:
            problem = f"answered a failure for {arn or 'a service it did not name'}, not asked for"
            return _all_unverified(batch, ItemFailureError(OPERATION, problem, failure.reason))
        if failure.reason == ABSENT:
            by_name.setdefault(key, ServiceMissing(ABSENT))
        else:
            reason = shown_reason(failure.reason)
            error = ItemFailureError(
                OPERATION, f"answered service {key} with failure {reason}", failure.reason
            )
            by_name[key] = classify_failure(error, OPERATION)
    return {name: by_name.get(name) or _unanswered(name) for name in batch}


def _several_primaries(raw: ServiceAnswer, where: str) -> Failure | None:
    """A service runs one PRIMARY deployment (or task set): an answer with more says
    neither which one runs, so it is malformed, never read as its first PRIMARY."""
    task_sets = raw.deploymentController.type in ("CODE_DEPLOY", "EXTERNAL")
    items = raw.taskSets if task_sets else raw.deployments
    primaries = sum(item.status == "PRIMARY" for item in items)
    if primaries <= 1:
        return None
    field = "taskSets" if task_sets else "deployments"
    problem = f"{where}.{field}: {primaries} PRIMARY; a service has one"
    return classify_failure(MalformedAnswerError(OPERATION, problem), OPERATION)


def _unanswered(name: str) -> Failure:
    problem = f"answered neither service {name} nor a failure for it"
    return classify_failure(ItemFailureError(OPERATION, problem), OPERATION)


def _all_unverified(batch: Sequence[str], error: ItemFailureError) -> dict[str, ServiceLookup]:
    failure = classify_failure(error, OPERATION)
    return dict.fromkeys(batch, failure)


def _family_and_revision(arn: str) -> tuple[str | None, int]:
    """(family, revision) of a listed ARN; (None, 0) for one that is not a task definition ARN."""
    try:
        return split_task_definition_arn(arn)
    except ValueError:
        return None, 0


def _service_state(cluster: str, raw: ServiceAnswer) -> ServiceState:
    controller = raw.deploymentController.type
    # CODE_DEPLOY and EXTERNAL controllers keep what runs in task sets, not deployments.
    if controller in ("CODE_DEPLOY", "EXTERNAL"):
        deployments = tuple(_task_set(item) for item in raw.taskSets)
    else:
        deployments = tuple(_deployment(item) for item in raw.deployments)
    return ServiceState(
        cluster=cluster,
        name=raw.serviceName,
        arn=raw.serviceArn,
        status=raw.status,
        deployment_controller=controller,
        desired_count=raw.desiredCount,
        running_count=raw.runningCount,
        deployments=deployments,
        tags=tuple((tag.key, tag.value) for tag in raw.tags),
    )


def _deployment(raw: DeploymentAnswer) -> Deployment:
    return Deployment(
        id=raw.id,
        status=raw.status,
        task_definition_arn=raw.taskDefinition,
        rollout_state=raw.rolloutState,
        rollout_state_reason=raw.rolloutStateReason,
        desired_count=raw.desiredCount,
        running_count=raw.runningCount,
        failed_tasks=raw.failedTasks,
        created_at=raw.createdAt,
    )


def _task_set(raw: TaskSetAnswer) -> Deployment:
    return Deployment(
        id=raw.id,
        status=raw.status,
        task_definition_arn=raw.taskDefinition,
        rollout_state="COMPLETED" if raw.stabilityStatus == "STEADY_STATE" else "IN_PROGRESS",
        desired_count=raw.computedDesiredCount,
        running_count=raw.runningCount,
        created_at=raw.createdAt,
    )


def _task_definition_spec(raw: TaskDefinitionBody) -> TaskDefinitionSpec:
    return TaskDefinitionSpec(
        arn=raw.taskDefinitionArn,
        family=raw.family,
        revision=raw.revision,
        status=raw.status,
        containers=tuple(container_vars(c) for c in raw.containerDefinitions),
        execution_role_arn=raw.executionRoleArn,
    )

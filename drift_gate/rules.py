"""The rule registry: every finding names one of these by a stable id.

Ids are grouped by link of the chain: DG1xx variables, DG2xx deployment and rollout,
DG3xx secret stores, DG4xx the application (logs, smoke requests), DG5xx the Terraform
plan, DG6xx the Terraform sources and .env.example (offline), DG7xx the policy's waivers,
DG9xx could not verify.
Ids never change meaning and are never reused; formats, waivers and docs/rules.md key on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from drift_gate.chain import Link
from drift_gate.model import Severity

# Every rule id, as a type: a finding built with a mistyped id fails mypy, not a run.
RuleId = Literal[
    "DG101",
    "DG102",
    "DG103",
    "DG104",
    "DG105",
    "DG106",
    "DG107",
    "DG108",
    "DG201",
    "DG202",
    "DG203",
    "DG204",
    "DG205",
    "DG206",
    "DG207",
    "DG208",
    "DG209",
    "DG210",
    "DG211",
    "DG212",
    "DG213",
    "DG301",
    "DG302",
    "DG303",
    "DG304",
    "DG305",
    "DG306",
    "DG307",
    "DG308",
    "DG309",
    "DG310",
    "DG311",
    "DG401",
    "DG402",
    "DG411",
    "DG412",
    "DG501",
    "DG502",
    "DG503",
    "DG504",
    "DG505",
    "DG506",
    "DG601",
    "DG602",
    "DG603",
    "DG604",
    "DG605",
    "DG606",
    "DG701",
    "DG702",
    "DG703",
    "DG901",
    "DG902",
    "DG903",
]


@dataclass(frozen=True)
class Rule:
    """A kind of broken link: what it means, why it matters, how to fix it."""

    id: RuleId
    name: str
    severity: Severity
    summary: str
    why: str
    remediation: str
    link: Link

    @property
    def security_severity(self) -> str:
        """GitHub code scanning's severity of this rule's alerts (SARIF
        `properties.security-severity`): a number from 0.1 to 10.0 as a string."""
        score = SECURITY_SEVERITY.get(self.id, _SECURITY_SEVERITY_BY_SEVERITY[self.severity])
        return f"{score:.1f}"


# Code scanning reads 9.0 and above as critical, 7.0-8.9 high, 4.0-6.9 medium, below low.
# By default from the severity; the rules below differ because their impact does.
_SECURITY_SEVERITY_BY_SEVERITY = {Severity.ERROR: 6.0, Severity.WARNING: 4.0, Severity.INFO: 1.0}
SECURITY_SEVERITY: dict[RuleId, float] = {
    # A credential in clear text, readable by anyone who can describe the task definition.
    "DG103": 8.0,
    "DG106": 8.5,
    "DG602": 8.0,
    "DG105": 7.0,  # only the name looks like a credential
    # Could not verify: the gate cannot say the chain holds, so nothing vouches for it.
    "DG901": 7.5,
    "DG902": 7.5,
    "DG903": 7.5,
    # Drift that keeps the service from starting or its secrets from reaching it.
    "DG101": 7.0,
    "DG211": 7.0,
    "DG301": 7.0,
    "DG302": 7.0,
    "DG303": 7.0,
    "DG305": 7.0,
    "DG307": 7.0,
    "DG308": 7.0,
    "DG309": 7.0,
    "DG311": 7.0,
    # Best-effort checks that could not decide: less than a failed gate, more than a warning.
    "DG306": 5.0,
    "DG310": 5.0,
}


RULES: tuple[Rule, ...] = (
    Rule(
        "DG101",
        "secret-missing",
        Severity.ERROR,
        "A secret the policy declares is not in the container the service runs.",
        "The application starts without the secret and fails at run time: the incident that "
        "started drift-gate (HUGGINGFACE_API_KEY declared in Terraform, never deployed).",
        "Add the secret to the task definition (in Terraform, `secrets` of the container), "
        "apply, then redeploy the service so its PRIMARY deployment runs the new revision.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG102",
        "env-var-missing",
        Severity.ERROR,
        "An environment variable the policy declares is not in the container the service runs.",
        "The application reads a default or nothing at all, which fails late and quietly.",
        "Add the variable to the container's `environment` in the task definition, apply, "
        "then redeploy the service.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG103",
        "secret-as-plain-env",
        Severity.ERROR,
        "A name the policy declares as a secret is set as a plain environment variable.",
        "The insecure workaround: the value sits in the task definition in clear text, visible "
        "to anyone who can describe it, and is not rotated with the secret.",
        "Move the variable from `environment` to `secrets` with a valueFrom pointing at Secrets "
        "Manager or SSM Parameter Store, register, redeploy, and rotate the exposed value.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG104",
        "secret-source-mismatch",
        Severity.ERROR,
        "A secret's valueFrom differs from the one the policy pins.",
        "The container reads a different secret than intended: another environment's, an old "
        "one, or one that no longer exists.",
        "Point the secret's valueFrom at the pinned ARN or parameter name, register, redeploy.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG105",
        "credential-like-env-name",
        Severity.WARNING,
        "A plain environment variable's name looks like a credential (TOKEN, SECRET, API_KEY...).",
        "Credentials in `environment` are stored in clear text in the task definition.",
        "If it holds a credential, move it to `secrets`; if it does not, declare it under "
        "`environment` in the policy to say so.",
        Link.CREDENTIALS,
    ),
    Rule(
        "DG106",
        "credential-value-in-env",
        Severity.ERROR,
        "A plain environment variable's value matches a known token format (hf_, AKIA, ghp_...).",
        "A live credential is exposed in clear text to everyone who can describe task "
        "definitions. drift-gate recognises the format; it never stores or prints the value.",
        "Rotate the credential now, then move it to Secrets Manager or SSM and reference it "
        "from `secrets`.",
        Link.CREDENTIALS,
    ),
    Rule(
        "DG107",
        "undeclared-live-variable",
        Severity.INFO,
        "The running container has a variable the policy does not declare.",
        "Not an error: a hint that the policy is incomplete or the variable is left over.",
        "Declare the variable in the policy, or remove it from the task definition.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG108",
        "secret-reference-empty",
        Severity.ERROR,
        "A secret of the container has a valueFrom that names nothing: blank or invisible, "
        "white space before or after it, an ARN without a parameter or secret name, or a "
        "json-key, version-stage or version-id that shows nothing.",
        "The name is there, so it looks delivered, but it reads no secret: ECS takes the "
        "valueFrom as written (never trimmed), has nothing to fetch, and no secret store can "
        "be asked whether it exists.",
        "Set the secret's valueFrom to the ARN of its Secrets Manager secret or to its SSM "
        "parameter (name or ARN), register, then redeploy the service.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG201",
        "registered-not-deployed",
        Severity.ERROR,
        "The service does not run the latest ACTIVE revision of its task definition family.",
        "A newer revision was registered (for example by terraform apply) but never rolled out: "
        "the service still runs the old configuration.",
        "Redeploy the service onto the latest revision: `aws ecs update-service --cluster C "
        "--service S --task-definition FAMILY --force-new-deployment`.",
        Link.DEPLOYED,
    ),
    Rule(
        "DG202",
        "rollout-failed",
        Severity.ERROR,
        "The service's PRIMARY deployment has rolloutState FAILED.",
        "The new configuration never became healthy; the circuit breaker may have rolled back.",
        "Read the deployment's rolloutStateReason and the stopped tasks' stoppedReason, fix the "
        "cause, then deploy again.",
        Link.ROLLOUT,
    ),
    Rule(
        "DG203",
        "rollout-in-progress",
        Severity.WARNING,
        "The service's PRIMARY deployment is still rolling out.",
        "Until the rollout completes, old tasks with the old configuration may still serve.",
        "Wait for the deployment to finish (`aws ecs wait services-stable`), then check again.",
        Link.ROLLOUT,
    ),
    Rule(
        "DG204",
        "running-below-desired",
        Severity.WARNING,
        "The service runs a different number of tasks than it desires.",
        "Tasks failing to start is the usual symptom of a missing secret or a bad image.",
        "Look at the service events and stopped tasks' stoppedReason.",
        Link.ROLLOUT,
    ),
    Rule(
        "DG205",
        "cluster-not-found",
        Severity.ERROR,
        "The ECS cluster named in the policy does not exist in this account and region.",
        "Nothing declared for it can be running.",
        "Check the cluster name, region and AWS account the check runs against.",
        Link.SERVICE_EXISTS,
    ),
    Rule(
        "DG206",
        "service-not-found",
        Severity.ERROR,
        "The ECS service named in the policy does not exist or is not ACTIVE.",
        "Nothing declared for it can be running.",
        "Check the service name; if it was deleted, create it or remove it from the policy.",
        Link.SERVICE_EXISTS,
    ),
    Rule(
        "DG207",
        "container-not-found",
        Severity.ERROR,
        "The task definition the service runs has no container of the name the policy declares.",
        "Every variable declared for that container is missing from what runs.",
        "Check the container name in the policy against the task definition's "
        "containerDefinitions.",
        Link.CONTAINERS,
    ),
    Rule(
        "DG208",
        "policy-entry-matches-nothing",
        Severity.ERROR,
        "A policy entry that selects services (`match:` by name glob or tags) matched no service "
        "the check or scan found in its account and region.",
        "The services it declares for are gone or were renamed, or the selector is wrong: what "
        "it declares is checked nowhere, which must not read as a pass.",
        "Compare the entry's `match` with `aws ecs list-services` and the services' tags; fix "
        "the selector, or remove the entry if the services were retired.",
        Link.SERVICE_EXISTS,
    ),
    Rule(
        "DG209",
        "image-not-found",
        Severity.ERROR,
        "A container's image is in ECR, and the tag or digest it names does not exist there "
        "(or the repository does not).",
        "A task that cannot pull its image never starts: the rollout stalls or fails.",
        "Push the image (check the tag your pipeline built), or fix the image in the task "
        "definition; an ECR lifecycle policy may have expired an old tag.",
        Link.IMAGES,
    ),
    Rule(
        "DG210",
        "task-on-other-revision",
        Severity.ERROR,
        "A RUNNING task of the service runs another task definition than the PRIMARY "
        "deployment's, and no ACTIVE deployment is draining it.",
        "The deployment's counters say one thing and the tasks do another: what serves "
        "traffic is not what was deployed.",
        "Look at the task's startedBy and group (`aws ecs describe-tasks`); stop stray tasks or "
        "redeploy with --force-new-deployment.",
        Link.RUNNING_TASKS,
    ),
    Rule(
        "DG211",
        "tasks-cannot-pull-secrets",
        Severity.ERROR,
        "Tasks of the PRIMARY deployment stopped because ECS could not fetch their secrets "
        "(ResourceInitializationError: unable to pull secrets or registry auth).",
        "The container never starts with its secrets: the new revision cannot run at all.",
        "Check that each secret exists and that the task execution role may read it "
        "(secretsmanager:GetSecretValue, ssm:GetParameters, kms:Decrypt for a customer key), "
        "and the network path to Secrets Manager/SSM (VPC endpoints, NAT).",
        Link.RUNNING_TASKS,
    ),
    Rule(
        "DG212",
        "essential-container-exited",
        Severity.WARNING,
        "Tasks of the PRIMARY deployment stopped because an essential container exited "
        "right after starting.",
        "A container that exits at start is often one that did not get a variable it needs.",
        "Read the stopped tasks' container exit codes and the application log of that start.",
        Link.RUNNING_TASKS,
    ),
    Rule(
        "DG213",
        "rollout-rolled-back",
        Severity.ERROR,
        "While drift-gate waited (--wait), a deployment failed and the service was rolled back "
        "to an earlier revision (the deployment circuit breaker).",
        'The service is stable again, but on the old revision: a wait for "stable" alone would '
        "call this a success.",
        "Read the failed deployment's reason and stopped tasks (DG211, DG212), fix the cause, "
        "then deploy again.",
        Link.ROLLOUT,
    ),
    Rule(
        "DG301",
        "secret-not-found",
        Severity.ERROR,
        "A container's secret points at a Secrets Manager secret that does not exist.",
        "The task cannot start: ECS fails with ResourceInitializationError when it fetches it.",
        "Create the secret (`aws secretsmanager create-secret --name NAME --region R`, then put "
        "its value) or point valueFrom at the right ARN; register and redeploy.",
        Link.SECRET_STORES,
    ),
    Rule(
        "DG302",
        "secret-scheduled-for-deletion",
        Severity.ERROR,
        "A container's secret is scheduled for deletion in Secrets Manager.",
        "New tasks fail to start as soon as it is deleted, and already now it cannot be read.",
        "Restore it: `aws secretsmanager restore-secret --secret-id ARN --region R`, or move the "
        "service to the secret that replaces it.",
        Link.SECRET_STORES,
    ),
    Rule(
        "DG303",
        "secret-version-missing",
        Severity.ERROR,
        "The secret has no version with the stage (AWSCURRENT by default) or id the reference "
        "asks for.",
        "ECS fetches that version; without it the task cannot start.",
        "Put a value (`aws secretsmanager put-secret-value --secret-id ARN ...`) or move the stage "
        "with `update-secret-version-stage`.",
        Link.SECRET_STORES,
    ),
    Rule(
        "DG304",
        "secret-in-other-region-or-account",
        Severity.WARNING,
        "The secret lives in another region or account than the task.",
        "It works only if the task execution role and the secret's resource policy allow it; "
        "often they do not.",
        "Check the execution role's permissions and the secret's resource policy, or replicate "
        "the secret into the task's region.",
        Link.SECRET_STORES,
    ),
    Rule(
        "DG305",
        "parameter-not-found",
        Severity.ERROR,
        "A container's secret points at an SSM parameter that does not exist.",
        "The task cannot start: ECS fails with ResourceInitializationError when it fetches it.",
        "Create it (`aws ssm put-parameter --name NAME --type SecureString --region R ...`) or "
        "point valueFrom at the right parameter; register and redeploy.",
        Link.SECRET_STORES,
    ),
    Rule(
        "DG306",
        "secret-unverified",
        Severity.WARNING,
        "A secret reference could not be checked, and the policy makes secret checks best-effort.",
        "Nothing is known about it; with secret checks `required` this is exit 3.",
        "Grant secretsmanager:DescribeSecret and ssm:DescribeParameters (docs/iam-policy.json).",
        Link.SECRET_STORES,
    ),
    Rule(
        "DG307",
        "secrets-without-execution-role",
        Severity.ERROR,
        "The task definition's containers reference secrets, but it has no executionRoleArn.",
        "ECS fetches secrets with the task execution role; without one it cannot fetch them "
        "and the task does not start.",
        "Set execution_role_arn on the aws_ecs_task_definition (executionRoleArn in a JSON "
        "file) to a role ecs-tasks.amazonaws.com can assume, allowed to read each secret; "
        "register and redeploy.",
        Link.EXECUTION_ROLE,
    ),
    Rule(
        "DG308",
        "execution-role-cannot-read-secret",
        Severity.ERROR,
        "IAM's policy simulator says the task execution role may not read a secret the "
        "containers reference (secretsmanager:GetSecretValue, or ssm:GetParameters).",
        "The task fails to start with ResourceInitializationError: unable to pull secrets. "
        "The simulator sees the role's identity policies, its permissions boundary and SCPs, "
        "not the secret's resource policy: if only that grants the role, waive this finding "
        "with that reason.",
        "Allow the action on the secret's ARN in a policy of the execution role (Terraform: an "
        "aws_iam_role_policy on it), or remove the Deny that blocks it; then run again.",
        Link.EXECUTION_ROLE,
    ),
    Rule(
        "DG309",
        "execution-role-cannot-decrypt-secret",
        Severity.ERROR,
        "The secret is encrypted with a customer-managed KMS key, and the simulator says the "
        "execution role may not kms:Decrypt with it (asked with kms:ViaService set to the "
        "secret store).",
        'ECS can fetch the secret but not decrypt it: the task fails to start ("Access to KMS '
        'is not allowed"). A grant made only in the key policy is not visible to the '
        "simulator: if the key policy names the role, waive this finding with that reason.",
        "Allow kms:Decrypt on the key's ARN in a policy of the execution role (or in the key "
        "policy), then run again.",
        Link.EXECUTION_ROLE,
    ),
    Rule(
        "DG310",
        "execution-role-unverified",
        Severity.WARNING,
        "Whether the execution role may read a secret could not be decided, and the check is "
        "best-effort (its default): the simulator was denied or unavailable, or the role's "
        "policies test a condition key the simulator was not given.",
        "Nothing is known about that access; with `checks: {execution_role: required}` this "
        "is exit 3.",
        "Grant iam:SimulatePrincipalPolicy on the execution roles (docs/iam-policy.json); for "
        "a condition key, check the policy by hand or waive the finding.",
        Link.EXECUTION_ROLE,
    ),
    Rule(
        "DG311",
        "execution-role-not-found",
        Severity.ERROR,
        "The task definition's executionRoleArn names a role that does not exist.",
        "ECS cannot assume it: every task fails to start.",
        "Create the role (or fix the ARN in execution_role_arn), register and redeploy.",
        Link.EXECUTION_ROLE,
    ),
    Rule(
        "DG401",
        "forbidden-log-pattern",
        Severity.ERROR,
        "The service's log shows a phrase the policy forbids, within the window.",
        "The application says itself that it is misconfigured, for example 'HuggingFace token "
        "not configured'. Log lines are never copied into the report: they can hold secrets.",
        "Find where the application logs the phrase; fix the configuration it names, redeploy, "
        "and check that it stops.",
        Link.APPLICATION_LOG,
    ),
    Rule(
        "DG402",
        "log-group-not-found",
        Severity.ERROR,
        "The log group the policy names does not exist.",
        "The application's own word cannot be heard: its logs go elsewhere or nowhere.",
        "Check the log group in the policy against the task definition's awslogs-group option.",
        Link.APPLICATION_LOG,
    ),
    Rule(
        "DG411",
        "smoke-unexpected-status",
        Severity.ERROR,
        "A smoke request the policy declares was answered with a status outside its `expect`.",
        "The service runs what is declared, yet the application does not answer as it should: "
        "the incident's predict endpoint answered 500 on every call.",
        "Call the URL yourself and read the application log for that request; fix the "
        "application or its configuration, then redeploy.",
        Link.SMOKE,
    ),
    Rule(
        "DG412",
        "smoke-forbidden-phrase",
        Severity.ERROR,
        "A smoke request's answer contains a phrase the policy forbids (such as "
        '"HuggingFace token not configured").',
        "The application says in its own words that something it needs is missing.",
        "Give the application what the phrase says it lacks (usually a secret that did not "
        "reach the container), then redeploy.",
        Link.SMOKE,
    ),
    Rule(
        "DG501",
        "declared-not-applied",
        Severity.ERROR,
        "The Terraform plan has a pending change: declared in the sources, not applied.",
        "The incident's root cause: a change merged but never applied keeps the old "
        "configuration running.",
        "Review the plan and run `terraform apply` in the Terraform directory; for a task "
        "definition, then redeploy the service.",
        Link.PLAN_APPLIED,
    ),
    Rule(
        "DG502",
        "variable-change-not-applied",
        Severity.ERROR,
        "A pending task definition change adds, removes or re-points a secret or variable.",
        "Names exactly what the running container lacks until the change is applied and "
        "rolled out: merged is not deployed.",
        "Run `terraform apply`, then redeploy the service onto the new revision "
        "(`aws ecs update-service ... --force-new-deployment`).",
        Link.PLAN_APPLIED,
    ),
    Rule(
        "DG503",
        "changed-outside-terraform",
        Severity.WARNING,
        "Terraform found the resource changed outside Terraform since the last apply "
        "(resource_drift).",
        "Someone changed it by hand or another tool owns it; the next apply may undo that.",
        "Decide which is right: bring the change into Terraform, or apply to restore the "
        "declared configuration.",
        Link.NO_CHANGE_OUTSIDE_TERRAFORM,
    ),
    Rule(
        "DG504",
        "output-change",
        Severity.INFO,
        "Only a Terraform output would change.",
        "terraform plan -detailed-exitcode exits 2 for output-only changes too; drift-gate "
        "reports them without blocking.",
        "Apply when convenient; no running configuration depends on it.",
        Link.PLAN_APPLIED,
    ),
    Rule(
        "DG505",
        "unknown-until-apply",
        Severity.WARNING,
        "A value drift-gate needs is known only after apply (or the plan is incomplete).",
        "drift-gate does not guess: which secrets change, or which service runs, cannot be "
        "said before apply.",
        "Apply, then run drift-gate again against the live service.",
        Link.KNOWN_BEFORE_APPLY,
    ),
    Rule(
        "DG506",
        "plan-exit-code-mismatch",
        Severity.WARNING,
        "terraform plan's exit code disagrees with what its JSON shows.",
        "The verdict comes from the plan JSON; the disagreement is reported because a gate on "
        "the exit code alone would have decided differently (known Terraform issues).",
        "Read the plan; if it is a Terraform bug, the JSON-based verdict stands.",
        Link.KNOWN_BEFORE_APPLY,
    ),
    Rule(
        "DG601",
        "required-name-not-in-terraform",
        Severity.ERROR,
        "A name the policy or a dotenv file (.env.example) requires is not declared in the "
        "Terraform task definition of the service.",
        "Caught before the push: once merged and applied, the container would start without it.",
        "Declare it in the container's `secrets` (or `environment`) in the .tf file, or remove "
        "the requirement if the application no longer reads it.",
        Link.TERRAFORM_SOURCES,
    ),
    Rule(
        "DG602",
        "secret-declared-as-plain-in-terraform",
        Severity.ERROR,
        "Terraform declares as a plain environment variable a name the policy (or its "
        "credential-like name) says is a secret.",
        "The value would be stored in clear text in the task definition and in Terraform state.",
        "Move it to `secrets` with a valueFrom pointing at Secrets Manager or SSM.",
        Link.TERRAFORM_SOURCES,
    ),
    Rule(
        "DG603",
        "terraform-name-not-required",
        Severity.INFO,
        "Terraform declares a name that neither the policy nor a dotenv file requires.",
        "Not an error: the requirements may be incomplete, or the variable is left over.",
        "Add it to .env.example or the policy, or remove it from the task definition.",
        Link.TERRAFORM_SOURCES,
    ),
    Rule(
        "DG604",
        "unresolved-in-terraform",
        Severity.WARNING,
        "A task definition's containers, or a name in them, cannot be known without running "
        "Terraform (a resource attribute, a data source, a conditional...).",
        "drift-gate never guesses; the live check (or the plan) sees what it becomes.",
        "Nothing to fix if intended; a literal, a local or a variable default makes it "
        "checkable offline.",
        Link.TERRAFORM_SOURCES,
    ),
    Rule(
        "DG605",
        "service-not-in-terraform",
        Severity.ERROR,
        "No aws_ecs_service in the Terraform sources has the service name the policy declares.",
        "The policy and the infrastructure code disagree about what exists.",
        "Check the service name in the policy and in the aws_ecs_service's `name`, and the "
        "--terraform-dir given.",
        Link.TERRAFORM_SOURCES,
    ),
    Rule(
        "DG606",
        "container-not-in-terraform",
        Severity.ERROR,
        "The service's task definition in Terraform has no container of the name the policy "
        "declares.",
        "Every name required for that container is missing.",
        "Check the container name in the policy against `name` in container_definitions.",
        Link.TERRAFORM_SOURCES,
    ),
    Rule(
        "DG701",
        "waiver-expired",
        Severity.ERROR,
        "A waiver in the policy has expired: the findings it accepted count again.",
        "A waiver is accepted drift for a while, not for ever; past its date someone must "
        "decide again.",
        "Fix the drift, or renew the waiver with a new expiry date and reason (within "
        "waiver_limits.max_days), or remove it.",
        Link.WAIVERS,
    ),
    Rule(
        "DG702",
        "waiver-matches-nothing",
        Severity.WARNING,
        "A waiver in the policy matched no finding of this run.",
        "The drift it accepted is gone (or the waiver's target is mistyped): a stale waiver "
        "would silently accept the next drift of that kind.",
        "Remove the waiver if the drift is fixed; otherwise correct its rule and target.",
        Link.WAIVERS,
    ),
    Rule(
        "DG703",
        "waiver-expires-soon",
        Severity.WARNING,
        "A waiver in the policy expires within waiver_limits.warn_days (default 14).",
        "When it expires the gate fails on the drift it accepts: better known a fortnight "
        "ahead than on the morning of a release.",
        "Fix the drift before the date, or renew the waiver with a reason.",
        Link.WAIVERS,
    ),
    Rule(
        "DG901",
        "could-not-verify",
        Severity.ERROR,
        "A link could not be verified (access denied, throttled past retries, endpoint "
        "unreachable, no credentials).",
        "Fail closed: what cannot be verified is never a pass. The run exits 3.",
        "Grant the read-only permissions in docs/iam-policy.json, check credentials, region and "
        "network, then run again.",
        Link.ANY,
    ),
    Rule(
        "DG902",
        "plan-errored",
        Severity.ERROR,
        "The Terraform plan errored, so what it would change is not known.",
        "Fail closed: a plan that did not finish is never a clean plan. The run exits 3.",
        "Fix the error terraform reports, then plan again.",
        Link.PLAN_APPLIED,
    ),
    Rule(
        "DG903",
        "could-not-verify-offline",
        Severity.ERROR,
        "A required name is not among the names drift-gate could read from Terraform or a "
        "CloudFormation template, and part of the container's definition cannot be read "
        "offline: it may or may not be there.",
        "Fail closed: offline, what cannot be verified is never a pass. The run exits 3.",
        "Make the unresolved part statically readable (a literal, a local, a variable or "
        "parameter default), or rely on the live check.",
        Link.TERRAFORM_SOURCES,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


@cache
def rule_ids(link: Link) -> frozenset[str]:
    """The rules that break `link` (each rule names its link)."""
    return frozenset(rule.id for rule in RULES if rule.link is link)


def rule(rule_id: str) -> Rule:
    """The rule with that id; a KeyError here is a bug in drift-gate, not user input."""
    return RULES_BY_ID[rule_id]


def rule_text(rule: Rule) -> str:
    """What `drift-gate explain` prints and docs/rules.md holds for one rule."""
    return (
        f"## {rule.id} {rule.name}\n\n"
        f"Default severity: **{rule.severity.value}**\n\n"
        f"{rule.summary}\n\n"
        f"**Why it matters.** {rule.why}\n\n"
        f"**How to fix.** {rule.remediation}\n"
    )


def rules_markdown() -> str:
    """docs/rules.md, generated: python -m drift_gate.rules > docs/rules.md"""
    head = (
        "# Rules\n\n"
        "Generated from the rule registry (`drift_gate/rules.py`) by "
        "`python -m drift_gate.rules > docs/rules.md`; a test fails when it is out of date. "
        "`drift-gate explain ID` prints one rule.\n\n"
        "Ids are stable: DG1xx variables in the running container, DG2xx deployment and "
        "rollout, DG3xx secret stores, DG4xx the application (logs, smoke requests), DG5xx "
        "the Terraform plan, DG6xx the Terraform sources and .env.example (offline), DG7xx "
        "the policy's waivers, "
        "DG9xx could not verify (exit 3, never ignorable or waivable).\n\n"
        "| id | name | default severity |\n|---|---|---|\n"
    )
    table = "".join(
        f"| [{r.id}](#{r.id.lower()}-{r.name}) | {r.name} | {r.severity.value} |\n" for r in RULES
    )
    return head + table + "\n" + "\n".join(rule_text(rule) for rule in RULES)


if __name__ == "__main__":
    print(rules_markdown(), end="")

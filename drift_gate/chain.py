"""The links of the chain drift-gate verifies, in order, with the words every report uses.

Each rule names its link (rules.py); the reports draw the chains from these; the engine
records, per service, how each link ended (links.py).
"""

from __future__ import annotations

import enum


class Link(str, enum.Enum):
    """One link from what is declared to what runs."""

    TERRAFORM_SOURCES = "terraform-sources"
    PLAN_APPLIED = "plan-applied"
    NO_CHANGE_OUTSIDE_TERRAFORM = "no-change-outside-terraform"
    KNOWN_BEFORE_APPLY = "known-before-apply"
    SERVICE_EXISTS = "service-exists"
    DEPLOYED = "latest-revision-deployed"
    ROLLOUT = "rollout-settled"
    RUNNING_TASKS = "tasks-run-primary"
    CONTAINERS = "containers-get-declared-names"
    CREDENTIALS = "no-credentials-in-plain-env"
    IMAGES = "images-exist"
    SECRET_STORES = "secrets-exist"  # noqa: S105 - a link's name, not a secret
    EXECUTION_ROLE = "execution-role-can-read-secrets"
    APPLICATION_LOG = "application-log-clean"
    SMOKE = "application-answers"
    WAIVERS = "waivers-current"  # the policy's waivers: none expired, none stale
    ANY = "could-not-verify"  # DG901: whichever link AWS did not answer for

    @property
    def words(self) -> str:
        """The link in a report's words: `secrets exist`."""
        return _TITLES.get(self, self.value.replace("-", " "))


_TITLES = {
    Link.TERRAFORM_SOURCES: "declared in the Terraform sources",
    Link.NO_CHANGE_OUTSIDE_TERRAFORM: "no change outside Terraform",
    Link.KNOWN_BEFORE_APPLY: "everything known before apply",
    Link.RUNNING_TASKS: "running tasks run the PRIMARY revision",
    Link.EXECUTION_ROLE: "the execution role can read each secret",
    Link.SMOKE: "the application answers as declared",
}

SERVICE_CHAIN = (
    Link.SERVICE_EXISTS,
    Link.DEPLOYED,
    Link.ROLLOUT,
    Link.RUNNING_TASKS,
    Link.CONTAINERS,
    Link.CREDENTIALS,
    Link.IMAGES,
    Link.SECRET_STORES,
    Link.EXECUTION_ROLE,
    Link.APPLICATION_LOG,
    Link.SMOKE,
)
PLAN_CHAIN = (Link.PLAN_APPLIED, Link.NO_CHANGE_OUTSIDE_TERRAFORM, Link.KNOWN_BEFORE_APPLY)


class LinkMode(str, enum.Enum):
    """How a link that may go unanswered counts (--secret-checks, a policy's secret_checks
    and checks.execution_role): required (exit 3), best-effort (a warning) or off."""

    REQUIRED = "required"
    BEST_EFFORT = "best-effort"
    OFF = "off"


class SkippableLink(str, enum.Enum):
    """The links --skip-link names (and a policy's `checks:` switches): asked of more AWS
    services than the rest, so a run may leave them out (shown as not checked)."""

    IMAGES = "images"
    RUNNING_TASKS = "running-tasks"
    EXECUTION_ROLE = "execution-role"

    @property
    def link(self) -> Link:
        """The link of the chain this switches."""
        return _SKIPPABLE[self]


_SKIPPABLE = {
    SkippableLink.IMAGES: Link.IMAGES,
    SkippableLink.RUNNING_TASKS: Link.RUNNING_TASKS,
    SkippableLink.EXECUTION_ROLE: Link.EXECUTION_ROLE,
}

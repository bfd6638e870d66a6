"""Which policy a command reads: --policy, else the first policy file found, as tflint and
checkov find their configuration.

The order (docs/policy.md#where-a-policy-is-found): `drift-gate.yaml`, `drift-gate.yml`,
`.drift-gate.yaml`, `.drift-gate.yml` in the working directory, then the same names at the
repository root (the nearest directory above holding a `.git` the user owns, as
drift_gate/repository.py defines it: a `.git` owned by someone else is named as ignored in
the same line, and only the working directory is looked in). A name that exists in any form
(a file, a directory, a broken link) is chosen, and reading it then says what is wrong: a
policy that cannot be read never falls through to another one. The file chosen is named on
standard error in one line, so a log shows which policy a gate applied; the other policy
names that exist there and at the repository root (a root policy shadowed by the working
directory's, say) are named in a note after it, as not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from drift_gate.commands._console import echo
from drift_gate.errors import InvalidInputError
from drift_gate.repository import discover

POLICY_NAMES = ("drift-gate.yaml", "drift-gate.yml", ".drift-gate.yaml", ".drift-gate.yml")
WORKING_DIRECTORY = "the working directory"
REPOSITORY_ROOT = "the repository root"


@dataclass(frozen=True)
class FoundPolicy:
    """A policy file found without --policy: its path relative to the working directory."""

    path: Path
    where: str  # WORKING_DIRECTORY or REPOSITORY_ROOT
    also: tuple[Path, ...] = ()  # the other policy names that exist, not read
    ignored: Path | None = None  # a `.git` above owned by someone else

    def shown(self) -> str:
        """`./drift-gate.yaml`, `../../.drift-gate.yaml`: a path the user can type."""
        return _shown(self.path)

    def line(self) -> str:
        """The one line on standard error naming the policy read, and the note after it
        when other policy files exist (a root policy the working directory's shadows)."""
        ignored = f"; {ignored_text(self.ignored)}" if self.ignored else ""
        line = f"drift-gate: policy: {self.shown()} (found in {self.where}{ignored})"
        if self.also:
            others = ", ".join(_shown(path) for path in self.also)
            line += f"\ndrift-gate: note: also found {others}, not read"
        return line


def _shown(path: Path) -> str:
    return f"./{path}" if path.parent == Path() else str(path)


def ignored_text(dot_git: Path) -> str:
    return f"ignored {dot_git}: not owned by you"


def search_places(here: Path) -> tuple[list[tuple[Path, str]], Path | None]:
    """The directories looked in, in order: the working directory, then the repository
    root when it is another directory; and a `.git` ignored as someone else's."""
    places = [(here, WORKING_DIRECTORY)]
    found = discover(here)
    if found.root is not None and found.root != here.resolve():
        places.append((found.root, REPOSITORY_ROOT))
    return places, found.ignored


def find_policy(here: Path | None = None) -> FoundPolicy | None:
    """The first policy name that exists, in the documented order; None when none does."""
    here = here or Path.cwd()
    places, ignored = search_places(here)
    existing = [
        (Path(os.path.relpath(directory / name, here)), where)
        for directory, where in places
        for name in POLICY_NAMES
        if os.path.lexists(directory / name)
    ]
    if not existing:
        return None
    (path, where), *others = existing
    return FoundPolicy(path, where, tuple(other for other, _ in others), ignored)


def required_policy(given: Path | None, otherwise: str) -> Path:
    """--policy (it wins), else the policy found, named on standard error. None found:
    exit 2, saying where drift-gate looked and `otherwise`, what the user can do instead."""
    found = optional_policy(given)
    if found is None:
        raise InvalidInputError(not_found(Path.cwd(), otherwise))
    return found


def optional_policy(given: Path | None) -> Path | None:
    """--policy (it wins), else the policy found, named on standard error, else None."""
    if given is not None:
        return given
    found = find_policy()
    if found is None:
        return None
    echo(found.line(), err=True)
    _inside_the_repository(found)
    return found.path


def _inside_the_repository(found: FoundPolicy) -> None:
    """A policy found, not given, is the repository's own: a symlink out of the repository
    (a pull request can commit one) is not read; --policy reads any path."""
    from drift_gate.repository import inside, repository_root

    root = repository_root(Path.cwd())
    if inside(found.path, root) is None:
        raise InvalidInputError(
            f"{found.shown()}: resolves outside the repository ({root}); a policy found there "
            "is not read: give --policy to read it"
        )


def policy_for_check(given: Path | None, *, plan_given: bool) -> Path | None:
    """`check`: a plan without --policy keeps its meaning (what the plan declares, checked
    live): no policy is read then, and one that would have been found is named in a note.
    Without a plan, a policy is needed: --policy, else the one found."""
    if given is not None or not plan_given:
        return required_policy(
            given, "give --policy FILE, or a plan (--plan-json, --plan-file, --terraform-dir)"
        )
    found = find_policy()
    if found is not None:
        echo(
            f"drift-gate: note: {found.shown()} is not read: with a plan and no --policy, "
            f"check checks what the plan declares; add --policy {found.shown()} to check "
            "what the policy declares too",
            err=True,
        )
    return None


def not_found(here: Path, otherwise: str) -> str:
    """Where drift-gate looked and what to do, in one line."""
    names = ", ".join(POLICY_NAMES)
    places, ignored = search_places(here)
    looked = " nor ".join(f"{where} ({directory})" for directory, where in places)
    if ignored is not None:
        looked += f", {ignored_text(ignored)}"
    elif len(places) == 1:
        inside_git = (here / ".git").exists()
        looked += ", the repository root" if inside_git else ", not inside a git repository"
    return f"no policy: none of {names} in {looked}; {otherwise}"

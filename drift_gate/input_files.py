"""The one way drift-gate reads a file a user (or a pull request) supplied: bounded.

A pull request can commit a symlink (to /dev/zero, to a file outside the repository) and
anything running before drift-gate can leave a FIFO where a file is expected. So every
reader of a user's file (the policy, .tf files, task-definition files, plan JSON, reports,
the GitHub event, dotenv files, Terraform's file()) goes through `read_bytes`:

- the path is opened with O_NONBLOCK, so a FIFO does not block at open;
- the opened descriptor is fstat-ed (not the path again: nothing can be swapped in between)
  and anything that is not a regular file (a FIFO, a device, a directory, a socket) is
  refused, "not a regular file";
- at most the kind's cap + 1 bytes are read, and a larger file is refused naming the cap;
- `within`, when given, is the repository the file must resolve inside (symlinks resolved):
  a .tf file of a Terraform root, a policy found by discovery, a dotenv file, file(). A path
  given explicitly on the command line (--plan-json, --report, --policy) is read wherever it
  is (a temporary directory, a previous job's download).

Every refusal is InputFileError: exit 2, one line naming the file, never its content.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from drift_gate.errors import InvalidInputError
from drift_gate.repository import inside

MiB = 1024 * 1024


@dataclass(frozen=True)
class InputKind:
    """What a file is read as, and the most drift-gate reads of it."""

    noun: str  # "a policy", "a .tf file": in messages
    limit: int  # bytes
    beyond: str = ""  # what to do instead, after the cap in the message
    cannot_read: str = ""  # "cannot read <this>": defaults to the noun without its article

    def words_for_unreadable(self) -> str:
        return self.cannot_read or self.noun.split(" ", 1)[-1]


# The caps (docs/reliability.md#inputs), each far above what a real file of its kind is.
# A policy of 10,000 services is 1.7 MB (benchmarks/policy_load.py).
POLICY = InputKind("a policy", 32 * MiB, cannot_read="file")
# Parsing is the cost: a 1 MiB .tf file takes seconds; a plan reads any size.
TF_FILE = InputKind("a .tf file", 1 * MiB, "check it with the live check (a plan) instead")
# ECS refuses a task definition over 64 KiB; 12,000 containers are 11 MB
# (benchmarks/task_definition_file.py).
TASK_DEFINITION_FILE = InputKind("a task-definition file", 64 * MiB, cannot_read="file")
# A CloudFormation template is at most 1 MB (CloudFormation's own limit, from S3); CDK's
# largest synth outputs stay below it.
CFN_TEMPLATE = InputKind("a CloudFormation template", 16 * MiB, cannot_read="file")
# A plan of 2,000 services among 20,000 resources is about 100 MB (benchmarks/large_plan.py).
PLAN_JSON = InputKind("a plan JSON", 1024 * MiB, cannot_read="plan JSON")
# A report of 32,000 findings is about 26 MB (benchmarks/report_formats.py, its large size).
REPORT = InputKind("a report", 256 * MiB)
# .terraform/modules/modules.json, written by `terraform init`: a line per module.
MODULE_MANIFEST = InputKind("a module manifest", 16 * MiB, cannot_read="file")
# A --var-file, read only to hide its values in terraform's messages (terraform reads it).
VAR_FILE = InputKind("a var file", 1 * MiB, cannot_read="file")
# .terraform/environment: the workspace terraform selected, one name.
WORKSPACE_FILE = InputKind("a workspace file", 64 * 1024, cannot_read="file")
# GitHub's event payload is at most a few MB.
EVENT = InputKind("an event", 25 * MiB, cannot_read="the event")
# An example file is a few kilobytes.
DOTENV = InputKind("a dotenv file", 1 * MiB)
FILE_FUNCTION = InputKind("a file() argument", 1 * MiB, cannot_read="file")


class InputFileError(InvalidInputError):
    """A user's file that is not read: `problem` says why without the file's name, `short`
    in a few words ("not a regular file", "larger than 1 MiB", "cannot read")."""

    def __init__(self, shown: str, problem: str, short: str) -> None:
        super().__init__(f"{shown}: {problem}")
        self.problem, self.short = problem, short


def size_words(limit: int) -> str:
    """65536 -> '64 KiB', 1048576 -> '1 MiB', 1073741824 -> '1 GiB'."""
    if limit >= 1024 * MiB and limit % (1024 * MiB) == 0:
        return f"{limit // (1024 * MiB)} GiB"
    if limit >= MiB and limit % MiB == 0:
        return f"{limit // MiB} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit:,} bytes"


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _not_regular(shown: str, mode: int, kind: InputKind) -> InputFileError:
    return InputFileError(
        shown,
        f"not a regular file ({_file_type(mode)}); {kind.noun} is read from a file",
        "not a regular file",
    )


def _too_large(shown: str, kind: InputKind) -> InputFileError:
    after = f"; {kind.beyond}" if kind.beyond else ""
    return InputFileError(
        shown,
        f"larger than {size_words(kind.limit)}, the most drift-gate reads as {kind.noun}{after}",
        f"larger than {size_words(kind.limit)}",
    )


def _unreadable(shown: str, kind: InputKind, error: OSError) -> InputFileError:
    words = f"cannot read {kind.words_for_unreadable()}"
    return InputFileError(shown, f"{words} ({error.strerror or error})", "cannot read")


def read_bytes(
    path: Path, kind: InputKind, *, shown: str | None = None, within: Path | None = None
) -> bytes:
    """The file's bytes, if it is a regular file of at most `kind.limit` bytes (inside
    `within` when given); else InputFileError (exit 2), one line naming the file."""
    name = shown if shown is not None else str(path)
    target = path
    if within is not None:
        resolved = inside(path, within)
        if resolved is None:
            raise InputFileError(
                name,
                f"resolves outside the repository ({within}); {kind.noun} there is not read",
                "outside the repository",
            )
        target = resolved
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        # Refuse what is not a regular file before opening it (opening a device can act),
        # then again on the descriptor, which is what is read.
        before = os.stat(target)
        if not stat.S_ISREG(before.st_mode):
            raise _not_regular(name, before.st_mode, kind)
        descriptor = os.open(target, flags)
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket (or a FIFO without a writer, elsewhere)
            raise InputFileError(
                name, f"not a regular file; {kind.noun} is read from a file", "not a regular file"
            ) from None
        raise _unreadable(name, kind, error) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _not_regular(name, status.st_mode, kind)
        if status.st_size > kind.limit:
            raise _too_large(name, kind)
        data = _read_at_most(descriptor, status.st_size, kind.limit + 1)
    except OSError as error:
        raise _unreadable(name, kind, error) from None
    finally:
        os.close(descriptor)
    if len(data) > kind.limit:  # it grew after fstat
        raise _too_large(name, kind)
    return data


def _read_at_most(descriptor: int, expected: int, most: int) -> bytes:
    """Up to `most` bytes: one read of the size fstat said (one allocation for a large plan),
    then more only if the file grew."""
    chunks: list[bytes] = []
    total = 0
    wanted = min(expected + 1, most)
    while total < most:
        chunk = os.read(descriptor, max(1, min(wanted, most - total)))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        wanted = 1 << 20
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)

"""Paged and batched AWS calls, bounded, and the errors that stop one before an answer: a
list that never ends, or the run's deadline."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from drift_gate.sources.answers import Answer, read_answer

A = TypeVar("A", bound=Answer)
T = TypeVar("T")


class PagingError(Exception):
    """A paged answer that does not end: a repeated token or more pages than any real list."""

    def __init__(self, operation: str, problem: str) -> None:
        super().__init__(f"{operation} {problem}")
        self.operation = operation


class DeadlineExceededError(Exception):
    """The run's --deadline passed before this call; it is not made."""

    def __init__(self, operation: str, seconds: float) -> None:
        super().__init__(f"the run's deadline ({seconds:g} s) passed before {operation}")
        self.operation = operation
        self.seconds = seconds


# A page cap no real list reaches (100 revisions or 50 parameters a page: 100,000 and
# 50,000 items; FilterLogEvents pages are bounded by the window), so a service that keeps
# answering with new tokens ends in "could not verify" instead of running forever.
MAX_PAGES = 1000


def pages(
    call: Callable[..., Any],
    arguments: dict[str, Any],
    model: type[A],
    operation: str,
    token: tuple[str, str] = ("nextToken", "nextToken"),
    most: int = MAX_PAGES,
) -> Iterator[A]:
    """Every page of a paged call, validated; stops at a repeated token or `most` pages (a
    call whose real answers are short may set a tighter bound)."""
    request_key, answer_key = token
    arguments = dict(arguments)
    seen: set[str] = set()
    for _ in range(most):
        page = read_answer(model, call(**arguments), operation)
        yield page
        following = getattr(page, answer_key)
        if not following:
            return
        if following in seen:
            raise PagingError(operation, "answered a page token it had already given")
        seen.add(following)
        arguments[request_key] = following
    raise PagingError(operation, f"kept paging past {most} pages")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive batches of at most `size` (an API's per-call limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

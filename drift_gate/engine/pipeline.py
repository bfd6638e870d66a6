"""One bounded pool of workers, fed as answers arrive: no barrier between the stages of a scan.

Work items are AWS calls; what to do with each answer (often: submit the next calls) runs
in the calling thread, so the bookkeeping needs no locks and the number of calls in flight
never exceeds the pool. Work functions return failures as values (see `Failed`): an
exception that escapes one is a bug and is raised again here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Failed(Generic[T]):
    """An AWS call that failed: kept as a value so one failure never stops the others."""

    error: Exception


class Pipeline:
    """Runs work on `workers` threads and hands each answer to its continuation."""

    def __init__(
        self,
        workers: int,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = 0.2,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift-gate")
        self._pending: dict[Future[Any], Callable[[Any], None]] = {}
        self.on_tick = on_tick
        self._tick = tick_seconds
        self.submitted = 0
        self.completed = 0

    def submit(self, work: Callable[[], T], then: Callable[[T], None]) -> None:
        """Run `work` on a worker; `then(answer)` runs in the pipeline's own thread."""
        self._pending[self._pool.submit(work)] = then
        self.submitted += 1

    def run(self, when_idle: Callable[[], bool] = lambda: False) -> None:
        """Until nothing is pending and `when_idle` (which may submit more) returns False."""
        last_tick = time.monotonic()
        if self.on_tick is not None:
            self.on_tick()  # the first frame at once: a terminal shows the run has started
        try:
            while True:
                if not self._pending:
                    if when_idle() and self._pending:
                        continue
                    break
                done, _ = wait(self._pending, timeout=self._tick, return_when=FIRST_COMPLETED)
                for future in done:
                    then = self._pending.pop(future)
                    self.completed += 1
                    then(future.result())
                if self.on_tick is not None and time.monotonic() - last_tick >= self._tick:
                    last_tick = time.monotonic()
                    self.on_tick()
        finally:
            # On an interrupt or a bug: drop what has not started, wait for what has.
            self._pool.shutdown(wait=True, cancel_futures=True)

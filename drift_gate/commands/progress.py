"""Progress of a long run on standard error, never on standard output (where reports go).

On a terminal: one line redrawn in place a few times a second. Elsewhere (CI logs, a
redirected stderr): one plain line every PLAIN_INTERVAL seconds, so a log shows the run is
alive without thousands of lines. Off with --quiet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

# A CI log line every 10 s: a 1,000-service scan (about 15 s) shows one or two.
PLAIN_INTERVAL = 10.0
TTY_INTERVAL = 0.2


@dataclass(frozen=True)
class ProgressFigures:
    """What the line says; the scan engine fills it from its counters."""

    clusters: int
    services: int
    lookups_done: int
    lookups_known: int
    aws_calls: int


@dataclass
class ProgressDisplay:
    """Draws ProgressFigures on a stream, as often as the stream deserves."""

    stream: TextIO
    terminal: bool
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0
    _drawn: bool = False

    @classmethod
    def on(cls, stream: TextIO) -> ProgressDisplay:
        isatty = getattr(stream, "isatty", None)
        display = cls(stream, terminal=bool(isatty and isatty()))
        if not display.terminal:
            display._last = display.started  # a log's first line after PLAIN_INTERVAL, not at 0 s
        return display

    def show(self, figures: ProgressFigures) -> None:
        now = time.monotonic()
        interval = TTY_INTERVAL if self.terminal else PLAIN_INTERVAL
        if now - self._last < interval:
            return
        self._last = now
        line = progress_line(figures, now - self.started)
        if self.terminal:
            # \r and "erase to end of line": the bar is redrawn in place.
            self.stream.write(f"\r\x1b[K{line}")
            self._drawn = True
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, so what follows (the verdict) starts on a clean line."""
        if self.terminal and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def progress_line(figures: ProgressFigures, elapsed: float) -> str:
    """`drift-gate scan: 20 clusters, 1,000 services · lookups 2,410/3,120 · ...`."""
    parts = [
        f"drift-gate scan: {figures.clusters:,} clusters, {figures.services:,} services",
        f"lookups {figures.lookups_done:,}/{figures.lookups_known:,}",
        f"{figures.aws_calls:,} AWS calls",
        f"{elapsed:.0f} s",
    ]
    remaining = figures.lookups_known - figures.lookups_done
    if figures.lookups_done and elapsed > 1 and remaining > 0:
        # Discovery keeps adding lookups, so this is an estimate of what is known so far.
        parts.append(f"about {remaining * elapsed / figures.lookups_done:.0f} s left")
    return " · ".join(parts)

"""The application's own word: does its log show a forbidden pattern since it was deployed?

FilterLogEvents with the pattern as a quoted phrase, over every page of the window. Only
the count and the first and last times are kept: log lines can hold secrets, so no message
is ever copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import botocore.exceptions

from drift_gate.sources.answers import FilterLogEventsAnswer
from drift_gate.sources.aws import error_code, pages


@dataclass(frozen=True)
class PatternCount:
    count: int
    first: datetime | None = None
    last: datetime | None = None


class LogGroupMissing(Exception):
    """The log group does not exist."""


def quoted_phrase(pattern: str) -> str:
    """A CloudWatch Logs filter pattern matching `pattern` as an exact phrase."""
    return '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'


def count_pattern(
    client: Any, group: str, pattern: str, start: datetime, end: datetime
) -> PatternCount:
    """How often `pattern` appears in `group` between start and end (all pages)."""
    arguments: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": quoted_phrase(pattern),
        "startTime": int(start.timestamp() * 1000),
        "endTime": int(end.timestamp() * 1000),
    }
    count, first, last = 0, None, None
    try:
        for page in pages(
            client.filter_log_events, arguments, FilterLogEventsAnswer, "logs:FilterLogEvents"
        ):
            for event in page.events:
                # The message is not read: only when it happened.
                moment = datetime.fromtimestamp(event.timestamp / 1000, tz=timezone.utc)
                count += 1
                first = moment if first is None or moment < first else first
                last = moment if last is None or moment > last else last
    except botocore.exceptions.ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise LogGroupMissing(group) from error
        raise
    return PatternCount(count, first, last)

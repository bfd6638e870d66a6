"""The escaper for text drift-gate writes to a terminal or a CI log (the console report, and
every one-line message on standard error).

Names reach the console from AWS and from files (service, container and variable names, file
paths, log lines, error texts from AWS or a proxy). A terminal obeys escape sequences (colour,
cursor moves, window titles, hyperlinks) and bidirectional overrides can make a line read
other than it is; a CI log turns a line that starts with `::` (GitHub's workflow commands,
after leading white space) or holds `##[` (their older form, anywhere in a line) into an
annotation, a mask or a group. So every control character, the Unicode line breaks and the
bidirectional controls are shown as visible escapes (`\\x1b`, `\\u202e`), and a command
marker is broken with a zero-width space, which a log shows as nothing and the runner does
not read as white space.
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC, CR, LF, BEL, CSI...), DEL, the Unicode line and paragraph
# separators, the byte-order mark and the bidirectional controls (Trojan Source).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_ZERO_WIDTH = "\u200b"
_COMMAND_START = re.compile(r"^(\s*):(?=:)")
_OLD_COMMAND = "##["


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_text(value: str) -> str:
    """A piece of text that stays what it is on a terminal: no control sequence, one line."""
    return _UNSAFE.sub(_visible, value)


def log_line(line: str) -> str:
    """A whole line as a CI log reads it: no workflow command can start in it."""
    line = _COMMAND_START.sub(lambda m: f"{m.group(1)}:{_ZERO_WIDTH}", line)
    return line.replace(_OLD_COMMAND, f"#{_ZERO_WIDTH}#[")


def safe_lines(text: str) -> str:
    """Several lines of messages: each escaped, the line breaks between them kept."""
    return "\n".join(log_line(terminal_text(line)) for line in text.split("\n"))

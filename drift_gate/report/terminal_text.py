"""The escaper for text drift-gate writes to a terminal or a CI log (the console report, and
every one-line message on standard error).

Names reach the console from AWS and from files (service, container and variable names, file
paths, log lines, error texts from AWS or a proxy). A terminal obeys escape sequences (colour,
cursor moves, window titles, hyperlinks) and bidirectional overrides can make a line read
other than it is; a CI log turns a line that starts with `::` (GitHub's workflow commands,
after leading white space) or holds `##[` (their older form, anywhere in a line) into an
annotation, a mask or a group. So every control character, the Unicode line breaks, the
bidirectional controls and the other invisible format characters (a zero-width space in a
name) are shown as visible escapes (`\\x1b`, `\\u202e`, `\\u200b`), and then a command
marker is broken with a zero-width space of drift-gate's own, which a log shows as nothing
and the runner does not read as white space.
"""

from __future__ import annotations

import re

# Unicode's format characters (category Cf, as of Unicode 15): invisible, yet they change
# what a line shows. The bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E,
# U+200F, U+061C: Trojan Source), the zero-width ones (U+200B-U+200D, U+2060, U+FEFF: `api`
# and `a<U+200B>pi` look alike), the soft hyphen, the tags... tests/unit/test_terminal_text.py
# checks the list against the running Python's Unicode database.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
# C0 and C1 controls (ESC, CR, LF, BEL, CSI...), DEL, the Unicode line and paragraph
# separators, and the format characters.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARACTERS}]")
_ZERO_WIDTH = "\u200b"
_COMMAND_START = re.compile(r"^(\s*):(?=:)")
_OLD_COMMAND = "##["


def visible(match: re.Match[str]) -> str:
    """One character as the escape that shows it: `\\x1b`, `\\u202e`, `\\U000e0041`."""
    code = ord(match.group(0))
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def terminal_text(value: str) -> str:
    """A piece of text that stays what it is on a terminal: no control sequence, no
    invisible character, one line. The zero-width spaces log_line adds come after."""
    return _UNSAFE.sub(visible, value)


def log_line(line: str) -> str:
    """A whole line as a CI log reads it: no workflow command can start in it."""
    line = _COMMAND_START.sub(lambda m: f"{m.group(1)}:{_ZERO_WIDTH}", line)
    return line.replace(_OLD_COMMAND, f"#{_ZERO_WIDTH}#[")


def safe_lines(text: str) -> str:
    """Several lines of messages: each escaped, the line breaks between them kept."""
    return "\n".join(log_line(terminal_text(line)) for line in text.split("\n"))

"""The one escaper for every Markdown drift-gate writes: the Markdown report (and so the job
summary), GitHub issue bodies and titles.

Names reach Markdown from AWS and from files (container, service and variable names, file
paths, log lines, waiver reasons); none may become Markdown. `text` keeps a name as text in a
paragraph, list item, heading or table cell; `code` keeps it as a code span whatever
backticks it holds. Both stay on one line, so a name cannot end a table row or start a block.
Rendered by GitHub (cmark-gfm), the result shows the name, and nothing else: no mention that
pings, no link or image, no HTML, no emphasis, no heading, no comment (which could forge the
hidden markers issues are found by), no invisible character (a right-to-left override or a
zero-width space in a name is shown as `\\u202e`, `\\u200b`).
"""

from __future__ import annotations

import re

from drift_gate.report.terminal_text import FORMAT_CHARACTERS, visible

# The characters that mean something anywhere in a line of GitHub's Markdown: emphasis and
# strikethrough, code, links and images, HTML and entities, table cells, math. CommonMark
# lets a backslash escape any ASCII punctuation; only these need it, so names stay readable.
_ANYWHERE = re.compile(r"([\\`*\[\]<>|~&$])")
# An underscore between two letters or digits can neither open nor close emphasis
# (`DB_PASSWORD`), so only the others are escaped.
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# GitHub's autolinks (`http://`, `https://`, `ftp://`, `www.`): escaping the `:` or the `.`
# keeps the words and drops the link.
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<=www)\.")
# At the start of a line: a list, a setext underline, an ordered list (`1.`, `1)`).
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")
# Line breaks of any kind, and the other control characters (C0, DEL, C1): a name stays on
# its line.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Invisible characters that change what a line shows (bidirectional overrides that reorder
# it, zero-width spaces that make two names look alike; Unicode's category Cf): shown as
# the escape that names them (`\u202e`, `\u200b`), as the console shows them. Before the
# zero-width spaces drift-gate adds itself, which stay.
_INVISIBLE = re.compile(f"[{FORMAT_CHARACTERS}]")
# `@name` pings, `a@b.c` links, `#12` references an issue and `# x` is a heading. GitHub finds
# mentions and references in the rendered text, where a backslash escape is already gone:
# a zero-width space after the sign keeps each as the text it was.
_ZERO_WIDTH = "\u200b"
_BACKTICKS = re.compile(r"`+")


def one_line(value: str) -> str:
    """Control characters and line breaks as one space each run; invisible format
    characters (bidirectional controls, zero-width spaces) as visible escapes."""
    return _INVISIBLE.sub(visible, _BREAKS.sub(" ", value))


def text(value: str, *, starts_line: bool = True) -> str:
    """`value` as literal text on one line: safe in a paragraph, list item, heading or cell.

    `starts_line=False` for text that follows something else on its line (after a code span).
    """
    escaped = _ANYWHERE.sub(r"\\\1", one_line(value))
    escaped = _AUTOLINK.sub(lambda found: "\\" + found.group(0), escaped)
    escaped = _UNDERSCORE.sub(r"\\_", escaped)
    if starts_line:
        # Leading spaces would indent a list item's text into a code block.
        escaped = _LINE_START.sub(_escape_line_start, escaped.lstrip(" "))
    return escaped.replace("@", "@" + _ZERO_WIDTH).replace("#", "#" + _ZERO_WIDTH)


def _escape_line_start(found: re.Match[str]) -> str:
    if found.group(1):
        return "\\" + found.group(1)
    return f"{found.group(2)}\\{found.group(3)}"


def code(value: str, *, in_table: bool = False) -> str:
    """`value` as one code span, verbatim: fenced by more backticks than its longest run.

    In a table cell a pipe ends the cell even inside a code span, so it is escaped there
    (GitHub's table reader removes that backslash before the span is read). An empty value
    is an empty string, not an empty span (which GitHub would show as backticks).
    """
    content = one_line(value)
    if not content:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick (or a space) needs a space inside each
    # fence; CommonMark strips exactly one from each side.
    if content.strip(" ") and (content[0] in "` " or content[-1] in "` "):
        content = f" {content} "
    if in_table:
        content = content.replace("|", "\\|")
    return f"{fence}{content}{fence}"


def issue_title(value: str) -> str:
    """A GitHub issue title: one line, no mention or issue reference, no code span (titles
    render backticks and references).

    Titles show backslashes as typed, so nothing is backslash-escaped; GitHub's limit is
    256 characters.
    """
    title = one_line(value).replace("`", "'")
    title = title.replace("@", "@" + _ZERO_WIDTH).replace("#", "#" + _ZERO_WIDTH)
    return title if len(title) <= 256 else title[:255] + "…"


def rich(value: str, *, in_table: bool = False) -> str:
    """A message drift-gate wrote, with its commands in backticks, around names from outside.

    The backticks drift-gate put there become code spans again; every piece in between, and
    every span's content, is escaped like any name. A name holding backticks can only move
    where a span starts (an odd count leaves the last piece as text): it cannot add Markdown.
    """
    pieces = one_line(value).split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: the last one is text, not a span
        pieces[-2:] = [pieces[-2] + "`" + pieces[-1]]
    rendered = [
        code(piece, in_table=in_table) if index % 2 else text(piece, starts_line=index == 0)
        for index, piece in enumerate(pieces)
    ]
    return "".join(rendered)

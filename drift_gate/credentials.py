"""Recognising credentials by name and by value format, without keeping the value.

Value formats are deliberately narrow (fixed prefixes and lengths published by each vendor)
so a match is strong evidence; a match yields the format's name, never the value.
"""

from __future__ import annotations

import re

# (format name, pattern); each anchored so a URL or sentence containing a prefix does not match.
TOKEN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Hugging Face token", re.compile(r"^hf_[A-Za-z0-9]{30,}$")),
    ("AWS access key id", re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")),
    ("GitHub token", re.compile(r"^(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}$")),
    ("GitHub fine-grained token", re.compile(r"^github_pat_[A-Za-z0-9_]{60,}$")),
    ("GitLab token", re.compile(r"^glpat-[A-Za-z0-9_-]{20,}$")),
    ("Slack token", re.compile(r"^xox[abposr]-[A-Za-z0-9-]{10,}$")),
    ("OpenAI API key", re.compile(r"^sk-(proj-)?[A-Za-z0-9_-]{32,}$")),
    ("Stripe secret key", re.compile(r"^(sk|rk)_live_[A-Za-z0-9]{24,}$")),
    ("private key", re.compile(r"^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")),
)

_CREDENTIAL_NAME = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH_KEY)",
    re.IGNORECASE,
)


# Every format in one pattern: most values match none, and one search rules them all out
# (a plan can hold hundreds of thousands of values).
_ANY_TOKEN_FORMAT = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in TOKEN_FORMATS))


def token_format(value: str) -> str | None:
    """The name of the known credential format `value` matches, or None."""
    stripped = value.strip()
    if not _ANY_TOKEN_FORMAT.match(stripped):
        return None
    for name, pattern in TOKEN_FORMATS:
        if pattern.match(stripped):
            return name
    return None


def looks_like_credential_name(name: str) -> bool:
    """Whether a variable name suggests it holds a credential (HF_TOKEN, DB_PASSWORD, ...)."""
    return bool(_CREDENTIAL_NAME.search(name))

"""The base of every model: frozen pydantic models, strict about unknown fields.

Names, never values: an environment or secret value never enters a model. A live
environment variable keeps its name and, at most, the name of the credential format its
value matched (for example "Hugging Face token"); the value itself is dropped at the source.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base for every model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

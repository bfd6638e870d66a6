"""Turning a pydantic ValidationError into one line that never quotes the input.

pydantic's own str() of a ValidationError includes `input_value=...`: for a plan or an AWS
answer that can be an environment value or a secret. Only the location and pydantic's
message (which names the expected type, not the value) are kept, and a mapping key in the
location is shown as `[...]`: keys of a plan's maps are the user's data, not field names.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def _inner(annotation: Any) -> Any:
    """Optional[X] / X | None -> X; other unions are left as they are."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        arguments = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return arguments[0] if len(arguments) == 1 else annotation
    return annotation


def _step(annotation: Any, part: int | str) -> tuple[str, Any]:
    """How one location part is shown, and the type below it."""
    annotation = _inner(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        if field is not None:
            return f".{field.alias or part}", field.annotation
        return f".{part}", None  # a validator's own location name
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is dict:
        return "[...]", arguments[1] if len(arguments) == 2 else None
    if isinstance(part, int):
        return f"[{part}]", arguments[0] if arguments else None
    return "[...]", None


def json_path(location: Sequence[int | str], model: type[BaseModel] | None, root: str = "") -> str:
    """`("services", 0, "serviceName")` -> `services[0].serviceName`, map keys masked."""
    text = root
    annotation: Any = model
    for part in location:
        shown, annotation = _step(annotation, part)
        text += shown
    return text.lstrip(".") or "(document)"


def first_problem(error: ValidationError, model: type[BaseModel], root: str = "") -> str:
    """`path: what was expected` for the first error; the input value is never included."""
    details = error.errors(include_input=False, include_url=False, include_context=False)
    if not details:
        return f"{root or '(document)'}: invalid"
    detail = details[0]
    message = "missing" if detail["type"] == "missing" else str(detail["msg"])
    return f"{json_path(detail['loc'], model, root)}: {message}"


def validate_or_none(model: type[M], data: object) -> tuple[M | None, str | None]:
    """The model, or None and the first problem (never the input)."""
    try:
        return model.model_validate(data), None
    except ValidationError as error:
        return None, first_problem(error, model)

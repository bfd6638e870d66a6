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
    details = error.errors(include_input=True, include_url=False, include_context=True)
    if not details:
        return f"{root or '(document)'}: invalid"
    detail = details[0]
    return f"{json_path(detail['loc'], model, root)}: {_message(detail)}"


def _message(detail: Any) -> str:
    """pydantic's message, with whatever of the input it quotes hidden.

    Most of pydantic's messages name only what was expected, but some quote the input
    (a union's tag, a validator's `ValueError` that says what it got): any text of the input
    found in the message is replaced, so no error type, present or future, can carry it.
    """
    kind = detail["type"]
    if kind == "missing":
        return "missing"
    if kind == "union_tag_invalid":
        return f"the tag is not one of: {detail.get('ctx', {}).get('expected_tags', '?')}"
    message = str(detail["msg"])
    for text in sorted(_texts(detail.get("input")), key=len, reverse=True):
        # Very short texts ("1", "a") are in most messages by chance, and say nothing.
        if len(text) >= 3:
            message = message.replace(text, "(value hidden)")
    return message


def _texts(value: object, budget: int = 200) -> list[str]:
    """The strings and numbers in an input, as text (at most `budget` of them)."""
    found: list[str] = []
    stack = [value]
    while stack and len(found) < budget:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, (str, bytes, int, float)) and not isinstance(item, bool):
            text = item.decode(errors="replace") if isinstance(item, bytes) else str(item)
            found.extend((text, repr(item)))
    return found


def validate_or_none(model: type[M], data: object) -> tuple[M | None, str | None]:
    """The model, or None and the first problem (never the input)."""
    try:
        return model.model_validate(data), None
    except ValidationError as error:
        return None, first_problem(error, model)

"""Small readers shared by the formats: a record from a model, its errors naming the file's columns.

Every error names the file's own column (``Variant Price``, ``Lineitem price``) and why, never the
cell's value: values are personal data (emails, names, addresses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.patterns import pattern_phrase

M = TypeVar("M", bound=BaseModel)


class CellError(ValueError):
    """Cells that make no valid record; ``errors`` name the columns."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = tuple(dict.fromkeys(errors))


def build(model: type[M], data: Mapping[str, Any], columns: Mapping[str, str]) -> M:
    """``model`` from ``data``, or a ``CellError`` naming for each bad field its column: ``columns``
    maps a field path (``price``, ``addresses.0.city``, ``lines.2.unit_price``) to a column; a path
    not mapped names its nearest mapped parent, else the path itself."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CellError(
            [_problem(e, columns) for e in exc.errors(include_input=False, include_url=False)]
        ) from None


def _problem(error: Any, columns: Mapping[str, str]) -> str:
    loc = tuple(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{_column(loc[:-1], columns) if loc[:-1] else 'the record'} has an unknown field"
    return f"{_column(loc, columns)}: {_message(error)}"


def _message(error: Any) -> str:
    """As ``shared.http.message`` (which the worker must not load): a pattern is named by what it
    wants, never quoted."""
    if error["type"] == "string_pattern_mismatch":
        return (
            pattern_phrase(str((error.get("ctx") or {}).get("pattern", "")))
            or "is not in the accepted format"
        )
    message = str(error["msg"])
    return message[len("Value error, ") :] if message.startswith("Value error, ") else message


def _column(loc: tuple[str, ...], columns: Mapping[str, str]) -> str:
    for end in range(len(loc), 0, -1):
        column = columns.get(".".join(loc[:end]))
        if column:
            return column
    return ".".join(loc) or "the record"

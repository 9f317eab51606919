"""Reading marketplace documents into this system's order shapes.

Each adapter translates its marketplace's document into the canonical channel order and validates
it with ``validate_channel_order`` (``validate_order`` for a ``POST /orders`` body), naming the
marketplace's own fields in the errors. The small readers take
fields out of a document; every error names the field and never repeats a value (values are
personal data: emails, names, addresses).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.domain.moments import utc_text
from shared.models.channels import ChannelOrder, RefundNotice
from shared.models.orders import NewOrder

Loc = tuple[int | str, ...]
M = TypeVar("M", bound=BaseModel)


def validate_order(body: Mapping[str, Any], fields: Mapping[str, str] | None = None) -> NewOrder:
    """``NewOrder`` from a body, or ``ValueError`` naming each bad field.

    ``fields`` maps a canonical path (``customer.email``, ``lines[2].sku``, ``lines[2]``) to the
    marketplace's own field; a path with no entry names its nearest mapped parent, else itself.
    """
    return _validate(NewOrder, body, fields)


def validate_channel_order(body: Mapping[str, Any], fields: Mapping[str, str] | None = None) -> ChannelOrder:
    """``ChannelOrder`` from a canonical body, or ``ValueError`` naming the platform's own fields
    (``fields`` as for ``validate_order``: ``lines[2].unit_price`` -> ``OrderItems[1].ItemPrice.Amount``)."""
    return _validate(ChannelOrder, body, fields)


def validate_refund_notice(body: Mapping[str, Any], fields: Mapping[str, str] | None = None) -> RefundNotice:
    """``RefundNotice`` from a canonical body, naming the platform's fields as ``validate_order`` does."""
    return _validate(RefundNotice, body, fields)


def _validate(model: type[M], body: Mapping[str, Any], fields: Mapping[str, str] | None) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = [_problem(e, fields or {}) for e in exc.errors(include_input=False, include_url=False)]
        raise ValueError("; ".join(dict.fromkeys(problems))) from None  # no chained input values


def _problem(error: Any, fields: Mapping[str, str]) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":  # the name itself came from the sender: do not repeat it
        return f"{_field(loc[:-1], fields) if loc[:-1] else 'order'}: has an unknown field"
    return f"{_field(loc, fields)}: {error['msg']}"


def placeholder_email(marketplace: str, order_id: str) -> str:
    """For an order whose marketplace withholds the buyer's email (no restricted-data access, or past
    its retention): the order is recorded all the same, under an address that can never be mailed
    (RFC 2606's .invalid), unique per marketplace order so customers are never merged by it."""
    local = re.sub(r"[^A-Za-z0-9._-]", "-", order_id)[:64] or "order"
    return f"{local}@{marketplace}.invalid"


def _field(loc: Loc, fields: Mapping[str, str]) -> str:
    """The platform field of a canonical path: its own entry, else its nearest mapped parent's."""
    for end in range(len(loc), 0, -1):
        mapped = fields.get(path(loc[:end]))
        if mapped:
            return mapped
    return path(loc) or "order"


def path(loc: Loc) -> str:
    """``("lines", 2, "sku")`` -> ``lines[2].sku``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- reading a marketplace document -----------------------------------------------------------


def as_object(value: object, field: str) -> dict[str, Any]:
    """A JSON object; ``None`` (absent or null) reads as an empty one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{field} must be an object")
    return value


def child(parent: Mapping[str, Any], key: str, field: str) -> dict[str, Any]:
    return as_object(parent.get(key), field)


def children(parent: Mapping[str, Any], key: str, field: str) -> list[dict[str, Any]]:
    """A list of JSON objects; absent or null reads as an empty list."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{field} must be a list")
    return [as_object(item, f"{field}[{i}]") for i, item in enumerate(value)]


def text(parent: Mapping[str, Any], key: str, field: str) -> str | None:
    """A string, stripped; absent, null and blank read as ``None``."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string")
    return value.strip() or None


def required_text(parent: Mapping[str, Any], key: str, field: str) -> str:
    value = text(parent, key, field)
    if value is None:
        raise ValueError(f"{field} is missing")
    return value


def first_text(*candidates: tuple[Mapping[str, Any], str, str]) -> tuple[str, str] | None:
    """The first present ``(parent, key, field)`` candidate, as ``(value, field)``."""
    for parent, key, field in candidates:
        value = text(parent, key, field)
        if value is not None:
            return value, field
    return None


def whole_number(parent: Mapping[str, Any], key: str, field: str) -> int:
    value = parent.get(key)
    if value is None:
        raise ValueError(f"{field} is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be a whole number")
    if value < 0:
        raise ValueError(f"{field} must not be negative")
    return value


def timestamp(parent: Mapping[str, Any], key: str, field: str) -> str | None:
    """An ISO-8601 time with a zone, as UTC with microseconds and a Z (``2026-03-14T09:21:47.000000Z``),
    the form ``shared.domain.moments.utc_text`` writes, so a platform's times sort as strings."""
    value = text(parent, key, field)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field} is not an ISO-8601 date and time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{field} has no time zone")
    return utc_text(moment)


def capped(value: str, length: int) -> str:
    """A platform's free text for an attention note: one line, at most ``length`` characters."""
    flat = " ".join(value.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without its ``None`` values: an omitted optional field takes its default."""
    return {key: value for key, value in body.items() if value is not None}

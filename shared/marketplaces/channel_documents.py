"""Reading platform documents into the canonical ``ChannelOrder`` (``shared.models.channels``).

The Shopify and WooCommerce adapters build a body and validate it here, so that every error names
the platform's own field (``line_items[2].sku``), never a value: values are personal data.
``documents.validate_order`` does the same for the older ``NewOrder`` body; this module is its
``ChannelOrder`` counterpart, plus the small readers both adapters share (ids, times, amounts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.domain.orders import iso
from shared.marketplaces.documents import Loc, path
from shared.marketplaces.money import CENT, parse_amount
from shared.models.channels import ChannelOrder, RefundNotice

ZERO = Decimal("0.00")
M = TypeVar("M", bound=BaseModel)


def validate_channel_order(body: Mapping[str, Any], fields: Mapping[str, str]) -> ChannelOrder:
    """``ChannelOrder`` from a body, or ``ValueError`` naming each bad field in the platform's terms."""
    return _validate(ChannelOrder, body, fields)


def validate_refund_notice(body: Mapping[str, Any], fields: Mapping[str, str]) -> RefundNotice:
    return _validate(RefundNotice, body, fields)


def _validate(model: type[M], body: Mapping[str, Any], fields: Mapping[str, str]) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = [_problem(error, fields) for error in exc.errors(include_input=False, include_url=False)]
        raise ValueError("; ".join(dict.fromkeys(problems))) from None  # no chained input values


def _problem(error: Any, fields: Mapping[str, str]) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":  # the name came from the sender: do not repeat it
        return f"{_field(loc[:-1], fields) if loc[:-1] else 'order'}: has an unknown field"
    return f"{_field(loc, fields)}: {error['msg']}"


def _field(loc: Loc, fields: Mapping[str, str]) -> str:
    """The platform field of a canonical path: its own entry, else its nearest mapped parent's."""
    for end in range(len(loc), 0, -1):
        mapped = fields.get(path(loc[:end]))
        if mapped:
            return mapped
    return path(loc) or "order"


# --- readers -----------------------------------------------------------------------------------


def identifier(parent: Mapping[str, Any], key: str, field: str) -> str:
    """A platform id: a JSON integer (Shopify's and WooCommerce's are) or a non-blank string."""
    value = parent.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{field} is missing")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{field} must be a number or a string")
    if isinstance(value, int) and value <= 0:
        raise ValueError(f"{field} must be positive")
    return str(value).strip()


def optional_identifier(parent: Mapping[str, Any], key: str, field: str) -> str | None:
    """An id that may be absent (``null``) or 0 (WooCommerce's "no variation")."""
    value = parent.get(key)
    if value in (None, 0, ""):
        return None
    return identifier(parent, key, field)


def utc_time(value: object, field: str, *, naive_is_utc: bool = False) -> str | None:
    """An ISO-8601 time as UTC with milliseconds and a Z (``shared.domain.orders.iso``'s form).

    Shopify sends an offset (``2021-12-31T19:00:00-05:00``); WooCommerce's ``*_gmt`` fields have
    none and are UTC (``naive_is_utc``). A time without an offset otherwise is refused: its zone
    would be a guess.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be an ISO-8601 date-time string")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(f"{field} is not an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        if not naive_is_utc:
            raise ValueError(f"{field} has no time zone offset")
        moment = moment.replace(tzinfo=UTC)
    return iso(moment)


def amount(parent: Mapping[str, Any], key: str, field: str) -> Decimal:
    """A money string that may be absent or null (reads as 0.00); present, it must be exact cents."""
    value = parent.get(key)
    if value is None or value == "":
        return ZERO
    return parse_amount(value, field)


def signed_amount(value: object, field: str) -> Decimal:
    """The size of an amount the platform may send negative (WooCommerce refunds: ``"-10.00"``)."""
    if isinstance(value, str) and value.strip().startswith("-"):
        return parse_amount(value.strip()[1:], field)
    return parse_amount(value, field)


def money_text(value: Decimal) -> str:
    """A Decimal as the canonical money string (``"19.99"``)."""
    return format(value.quantize(CENT), "f")


def capped(value: str | None, limit: int) -> str | None:
    """Free text kept short: a staff note can grow long and is not this system's to keep whole."""
    if value is None:
        return None
    return value[:limit].rstrip() or None

"""The small readers the Shopify and WooCommerce adapters share (ids, times, amounts, free text).

Their bodies are validated by ``shared.marketplaces.documents`` (``validate_channel_order``,
``validate_refund_notice``), so every error names the platform's own field
(``line_items[2].sku``), never a value: values are personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shared.domain.moments import utc_text
from shared.marketplaces.money import CENT, parse_amount

ZERO = Decimal("0.00")


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
    """An ISO-8601 time as UTC with microseconds and a Z (``shared.domain.moments.utc_text``'s form).

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
    return utc_text(moment)


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

"""The generic marketplace: the document is this system's own ``POST /orders`` body plus ``external_id``
(and, optionally, ``placed_at``: when the order was placed on its channel, ISO-8601 with a zone).

The body's lines become channel lines at status "open" (a generic channel sends paid orders);
``shipping_total``, ``discount_total`` (every discount, as one amount: the order discount),
``tax_total`` and ``taxes_included`` are taken as sent. Errors name the body's own fields.
"""

from __future__ import annotations

from typing import Any

from shared.domain.auth import check_channel
from shared.marketplaces.documents import (
    as_object,
    compact,
    timestamp,
    validate_channel_order,
    validate_order,
)
from shared.models.channels import ChannelOrder

CHANNEL = "generic"


def to_order(
    document: dict[str, Any], *, channel: str | None = None, topic: str | None = None
) -> ChannelOrder:
    return to_order_for_channel(document, channel or CHANNEL)


def to_order_for_channel(document: dict[str, Any], channel: str) -> ChannelOrder:
    """A generic connector's order, in the channel it is bound to (validated like a channel key's)."""
    check_channel(channel)
    body = dict(as_object(document, "order"))
    placed_at = timestamp(body, "placed_at", "placed_at")
    body.pop("placed_at", None)
    if body.get("external_id") is None:
        raise ValueError("external_id is missing: a marketplace order needs its own order id")
    order = validate_order(body)
    money = order.model_dump(mode="json", include={"shipping_total", "discount_total", "tax_total"})
    return validate_channel_order(
        compact(
            {
                "channel": channel,
                "external_id": order.external_id,
                "status": "open",
                "placed_at": placed_at,
                "customer": order.customer.model_dump(mode="json", exclude_none=True),
                "shipping_address": None
                if order.shipping_address is None
                else order.shipping_address.model_dump(mode="json", exclude_none=True),
                "currency": order.currency,
                "lines": [line.model_dump(mode="json", exclude_none=True) for line in order.lines],
                "shipping_total": money["shipping_total"],
                "order_discount": money["discount_total"],
                "tax_total": money["tax_total"],
                "taxes_included": order.taxes_included,
            }
        )
    )

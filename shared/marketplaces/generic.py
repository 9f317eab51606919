"""The generic marketplace: the document is this system's own ``POST /orders`` body plus ``external_id``."""

from __future__ import annotations

from typing import Any

from shared.domain.auth import check_channel
from shared.marketplaces import ChannelOrder
from shared.marketplaces.documents import as_object, validate_order

CHANNEL = "generic"


def to_order(document: dict[str, Any]) -> ChannelOrder:
    return to_order_for_channel(document, CHANNEL)


def to_order_for_channel(document: dict[str, Any], channel: str) -> ChannelOrder:
    """A generic connector's order, in the channel it is bound to (validated like a channel key's)."""
    check_channel(channel)
    body = as_object(document, "order")
    if body.get("external_id") is None:
        raise ValueError("external_id is missing: a marketplace order needs its own order id")
    return ChannelOrder(channel=channel, order=validate_order(body))

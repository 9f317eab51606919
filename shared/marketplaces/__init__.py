"""Marketplace order documents -> the one canonical order (``ChannelOrder``).

Each marketplace has one adapter module with one function, ``to_order(document) -> ChannelOrder``:
  amazon   Amazon Selling Partner API, Orders v0 ``Order`` with its ``OrderItems`` embedded
  ebay     eBay Sell Fulfillment API v1 ``Order``
  generic  this system's own POST /orders body plus ``external_id``
An adapter raises ``pydantic.ValidationError`` or ``ValueError`` for a document it cannot map: such a
message can never succeed, and the feed rejects it with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from shared.models.orders import NewOrder

MARKETPLACES = ("amazon", "ebay", "generic")


@dataclass(frozen=True)
class ChannelOrder:
    """A marketplace order in canonical form: the channel it belongs to and the order itself.

    ``order.external_id`` is always set: it is the marketplace's own order id, the deduplication key.
    """

    channel: str
    order: NewOrder


def adapter(marketplace: str) -> Callable[[dict[str, Any]], ChannelOrder]:
    """The ``to_order`` function of a marketplace; imported on first use (each is small, few are hot)."""
    if marketplace not in MARKETPLACES:
        raise ValueError(f"unknown marketplace {marketplace!r}; expected one of {', '.join(MARKETPLACES)}")
    module = import_module(f"shared.marketplaces.{marketplace}")
    to_order: Callable[[dict[str, Any]], ChannelOrder] = module.to_order
    return to_order

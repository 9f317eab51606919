"""Channel order documents -> the one canonical channel order (``shared.models.channels``).

Each platform has one adapter module with one function,
``to_order(document, *, channel=..., topic=None) -> ChannelOrder | RefundNotice``:
  amazon       Amazon Selling Partner API, Orders v0 ``Order`` with its ``OrderItems`` embedded
  ebay         eBay Sell Fulfillment API v1 ``Order``
  shopify      Shopify REST Admin ``Order`` (order webhooks) and ``Refund`` (``refunds/create``)
  woocommerce  WooCommerce REST API v3 order (order webhooks)
  generic      this system's own POST /orders body plus ``external_id``
``channel`` is the channel the document belongs to (Amazon's and eBay's are fixed; a Shopify or
WooCommerce store's is its connection's); ``topic`` is the webhook topic where there is one.
An adapter raises ``pydantic.ValidationError`` or ``ValueError`` for a document it cannot map: such a
message can never succeed, and the feed rejects it with the reason, naming fields, never values.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from shared.models.channels import ChannelOrder, RefundNotice

MARKETPLACES = ("amazon", "ebay", "shopify", "woocommerce", "generic")

Adapted = ChannelOrder | RefundNotice
ToOrder = Callable[..., Adapted]


def adapter(marketplace: str) -> ToOrder:
    """The ``to_order`` function of a platform; imported on first use (each is small, few are hot)."""
    if marketplace not in MARKETPLACES:
        raise ValueError(f"unknown marketplace {marketplace!r}; expected one of {', '.join(MARKETPLACES)}")
    module = import_module(f"shared.marketplaces.{marketplace}")
    to_order: ToOrder = module.to_order
    return to_order


__all__ = ["MARKETPLACES", "Adapted", "ChannelOrder", "RefundNotice", "adapter"]

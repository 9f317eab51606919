"""Shapes of the messages on the marketplace feed queue: from connectors, and from the hook routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.models.common import StrictModel

FeedSource = Literal["amazon", "ebay", "shopify", "woocommerce", "generic"]


class FeedMessage(StrictModel):
    """``{"marketplace": "amazon" | "ebay" | "shopify" | "woocommerce" | "generic", "order": {...}}``.

    ``order`` is the platform's own document (for Shopify's ``refunds/create``, its refund);
    ``channel`` names the channel: a ``generic`` connector's (default ``generic``), or the connection
    a Shopify or WooCommerce hook arrived on. ``topic`` is the webhook topic (``orders/create``, ...)
    and ``webhook_id`` the platform's delivery id, for messages the hook routes put on the queue.
    """

    marketplace: FeedSource
    order: dict[str, Any]
    channel: str | None = Field(default=None, max_length=32)
    topic: str | None = Field(default=None, max_length=64)
    webhook_id: str | None = Field(default=None, max_length=128)

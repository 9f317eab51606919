"""One feed message: parse, map to the canonical channel order, apply it exactly once.

A message is one version of an order on its channel (a connector's Amazon or eBay document, a
Shopify or WooCommerce webhook the hook routes put here, a generic connector's order). It either
creates the order, updates it, is recognised as a resend or a stale version, or is poison: something
that can never succeed as sent (not JSON, an unknown marketplace, a document that fails validation,
an unknown SKU, a listing with no SKU mapped). Anything else (throttling, timeouts, contention, a
refund that overtook its order) raises, so SQS delivers it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_type

from pydantic import ValidationError

from shared.domain.auth import check_channel
from shared.domain.channels import FEED_CHANNELS, FEED_OWNED_CHANNELS
from shared.domain.orders import Contention, Rejected
from shared.marketplaces import MARKETPLACES, Adapted, adapter
from shared.marketplaces.generic import to_order_for_channel
from shared.models.channels import RefundNotice
from shared.models.feeds import FeedMessage
from shared.models.orders import Order
from shared.services.channel_orders import Applied, ChannelOrderService, NotYet, Outcome, Unmapped
from shared.services.messages import Poison, RetryLater, describe, load

# Platforms whose messages come from the hook routes, on the channel of the connection they arrived on.
CONNECTED = ("shopify", "woocommerce")


@dataclass(frozen=True)
class Recorded:
    """The version was applied (or was a resend, or stale). ``order`` is None when the claim alone told."""

    order_id: str
    outcome: Outcome
    order: Order | None = None


FeedResult = Recorded | Poison


class MarketplaceFeed:
    def __init__(self, orders: ChannelOrderService, generic_channels: frozenset[str] = FEED_CHANNELS) -> None:
        self._orders = orders
        # A generic connector may name only these channels: never a marketplace's, never an API
        # key's (its external ids would claim, or read back, another channel's orders). No key or
        # connection can take one (shared.domain.channels).
        self._generic_channels = generic_channels

    def process(self, body: str) -> FeedResult:
        mapped = self.parse(body, self._generic_channels)
        if isinstance(mapped, Poison):
            return mapped
        marketplace, document = mapped
        if isinstance(document, RefundNotice):
            result = self._orders.refund(document)
        else:
            result = self._orders.apply(document)
        if isinstance(result, Applied):
            return Recorded(result.order_id, result.outcome, result.order)
        if isinstance(result, Unmapped):
            return Poison(_unmapped_reason(result, marketplace), marketplace)
        if isinstance(result, Rejected):
            fields = "; ".join(f"{e.field}: {e.message}" for e in result.errors)
            return Poison(f"order rejected: {fields}", marketplace)
        if isinstance(result, NotYet):  # its order is on its way: SQS delivers the refund again later
            raise RetryLater("a refund for an order not recorded yet")
        assert_type(result, Contention)  # the last outcome left: mypy checks none is forgotten
        raise RetryLater("contention on stock items")

    @staticmethod
    def parse(body: str, generic_channels: frozenset[str] = frozenset()) -> tuple[str, Adapted] | Poison:
        document = load(body)
        if isinstance(document, Poison):
            return document
        try:
            message = FeedMessage.model_validate(document)
        except ValidationError as exc:
            return Poison("envelope: " + describe(exc), _marketplace_of(document))
        refused = _refused_channel(message, generic_channels)
        if refused:
            return Poison(f"envelope: {refused}", message.marketplace)
        try:
            canonical: Adapted
            if message.marketplace == "generic" and message.channel:
                canonical = to_order_for_channel(message.order, message.channel)
            elif message.marketplace in CONNECTED:
                canonical = adapter(message.marketplace)(
                    message.order, channel=message.channel, topic=message.topic
                )
            else:
                canonical = adapter(message.marketplace)(message.order)
        except ValidationError as exc:
            return Poison(f"{message.marketplace} order: " + describe(exc), message.marketplace)
        except ValueError as exc:
            return Poison(f"{message.marketplace} order: {exc}", message.marketplace)
        return message.marketplace, canonical


def _unmapped_reason(unmapped: Unmapped, marketplace: str) -> str:
    """Names each listing and the route that maps it: listing ids are the channel's, never personal."""
    listings = sorted({listing for _, listing in unmapped.listings})
    routes = ", ".join(f"PUT /channels/{unmapped.channel}/listings/{listing}" for listing in listings)
    return (
        f"{marketplace} order: no SKU for listing(s) {', '.join(listings)} (the channel sent none): "
        f'map each with {routes} and the body {{"sku": "..."}}, then redrive this message'
    )


def _refused_connection_channel(message: FeedMessage) -> str | None:
    """A hook's message names its connection's channel: a valid name, never a marketplace's."""
    if message.channel is None:
        return f"channel is required for {message.marketplace} messages (the connection's)"
    try:
        check_channel(message.channel)
    except ValueError:
        return "channel is not a valid channel name"
    return "channel may not be one the feed owns" if message.channel in FEED_OWNED_CHANNELS else None


def _refused_channel(message: FeedMessage, generic_channels: frozenset[str]) -> str | None:
    if message.marketplace in CONNECTED:
        return _refused_connection_channel(message)
    if message.channel is None:
        return None
    if message.marketplace != "generic":
        return "channel is only for generic messages"
    if message.channel not in generic_channels:
        return "channel is not one a generic connector may use (FEED_CHANNELS in shared/domain/channels.py)"
    return None


def _marketplace_of(document: object) -> str | None:
    """The envelope's marketplace, for the log line, when it is one this feed knows: any other value is
    the sender's text (it could be anything, personal data too), so it is not repeated; the message on
    the dead-letter queue has it."""
    value = document.get("marketplace") if isinstance(document, dict) else None
    return value if value in MARKETPLACES else None

"""Who a channel belongs to, and who prices its orders. Pure data and rules, in one home: the API, the
marketplace feed, the hooks' connections and ``infra.keys`` all import them (Lambda code cannot import
``infra/spec.py``: a function's asset holds ``functions/`` and ``shared/`` only).

A channel has exactly one writer, because an order's ``external_id`` is deduplicated per channel: with
two, one writer's order would answer for, or be refused over, the other's. The writer is one of:

* the marketplace feed: the marketplaces' own channels (``MARKETPLACE_CHANNELS``) and the channels a
  generic connector may name (``FEED_CHANNELS``). Nothing else may ever have them;
* a platform connection (a Shopify or WooCommerce store, ``PUT /channels/{channel}/connection``);
* API keys (``python -m infra.keys create --role channel --channel ...``).

The last two claim the name in the connections table (``shared.dal.connections``), so each refuses the
other; both refuse the feed's channels (``feed_owner``), and an order from a key on one is refused too.
"""

from __future__ import annotations

from typing import Literal

from shared.domain.auth import Principal, check_channel

# The channels of the marketplaces' own adapters (shared/marketplaces): amazon, ebay, generic.
MARKETPLACE_CHANNELS = frozenset({"amazon", "ebay", "generic"})
# Channels a "generic" connector may name in its messages besides "generic" itself (each connector's
# store). Add one here to let a new connector in: no key or connection can then ever take it.
FEED_CHANNELS = frozenset({"etsy", "shopify"})
FEED_OWNED_CHANNELS = MARKETPLACE_CHANNELS | FEED_CHANNELS

Prices = Literal["own", "catalog"]
# API key channels that send their own unit prices (a till applying its own discounts). Every other key
# channel takes catalog prices: a unit_price from it is refused. Staff may price any order; marketplaces
# and connected stores always send their own prices (what the customer paid there).
OWN_PRICE_CHANNELS = frozenset({"pos"})


class ChannelOwned(ValueError):
    """The channel's orders have another writer: no API key may have it."""

    def __init__(self, channel: str, owner: str) -> None:
        super().__init__(f"channel {channel!r} belongs to {owner}")
        self.channel = channel
        self.owner = owner


def feed_owner(channel: str) -> str | None:
    """Which part of the marketplace feed owns ``channel``, said for people; None: not the feed's."""
    if channel in MARKETPLACE_CHANNELS:
        return "the marketplace feed (a marketplace's own channel)"
    if channel in FEED_CHANNELS:
        return "the marketplace feed (a generic connector's channel, FEED_CHANNELS)"
    return None


def check_key_channel(channel: str) -> str:
    """A channel an API key may be bound to: a valid name the feed does not own. The connections table's
    claim (written with the key) refuses a connected channel."""
    check_channel(channel)
    owner = feed_owner(channel)
    if owner is not None:
        raise ChannelOwned(channel, owner)
    return channel


def prices_of(principal: Principal) -> Prices:
    """Whether this caller's orders may carry their own unit prices, or take the catalog's."""
    channel = principal.order_channel
    if principal.is_staff or channel in OWN_PRICE_CHANNELS or channel in FEED_OWNED_CHANNELS:
        return "own"
    return "catalog"

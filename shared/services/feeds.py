"""One marketplace message: parse, map to the canonical order, place it exactly once.

A message either becomes an order (new, replayed or backordered), or is poison: something that
can never succeed as sent (not JSON, an unknown marketplace, a document that fails validation, an
unknown SKU). Anything else (throttling, timeouts, contention) raises, so SQS delivers it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from shared.domain.auth import Principal
from shared.domain.orders import Contention, KeyReused, OutOfStock, Rejected
from shared.marketplaces import MARKETPLACES, ChannelOrder, adapter
from shared.marketplaces.generic import to_order_for_channel
from shared.models.feeds import FeedMessage
from shared.models.orders import Order
from shared.services.orders import OrderService, Placed


class RetryLater(RuntimeError):
    """A transient failure: the message goes back to the queue."""


@dataclass(frozen=True)
class Recorded:
    order: Order
    outcome: Literal["created", "replayed", "backordered"]


@dataclass(frozen=True)
class Poison:
    reason: str  # safe to log and to attach to the message: names fields, never their values
    marketplace: str | None = None


FeedResult = Recorded | Poison


class MarketplaceFeed:
    def __init__(self, orders: OrderService, generic_channels: frozenset[str] = frozenset()) -> None:
        self._orders = orders
        # A generic connector may name only these channels: never a marketplace's, never an API
        # key's (its external ids would claim, or read back, another channel's orders).
        self._generic_channels = generic_channels

    def process(self, body: str) -> FeedResult:
        mapped = self.parse(body, self._generic_channels)
        if isinstance(mapped, Poison):
            return mapped
        marketplace, canonical = mapped
        principal = Principal(role="channel", key_id=f"feed-{marketplace}", channel=canonical.channel)
        result = self._orders.place(canonical.order, principal, idempotency_key=None, allow_backorder=True)
        if isinstance(result, Placed):
            if result.replayed:
                return Recorded(result.order, "replayed")
            return Recorded(
                result.order, "backordered" if result.order.status == "BACKORDERED" else "created"
            )
        if isinstance(result, Rejected):
            fields = "; ".join(f"{e.field}: {e.message}" for e in result.errors)
            return Poison(f"order rejected: {fields}", marketplace)
        if isinstance(result, Contention):
            raise RetryLater("contention on stock items")
        if isinstance(result, KeyReused | OutOfStock):  # pragma: no cover - not produced for feed orders
            raise RetryLater(f"unexpected outcome {type(result).__name__}")
        raise AssertionError(result)  # pragma: no cover

    @staticmethod
    def parse(body: str, generic_channels: frozenset[str] = frozenset()) -> tuple[str, ChannelOrder] | Poison:
        try:
            document = json.loads(body)
        except (ValueError, TypeError, RecursionError):  # not JSON, or JSON no parser should accept
            return Poison("body is not JSON")
        try:
            message = FeedMessage.model_validate(document)
        except ValidationError as exc:
            return Poison("envelope: " + describe(exc), _marketplace_of(document))
        refused = _refused_channel(message, generic_channels)
        if refused:
            return Poison(f"envelope: {refused}", message.marketplace)
        try:
            if message.channel:
                canonical = to_order_for_channel(message.order, message.channel)
            else:
                canonical = adapter(message.marketplace)(message.order)
        except ValidationError as exc:
            return Poison(f"{message.marketplace} order: " + describe(exc), message.marketplace)
        except ValueError as exc:
            return Poison(f"{message.marketplace} order: {exc}", message.marketplace)
        return message.marketplace, canonical


def _refused_channel(message: FeedMessage, generic_channels: frozenset[str]) -> str | None:
    if message.channel is None:
        return None
    if message.marketplace != "generic":
        return "channel is only for generic messages"
    if message.channel not in generic_channels:
        return "channel is not one a generic connector may use (OMS_FEED_CHANNELS)"
    return None


def describe(exc: ValidationError) -> str:
    """Field paths and messages only: pydantic's ``input`` values may be personal data, and the name
    of an unknown field is the sender's text, so it is not repeated either."""
    problems = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if error["type"] == "extra_forbidden":
            problems.append(f"{'.'.join(loc[:-1]) or '(root)'}: has an unknown field")
        else:
            problems.append(f"{'.'.join(loc) or '(root)'}: {error['msg']}")
    return "; ".join(dict.fromkeys(problems))


def _marketplace_of(document: object) -> str | None:
    """The envelope's marketplace, for the log line, when it is one this feed knows: any other value is
    the sender's text (it could be anything, personal data too), so it is not repeated; the message on
    the dead-letter queue has it."""
    value = document.get("marketplace") if isinstance(document, dict) else None
    return value if value in MARKETPLACES else None

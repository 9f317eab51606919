"""Which emails an event means, to whom, and whether a channel sends them. Pure: no boto3, no clock.

Kinds (``KINDS``), from the events on the bus ``oms-events`` (shared/models/events.py):

* ``confirmation``: OrderCreated with status CONFIRMED; OrderStatusChanged to CONFIRMED from BACKORDERED
  (the stock arrived) or from PENDING_PAYMENT (the channel reported the payment);
* ``backorder``: OrderCreated with status BACKORDERED (the email says what is waiting: the order's
  ``backorder`` lines);
* ``shipment``: each OrderShipped (one email per shipment, with its carrier's tracking link);
* ``delivery``, ``cancellation``, ``return``: OrderStatusChanged to DELIVERED, CANCELLED, RETURNED;
* ``stock_low``: StockLow, to the staff email list (never to a customer).

Nothing else sends: an order created PENDING_PAYMENT waits for its payment (its confirmation follows);
FULFILLED_BY_CHANNEL orders are the channel's to tell; status changes to SHIPPED or PARTIALLY_SHIPPED
are told by their OrderShipped. Imported orders: their import publishes no OrderCreated (history, not a
sale made now, shared.domain.order_events), so an import sends nothing; what happens to such an order
afterwards (shipped, cancelled) is a live change and is told like any order's. A second partial return
of an order already RETURNED changes no status and publishes no event: only the first return is told.

Claims: every email is claimed as ``(event id, kind, recipient hash)``; the event id is the one the
event carries in its detail (``event_id`` for orders, ``change_id`` for StockLow), the same on every
redelivery and republication, never the EventBridge envelope's id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from shared.domain.channels import FEED_OWNED_CHANNELS
from shared.models.events import ORDER_CREATED, ORDER_SHIPPED, ORDER_STATUS_CHANGED, STOCK_LOW

Kind = Literal["confirmation", "backorder", "shipment", "delivery", "cancellation", "return", "stock_low"]
STAFF_CHANNEL = "staff"  # the channel whose templates the staff emails (stock_low) use
KINDS: tuple[Kind, ...] = get_args(Kind)
STAFF_KINDS: frozenset[Kind] = frozenset({"stock_low"})
CUSTOMER_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k not in STAFF_KINDS)
# The detail types the notifications rule takes from the bus (infra/spec.py's EventRule).
NOTIFIED_DETAIL_TYPES: tuple[str, ...] = (ORDER_CREATED, ORDER_STATUS_CHANGED, ORDER_SHIPPED, STOCK_LOW)

_STATUS_KINDS: Mapping[str, Kind] = {
    "DELIVERED": "delivery",
    "CANCELLED": "cancellation",
    "RETURNED": "return",
}
_CONFIRMED_FROM = frozenset({"BACKORDERED", "PENDING_PAYMENT"})


@dataclass(frozen=True)
class CustomerNotice:
    """An email to the order's customer."""

    kind: Kind
    event_id: str
    order_id: str
    channel: str
    shipment_id: str | None = None  # shipment: which of the order's shipments


@dataclass(frozen=True)
class StaffNotice:
    """An email to every address of the staff list (low stock)."""

    kind: Kind
    event_id: str
    sku: str
    available: int
    threshold: int
    location: str | None


Notice = CustomerNotice | StaffNotice


def notice_of(detail_type: str, detail: Mapping[str, Any]) -> Notice | None:
    """What one event means to send (None: nothing). ``detail`` is the event's detail, validated by the
    caller against its model (shared/models/events.py)."""
    if detail_type == STOCK_LOW:
        return StaffNotice(
            kind="stock_low",
            event_id=f"{STOCK_LOW}#{detail['change_id']}",
            sku=detail["sku"],
            available=int(detail["available"]),
            threshold=int(detail["low_stock_threshold"]),
            location=detail.get("location"),
        )
    kind: Kind | None = None
    shipment_id: str | None = None
    if detail_type == ORDER_CREATED:
        kind = {"CONFIRMED": "confirmation", "BACKORDERED": "backorder"}.get(detail["status"])  # type: ignore[assignment]
    elif detail_type == ORDER_STATUS_CHANGED:
        new, old = detail["new_status"], detail["old_status"]
        if new == "CONFIRMED":
            kind = "confirmation" if old in _CONFIRMED_FROM else None
        else:
            kind = _STATUS_KINDS.get(new)
    elif detail_type == ORDER_SHIPPED:
        kind, shipment_id = "shipment", detail["shipment_id"]
    if kind is None:
        return None
    return CustomerNotice(
        kind=kind,
        event_id=detail["event_id"],
        order_id=detail["order_id"],
        channel=detail["channel"],
        shipment_id=shipment_id,
    )


def address_hash(email: str) -> str:
    """What the suppression list and the claims know of an address: sha256 of it trimmed and lower-cased
    (hex), never the address itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def claim_key(event_id: str, kind: Kind, recipient_hash: str) -> str:
    """The one email an event means for one recipient: claimed once, sent once."""
    return f"{event_id}#{kind}#{recipient_hash}"


def sends_by_default(channel: str, *, connected: bool) -> bool:
    """Whether a channel sends its customers' emails when staff set nothing: yes for the shop's own
    channels (web, pos, staff orders, ...); no for the marketplaces and the feed's connector stores
    (``FEED_OWNED_CHANNELS``: amazon, ebay, ...) and for a channel with a Shopify or WooCommerce
    connection: those platforms tell their customers themselves."""
    return not (connected or channel in FEED_OWNED_CHANNELS)


def channel_sends(
    switches: Mapping[str, Mapping[Kind, bool]], channel: str, kind: Kind, *, connected: bool
) -> bool:
    """Whether ``channel`` sends ``kind``: staff's switch for it if set, else the channel's default."""
    chosen = switches.get(channel, {}).get(kind)
    return sends_by_default(channel, connected=connected) if chosen is None else chosen

"""The customers' tracking page, pure: what it shows of an order, how long a link works, whether a lookup's
email or postcode matches. No I/O; the HTML and JSON are ``shared/tracking_html.py``'s.

What is shown is a function of the order alone (``view``): the status in plain words, the expected next
step, the timeline of status changes (status and time: never who made it or why, which may be staff notes),
each shipment (carrier, tracking number, the carrier's https tracking link, what it holds), the lines (SKU
and quantity: an order line has no product name, and the page reads nothing but the order) and the city
of the shipping address. Nothing else: no email, no name, no street, no postcode, no prices, no channel.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from shared.models.orders import Order, OrderStatus
from shared.reports.days import parse_utc

LINK_DAYS_AFTER_END = 90  # a link works until 90 days after the order is delivered, cancelled or returned
# The statuses after which nothing more happens to an order (a return after delivery moves the end on).
ENDED: frozenset[str] = frozenset({"DELIVERED", "CANCELLED", "RETURNED", "FULFILLED_BY_CHANNEL"})
MAX_ORDER_LENGTH = 128  # an order id or an external id (NewOrder.external_id's limit)
MAX_EMAIL_LENGTH = 254
MAX_POSTCODE_LENGTH = 20  # Address.postal_code's limit

STATUS_WORDS: dict[str, str] = {
    "PENDING_PAYMENT": "Waiting for payment",
    "BACKORDERED": "Waiting for stock",
    "CONFIRMED": "Confirmed",
    "PARTIALLY_SHIPPED": "Partly shipped",
    "SHIPPED": "Shipped",
    "DELIVERED": "Delivered",
    "CANCELLED": "Cancelled",
    "RETURNED": "Returned",
    "FULFILLED_BY_CHANNEL": "Handled by the marketplace",
}
NEXT_STEP: dict[str, str] = {
    "PENDING_PAYMENT": "Once your payment is confirmed, we prepare your order.",
    "BACKORDERED": "Some items are not in stock yet: we confirm your order as soon as they arrive.",
    "CONFIRMED": "We are preparing your order for shipment.",
    "PARTIALLY_SHIPPED": "The rest of your order ships soon. Each parcel has its own tracking link.",
    "SHIPPED": "Your order is on its way: follow it with the carrier's tracking link.",
    "DELIVERED": "Nothing more to do: your order has been delivered.",
    "CANCELLED": "Nothing more to do: this order was cancelled and will not ship.",
    "RETURNED": "Your return has been received.",
    "FULFILLED_BY_CHANNEL": "The marketplace you ordered from ships this order and keeps you informed.",
}


def readable(timestamp: str) -> str:
    """An ISO-8601 UTC time as a person reads it: ``7 Dec 2026, 01:20 UTC`` (the text as is if it is none)."""
    try:
        moment = parse_utc(timestamp)
    except ValueError:
        return timestamp
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def link(base_url: str, token: str) -> str:
    """The tracking page of a token, under the API's public base URL (``OMS_PUBLIC_URL``)."""
    return f"{base_url.rstrip('/')}/track/{token}"


def ended_at(order: Order) -> datetime | None:
    """When the order last reached a status after which nothing more happens; None while it is open."""
    if order.status not in ENDED:
        return None
    times = [parse_utc(entry.at) for entry in order.history if entry.status in ENDED]
    if order.delivered_at:
        times.append(parse_utc(order.delivered_at))
    return max(times) if times else parse_utc(order.updated_at)


def link_valid(order: Order, now: datetime) -> bool:
    """Whether the order may be shown: never once its customer is erased; while it is open; and until
    ``LINK_DAYS_AFTER_END`` days after it ended (delivered, cancelled, returned)."""
    if order.erased_at is not None:
        return False
    end = ended_at(order)
    return end is None or now <= end + timedelta(days=LINK_DAYS_AFTER_END)


# --- the lookup: an order id or external id, with the email or the postcode -------------------------


@dataclass(frozen=True)
class Lookup:
    order: str  # the order id or the external id the customer typed
    email: str | None = None
    postcode: str | None = None


class LookupMalformed(ValueError):
    """A query wrong whatever the order: an order without exactly one of email and postcode, or the
    other way round. Anything else that cannot match (too long, an unknown order) is not malformed: it is
    answered like a wrong email."""


def parse_lookup(params: dict[str, str]) -> Lookup | None:
    """The lookup a query asks for; None when it asks none (the form). Raises ``LookupMalformed``."""
    order = (params.get("order") or "").strip()
    email = (params.get("email") or "").strip() or None
    postcode = (params.get("postcode") or "").strip() or None
    if not order and email is None and postcode is None:
        return None
    if not order:
        raise LookupMalformed("Enter the order number.")
    if (email is None) == (postcode is None):
        raise LookupMalformed("Enter either the email or the postcode used for the order, not both.")
    return Lookup(order=order, email=email, postcode=postcode)


def plausible(lookup: Lookup) -> bool:
    """Whether the values could match any order at all (length limits): if not, no read is made."""
    return (
        len(lookup.order) <= MAX_ORDER_LENGTH
        and len(lookup.email or "") <= MAX_EMAIL_LENGTH
        and len(lookup.postcode or "") <= MAX_POSTCODE_LENGTH
    )


def normal_email(email: str) -> str:
    return email.strip().casefold()


def normal_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()


def matches(order: Order, lookup: Lookup) -> bool:
    """Whether the lookup's email (case-insensitive) or postcode (any case and spacing) is the order's;
    compared in constant time. An order without them (erased) matches nothing."""
    normal: Callable[[str], str]
    if lookup.email is not None:
        known = order.customer.email if order.customer else None
        given, normal = lookup.email, normal_email
    else:
        known = order.shipping_address.postal_code if order.shipping_address else None
        given, normal = lookup.postcode or "", normal_postcode
    if not known:
        return False
    return hmac.compare_digest(normal(known).encode("utf-8"), normal(given).encode("utf-8"))


# --- what the page shows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    words: str
    at: str


@dataclass(frozen=True)
class ShownLine:
    name: str  # the SKU: an order line carries no product name
    quantity: int


@dataclass(frozen=True)
class ShownShipment:
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None  # https only
    shipped_at: str
    lines: tuple[ShownLine, ...]


@dataclass(frozen=True)
class TrackingView:
    order_id: str
    order_number: str  # what the customer knows it by: the shop's number, else the OMS's id
    status: OrderStatus
    status_words: str
    next_step: str
    placed_at: str
    updated_at: str
    city: str | None
    timeline: tuple[TimelineEntry, ...]
    shipments: tuple[ShownShipment, ...]
    lines: tuple[ShownLine, ...]

    def as_json(self) -> dict[str, Any]:
        """The JSON twin's body: exactly what the page shows."""
        return asdict(self)


def https_url(url: str | None) -> str | None:
    """``url`` if it is an absolute https URL, else None (never a javascript: or http: link)."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme == "https" and parts.netloc else None


def view(order: Order) -> TrackingView:
    return TrackingView(
        order_id=order.order_id,
        order_number=order.external_id or order.order_id,
        status=order.status,
        status_words=STATUS_WORDS[order.status],
        next_step=NEXT_STEP[order.status],
        placed_at=order.placed_at or order.created_at,
        updated_at=order.updated_at,
        city=order.shipping_address.city if order.shipping_address else None,
        timeline=tuple(TimelineEntry(e.status, STATUS_WORDS[e.status], e.at) for e in order.history),
        shipments=tuple(
            ShownShipment(
                carrier=s.carrier,
                tracking_number=s.tracking_number,
                tracking_url=https_url(s.tracking_url),
                shipped_at=s.shipped_at,
                lines=tuple(ShownLine(line.sku, line.quantity) for line in s.lines),
            )
            for s in order.shipments
        ),
        lines=tuple(ShownLine(line.sku, line.quantity) for line in order.lines),
    )

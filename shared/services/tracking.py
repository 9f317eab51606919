"""The tracking page's reads: which order a link or a lookup opens, if any.

Every way of not finding an order is one answer, ``None``: an unknown order, a wrong email or postcode, a
tampered link, an erased customer, a link past its time (``shared.domain.tracking_page.link_valid``). The
caller cannot tell them apart, so the page cannot be used to find out which orders exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.domain.tracking_page import Lookup, link_valid, matches, plausible
from shared.models.orders import Order
from shared.services.tracking_links import ORDER_ID, LinkVerifier

MAX_EXTERNAL_MATCHES = 5  # orders sharing one external id (on different channels) tried at most
# Read when a lookup finds no order at all, so that a miss costs what a wrong email does (a Query and a
# GetItem): the time of the answer does not tell an existing shop order number from an unknown one.
NO_ORDER = "o-none"


class TrackedOrders(Protocol):
    """What the page reads of the orders table (``shared.dal.orders.OrderStore``)."""

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None: ...

    def ids_by_external_id(self, external_id: str, limit: int) -> list[str]: ...


class TrackingService:
    def __init__(self, orders: TrackedOrders, links: LinkVerifier) -> None:
        self._orders = orders
        self._links = links

    def by_token(self, token: str, now: datetime) -> Order | None:
        """The order a signed link opens: one VerifyMac, then one GetItem."""
        order_id = self._links.order_id_of(token)
        if order_id is None:
            return None
        order = self._orders.get(order_id)
        return order if order is not None and link_valid(order, now) else None

    def by_lookup(self, lookup: Lookup, now: datetime) -> Order | None:
        """The order whose id or external id is ``lookup.order`` and whose email or postcode matches."""
        if not plausible(lookup):
            return None
        candidates: list[str] = []
        if ORDER_ID.match(lookup.order):
            candidates.append(lookup.order)
        candidates += self._orders.ids_by_external_id(lookup.order, MAX_EXTERNAL_MATCHES)
        for order_id in dict.fromkeys(candidates or [NO_ORDER]):
            order = self._orders.get(order_id)
            if order is not None and matches(order, lookup) and link_valid(order, now):
                return order
        return None

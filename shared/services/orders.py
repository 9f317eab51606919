"""The order intake use case: price, decide, commit, interpret. The glue between domain and data."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal, Protocol

from shared.config import Settings
from shared.dal.orders import OrderQuery
from shared.domain.auth import Principal
from shared.domain.customers import CustomerLink, CustomerMoved, email_key
from shared.domain.lifecycle import (
    AlreadyDone,
    NotAllowed,
    decide_cancel,
    decide_delivery,
    decide_resolution,
    decide_return,
    decide_shipment,
    stock_blocked_until,
)
from shared.domain.orders import (
    AlreadyCommitted,
    Cancelled,
    Contention,
    ExternalIdConflict,
    FeedChannel,
    IdempotencyKeyReused,
    OrderPlan,
    OutOfStock,
    PricesChanged,
    Rejected,
    Replay,
    Shortage,
    decide_new_order,
    interpret_failures,
    refuse_channel,
    skus_needing_catalog_price,
    time_bound,
)
from shared.models.orders import NewOrder, Order, OrderStatus, ReturnIn, ShipmentIn
from shared.retry import MAX_ATTEMPTS, pause

# --- the stores this use case needs (shared.dal.orders.OrderStore, shared.dal.catalog.CatalogStore) ---


class OrderWrites(Protocol):
    @property
    def links_customers(self) -> bool:
        """Whether orders placed through this store are linked to customers."""
        ...

    def commit(
        self, plan: OrderPlan, *, now: datetime, attempt: int = 0, token: bool = True
    ) -> Cancelled | None: ...


class OrderReads(Protocol):
    def get(self, order_id: str, *, consistent: bool = False) -> Order | None: ...

    def claimed(self, order_id: str) -> Order:
        """The order a claim names (a claim and its order commit together: it exists)."""
        ...

    def get_by_external_id(self, channel: str, external_id: str) -> Order | None: ...

    def query(
        self, query: OrderQuery, cursor: str | None, *, today: date
    ) -> tuple[list[Order], str | None]: ...


class Orders(OrderWrites, OrderReads, Protocol):
    """Every order operation the order use cases make."""


class CatalogPrices(Protocol):
    def prices(self, skus: Iterable[str]) -> dict[str, Decimal]:
        """The catalog prices of ``skus``; unknown SKUs are absent."""
        ...


class PriceCache:
    """Catalog prices remembered per execution environment for a short time.

    Safe because the reservation re-checks the price in the same transaction: a stale entry
    costs one retry, never a wrong charge. It is what keeps a new order at one request.
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[Decimal, float]] = {}

    def lookup(self, skus: Iterable[str]) -> tuple[dict[str, Decimal], set[str]]:
        now = self._clock()
        found, missing = {}, set()
        for sku in skus:
            entry = self._entries.get(sku)
            if entry and entry[1] > now:
                found[sku] = entry[0]
            else:
                missing.add(sku)
        return found, missing

    def store(self, prices: dict[str, Decimal]) -> None:
        expires = self._clock() + self._ttl
        self._entries.update({sku: (price, expires) for sku, price in prices.items()})

    def prices(self, skus: Iterable[str], catalog: CatalogPrices) -> dict[str, Decimal]:
        """The prices of ``skus``: remembered ones, and the rest read once (one BatchGetItem)."""
        prices, missing = self.lookup(skus)
        if missing:  # cold cache only: the happy path of a warm function reads nothing
            fetched = catalog.prices(missing)
            self.store(fetched)
            prices.update(fetched)
        return prices


class CustomerCache:
    """Which customer an email belongs to, as this environment last saw it. Safe because every
    order's write checks the link still holds (a stale entry costs one retry): a returning
    customer's order stays one request."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}

    def lookup(self, key: str) -> str | None:
        return self._owners.get(key)

    def remember(self, key: str, customer_id: str) -> None:
        if len(self._owners) >= self.MAX_ENTRIES:
            self._owners.clear()
        self._owners[key] = customer_id

    def forget(self, key: str) -> None:
        self._owners.pop(key, None)

    def link(self, email: str, new_id: Callable[[], str]) -> CustomerLink:
        """The link an order with this email is placed with: the known customer, or a new one."""
        key = email_key(email)
        known = self.lookup(key)
        return CustomerLink(known, key, True) if known else CustomerLink(new_id(), key, False)

    def relink(self, link: CustomerLink, owner: str | None, new_id: Callable[[], str]) -> CustomerLink:
        """The email belongs to ``owner`` (created first by another order), or to nobody (erased)."""
        self.forget(link.email_key)
        return (
            CustomerLink(owner, link.email_key, True)
            if owner
            else CustomerLink(new_id(), link.email_key, False)
        )


@dataclass(frozen=True)
class OrderChanged:
    """An order after a lifecycle change; ``replayed``: the change had already been made."""

    order: Order
    replayed: bool = False


ChangeResult = OrderChanged | NotAllowed | Rejected | Contention | None
Decide = Callable[[Order, datetime, str | None], OrderPlan | NotAllowed | AlreadyDone | Rejected]


@dataclass(frozen=True)
class Placed:
    order: Order
    replayed: bool = False


PlaceResult = (
    Placed | Rejected | OutOfStock | IdempotencyKeyReused | ExternalIdConflict | FeedChannel | Contention
)


@dataclass(frozen=True)
class Listing:
    """A listing as asked: the times as the caller wrote them (ISO-8601 dates or date-times, inclusive;
    a date alone is the whole day)."""

    channel: str | None = None
    status: OrderStatus | None = None
    created_from: str | None = None
    created_to: str | None = None
    limit: int = 50
    attention: bool = False  # only orders with something unresolved for staff


@dataclass(frozen=True)
class OrderList:
    items: list[Order]
    next_token: str | None


@dataclass(frozen=True)
class BadTime:
    """``created_from`` or ``created_to`` is not an ISO-8601 date or date-time."""

    field: Literal["created_from", "created_to"]


@dataclass(frozen=True)
class TimesReversed:
    """``created_from`` is after ``created_to``: no order could match."""


@dataclass(frozen=True)
class StaffOnly:
    """Only staff list the orders needing attention."""


ListResult = OrderList | BadTime | TimesReversed | StaffOnly


@dataclass(frozen=True)
class ChannelNeeded:
    """An external id is unique per channel: a lookup by one needs the channel (staff name it)."""


def _sees(principal: Principal, channel: str) -> bool:
    """A channel key sees its own channel's orders, unless that channel is the feed's: a key made on one
    before keys were refused there (``refuse_channel``) sees, and so changes, none of the feed's orders."""
    return principal.can_see(channel) and refuse_channel(principal) is None


class OrderService:
    def __init__(
        self,
        orders: Orders,
        catalog: CatalogPrices,
        settings: Settings,
        *,
        price_cache: PriceCache | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._orders = orders
        self._catalog = catalog
        self._settings = settings
        self._prices = price_cache or PriceCache(settings.price_cache_seconds)
        self._customers = CustomerCache()
        self._clock = clock
        self._new_id = new_id
        self._sleep = sleep

    def place(
        self,
        request: NewOrder,
        principal: Principal,
        idempotency_key: str | None,
        *,
        allow_backorder: bool = False,
    ) -> PlaceResult:
        """Place an order: confirmed with every line reserved, or (``allow_backorder``, for orders
        already sold elsewhere) backordered with nothing reserved when stock is short."""
        refused = refuse_channel(principal)
        if refused is not None:  # before any request: such a key's orders would meet the feed's
            return refused
        prices = self._prices.prices(skus_needing_catalog_price(request), self._catalog)
        order_id = self._new_id()
        link = (
            self._customers.link(request.customer.email, self._new_id)
            if self._orders.links_customers
            else None
        )
        backorder: list[Shortage] = []
        for attempt in range(MAX_ATTEMPTS):
            now = self._clock()
            decision = decide_new_order(
                request,
                principal=principal,
                catalog_prices=prices,
                order_id=order_id,
                now=now,
                default_currency=self._settings.currency,
                idempotency_key=idempotency_key,
                idempotency_ttl_seconds=self._settings.idempotency_ttl_seconds,
                backorder=backorder,
                customer=link,
            )
            if isinstance(decision, Rejected):
                return decision
            cancelled = self._orders.commit(decision, now=now, attempt=attempt)
            outcome = (
                AlreadyCommitted()
                if cancelled is None
                else interpret_failures(cancelled.failures, request=request, contended=cancelled.contended)
            )
            if isinstance(outcome, AlreadyCommitted):
                if link is not None:
                    self._customers.remember(link.email_key, link.customer_id)
                return Placed(decision.order)
            if isinstance(outcome, Replay):
                return self._replay(outcome)
            if isinstance(outcome, PricesChanged):
                self._prices.store(outcome.prices)
                prices.update(outcome.prices)
            elif isinstance(outcome, CustomerMoved):
                link = self._customers.relink(link, outcome.customer_id, self._new_id) if link else None
            elif isinstance(outcome, OutOfStock) and allow_backorder:
                backorder = outcome.shortages
            elif isinstance(outcome, Contention):
                pause(attempt, self._sleep)
            else:
                return outcome
        return Contention()

    def _replay(self, replay: Replay) -> Placed:
        return Placed(self._orders.claimed(replay.order_id), replayed=True)

    def cancel(self, order_id: str, principal: Principal, reason: str) -> ChangeResult:
        """Cancel an order the caller may see. A retried cancel answers with the cancelled order."""
        return self._change(
            order_id,
            principal,
            lambda order, now, _: decide_cancel(order, reason=reason, actor=principal.actor, now=now),
        )

    def ship(self, order_id: str, principal: Principal, request: ShipmentIn) -> ChangeResult:
        """Record a shipment (some or all of the units not yet shipped) with its stock movement."""
        shipment_id = self._new_id()
        return self._change(
            order_id,
            principal,
            lambda order, now, not_before: decide_shipment(
                order, request, shipment_id=shipment_id, actor=principal.actor, now=now, not_before=not_before
            ),
        )

    def deliver(self, order_id: str, principal: Principal, note: str | None) -> ChangeResult:
        return self._change(
            order_id,
            principal,
            lambda order, now, _: decide_delivery(order, note=note, actor=principal.actor, now=now),
        )

    def take_return(
        self, order_id: str, principal: Principal, request: ReturnIn, idempotency_key: str | None
    ) -> ChangeResult:
        return_id = self._new_id()
        return self._change(
            order_id,
            principal,
            lambda order, now, not_before: decide_return(
                order,
                request,
                return_id=return_id,
                idempotency_key=idempotency_key,
                actor=principal.actor,
                now=now,
                not_before=not_before,
            ),
        )

    def resolve_attention(
        self, order_id: str, attention_id: str, principal: Principal, resolution: str
    ) -> ChangeResult:
        """Staff mark what needed attention on an order as resolved, saying how."""
        return self._change(
            order_id,
            principal,
            lambda order, now, _: decide_resolution(
                order, attention_id, resolution=resolution, actor=principal.actor, now=now
            ),
        )

    def _change(self, order_id: str, principal: Principal, decide: Decide) -> ChangeResult:
        """Read the order, decide, commit on condition that it is still the version read; when
        another change won meanwhile, read and decide again (None: no such order for this caller)."""
        not_before: str | None = None
        for attempt in range(MAX_ATTEMPTS):
            order = self._orders.get(order_id, consistent=True)
            if order is None or not _sees(principal, order.channel):
                return None
            now = self._clock()
            decision = decide(order, now, not_before)
            if isinstance(decision, AlreadyDone):
                return OrderChanged(decision.order, replayed=True)
            if not isinstance(decision, OrderPlan):
                return decision
            cancelled = self._orders.commit(decision, now=now, token=False)
            if cancelled is None:
                return OrderChanged(decision.order)
            blocked = stock_blocked_until(cancelled.failures)
            if blocked is not None:  # a count or movement dated ahead of this clock: move after it
                not_before = blocked
            else:  # the order moved on since it was read
                pause(attempt, self._sleep)
        return Contention()

    def get(self, order_id: str, principal: Principal) -> Order | None:
        order = self._orders.get(order_id)
        # Another channel's order is exactly as invisible as a missing one.
        return order if order and _sees(principal, order.channel) else None

    def list(self, listing: Listing, cursor: str | None, principal: Principal) -> ListResult:
        """One page of the orders the caller may see, newest first."""
        created_from = time_bound(listing.created_from, end=False) if listing.created_from else None
        if listing.created_from and created_from is None:
            return BadTime("created_from")
        created_to = time_bound(listing.created_to, end=True) if listing.created_to else None
        if listing.created_to and created_to is None:
            return BadTime("created_to")
        if listing.attention and not principal.is_staff:
            return StaffOnly()
        if created_from and created_to and created_from > created_to:
            return TimesReversed()
        query = OrderQuery(
            channel=listing.channel,
            status=listing.status,
            created_from=created_from,
            created_to=created_to,
            limit=listing.limit,
            attention=listing.attention,
        )
        if not principal.is_staff:
            if query.channel not in (None, principal.channel) or refuse_channel(principal):
                return OrderList([], None)  # another channel's orders do not exist for this caller
            query = replace(query, channel=principal.channel)
        items, token = self._orders.query(query, cursor, today=self._clock().date())
        return OrderList(items, token)

    def find_by_external_id(
        self, external_id: str, channel: str | None, principal: Principal
    ) -> Order | ChannelNeeded | None:
        """The order a channel's external id names. A channel key looks in its own channel (unless it
        names another, which it cannot see); staff name the channel."""
        owner = channel or (None if principal.is_staff else principal.channel)
        if owner is None:
            return ChannelNeeded()
        if not _sees(principal, owner):
            return None
        return self._orders.get_by_external_id(owner, external_id)

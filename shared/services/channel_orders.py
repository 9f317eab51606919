"""Applying a channel's version of an order: resolve, decide, commit, interpret. The same use case
whether the document came over the feed queue, a hook route or an import.

Cost in DynamoDB requests. A new order is one TransactWriteItems. An environment remembers the orders
it wrote (``KnownOrders``), so a resend or a stale version of one of them costs nothing and an update is
one write, conditioned on the version remembered (a change made elsewhere meanwhile fails it: the order
is read and decided again). An order this environment has not seen costs one more request: the refused
create, whose external-id claim returns the version it holds, so a resend or stale version stops
there and an update reads the order then writes. Listings and catalog prices are remembered too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, Protocol

from shared.config import Settings
from shared.domain.channel_orders import (
    ChannelContext,
    Claimed,
    Imported,
    Moved,
    Short,
    Unchanged,
    decide_first,
    decide_next,
    decide_refund,
    fingerprint,
    interpret,
    is_stale,
)
from shared.domain.customers import CustomerMoved
from shared.domain.orders import AlreadyCommitted, Contention, OrderPlan, PricesChanged, Rejected, Shortage
from shared.models.channels import ChannelOrder, RefundNotice
from shared.models.common import FieldError
from shared.models.orders import Order
from shared.retry import MAX_ATTEMPTS, pause
from shared.services.orders import CatalogPrices, CustomerCache, Orders, PriceCache


class ListingMaps(Protocol):
    """Which SKU each of a channel's listings is mapped to (shared.dal.listings.ListingStore)."""

    def resolve(self, channel: str, listings: Iterable[str]) -> dict[str, str]: ...


class KnownOrders:
    """The last version of each channel order this environment wrote or read. Safe to act on because
    every write built from it is conditioned on that version still being the stored one."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._orders: dict[tuple[str, str], Order] = {}

    def get(self, channel: str, external_id: str) -> Order | None:
        return self._orders.get((channel, external_id))

    def remember(self, order: Order) -> None:
        if order.external_id is None:
            return
        if len(self._orders) >= self.MAX_ENTRIES:
            self._orders.clear()
        self._orders[(order.channel, order.external_id)] = order


Outcome = Literal["created", "backordered", "updated", "replayed", "stale"]


@dataclass(frozen=True)
class Applied:
    """What became of the version. ``order`` is None when nothing was read or written (a resend or a
    stale version, known from the claim alone)."""

    order_id: str
    outcome: Outcome
    order: Order | None = None


@dataclass(frozen=True)
class Unmapped:
    """Lines whose listing has no SKU yet: (line index, listing). Staff map them, then redrive."""

    channel: str
    listings: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class NotYet:
    """The version refers to an order the OMS has not recorded yet (a refund that overtook its order)."""


ApplyResult = Applied | Unmapped | Rejected | Contention | NotYet
Decide = Callable[[Order, ChannelContext, frozenset[str]], OrderPlan | Unchanged | Rejected]


class ChannelOrderService:
    def __init__(
        self,
        orders: Orders,
        catalog: CatalogPrices,
        listings: ListingMaps,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._orders = orders
        self._catalog = catalog
        self._listings = listings
        self._settings = settings
        self._prices = PriceCache(settings.price_cache_seconds)
        self._customers = CustomerCache()
        self._mapped: dict[tuple[str, str], str] = {}  # (channel, listing) -> sku: maps only grow
        self._known = KnownOrders()
        self._clock = clock
        self._new_id = new_id
        self._sleep = sleep

    # --- whole versions ---------------------------------------------------------------------------

    def apply(self, document: ChannelOrder, *, imported: Imported | None = None) -> ApplyResult:
        """Record or update the channel's order. ``imported``: the document is history from an import
        (``shared.domain.channel_orders``'s import mode): it is decided so, with the same retries (short
        stock makes an open imported order wait as a backorder)."""
        resolved = self._resolve(document)
        if isinstance(resolved, Unmapped):
            return resolved
        document = resolved
        content_hash = fingerprint(document)
        known = self._known.get(document.channel, document.external_id)
        if known is not None:
            if known.channel_hash == content_hash:
                return Applied(known.order_id, "replayed", known)
            if is_stale(document.version, known.channel_version):
                return Applied(known.order_id, "stale", known)
        unpriced = {line.sku for line in document.lines if line.unit_price is None and line.sku}
        prices = self._prices.prices(unpriced, self._catalog)
        if known is not None:
            return self._update(
                known.order_id, self._next(document, imported), content_hash, prices, start=known
            )
        return self._create(document, content_hash, prices, imported)

    def _create(
        self,
        document: ChannelOrder,
        content_hash: str,
        prices: dict[str, Decimal],
        imported: Imported | None = None,
    ) -> ApplyResult:
        """The first try records the order; a refused claim says the order exists and which version."""
        order_id = self._new_id()
        link = (
            self._customers.link(document.customer.email, self._new_id)
            if self._orders.links_customers
            else None
        )
        backorder: list[Shortage] = []
        for attempt in range(MAX_ATTEMPTS):
            context = self._context(content_hash, prices)
            plan = decide_first(
                document,
                order_id=order_id,
                context=context,
                customer=link,
                backorder=backorder,
                imported=imported,
            )
            if isinstance(plan, Rejected):
                return plan
            refused = self._orders.commit(plan, now=context.now, attempt=attempt)
            outcome = (
                AlreadyCommitted()
                if refused is None
                else interpret(refused.failures, contended=refused.contended)
            )
            if isinstance(outcome, AlreadyCommitted):
                if link is not None:
                    self._customers.remember(link.email_key, link.customer_id)
                status = plan.order.status
                self._known.remember(plan.order)
                return Applied(order_id, "backordered" if status == "BACKORDERED" else "created", plan.order)
            if isinstance(outcome, Claimed):
                return self._later_version(document, content_hash, prices, outcome, imported)
            if isinstance(outcome, PricesChanged):
                self._prices.store(outcome.prices)
                prices.update(outcome.prices)
            elif isinstance(outcome, CustomerMoved):
                link = self._customers.relink(link, outcome.customer_id, self._new_id) if link else None
            elif isinstance(outcome, Short) and outcome.unknown:
                return _unknown(document, outcome.unknown)
            elif isinstance(outcome, Short):
                backorder = list(outcome.shortages)  # already sold on its channel: wait for stock
            else:
                pause(attempt, self._sleep)
        return Contention()

    def _later_version(
        self,
        document: ChannelOrder,
        content_hash: str,
        prices: dict[str, Decimal],
        claimed: Claimed,
        imported: Imported | None = None,
    ) -> ApplyResult:
        """The order exists: this version is a resend, a stale one, or an update to apply."""
        if claimed.content_hash == content_hash:
            return Applied(claimed.order_id, "replayed")
        if is_stale(document.version, claimed.version):
            return Applied(claimed.order_id, "stale")
        return self._update(claimed.order_id, self._next(document, imported), content_hash, prices)

    @staticmethod
    def _next(document: ChannelOrder, imported: Imported | None = None) -> Decide:
        return lambda order, context, refuse: decide_next(
            order, document, context=context, refuse_more_of=refuse, imported=imported
        )

    def _update(
        self,
        order_id: str,
        decide: Decide,
        content_hash: str,
        prices: dict[str, Decimal],
        *,
        start: Order | None = None,
    ) -> ApplyResult:
        """Decide and write over the order as read (or as remembered: ``start``); when it moved on
        meanwhile, read it again and decide again."""
        refuse: frozenset[str] = frozenset()
        order = start
        for attempt in range(MAX_ATTEMPTS):
            if order is None:
                order = self._orders.claimed(order_id)
            self._known.remember(order)
            context = self._context(content_hash, prices)
            plan = decide(order, context, refuse)
            if isinstance(plan, Unchanged):
                return Applied(order_id, "replayed" if plan.kind == "replay" else "stale", order)
            if isinstance(plan, Rejected):
                return plan
            refused = self._orders.commit(plan, now=context.now, token=False)
            if refused is None:
                self._known.remember(plan.order)
                return Applied(order_id, "updated", plan.order)
            outcome = interpret(refused.failures, contended=refused.contended)
            if isinstance(outcome, Moved):
                order = None  # read it again
                continue
            if isinstance(outcome, Short) and outcome.unknown:
                return Rejected([_unknown_error(sku) for sku in sorted(outcome.unknown)])
            if isinstance(outcome, Short):
                refuse = refuse | {s.sku for s in outcome.shortages}
            else:
                pause(attempt, self._sleep)
            order = None
        return Contention()

    # --- refunds on their own -------------------------------------------------------------------

    def refund(self, notice: RefundNotice) -> ApplyResult:
        """A refund keyed by its order's channel id (Shopify's refunds/create)."""
        order = self._orders.get_by_external_id(notice.channel, notice.external_id)
        if order is None:
            return NotYet()
        content_hash = f"refund:{notice.refund.refund_id}"
        return self._update(
            order.order_id,
            lambda current, context, _: decide_refund(current, notice, context=context),
            content_hash,
            {},
        )

    # --- helpers ------------------------------------------------------------------------------------

    def _context(self, content_hash: str, prices: dict[str, Decimal]) -> ChannelContext:
        return ChannelContext(
            now=self._clock(),
            content_hash=content_hash,
            catalog_prices=dict(prices),
            default_currency=self._settings.currency,
        )

    def _resolve(self, document: ChannelOrder) -> ChannelOrder | Unmapped:
        """Lines without a SKU take the one their listing is mapped to (remembered per environment)."""
        wanted = {line.listing for line in document.lines if line.sku is None and line.listing}
        missing = {listing for listing in wanted if (document.channel, listing) not in self._mapped}
        if missing:
            for listing, sku in self._listings.resolve(document.channel, missing).items():
                self._mapped[(document.channel, listing)] = sku
        unmapped = tuple(
            (i, line.listing or "")
            for i, line in enumerate(document.lines)
            if line.sku is None and (document.channel, line.listing or "") not in self._mapped
        )
        if unmapped:
            return Unmapped(document.channel, unmapped)
        if not wanted:
            return document
        lines = [
            line
            if line.sku is not None
            else line.model_copy(update={"sku": self._mapped[(document.channel, line.listing or "")]})
            for line in document.lines
        ]
        return document.model_copy(update={"lines": lines})


def _unknown_error(sku: str) -> FieldError:
    return FieldError(field="lines.sku", message=f"unknown SKU {sku!r}", type="unknown_sku")


def _unknown(document: ChannelOrder, unknown: frozenset[str]) -> Rejected:
    return Rejected(
        [
            FieldError(field=f"lines[{i}].sku", message=f"unknown SKU {line.sku!r}", type="unknown_sku")
            for i, line in enumerate(document.lines)
            if line.sku in unknown
        ]
    )

"""Writing imported orders: the orders ``KindWriter`` and the dry run's ``LiveCheck`` (the contract:
``shared.services.import_writes``).

An orders entry holds one of two records:

* a ``ChannelOrder``, a platform's order (a Shopify order export's rows): applied by the same service as
  a live channel order (``ChannelOrderService``) in its import mode, so a historical order reserves and
  moves no stock, an open one reserves (backordered when short), and its history keeps its times
  (``shared.domain.channel_orders``). Natural key: the channel and the external id;
* an ``Order``, this OMS's own export (``oms-orders``): restored as it was (``shared.domain.order_restores``),
  one transaction per order; refused, with nothing written, when the stock cannot hold its reservation.
  Natural key: the order id.

Cost per batch of entries, in DynamoDB requests: one BatchGetItem per 100 for the SKUs (the catalog must
know every line's SKU: an order of an unknown SKU is rejected, as the dry run says), one for the
external-id claims and one for the orders already stored; then one TransactWriteItems per order that is
new or changed. An order already stored as the entry has it costs no write: a re-import of the same file
reads and writes nothing else. Throttled reads and contended writes are retried with backoff
(``shared.retry``); an order whose write kept meeting contention is rejected, to be imported again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.config import Settings
from shared.domain.channel_orders import Imported, Unchanged, fingerprint
from shared.domain.customers import CustomerLink, CustomerMoved, email_key
from shared.domain.moments import utc_text
from shared.domain.order_restores import (
    ExternalIdTaken,
    NotEnoughStock,
    StoredMeanwhile,
    UnknownSkus,
    decide_restore,
    interpret_restore,
)
from shared.domain.orders import Claim, Rejected, Shortage
from shared.models.channels import ChannelOrder
from shared.models.orders import Order
from shared.retry import MAX_ATTEMPTS, pause
from shared.services.channel_orders import Applied, ApplyResult, ListingMaps, Unmapped
from shared.services.import_writes import Provenance, Written
from shared.services.orders import CatalogPrices, CustomerCache, Orders
from shared.transfer.records import Entry

CONTENDED = "other writes to the same items kept conflicting: nothing was written; import the file again"


class ImportedOrders(Orders, Protocol):
    """What the writer reads besides the order use cases' operations (``shared.dal.orders.OrderStore``)."""

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]: ...

    def external_claims(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Claim]: ...


class ChannelOrders(Protocol):
    """Applying a channel's order (``shared.services.channel_orders.ChannelOrderService``)."""

    def apply(self, document: ChannelOrder, *, imported: Imported | None = None) -> ApplyResult: ...


def _skus(record: object, mapped: Mapping[tuple[str, str], str]) -> list[str]:
    if isinstance(record, ChannelOrder):
        return [
            line.sku or mapped.get((record.channel, line.listing or ""), "")
            for line in record.lines
            if line.sku or (record.channel, line.listing or "") in mapped
        ]
    if isinstance(record, Order):
        return [line.sku for line in record.lines]
    return []


class OrderLiveCheck:
    """The dry run's check of orders against the live data: every line's SKU must be known to the
    catalog (a line without one: its listing mapped to one), and an order in another currency than the
    catalog's needs its own price on every line. Writes nothing."""

    def __init__(self, catalog: CatalogPrices, listings: ListingMaps, currency: str) -> None:
        self._catalog = catalog
        self._listings = listings
        self._currency = currency

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        return self.review(entries).errors

    def review(self, entries: Sequence[Entry]) -> Review:
        """The check's errors, and the listings it found mapped (the writer applies what it checked)."""
        unmapped: dict[str, set[str]] = {}
        for entry in entries:
            record = entry.record
            if isinstance(record, ChannelOrder):
                for line in record.lines:
                    if line.sku is None and line.listing:
                        unmapped.setdefault(record.channel, set()).add(line.listing)
        mapped = {
            (channel, listing): sku
            for channel, listings in sorted(unmapped.items())
            for listing, sku in self._listings.resolve(channel, listings).items()
        }
        wanted = {sku for entry in entries for sku in _skus(entry.record, mapped)}
        known = set(self._catalog.prices(wanted)) if wanted else set()
        found: dict[str, tuple[str, ...]] = {}
        for entry in entries:
            errors = _errors(entry.record, known, mapped, self._currency)
            if errors:
                found[entry.key] = errors
        return Review(found, mapped)


@dataclass(frozen=True)
class Review:
    errors: dict[str, tuple[str, ...]]
    mapped: dict[tuple[str, str], str]  # (channel, listing) -> SKU


def _resolved(document: ChannelOrder, mapped: Mapping[tuple[str, str], str]) -> ChannelOrder:
    """The document with its lines' mapped SKUs filled in, as the channel order service resolves it (so
    its fingerprint is the one the service claims with)."""
    if all(line.sku is not None for line in document.lines):
        return document
    lines = [
        line
        if line.sku is not None or (document.channel, line.listing or "") not in mapped
        else line.model_copy(update={"sku": mapped[(document.channel, line.listing or "")]})
        for line in document.lines
    ]
    return document.model_copy(update={"lines": lines})


def _errors(
    record: object, known: set[str], mapped: Mapping[tuple[str, str], str], currency: str
) -> tuple[str, ...]:
    errors: list[str] = []
    if isinstance(record, ChannelOrder):
        for i, line in enumerate(record.lines):
            sku = line.sku or mapped.get((record.channel, line.listing or ""))
            if sku is None:
                errors.append(f"lines[{i}]: {_unmapped(record.channel, line.listing)}")
            elif sku not in known:
                errors.append(f"lines[{i}].sku: unknown SKU {sku!r}")
        unpriced = any(line.unit_price is None for line in record.lines)
        if record.currency not in (None, currency) and unpriced:
            errors.append(
                f"currency: catalog prices are in {currency}: an order in {record.currency} needs its "
                "price on every line"
            )
    elif isinstance(record, Order):
        errors += [
            f"lines[{i}].sku: unknown SKU {line.sku!r}"
            for i, line in enumerate(record.lines)
            if line.sku not in known
        ]
    return tuple(errors)


class OrderImportWriter:
    """The orders ``KindWriter``: one ``Written`` per entry, in order, idempotent by natural key."""

    def __init__(
        self,
        orders: ImportedOrders,
        channel_orders: ChannelOrders,
        check: OrderLiveCheck,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._orders = orders
        self._channel_orders = channel_orders
        self._check = check
        self._customers = CustomerCache()
        self._clock = clock
        self._new_id = new_id
        self._sleep = sleep

    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        review = self._check.review(entries)
        wanted = [
            (e.record.channel, e.record.external_id)
            for e in entries
            if isinstance(e.record, ChannelOrder | Order) and e.record.external_id is not None
        ]
        claims = self._orders.external_claims(wanted) if wanted else {}
        # Orders to read: those a document already applied (unchanged: their money is what is stored),
        # and those a restore would replace.
        ids = {claim.order_id for claim in claims.values()}
        ids |= {e.record.order_id for e in entries if isinstance(e.record, Order)}
        stored = self._orders.get_many(ids) if ids else {}
        imported = Imported(provenance.import_id, provenance.at)
        return [self._one(entry, review, claims, stored, imported) for entry in entries]

    def _one(
        self,
        entry: Entry,
        review: Review,
        claims: Mapping[tuple[str, str], Claim],
        stored: Mapping[str, Order],
        imported: Imported,
    ) -> Written:
        if entry.key in review.errors:
            return Written(entry, "rejected", review.errors[entry.key])
        record = entry.record
        if isinstance(record, ChannelOrder):
            record = _resolved(record, review.mapped)
            claim = claims.get((record.channel, record.external_id))
            known = stored.get(claim.order_id) if claim is not None else None
            # The same content again, or an order the channel sent itself (an import never overrides it).
            if known is not None and (_claim_hash(claim) == fingerprint(record) or known.source != "import"):
                return Written(entry, "unchanged", money=_money(known))
            return self._apply(entry, record, imported)
        if isinstance(record, Order):
            if record.external_id is not None:
                claim = claims.get((record.channel, record.external_id))
                if claim is not None and claim.order_id != record.order_id:
                    return Written(entry, "rejected", (_taken(record, claim.order_id),))
            return self._restore(entry, record, stored.get(record.order_id), imported)
        return Written(entry, "rejected", (f"not an order: {type(record).__name__}",))

    # --- a platform's order ---------------------------------------------------------------------

    def _apply(self, entry: Entry, document: ChannelOrder, imported: Imported) -> Written:
        result = self._channel_orders.apply(document, imported=imported)
        if isinstance(result, Applied):
            order = result.order or self._orders.get(result.order_id, consistent=True)
            money = _money(order) if order is not None else ()
            if result.outcome in ("created", "backordered"):
                return Written(entry, "created", money=money)
            if result.outcome == "updated":
                return Written(entry, "updated", money=money)
            return Written(entry, "unchanged", money=money)  # a resend, or older than what is stored
        if isinstance(result, Rejected):
            return Written(entry, "rejected", tuple(f"{e.field}: {e.message}" for e in result.errors))
        if isinstance(result, Unmapped):
            return Written(
                entry,
                "rejected",
                tuple(f"lines[{i}]: {_unmapped(result.channel, listing)}" for i, listing in result.listings),
            )
        return Written(entry, "rejected", (CONTENDED,))

    # --- this OMS's own export ------------------------------------------------------------------

    def _restore(self, entry: Entry, order: Order, stored: Order | None, imported: Imported) -> Written:
        link = self._link(order) if stored is None else None
        backorder: tuple[Shortage, ...] = ()
        for attempt in range(MAX_ATTEMPTS):
            plan = decide_restore(
                order,
                stored,
                import_id=imported.import_id,
                customer=link,
                backorder=backorder,
                at=utc_text(imported.at),
            )
            if isinstance(plan, Unchanged):
                return Written(entry, "unchanged", money=_money(stored or order))
            cancelled = self._orders.commit(plan, now=self._clock(), token=False)
            if cancelled is None:
                if link is not None:
                    self._customers.remember(link.email_key, link.customer_id)
                return Written(entry, "created" if stored is None else "updated", money=_money(plan.order))
            outcome = interpret_restore(
                cancelled.failures, order_id=order.order_id, contended=cancelled.contended
            )
            if isinstance(outcome, StoredMeanwhile):
                stored = self._orders.get(order.order_id, consistent=True)
                link = self._link(order) if stored is None else None
            elif isinstance(outcome, ExternalIdTaken):
                return Written(entry, "rejected", (_taken(order, outcome.order_id),))
            elif isinstance(outcome, CustomerMoved):
                link = self._relink(order, link, outcome.customer_id)
            elif isinstance(outcome, UnknownSkus):
                return Written(
                    entry, "rejected", tuple(f"unknown SKU {sku!r}" for sku in sorted(outcome.skus))
                )
            elif isinstance(outcome, NotEnoughStock) and stored is None and not backorder:
                # Sold already: it waits for stock, as a live order would (never refused, never oversold).
                backorder = tuple(
                    Shortage(sku, needed, available) for sku, needed, available in outcome.shortages
                )
            elif isinstance(outcome, NotEnoughStock):
                return Written(
                    entry,
                    "rejected",
                    tuple(
                        f"not enough stock of {sku!r} to hold the order's reservation "
                        f"({needed} needed, {available} available): the order was not restored"
                        for sku, needed, available in outcome.shortages
                    ),
                )
            else:
                pause(attempt, self._sleep)
        return Written(entry, "rejected", (CONTENDED,))

    def _link(self, order: Order) -> CustomerLink | None:
        """A restored order's customer: the one its email belongs to here, else its exported customer
        (checked: it must hold the email; when nobody does, it is created with its exported id)."""
        if order.customer is None or not self._orders.links_customers:
            return None  # erased: nobody to link
        key = email_key(order.customer.email)
        known = self._customers.lookup(key) or order.customer_id
        return CustomerLink(known, key, True) if known else CustomerLink(self._new_id(), key, False)

    def _relink(self, order: Order, link: CustomerLink | None, owner: str | None) -> CustomerLink | None:
        if link is None:
            return None
        self._customers.forget(link.email_key)
        if owner is not None:
            return CustomerLink(owner, link.email_key, True)
        if link.known and order.customer_id is not None and link.customer_id == order.customer_id:
            return CustomerLink(order.customer_id, link.email_key, False)  # nobody has the email yet
        return CustomerLink(self._new_id(), link.email_key, False)


def _claim_hash(claim: Claim | None) -> str | None:
    return claim.request_hash if claim is not None else None


def _money(order: Order) -> tuple[tuple[str, Decimal], ...]:
    return ((order.currency, order.total),)


def _unmapped(channel: str, listing: str | None) -> str:
    if not listing:
        return "the line has no SKU"
    return f"no SKU: listing {listing!r} is not mapped to one (PUT /channels/{channel}/listings/{listing})"


def _taken(order: Order, owner: str) -> str:
    return f"external_id: {order.channel} order {order.external_id!r} is already order {owner} here"


def order_imports(
    dynamodb: Any, *, orders_table: str, catalog_table: str, customers_table: str, settings: Settings
) -> tuple[OrderImportWriter, OrderLiveCheck]:
    """The orders writer and live check on DynamoDB (the stores and the channel order service)."""
    from shared.dal.catalog import CatalogStore
    from shared.dal.listings import ListingStore
    from shared.dal.orders import OrderStore
    from shared.services.channel_orders import ChannelOrderService

    orders = OrderStore(dynamodb, orders_table, catalog_table, customers_table)
    catalog, listings = CatalogStore(dynamodb, catalog_table), ListingStore(dynamodb, catalog_table)
    service = ChannelOrderService(orders, catalog, listings, settings)
    check = OrderLiveCheck(catalog, listings, settings.currency)
    return OrderImportWriter(orders, service, check), check

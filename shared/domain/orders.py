"""Order intake decisions. Pure: no boto3, no clock, no randomness (all are passed in).

``decide_new_order`` turns a validated request into a plan: the writes that, committed together
in one transaction, make the order true (order stored, every SKU reserved, request deduplicated).
``interpret_failures`` turns the conditions that failed back into a domain outcome.

Deduplication. An Idempotency-Key or an ``external_id`` already claimed on the caller's channel answers
with the order that claimed it (200, a replay) only when the request is the same: the claim holds the
fingerprint of the request that made it (``request_hash``: its fields and values once parsed, so key
order, spacing and the case of an email's domain do not matter). A different body under a claimed
``external_id`` is ``ExternalIdConflict`` (409): it can never be a new order nor pass for the old one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dt_time
from decimal import Decimal
from typing import Literal

from shared.domain.auth import Principal
from shared.domain.channels import feed_owner, prices_of
from shared.domain.customers import (
    CheckEmail,
    ClaimEmail,
    CreateCustomer,
    CustomerLink,
    CustomerMoved,
    TouchCustomer,
    link_writes,
)
from shared.domain.inventory import MoveStock, ProductLevels, RecordMovement
from shared.domain.moments import utc_text
from shared.domain.quantities import units_by_sku
from shared.models.common import FieldError
from shared.models.orders import (
    BackorderLine,
    HistoryEntry,
    NewOrder,
    Order,
    OrderLine,
    OrderStatus,
    line_total,
    order_total,
)

# --- the plan: what must become true, in one atomic write ------------------------------------


@dataclass(frozen=True)
class CreateOrder:
    order: Order


@dataclass(frozen=True)
class ReserveStock:
    """Reserve ``quantity`` units of ``sku`` only if that many are available.

    ``expected_price`` is set when the order used the catalog price: the reservation then also
    requires the catalog price to be unchanged, so a cached price can never be charged stale.
    """

    sku: str
    quantity: int
    expected_price: Decimal | None = None


@dataclass(frozen=True)
class ClaimKey:
    """Claim a deduplication key (an Idempotency-Key or an external id) for this order."""

    kind: Literal["idempotency", "external"]
    channel: str
    key: str
    order_id: str
    request_hash: str
    expires_at: int | None = None  # epoch seconds; idempotency keys expire, external ids never
    version: str | None = None  # a channel order's version (its channel time), kept on the external claim


@dataclass(frozen=True)
class UpdateClaim:
    """Move the external-id claim to the version applied: its fingerprint and channel time. Only over the
    version that was read (``expected_hash``), so two updates of one order cannot both apply."""

    channel: str
    external_id: str
    order_id: str
    content_hash: str
    version: str | None
    expected_hash: str | None


@dataclass(frozen=True)
class WaitForStock:
    """A backordered order queues for a SKU (first come, first served, by creation time)."""

    sku: str
    order_id: str
    created_at: str


@dataclass(frozen=True)
class ReplaceOrder:
    """Store the order's next version (a status change), only if the stored one is still the version
    that was read: its status and its updated_at. Two changes of one order can never both win.
    ``order`` is ``next_version(read, changed)``: its ``version`` is one more than the order read."""

    order: Order
    expected_status: OrderStatus
    expected_updated_at: str


def next_version(read: Order, changed: Order) -> Order:
    """``changed`` as the order's next version: ``version`` one more than the order it was made from."""
    return changed.model_copy(update={"version": read.version + 1})


@dataclass(frozen=True)
class ReleaseStock:
    """Give an order's reserved units back to available stock (a cancellation)."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class StopWaiting:
    """Take a backordered order out of a SKU's waiting line (it is confirmed or cancelled)."""

    sku: str
    order_id: str
    created_at: str


# Shipments and returns move stock with the inventory's own writes (shared.domain.inventory).
Write = (
    CreateOrder
    | ReserveStock
    | ClaimKey
    | UpdateClaim
    | WaitForStock
    | ReplaceOrder
    | ReleaseStock
    | StopWaiting
    | MoveStock
    | RecordMovement
    | ClaimEmail
    | CheckEmail
    | CreateCustomer
    | TouchCustomer
)


@dataclass(frozen=True)
class OrderPlan:
    order: Order
    writes: tuple[Write, ...]


@dataclass(frozen=True)
class Rejected:
    """The request can never succeed as sent (422)."""

    errors: list[FieldError]


# --- outcomes of a failed plan ---------------------------------------------------------------


# Each refused write comes back from the store decoded (``shared.dal.orders``): what the domain needs
# of the item it met, never DynamoDB's attribute names.


@dataclass(frozen=True)
class Refused:
    """A write whose condition failed, with nothing more to know about the item it met (the writes that
    always say more have their own failure below)."""

    write: (
        CreateOrder
        | ClaimKey
        | UpdateClaim
        | WaitForStock
        | ReplaceOrder
        | ReleaseStock
        | StopWaiting
        | RecordMovement
        | CreateCustomer
    )


@dataclass(frozen=True)
class OrderExists:
    """An order is already stored under the id this plan creates (``order_id``: the stored one's)."""

    write: CreateOrder
    order_id: str


@dataclass(frozen=True)
class Claim:
    """A deduplication key's claim as stored: the order that made it, that request's fingerprint, and
    (on an external id) the channel version last applied."""

    order_id: str
    request_hash: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class KeyClaimed:
    """The key is already claimed."""

    write: ClaimKey
    claim: Claim


@dataclass(frozen=True)
class StockRefused:
    """A reservation refused: the product's catalog price (None: no such product) and available units."""

    write: ReserveStock
    price: Decimal | None
    available: int = 0


@dataclass(frozen=True)
class MoveRefused:
    """A stock movement refused: the product as it was (its totals and the location's level)."""

    write: MoveStock
    product: ProductLevels


@dataclass(frozen=True)
class CustomerRefused:
    """An order's customer link refused: ``owner`` is the customer the email belongs to now (None when
    nobody's, or when the customer itself was erased)."""

    write: ClaimEmail | CheckEmail | TouchCustomer
    owner: str | None = None


Failure = Refused | OrderExists | KeyClaimed | StockRefused | MoveRefused | CustomerRefused


@dataclass(frozen=True)
class Cancelled:
    """A plan that did not commit: its refused writes, decoded, and whether any was only contended."""

    failures: list[Failure]
    contended: bool


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


@dataclass(frozen=True)
class Replay:
    order_id: str
    kind: Literal["idempotency", "external"]


@dataclass(frozen=True)
class IdempotencyKeyReused:
    """Same Idempotency-Key, different request."""


@dataclass(frozen=True)
class ExternalIdConflict:
    """The external id belongs to ``order_id`` (on this channel), which was placed with another body."""

    order_id: str


@dataclass(frozen=True)
class FeedChannel:
    """The caller is a channel key on a channel the marketplace feed owns (``shared.domain.channels``):
    its orders come only from the feed, and a key's would answer for, or be refused over, the feed's."""

    channel: str
    owner: str


@dataclass(frozen=True)
class OutOfStock:
    shortages: list[Shortage]


@dataclass(frozen=True)
class PricesChanged:
    """The cached catalog price was stale: try again with these prices."""

    prices: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class AlreadyCommitted:
    """This very plan is already stored: a resent request whose first try committed."""


@dataclass(frozen=True)
class Contention:
    """Another transaction touched the same items at the same moment: try again."""


Outcome = (
    AlreadyCommitted
    | Replay
    | IdempotencyKeyReused
    | ExternalIdConflict
    | Rejected
    | OutOfStock
    | PricesChanged
    | CustomerMoved
    | Contention
)


# --- decisions -------------------------------------------------------------------------------


def request_hash(body: NewOrder) -> str:
    """A stable fingerprint of a request, to tell a retry from a different request under one key: the
    parsed body's fields and values, canonically serialised (claims stored before keep matching)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def skus_needing_catalog_price(request: NewOrder) -> set[str]:
    return {line.sku for line in request.lines if line.unit_price is None}


def refuse_channel(principal: Principal) -> FeedChannel | None:
    """A channel key on a channel the feed owns places no order (keys made before the rule, or by hand)."""
    if principal.is_staff or principal.channel is None:
        return None
    owner = feed_owner(principal.channel)
    return FeedChannel(principal.channel, owner) if owner else None


def _own_price_errors(request: NewOrder, principal: Principal, currency: str) -> list[FieldError]:
    """A channel that takes catalog prices sends no unit_price (``shared.domain.channels.prices_of``)."""
    if prices_of(principal) == "own":
        return []
    return [
        FieldError(
            field=f"body.lines.{i}.unit_price",
            message=f"channel {principal.order_channel} takes catalog prices (in {currency}): "
            "leave unit_price out",
            type="catalog_priced",
        )
        for i, line in enumerate(request.lines)
        if line.unit_price is not None
    ]


def decide_new_order(
    request: NewOrder,
    *,
    principal: Principal,
    catalog_prices: Mapping[str, Decimal],
    order_id: str,
    now: datetime,
    default_currency: str,
    idempotency_key: str | None = None,
    idempotency_ttl_seconds: int = 24 * 3600,
    backorder: Sequence[Shortage] = (),
    customer: CustomerLink | None = None,
) -> OrderPlan | Rejected:
    """The writes that make this order true.

    With ``backorder`` (the shortages of a failed attempt, for orders that are already sold, such as
    marketplace orders) the order is recorded as BACKORDERED and reserves nothing: nothing is
    oversold. It waits in line for every SKU it holds, and is confirmed (all of it reserved at once)
    when stock arrives (``shared.domain.backorders``). With ``customer`` the order is linked to that
    customer in the same write (``shared.domain.customers``).
    """
    own_prices = _own_price_errors(request, principal, default_currency)
    if own_prices:
        return Rejected(own_prices)
    catalog_priced = skus_needing_catalog_price(request)
    unknown = _unknown_sku_errors(request, catalog_priced - set(catalog_prices))
    if unknown:
        return Rejected(unknown)
    currency = request.currency or default_currency
    if currency != default_currency and catalog_priced:
        return Rejected(
            [
                FieldError(
                    field="body.currency",
                    message=f"catalog prices are in {default_currency}: send a unit_price on every line "
                    f"to order in {currency}",
                    type="currency_mismatch",
                )
            ]
        )

    lines = []
    for line in request.lines:
        unit_price = line.unit_price if line.unit_price is not None else catalog_prices[line.sku]
        lines.append(
            OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=unit_price,
                line_total=line_total(line.quantity, unit_price),
            )
        )
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    zero = Decimal("0.00")
    discount, shipping = request.discount_total or zero, request.shipping_total or zero
    tax = request.tax_total or zero
    if discount > subtotal + shipping:
        return Rejected(
            [
                FieldError(
                    field="body.discount_total",
                    message=f"is more than the lines and shipping ({subtotal + shipping})",
                    type="value_error",
                )
            ]
        )
    total = order_total(subtotal, discount, shipping, tax, request.taxes_included)
    created_at = utc_text(now)
    channel = principal.order_channel
    status: OrderStatus = "BACKORDERED" if backorder else "CONFIRMED"
    reason = (
        "order placed; waiting for stock of " + ", ".join(s.sku for s in backorder)
        if backorder
        else "order placed"
    )
    order = Order(
        order_id=order_id,
        status=status,
        channel=channel,
        external_id=request.external_id,
        customer_id=customer.customer_id if customer else None,
        customer=request.customer.model_dump(),
        shipping_address=request.shipping_address,
        currency=currency,
        lines=lines,
        subtotal=subtotal,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        taxes_included=request.taxes_included,
        total=total,
        created_at=created_at,
        updated_at=created_at,
        history=[HistoryEntry(status=status, at=created_at, actor=principal.actor, reason=reason)],
        backorder=[BackorderLine(sku=s.sku, requested=s.requested, available=s.available) for s in backorder]
        or None,
    )

    writes: list[Write] = [CreateOrder(order)]
    if backorder:
        writes += [WaitForStock(sku, order_id, created_at) for sku in sorted(units_by_sku(request.lines))]
    else:
        writes += [
            ReserveStock(sku, qty, catalog_prices[sku] if sku in catalog_priced else None)
            for sku, qty in sorted(units_by_sku(request.lines).items())
        ]
    if customer is not None:
        writes += link_writes(
            customer,
            email=request.customer.email,
            name=request.customer.name,
            phone=request.customer.phone,
            address=request.shipping_address,
            channel=channel,
            at=created_at,
        )
    fingerprint = request_hash(request)
    if idempotency_key is not None:
        writes.append(
            ClaimKey(
                "idempotency",
                channel,
                idempotency_key,
                order_id,
                fingerprint,
                expires_at=int(now.timestamp()) + idempotency_ttl_seconds,
            )
        )
    if request.external_id is not None:
        writes.append(ClaimKey("external", channel, request.external_id, order_id, fingerprint))
    return OrderPlan(order=order, writes=tuple(writes))


def interpret_failures(failures: Sequence[Failure], *, request: NewOrder, contended: bool = False) -> Outcome:
    """What a cancelled plan means, most decisive first.

    Our own order already stored wins over everything: the plan committed on an earlier try whose
    answer was lost. Then a claimed key: the request was already served, so its stock state is
    irrelevant. Then unknown SKUs (422), then stale prices (retry), then shortages (409).
    """
    served = _already_served(failures)
    if served is not None:
        return served

    for f in failures:
        if isinstance(f, CustomerRefused):
            return CustomerMoved(f.owner)

    stock_failures = [f for f in failures if isinstance(f, StockRefused)]
    unknown = {f.write.sku for f in stock_failures if f.price is None}
    if unknown:
        return Rejected(_unknown_sku_errors(request, unknown))

    changed = {
        f.write.sku: f.price
        for f in stock_failures
        if f.price is not None and f.write.expected_price is not None and f.price != f.write.expected_price
    }
    if changed:
        return PricesChanged(changed)

    shortages = [Shortage(f.write.sku, f.write.quantity, f.available) for f in stock_failures]
    if shortages:
        return OutOfStock(shortages)
    if contended:
        return Contention()
    # Only the kinds of writes, never their contents: they hold personal data.
    kinds = sorted({type(f.write).__name__ for f in failures})
    raise ValueError(f"a plan failed for no reason the domain knows (failed writes: {', '.join(kinds)})")


def _already_served(
    failures: Sequence[Failure],
) -> AlreadyCommitted | Replay | IdempotencyKeyReused | ExternalIdConflict | None:
    """The request, or this very plan, was already answered: nothing else about it matters."""
    if any(isinstance(f, OrderExists) and f.order_id == f.write.order.order_id for f in failures):
        return AlreadyCommitted()
    for f in failures:
        if isinstance(f, KeyClaimed):
            owner = f.claim.order_id
            if f.claim.request_hash != f.write.request_hash:
                return IdempotencyKeyReused() if f.write.kind == "idempotency" else ExternalIdConflict(owner)
            return Replay(order_id=owner, kind=f.write.kind)
    return None


def _unknown_sku_errors(request: NewOrder, unknown: set[str]) -> list[FieldError]:
    return [
        FieldError(field=f"body.lines.{i}.sku", message=f"unknown SKU {line.sku!r}", type="unknown_sku")
        for i, line in enumerate(request.lines)
        if line.sku in unknown
    ]


def time_bound(value: str, *, end: bool) -> str | None:
    """An ISO-8601 date or time as the sortable UTC form of an order's ``created_at`` (None: it is
    neither). A date alone means the whole day: its first microsecond as a lower bound, its last as an
    upper. A time without an offset is UTC."""
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), dt_time.max if end else dt_time.min, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        return None
    return utc_text(moment)

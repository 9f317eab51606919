"""Channel orders: one decision for every version of an order a channel sends. Pure.

A channel (Amazon, eBay, a Shopify or WooCommerce store, a generic connector) sends an order's whole
life: the first version creates the order, every later one is an *update*. ``decide_first`` and
``decide_next`` turn a version into a plan of writes, like the rest of the domain:

* the **stock** side is computed as a difference of targets: the units an order holds reserved
  before and after the change (``reserved_units``), plus the units a shipment made outside the OMS
  took out of the warehouse. A cancelled line releases exactly what it held, an order cancelled twice
  releases once (the second version finds nothing reserved), an FBA order never holds anything;
* what the lifecycle refuses (lines changed or a cancellation after shipment, a shipment of a
  cancelled order) is recorded on the order as ``attention`` for staff, never dropped, and the rest of
  the version is applied;
* the version is applied only over the version that was read (the order's ``updated_at``), and the
  external-id claim carries the version's fingerprint and time, so a redelivery costs one request and
  a stale version is ignored (``Unchanged``).

**Imports** (``imported``): a document from an import file (a platform's order history) is decided by the
same functions in import mode. It is history: what its shipments took left the shelf before the stock
file was counted, so a shipment moves no stock, and a shipped, cancelled or refunded-in-full order
reserves nothing; an open one (or the unshipped part of a partly shipped one) still has to ship from
here and reserves as a live order would (backordered when short). Its history is told at the original
times (placed at ``placed_at``, shipped at each shipment's time, cancelled at the document's
``version`` when it has one, else at ``placed_at``) by the actor ``import:{import_id}``, so the sales
figures count it on its original business days; its ``created_at`` is the import's time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from shared.domain.customers import CustomerLink, CustomerMoved, link_writes
from shared.domain.inventory import MoveStock, RecordMovement
from shared.domain.moments import utc_text
from shared.domain.orders import (
    AlreadyCommitted,
    ClaimKey,
    Contention,
    CreateOrder,
    CustomerRefused,
    Failure,
    KeyClaimed,
    MoveRefused,
    OrderExists,
    OrderPlan,
    PricesChanged,
    Rejected,
    ReleaseStock,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    StopWaiting,
    UpdateClaim,
    WaitForStock,
    Write,
    next_version,
)
from shared.domain.quantities import left_to_ship, units_by_sku
from shared.domain.tracking import tracking_url
from shared.models.channels import ChannelLine, ChannelOrder, ChannelShipment, RefundNotice
from shared.models.common import FieldError
from shared.models.inventory import DEFAULT_LOCATION, Movement
from shared.models.orders import (
    Attention,
    BackorderLine,
    HistoryEntry,
    LineQuantity,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    Shipment,
    line_total,
    order_total,
)

ZERO = Decimal("0.00")
# Statuses in which a merchant-fulfilled order holds its unshipped units reserved.
RESERVING: frozenset[OrderStatus] = frozenset({"PENDING_PAYMENT", "CONFIRMED", "PARTIALLY_SHIPPED"})
# Statuses after which the order's lines and address are what was shipped: a channel may not change them.
AFTER_SHIPMENT: frozenset[OrderStatus] = frozenset({"PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "RETURNED"})
# Statuses a channel may still cancel (nothing of the order has left the warehouse).
CANCELLABLE: frozenset[OrderStatus] = frozenset(
    {"PENDING_PAYMENT", "BACKORDERED", "CONFIRMED", "FULFILLED_BY_CHANNEL"}
)
SHIPMENT_SOURCE = "channel"  # the ledger's source of a shipment a channel reported


@dataclass(frozen=True)
class Unchanged:
    """Nothing to apply: the same version again (``replay``) or an older one (``stale``)."""

    kind: Literal["replay", "stale"]
    order_id: str


@dataclass(frozen=True)
class Imported:
    """Import mode: the document comes from import run ``import_id``, made at ``at`` (the order's
    ``created_at``; see the module docstring)."""

    import_id: str
    at: datetime

    @property
    def actor(self) -> str:
        return f"import:{self.import_id}"


@dataclass(frozen=True)
class ChannelContext:
    """What a decision needs besides the order and the document (all passed in: no clock here)."""

    now: datetime
    content_hash: str
    catalog_prices: Mapping[str, Decimal]
    default_currency: str


def fingerprint(document: ChannelOrder) -> str:
    """A stable fingerprint of a version's content: the same document resent is the same version."""
    return hashlib.sha256(document.model_dump_json().encode()).hexdigest()


def actor_of(channel: str) -> str:
    """Who made a change a channel's document made: ``channel:amazon``, ``channel:my-shop``."""
    return f"channel:{channel}"


def is_stale(version: str | None, applied: str | None) -> bool:
    """An older channel version than the one applied. Equal times are not stale: a channel may change an
    order twice within its clock's resolution, and the fingerprint tells a resend apart."""
    return version is not None and applied is not None and version < applied


# --- the first version ----------------------------------------------------------------------------


def decide_first(
    document: ChannelOrder,
    *,
    order_id: str,
    context: ChannelContext,
    customer: CustomerLink | None = None,
    backorder: Sequence[Shortage] = (),
    imported: Imported | None = None,
) -> OrderPlan | Rejected:
    """The writes that record a channel's order the first time the OMS sees it, in whatever state it is.

    A pending or open merchant order reserves every unit (or, with ``backorder``, waits for stock with
    nothing reserved); an FBA order and a cancelled one reserve nothing; one already shipped outside the
    OMS takes its units off the shelf. Its lines keep their channel prices; unpriced lines (an Amazon
    ``Pending`` order) take the catalog price until the channel prices them.

    ``imported``: the document is history from an import (module docstring): its shipments move no
    stock, a document shipped or delivered without a shipment of every unit is taken as shipped in full,
    one refunded in full with nothing shipped is recorded cancelled, and its history keeps the original
    times. The order carries ``source="import"`` and the import's id.
    """
    priced = _lines(document, context.catalog_prices, {})
    if isinstance(priced, Rejected):
        return priced
    lines, catalog_priced = priced
    currency = document.currency or context.default_currency
    if currency != context.default_currency and catalog_priced:
        return Rejected(
            [
                FieldError(
                    field="currency",
                    message=f"catalog prices are in {context.default_currency}: an order in {currency} "
                    "needs the channel's price on every line",
                    type="currency_mismatch",
                )
            ]
        )
    at = utc_text(imported.at if imported else context.now)
    actor = imported.actor if imported else actor_of(document.channel)
    placed = document.placed_at or at
    # An import starts where the order started; its story at its original times follows (_imported_story).
    status = _arrived(document) if imported is not None else _first_status(document, backorder)
    base = Order(
        order_id=order_id,
        status=status,
        channel=document.channel,
        external_id=document.external_id,
        customer_id=customer.customer_id if customer else None,
        customer=document.customer.model_dump(),
        shipping_address=document.shipping_address,
        currency=currency,
        lines=lines,
        total=ZERO,
        placed_at=document.placed_at,
        created_at=at,
        updated_at=at,
        fulfilled_by_channel=document.fulfilled_by_channel,
        channel_version=document.version,
        channel_hash=context.content_hash,
        history=[
            HistoryEntry(status=status, at=at, actor=actor, reason=_first_reason(document, backorder))
            if imported is None
            else HistoryEntry(status=status, at=placed, actor=actor, reason=f"{document.channel}: placed")
        ],
        backorder=[BackorderLine(sku=s.sku, requested=s.requested, available=s.available) for s in backorder]
        or None
        if imported is None
        else None,
        source="import" if imported else None,
        import_id=imported.import_id if imported else None,
    )
    notes = _Notes(base.attention, document, at)
    shipped_now: dict[str, int] = {}
    order = base
    if imported is not None:
        order = _imported_story(base, document, notes, imported, backorder, at)
    else:
        if status != "CANCELLED":
            shipments, shipped_now = _new_shipments(base, document, at, notes, actor)
            order = base.model_copy(update={"shipments": shipments})
        if shipped_now and status in ("CONFIRMED", "PENDING_PAYMENT", "BACKORDERED"):
            status = _shipped_status(order, document)
            order = _with_status(order, status, at, actor, f"{document.channel}: shipped outside the OMS")
    order = order.model_copy(update={"refunds": _refunds(base, document, placed if imported else at)})
    order = _with_totals(order, document, notes)
    if imported is not None and order.status != "CANCELLED" and _refunded_in_full(order, document):
        refunded = max(r.refunded_at for r in order.refunds)
        order = _with_status(order, "CANCELLED", refunded, actor, f"{document.channel}: refunded in full")
        order = order.model_copy(update={"updated_at": at})
    order = order.model_copy(update={"attention": notes.entries})

    writes: list[Write] = [CreateOrder(order)]
    # An imported shipment left the shelf before the stock was counted: it moves nothing here.
    writes += _stock_writes(None, order, {} if imported else shipped_now, context, catalog_priced)
    if customer is not None:
        writes += link_writes(
            customer,
            email=document.customer.email,
            name=document.customer.name,
            phone=document.customer.phone,
            address=document.shipping_address,
            channel=document.channel,
            at=placed if imported else at,
        )
    writes.append(
        ClaimKey(
            "external",
            document.channel,
            document.external_id,
            order_id,
            context.content_hash,
            version=document.version,
        )
    )
    return OrderPlan(order=order, writes=tuple(writes))


def _first_status(document: ChannelOrder, backorder: Sequence[Shortage]) -> OrderStatus:
    if document.status == "cancelled":
        return "CANCELLED"
    if document.fulfilled_by_channel:
        return "FULFILLED_BY_CHANNEL"
    if backorder:
        return "BACKORDERED"
    return "PENDING_PAYMENT" if document.status == "pending" else "CONFIRMED"


def _arrived(document: ChannelOrder) -> OrderStatus:
    """The status an imported order had when it was placed (its later story follows)."""
    if document.fulfilled_by_channel:
        return "FULFILLED_BY_CHANNEL"
    return "PENDING_PAYMENT" if document.status == "pending" else "CONFIRMED"


def _cancel_time(document: ChannelOrder, placed: str) -> str:
    """When an imported cancelled order was cancelled: its channel's last change (``version``), else
    when it was placed (the file says no more)."""
    return document.version or placed


def _fulfilled(document: ChannelOrder, placed: str) -> ChannelOrder:
    """An imported document that says shipped (or delivered): whatever its shipments leave unshipped was
    shipped too, at its last shipment's time (else when placed). Only history: nothing is reserved."""
    if document.status not in ("shipped", "delivered") or document.fulfilled_by_channel:
        return document
    last = max((s.shipped_at for s in document.shipments if s.shipped_at), default=placed)
    rest = ChannelShipment(shipment_ref=f"{document.external_id}#fulfilled", lines=None, shipped_at=last)
    return document.model_copy(update={"shipments": [*document.shipments, rest]})


def _imported_story(
    base: Order,
    document: ChannelOrder,
    notes: _Notes,
    imported: Imported,
    backorder: Sequence[Shortage],
    at: str,
) -> Order:
    """An imported order's life up to the file, at its original times: cancelled, or shipped (in part or
    in full); then, when its unshipped units could not be reserved (``backorder``), waiting for stock
    since the import. ``updated_at`` stays the import's time."""
    placed = base.history[0].at
    actor = imported.actor
    order = base
    if document.status == "cancelled":
        order = _with_status(
            order, "CANCELLED", _cancel_time(document, placed), actor, f"{document.channel}: cancelled"
        )
        return order.model_copy(update={"updated_at": at})
    shipments, shipped_now = _new_shipments(order, _fulfilled(document, placed), placed, notes, actor)
    order = order.model_copy(update={"shipments": shipments})
    if shipped_now and not order.fulfilled_by_channel:
        last = max(s.shipped_at for s in shipments)
        status = _shipped_status(order, document)
        order = _with_status(order, status, last, actor, f"{document.channel}: {_why(base.status, status)}")
    if backorder and order.status in RESERVING:
        order = _with_status(
            order,
            "BACKORDERED",
            at,
            actor,
            "imported; waiting for stock of " + ", ".join(s.sku for s in backorder),
        )
        order = order.model_copy(
            update={
                "backorder": [
                    BackorderLine(sku=s.sku, requested=s.requested, available=s.available) for s in backorder
                ]
            }
        )
    return order.model_copy(update={"updated_at": at})


def _first_reason(document: ChannelOrder, backorder: Sequence[Shortage]) -> str:
    if document.status == "cancelled":
        return f"{document.channel}: recorded cancelled"
    if document.fulfilled_by_channel:
        return f"{document.channel}: fulfilled by the channel from its own stock"
    if backorder:
        return "order placed; waiting for stock of " + ", ".join(s.sku for s in backorder)
    if document.status == "pending":
        return f"{document.channel}: placed, payment pending"
    return "order placed"


# --- later versions -------------------------------------------------------------------------------


def decide_next(
    order: Order,
    document: ChannelOrder,
    *,
    context: ChannelContext,
    refuse_more_of: frozenset[str] = frozenset(),
    imported: Imported | None = None,
) -> OrderPlan | Unchanged | Rejected:
    """Apply a later version of ``order`` from its channel, as far as the lifecycle allows.

    ``refuse_more_of``: SKUs whose added units could not be reserved on an earlier try (short stock):
    the addition is recorded as attention instead. ``imported``: a corrected row of an import (module
    docstring): its new shipments move no stock, its status changes are dated at their original times.
    An import never overrides an order the channel itself sent (not ``source="import"``): the channel's
    own versions are what the OMS acted on, and an export file is older news (``Unchanged("stale")``).
    """
    if document.channel != order.channel or document.external_id != order.external_id:
        raise ValueError("a channel version applies to its own order only")
    if is_stale(document.version, order.channel_version) or (
        imported is not None and order.source != "import"
    ):
        return Unchanged("stale", order.order_id)
    if context.content_hash == order.channel_hash:
        return Unchanged("replay", order.order_id)

    at = utc_text(imported.at if imported else context.now)
    actor = imported.actor if imported else actor_of(document.channel)
    placed = order.placed_at or order.created_at
    notes = _Notes(order.attention, document, at)
    shipped_before = sum(_shipped(order).values())
    next_order = order
    document = _fulfilled(document, placed) if imported is not None else document

    if order.status == "CANCELLED":
        if document.status != "cancelled":
            notes.add("update-refused", f"the channel shows it {document.status}, but it is cancelled here")
    else:
        fully_refunded = _refunded_in_full(order, document)
        if document.status == "cancelled" or fully_refunded:
            why = "cancelled" if document.status == "cancelled" else "refunded in full"
            if shipped_before == 0:
                when = _cancel_time(document, placed) if imported else at
                next_order = _with_status(order, "CANCELLED", when, actor, f"{document.channel}: {why}")
            else:
                notes.add("update-refused", f"{why} on the channel after {shipped_before} unit(s) shipped")
        else:
            next_order = _apply_changes(order, document, context, notes, refuse_more_of)

    shipped_now: dict[str, int] = {}
    if next_order.status != "CANCELLED" and order.status != "CANCELLED":
        shipments, shipped_now = _new_shipments(
            next_order, document, placed if imported else at, notes, actor
        )
        next_order = next_order.model_copy(update={"shipments": shipments})
        when = max(s.shipped_at for s in shipments) if imported is not None and shipped_now else at
        next_order = _next_status(order, next_order, document, when, actor)
    elif any(s.shipment_ref not in _refs(order) for s in document.shipments) and order.status == "CANCELLED":
        notes.add("update-refused", "the channel reports a shipment of an order cancelled here")

    next_order = next_order.model_copy(
        update={
            "refunds": _refunds(order, document, placed if imported else at),
            "updated_at": at,
            "import_id": imported.import_id if imported and order.source == "import" else order.import_id,
            "channel_version": max(filter(None, (document.version, order.channel_version)), default=None),
            "channel_hash": context.content_hash,
        }
    )
    next_order = _with_totals(next_order, document, notes)
    next_order = next_version(order, next_order.model_copy(update={"attention": notes.entries}))

    writes: list[Write] = [ReplaceOrder(next_order, order.status, order.updated_at)]
    writes += _stock_writes(order, next_order, {} if imported else shipped_now, context, frozenset())
    writes.append(
        UpdateClaim(
            channel=order.channel,
            external_id=document.external_id,
            order_id=order.order_id,
            content_hash=context.content_hash,
            version=next_order.channel_version,
            expected_hash=order.channel_hash,
        )
    )
    return OrderPlan(order=next_order, writes=tuple(writes))


def decide_refund(order: Order, notice: RefundNotice, *, context: ChannelContext) -> OrderPlan | Unchanged:
    """A refund that arrives on its own (Shopify's refunds/create). Recorded once (by its id); a refund
    that makes the order refunded in full before anything shipped cancels it and releases its stock."""
    if any(r.refund_id == notice.refund.refund_id for r in order.refunds):
        return Unchanged("replay", order.order_id)
    at = utc_text(context.now)
    refund = Refund(
        refund_id=notice.refund.refund_id,
        amount=notice.refund.amount,
        lines=[LineQuantity(sku=sku, quantity=q) for sku, q in notice.refund.lines]
        if notice.refund.lines
        else None,
        reason=notice.refund.reason,
        refunded_at=notice.refund.refunded_at or at,
        source=actor_of(notice.channel),
    )
    next_order = order.model_copy(update={"refunds": [*order.refunds, refund], "updated_at": at})
    refunded = sum((r.amount for r in next_order.refunds), ZERO)
    if order.status in CANCELLABLE and order.total > 0 and refunded >= order.total and not _shipped(order):
        next_order = _with_status(
            next_order, "CANCELLED", at, actor_of(notice.channel), f"{notice.channel}: refunded in full"
        )
    next_order = next_version(order, next_order)
    writes: list[Write] = [ReplaceOrder(next_order, order.status, order.updated_at)]
    writes += _stock_writes(order, next_order, {}, context, frozenset())
    return OrderPlan(order=next_order, writes=tuple(writes))


def _apply_changes(
    order: Order,
    document: ChannelOrder,
    context: ChannelContext,
    notes: _Notes,
    refuse_more_of: frozenset[str],
) -> Order:
    """Lines, prices and the address, where the lifecycle allows; the rest becomes attention."""
    known = {line.sku: line.unit_price for line in order.lines}
    priced = _lines(document, context.catalog_prices, known)
    updates: dict[str, object] = {}
    if isinstance(priced, Rejected):  # a new SKU the catalog does not know: staff must look
        notes.add("update-refused", "; ".join(e.message for e in priced.errors))
    else:
        lines, _ = priced
        old_q, new_q = _quantities(order.lines), _quantities(lines)
        if old_q == new_q:
            updates["lines"] = lines  # the same units: prices may have arrived or changed
        elif order.status in AFTER_SHIPMENT or (order.status == "FULFILLED_BY_CHANNEL" and _shipped(order)):
            notes.add(
                "update-refused", "lines changed on the channel after shipment: " + _describe(old_q, new_q)
            )
        else:
            refused = {
                sku
                for sku in refuse_more_of
                if new_q.get(sku, 0) > old_q.get(sku, 0) and order.status != "BACKORDERED"
            }
            if refused:
                notes.add(
                    "update-refused",
                    "more units added on the channel than are available: "
                    + ", ".join(f"{sku} ({old_q.get(sku, 0)} -> {new_q[sku]})" for sku in sorted(refused)),
                )
                lines = [line for line in lines if line.sku not in refused] + [
                    line for line in order.lines if line.sku in refused
                ]
            updates["lines"] = lines
    # An erased customer's address never comes back with a later version of the order.
    address = document.shipping_address
    if address is not None and order.erased_at is None and address != order.shipping_address:
        if order.status in AFTER_SHIPMENT:
            notes.add("update-refused", "the shipping address changed on the channel after shipment")
        else:
            updates["shipping_address"] = address
    if document.fulfilled_by_channel and not order.fulfilled_by_channel:
        updates["fulfilled_by_channel"] = True
    return order.model_copy(update=updates)


def _next_status(before: Order, order: Order, document: ChannelOrder, at: str, actor: str) -> Order:
    """The status the channel's version leads to, for an order that is not cancelled."""
    status = order.status
    if order.fulfilled_by_channel:
        target: OrderStatus = "FULFILLED_BY_CHANNEL"
    elif _shipped(order):
        target = _shipped_status(order, document)
        if status in ("DELIVERED", "RETURNED"):
            target = status
    elif status == "PENDING_PAYMENT" and document.status in ("open", "shipped", "delivered"):
        target = "CONFIRMED"
    else:
        target = status
    if target == status:
        return order
    return _with_status(order, target, at, actor, f"{document.channel}: {_why(before.status, target)}")


def _why(old: OrderStatus, new: OrderStatus) -> str:
    return {
        "CONFIRMED": "paid",
        "SHIPPED": "shipped outside the OMS",
        "PARTIALLY_SHIPPED": "partly shipped outside the OMS",
        "DELIVERED": "delivered",
        "FULFILLED_BY_CHANNEL": "fulfilled by the channel",
    }.get(new, f"{old} -> {new}")


def _shipped_status(order: Order, document: ChannelOrder) -> OrderStatus:
    remaining = {sku: q - _shipped(order).get(sku, 0) for sku, q in _quantities(order.lines).items() if q > 0}
    if any(q > 0 for q in remaining.values()):
        return "PARTIALLY_SHIPPED"
    return "DELIVERED" if document.status == "delivered" else "SHIPPED"


# --- pieces -------------------------------------------------------------------------------------


class _Notes:
    """The order's attention list, with this version's additions (never twice the same open note)."""

    def __init__(self, existing: Sequence[Attention], document: ChannelOrder, at: str) -> None:
        self.entries = list(existing)
        self._source = actor_of(document.channel)
        self._at = at
        for text in document.attention:
            self.add("channel", text)

    def add(self, kind: str, detail: str) -> None:
        if any(e.kind == kind and e.detail == detail and e.resolved_at is None for e in self.entries):
            return
        digest = hashlib.sha256(f"{kind}#{detail}#{self._at}".encode()).hexdigest()[:16]
        self.entries.append(
            Attention(attention_id=digest, kind=kind, detail=detail, raised_at=self._at, source=self._source)
        )


def _lines(
    document: ChannelOrder, catalog: Mapping[str, Decimal], known: Mapping[str, Decimal]
) -> tuple[list[OrderLine], frozenset[str]] | Rejected:
    """The order's lines: the live ones (quantity above 0), or, for an order with none left (cancelled
    in full), every line at quantity 0 so the order still says what was ordered. Unpriced lines take the
    price the order already has, else the catalog's. Every line needs its SKU (resolved before)."""
    live = [line for line in document.lines if line.quantity > 0] or list(document.lines)
    lines: list[OrderLine] = []
    errors: list[FieldError] = []
    catalog_priced: set[str] = set()
    for i, line in enumerate(live):
        if line.sku is None:
            errors.append(FieldError(field=f"lines[{i}].sku", message="the line has no SKU", type="no_sku"))
            continue
        price = line.unit_price if line.unit_price is not None else known.get(line.sku)
        if price is None:
            price = catalog.get(line.sku)
            if price is not None:
                catalog_priced.add(line.sku)
        if price is None:
            errors.append(
                FieldError(field=f"lines[{i}].sku", message=f"unknown SKU {line.sku!r}", type="unknown_sku")
            )
            continue
        lines.append(_order_line(line, line.sku, price))
    if errors:
        return Rejected(errors)
    return lines, frozenset(catalog_priced)


def _order_line(line: ChannelLine, sku: str, price: Decimal) -> OrderLine:
    return OrderLine(
        sku=sku,
        quantity=line.quantity,
        unit_price=price,
        line_total=line_total(line.quantity, price),
        discount=line.discount,
    )


def _with_totals(order: Order, document: ChannelOrder, notes: _Notes) -> Order:
    """The order's money from its lines and the channel's shipping, discounts and tax; a total that
    disagrees with the channel's own is raised for staff (the channel's view and ours must agree)."""
    subtotal = sum((line.line_total for line in order.lines), ZERO)
    discount = sum((line.discount for line in order.lines), ZERO) + document.shipping_discount
    discount += document.order_discount
    total = order_total(
        subtotal, discount, document.shipping_total, document.tax_total, document.taxes_included
    )
    if document.channel_total is not None and total != document.channel_total and order.status != "CANCELLED":
        notes.add(
            "total-mismatch",
            f"total {total} {order.currency} here, {document.channel_total} on the channel",
        )
    return order.model_copy(
        update={
            "subtotal": subtotal,
            "discount_total": discount,
            "shipping_total": document.shipping_total,
            "tax_total": document.tax_total,
            "taxes_included": document.taxes_included,
            "total": total,
        }
    )


def _refunds(order: Order, document: ChannelOrder, at: str) -> list[Refund]:
    """The order's refunds and the channel's new ones (by the channel's refund id)."""
    known = {r.refund_id for r in order.refunds}
    added = [
        Refund(
            refund_id=r.refund_id,
            amount=r.amount,
            lines=[LineQuantity(sku=sku, quantity=q) for sku, q in r.lines] if r.lines else None,
            reason=r.reason,
            refunded_at=r.refunded_at or at,
            source=actor_of(document.channel),
        )
        for r in document.refunds
        if r.refund_id not in known
    ]
    return [*order.refunds, *added]


def _refunded_in_full(order: Order, document: ChannelOrder) -> bool:
    refunds = {r.refund_id: r.amount for r in order.refunds} | {
        r.refund_id: r.amount for r in document.refunds
    }
    return order.total > 0 and sum(refunds.values(), ZERO) >= order.total and not _shipped(order)


def _refs(order: Order) -> set[str]:
    return {s.channel_ref for s in order.shipments if s.channel_ref}


def _new_shipments(
    order: Order, document: ChannelOrder, default_at: str, notes: _Notes, actor: str
) -> tuple[list[Shipment], dict[str, int]]:
    """The order's shipments plus the channel's new ones, and the units those took, per SKU. A shipment
    of more units than are left to ship ships what is left, and says so. ``default_at``: the time of a
    shipment the channel gives none; ``actor``: who recorded it."""
    shipments = list(order.shipments)
    known = _refs(order)
    remaining = {sku: q - _shipped(order).get(sku, 0) for sku, q in _quantities(order.lines).items()}
    taken: dict[str, int] = {}
    for report in document.shipments:
        if report.shipment_ref in known or order.fulfilled_by_channel:
            continue
        units = _units_of(report, remaining)
        if report.lines and sum(q for _, q in report.lines) > sum(units.values()):
            notes.add(
                "update-refused", f"shipment {report.shipment_ref} lists more units than are left to ship"
            )
        if not units:
            continue
        for sku, q in units.items():
            remaining[sku] -= q
            taken[sku] = taken.get(sku, 0) + q
        shipments.append(_shipment(order, report, units, default_at, actor))
        known.add(report.shipment_ref)
    return shipments, taken


def _units_of(report: ChannelShipment, remaining: Mapping[str, int]) -> dict[str, int]:
    if report.lines is None:
        return {sku: q for sku, q in sorted(remaining.items()) if q > 0}
    units: dict[str, int] = {}
    for sku, q in report.lines:
        units[sku] = units.get(sku, 0) + q
    return {
        sku: min(q, remaining.get(sku, 0)) for sku, q in sorted(units.items()) if remaining.get(sku, 0) > 0
    }


def _shipment(
    order: Order, report: ChannelShipment, units: Mapping[str, int], default_at: str, actor: str
) -> Shipment:
    digest = hashlib.sha256(f"{order.order_id}#{report.shipment_ref}".encode()).hexdigest()[:32]
    return Shipment(
        shipment_id=digest,
        carrier=report.carrier,
        tracking_number=report.tracking_number,
        tracking_url=tracking_url(report.carrier, report.tracking_number)
        if report.carrier and report.tracking_number
        else None,
        lines=[LineQuantity(sku=sku, quantity=q) for sku, q in units.items()],
        location=DEFAULT_LOCATION,
        shipped_at=report.shipped_at or default_at,
        actor=actor,
        channel_ref=report.shipment_ref,
    )


def _with_status(order: Order, status: OrderStatus, at: str, actor: str, reason: str) -> Order:
    entry = HistoryEntry(status=status, at=at, actor=actor, reason=reason)
    update: dict[str, object] = {"status": status, "updated_at": at, "history": [*order.history, entry]}
    if status != "BACKORDERED":
        update["backorder"] = None
    return order.model_copy(update=update)


def _quantities(lines: Sequence[OrderLine]) -> dict[str, int]:
    return units_by_sku(line for line in lines if line.quantity > 0)


def _shipped(order: Order) -> dict[str, int]:
    return units_by_sku(line for shipment in order.shipments for line in shipment.lines)


def _describe(old: Mapping[str, int], new: Mapping[str, int]) -> str:
    changed = sorted(sku for sku in set(old) | set(new) if old.get(sku, 0) != new.get(sku, 0))
    return ", ".join(f"{sku} {old.get(sku, 0)} -> {new.get(sku, 0)}" for sku in changed)


def reserved_units(order: Order | None) -> dict[str, int]:
    """The units ``order`` holds reserved, per SKU: its unshipped units while it is a merchant order in a
    reserving status; nothing otherwise (backordered, cancelled, shipped, fulfilled by the channel)."""
    if order is None or order.fulfilled_by_channel or order.status not in RESERVING:
        return {}
    return left_to_ship(order.lines, (line for shipment in order.shipments for line in shipment.lines))


def waiting_for(order: Order | None) -> set[str]:
    """The SKUs a backordered order waits for: those it has units of left to ship."""
    if order is None or order.status != "BACKORDERED":
        return set()
    return set(left_to_ship(order.lines, (line for shipment in order.shipments for line in shipment.lines)))


def _stock_writes(
    before: Order | None,
    after: Order,
    shipped_now: Mapping[str, int],
    context: ChannelContext,
    catalog_priced: frozenset[str],
) -> list[Write]:
    """The stock side of a change: per SKU one write to its product item (DynamoDB allows one per item
    in a transaction): a shipment's movement (units off the shelf, the reservation they held released),
    else a reservation or a release of the difference; plus the waiting lines a backorder joins or leaves."""
    held, holds = reserved_units(before), reserved_units(after)
    # A reservation at a catalog price also checks the catalog still has it (a cached price is never
    # charged stale); every line of one SKU has the same catalog price.
    prices = {line.sku: line.unit_price for line in after.lines if line.sku in catalog_priced}
    writes: list[Write] = []
    as_of = utc_text(context.now)
    for sku in sorted(set(held) | set(holds) | set(shipped_now)):
        change = holds.get(sku, 0) - held.get(sku, 0)
        out = shipped_now.get(sku, 0)
        if out:
            writes.append(
                MoveStock(
                    sku=sku,
                    location=DEFAULT_LOCATION,
                    change=-out,
                    at=utc_text(context.now),
                    after=as_of,
                    moved_at=as_of,
                    unreserve=max(-change, 0),
                )
            )
            writes.append(
                RecordMovement(
                    Movement(
                        sku=sku,
                        location=DEFAULT_LOCATION,
                        kind="shipment",
                        change=-out,
                        as_of=as_of,
                        recorded_at=utc_text(context.now),
                        source=SHIPMENT_SOURCE,
                        update_id=f"{after.order_id}-{context.content_hash[:16]}",
                        reason=f"order {after.order_id}: shipped outside the OMS ({after.channel})",
                        actor=actor_of(after.channel),
                    )
                )
            )
        elif change > 0:
            writes.append(ReserveStock(sku, change, prices.get(sku)))
        elif change < 0:
            writes.append(ReleaseStock(sku, -change))
    waited, waits = waiting_for(before), waiting_for(after)
    created_at = after.created_at
    writes += [WaitForStock(sku, after.order_id, created_at) for sku in sorted(waits - waited)]
    writes += [StopWaiting(sku, after.order_id, created_at) for sku in sorted(waited - waits)]
    return writes


# --- what a refused plan means ------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """The channel's order id is already claimed: the order exists. ``content_hash`` and ``version``
    are the version it last applied (from the claim, without reading the order)."""

    order_id: str
    content_hash: str | None
    version: str | None


@dataclass(frozen=True)
class Moved:
    """The order (or its claim) changed since it was read: read it again and decide again."""


@dataclass(frozen=True)
class Short:
    """Units to reserve that are not available (``shortages``), or SKUs the catalog does not know."""

    shortages: tuple[Shortage, ...] = ()
    unknown: frozenset[str] = frozenset()


ChannelOutcome = AlreadyCommitted | Claimed | CustomerMoved | PricesChanged | Short | Moved | Contention


def interpret(failures: Sequence[Failure], *, contended: bool = False) -> ChannelOutcome:  # noqa: PLR0911
    """What a refused channel plan means, most decisive first: this very plan already stored; the order
    already claimed (a later version, or a resend); the customer link; then the stock."""
    if any(isinstance(f, OrderExists) and f.order_id == f.write.order.order_id for f in failures):
        return AlreadyCommitted()
    for f in failures:
        if isinstance(f, KeyClaimed):
            return Claimed(f.claim.order_id, f.claim.request_hash, f.claim.version)
    if any(isinstance(f.write, ReplaceOrder | UpdateClaim) for f in failures):
        return Moved()
    for f in failures:
        if isinstance(f, CustomerRefused):
            return CustomerMoved(f.owner)
    unknown = frozenset(
        [f.write.sku for f in failures if isinstance(f, StockRefused) and f.price is None]
        + [f.write.sku for f in failures if isinstance(f, MoveRefused) and not f.product.exists]
    )
    changed = {
        f.write.sku: f.price
        for f in failures
        if isinstance(f, StockRefused)
        and f.write.expected_price is not None
        and f.price is not None
        and f.price != f.write.expected_price
    }
    if changed and not unknown:
        return PricesChanged(changed)
    shortages = tuple(
        Shortage(f.write.sku, f.write.quantity, f.available)
        for f in failures
        if isinstance(f, StockRefused) and f.write.sku not in unknown
    )
    if unknown or shortages:
        return Short(shortages, unknown)
    if contended or any(isinstance(f, MoveRefused) for f in failures):
        return Contention()  # a movement met a count dated ahead of this clock, or another writer
    kinds = sorted({type(f.write).__name__ for f in failures})
    raise ValueError(
        f"a channel plan failed for no reason the domain knows (failed writes: {', '.join(kinds)})"
    )

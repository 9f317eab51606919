"""The order lifecycle: which status may follow which, and what a change writes. Pure.

Every change is a plan whose first write replaces the order on condition that it is still the
version that was read (status and updated_at), so two concurrent changes can never both win; the
stock side of the change (reservations released, ...) commits in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from shared.domain.inventory import MoveStock, RecordMovement
from shared.domain.moments import utc_text
from shared.domain.orders import (
    Failure,
    MoveRefused,
    OrderPlan,
    Rejected,
    ReleaseStock,
    ReplaceOrder,
    StopWaiting,
    Write,
    next_version,
)
from shared.domain.quantities import units_by_sku
from shared.domain.tracking import carrier_code, tracking_url
from shared.models.common import FieldError
from shared.models.inventory import Movement
from shared.models.orders import (
    HistoryEntry,
    LineQuantity,
    LineQuantityIn,
    Order,
    OrderStatus,
    ReturnIn,
    ReturnRecord,
    Shipment,
    ShipmentIn,
)

# The one table of allowed transitions. RETURNED -> RETURNED: a further partial return.
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    # Paid on its channel: the channel's next version confirms it (shared.domain.channel_orders).
    "PENDING_PAYMENT": frozenset({"CONFIRMED", "CANCELLED"}),
    "BACKORDERED": frozenset({"CONFIRMED", "CANCELLED"}),
    "CONFIRMED": frozenset({"PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED"}),
    "PARTIALLY_SHIPPED": frozenset({"PARTIALLY_SHIPPED", "SHIPPED"}),
    "SHIPPED": frozenset({"DELIVERED", "RETURNED"}),
    "DELIVERED": frozenset({"RETURNED"}),
    "RETURNED": frozenset({"RETURNED"}),
    "CANCELLED": frozenset(),
    # The channel ships it from its own stock: staff change nothing (its channel may still cancel it).
    "FULFILLED_BY_CHANNEL": frozenset(),
}


def allowed(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class NotAllowed:
    """The order's status does not allow this change (409, naming the current status)."""

    current: OrderStatus
    target: OrderStatus


@dataclass(frozen=True)
class AlreadyDone:
    """The change was already made (a retried cancel): answer with the order as it is."""

    order: Order


def _next(order: Order, status: OrderStatus, *, now: datetime, actor: str, reason: str) -> Order:
    at = utc_text(now)
    entry = HistoryEntry(status=status, at=at, actor=actor, reason=reason)
    return order.model_copy(update={"status": status, "updated_at": at, "history": [*order.history, entry]})


def decide_cancel(
    order: Order, *, reason: str, actor: str, now: datetime
) -> OrderPlan | NotAllowed | AlreadyDone:
    """Cancel: a confirmed order's reservations go back to available stock, a backordered order
    leaves the lines it waits in, all in the same write as the status change."""
    if order.status == "CANCELLED":
        return AlreadyDone(order)
    if not allowed(order.status, "CANCELLED"):
        return NotAllowed(order.status, "CANCELLED")
    cancelled = next_version(order, _next(order, "CANCELLED", now=now, actor=actor, reason=reason))
    writes: list[Write] = [ReplaceOrder(cancelled, order.status, order.updated_at)]
    quantities = sorted(units_by_sku(order.lines).items())
    if order.status in ("CONFIRMED", "PENDING_PAYMENT"):
        writes += [ReleaseStock(sku, quantity) for sku, quantity in quantities]
    else:  # BACKORDERED: nothing reserved; it waits in every SKU's line
        writes += [StopWaiting(sku, order.order_id, order.created_at) for sku, _ in quantities]
    return OrderPlan(order=cancelled, writes=tuple(writes))


# --- fulfilment: shipments, delivery, returns ----------------------------------------------------

SHIPPING_SOURCE = "orders"  # the ledger's source of movements made by orders (shipments, returns)


def shipped_quantities(order: Order) -> dict[str, int]:
    return units_by_sku(line for shipment in order.shipments for line in shipment.lines)


def returned_quantities(order: Order) -> dict[str, int]:
    return units_by_sku(line for record in order.returns for line in record.lines)


def _difference(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {sku: a[sku] - b.get(sku, 0) for sku in a if a[sku] - b.get(sku, 0) > 0}


def _too_many(lines: Sequence[LineQuantityIn], limits: Mapping[str, int], what: str) -> Rejected | None:
    """Lines asking for more than ``limits`` allows, as field errors (a 422)."""
    requested = units_by_sku(lines)
    errors = [
        FieldError(
            field=f"body.lines.{i}.quantity",
            message=f"{requested[line.sku]} units of {line.sku} asked, {limits.get(line.sku, 0)} {what}",
            type="too_many_units",
        )
        for i, line in enumerate(lines)
        if requested[line.sku] > limits.get(line.sku, 0)
    ]
    return Rejected(errors) if errors else None


def _stock_moves(
    order: Order,
    units: Mapping[str, int],
    *,
    kind: Literal["shipment", "return"],
    location: str,
    as_of: str,
    now: datetime,
    update_id: str,
    actor: str,
) -> list[Write]:
    """Each SKU's product item update and its ledger entry. A shipment takes the units out of on
    hand and reserved together; a return puts them back on hand (and available). The movement is
    dated ``as_of`` and recorded as the location's newest, so a count taken earlier but arriving
    later keeps it."""
    writes: list[Write] = []
    sign = -1 if kind == "shipment" else 1
    for sku, quantity in sorted(units.items()):
        writes.append(
            MoveStock(
                sku=sku,
                location=location,
                change=sign * quantity,
                at=utc_text(now),
                after=as_of,
                moved_at=as_of,
                unreserve=quantity if kind == "shipment" else 0,
            )
        )
        movement = Movement(
            sku=sku,
            location=location,
            kind=kind,
            change=sign * quantity,
            as_of=as_of,
            recorded_at=utc_text(now),
            source=SHIPPING_SOURCE,
            update_id=update_id,
            reason=f"order {order.order_id}: {kind}",
            actor=actor,
        )
        writes.append(RecordMovement(movement))
    return writes


def decide_shipment(
    order: Order,
    request: ShipmentIn,
    *,
    shipment_id: str,
    actor: str,
    now: datetime,
    not_before: str | None = None,
) -> OrderPlan | NotAllowed | AlreadyDone | Rejected:
    """Ship some or all of the units not yet shipped: they leave on_hand and reserved together, at
    the shipping location, in the same write as the status change (PARTIALLY_SHIPPED or SHIPPED).

    A shipment whose carrier and tracking number the order already has is a resend: AlreadyDone.
    ``not_before``: the stock's newest count or movement time, when a first try met a newer one.
    """
    code = carrier_code(request.carrier)
    for shipment in order.shipments:
        if (
            shipment.carrier is not None
            and carrier_code(shipment.carrier) == code
            and shipment.tracking_number == request.tracking_number
        ):
            return AlreadyDone(order)
    if order.status not in ("CONFIRMED", "PARTIALLY_SHIPPED"):
        return NotAllowed(order.status, "SHIPPED")
    remaining = _difference(units_by_sku(order.lines), shipped_quantities(order))
    if request.lines is None:
        units = remaining
    else:
        refused = _too_many(request.lines, remaining, "left to ship")
        if refused:
            return refused
        units = units_by_sku(request.lines)
    status: OrderStatus = "SHIPPED" if units == remaining else "PARTIALLY_SHIPPED"
    as_of = _after(utc_text(now), not_before)
    shipment = Shipment(
        shipment_id=shipment_id,
        carrier=request.carrier,
        tracking_number=request.tracking_number,
        tracking_url=tracking_url(request.carrier, request.tracking_number),
        lines=[LineQuantity(sku=sku, quantity=q) for sku, q in sorted(units.items())],
        location=request.location,
        shipped_at=utc_text(now),
        actor=actor,
    )
    described = ", ".join(f"{q} x {sku}" for sku, q in sorted(units.items()))
    shipped = _next(order, status, now=now, actor=actor, reason=f"shipped {described} with {request.carrier}")
    shipped = next_version(order, shipped.model_copy(update={"shipments": [*order.shipments, shipment]}))
    writes: list[Write] = [ReplaceOrder(shipped, order.status, order.updated_at)]
    writes += _stock_moves(
        order,
        units,
        kind="shipment",
        location=request.location,
        as_of=as_of,
        now=now,
        update_id=shipment_id,
        actor=actor,
    )
    return OrderPlan(order=shipped, writes=tuple(writes))


def decide_delivery(
    order: Order, *, note: str | None, actor: str, now: datetime
) -> OrderPlan | NotAllowed | AlreadyDone:
    """A shipped order arrived (staff, or a carrier's callback with a staff key)."""
    if order.status == "DELIVERED":
        return AlreadyDone(order)
    if not allowed(order.status, "DELIVERED"):
        return NotAllowed(order.status, "DELIVERED")
    delivered = _next(order, "DELIVERED", now=now, actor=actor, reason=note or "delivered")
    delivered = next_version(order, delivered.model_copy(update={"delivered_at": utc_text(now)}))
    return OrderPlan(order=delivered, writes=(ReplaceOrder(delivered, order.status, order.updated_at),))


def decide_return(
    order: Order,
    request: ReturnIn,
    *,
    return_id: str,
    idempotency_key: str | None,
    actor: str,
    now: datetime,
    not_before: str | None = None,
) -> OrderPlan | NotAllowed | AlreadyDone | Rejected:
    """Units come back from the customer (partial returns allowed, never more than were shipped and
    not yet returned). With ``restock`` they go back on hand, and available, at ``location``; the
    ledger records it. A resend under the same Idempotency-Key is AlreadyDone."""
    if idempotency_key is not None and any(r.idempotency_key == idempotency_key for r in order.returns):
        return AlreadyDone(order)
    if not allowed(order.status, "RETURNED"):
        return NotAllowed(order.status, "RETURNED")
    refused = _too_many(
        request.lines,
        _difference(shipped_quantities(order), returned_quantities(order)),
        "shipped and not returned",
    )
    if refused:
        return refused
    units = units_by_sku(request.lines)
    as_of = _after(utc_text(now), not_before)
    record = ReturnRecord(
        return_id=return_id,
        lines=[LineQuantity(sku=sku, quantity=q) for sku, q in sorted(units.items())],
        reason=request.reason,
        restock=request.restock,
        location=request.location,
        returned_at=utc_text(now),
        actor=actor,
        idempotency_key=idempotency_key,
    )
    returned = _next(order, "RETURNED", now=now, actor=actor, reason=request.reason)
    returned = next_version(order, returned.model_copy(update={"returns": [*order.returns, record]}))
    writes: list[Write] = [ReplaceOrder(returned, order.status, order.updated_at)]
    if request.restock:
        writes += _stock_moves(
            order,
            units,
            kind="return",
            location=request.location,
            as_of=as_of,
            now=now,
            update_id=return_id,
            actor=actor,
        )
    return OrderPlan(order=returned, writes=tuple(writes))


def _after(as_of: str, not_before: str | None) -> str:
    """``as_of``, or just after ``not_before`` when that is not older (a count or movement dated
    ahead of this clock already holds the location)."""
    if not_before is None or not_before < as_of:
        return as_of
    moment = datetime.strptime(not_before, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return utc_text(moment + timedelta(microseconds=1))


def stock_blocked_until(failures: Sequence[Failure]) -> str | None:
    """The newest count or movement time that refused a shipment's or return's stock movement (the
    location's ``counted_at`` and ``moved_at`` as the refused movement found them); None when no
    movement was refused for its time."""
    newest: str | None = None
    for failure in failures:
        if not isinstance(failure, MoveRefused):
            continue
        level = failure.product.level
        for seen in (level.counted_at, level.moved_at):
            if seen is not None and seen >= failure.write.after and (newest is None or seen > newest):
                newest = seen
    return newest


def decide_resolution(
    order: Order, attention_id: str, *, resolution: str, actor: str, now: datetime
) -> OrderPlan | AlreadyDone | Rejected:
    """Staff resolve one attention item: who, when and how are recorded on it; the order's status and
    stock do not move (what staff did about it, a refund or a reshipment, is its own change)."""
    found = next((a for a in order.attention if a.attention_id == attention_id), None)
    if found is None:
        return Rejected(
            [
                FieldError(
                    field="path.attention_id",
                    message="the order has no such attention item",
                    type="not_found",
                )
            ]
        )
    if found.resolved_at is not None:
        return AlreadyDone(order)
    at = utc_text(now)
    resolved = found.model_copy(update={"resolved_at": at, "resolved_by": actor, "resolution": resolution})
    attention = [resolved if a.attention_id == attention_id else a for a in order.attention]
    changed = next_version(order, order.model_copy(update={"attention": attention, "updated_at": at}))
    return OrderPlan(order=changed, writes=(ReplaceOrder(changed, order.status, order.updated_at),))

"""The order lifecycle: which status may follow which, and what a change writes. Pure.

Every change is a plan whose first write replaces the order on condition that it is still the
version that was read (status and updated_at), so two concurrent changes can never both win; the
stock side of the change (reservations released, ...) commits in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.domain.backorders import order_quantities
from shared.domain.orders import (
    OrderPlan,
    ReleaseStock,
    ReplaceOrder,
    StopWaiting,
    Write,
    iso,
)
from shared.models.orders import HistoryEntry, Order, OrderStatus

# The one table of allowed transitions. RETURNED -> RETURNED: a further partial return.
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    "BACKORDERED": frozenset({"CONFIRMED", "CANCELLED"}),
    "CONFIRMED": frozenset({"PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED"}),
    "PARTIALLY_SHIPPED": frozenset({"PARTIALLY_SHIPPED", "SHIPPED"}),
    "SHIPPED": frozenset({"DELIVERED", "RETURNED"}),
    "DELIVERED": frozenset({"RETURNED"}),
    "RETURNED": frozenset({"RETURNED"}),
    "CANCELLED": frozenset(),
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
    at = iso(now)
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
    cancelled = _next(order, "CANCELLED", now=now, actor=actor, reason=reason)
    writes: list[Write] = [ReplaceOrder(cancelled, order.status, order.updated_at)]
    quantities = sorted(order_quantities(order).items())
    if order.status == "CONFIRMED":
        writes += [ReleaseStock(sku, quantity) for sku, quantity in quantities]
    else:  # BACKORDERED: nothing reserved; it waits in every SKU's line
        writes += [StopWaiting(sku, order.order_id, order.created_at) for sku, _ in quantities]
    return OrderPlan(order=cancelled, writes=tuple(writes))

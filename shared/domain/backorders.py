"""Backorder confirmation decisions. Pure.

A backordered order reserved nothing when it arrived. When stock of a SKU rises, the orders waiting
for it are tried oldest first: an order is confirmed only with every one of its lines reserved, in
one transaction with its status change, so nothing is oversold and no order is confirmed twice.
An order that had shipped some units before it waited (an imported, partly fulfilled order) reserves
only what is left to ship and goes back to PARTIALLY_SHIPPED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.domain.moments import utc_text
from shared.domain.orders import Contention, Failure, OrderPlan, ReplaceOrder, ReserveStock, Write
from shared.domain.quantities import left_to_ship
from shared.models.orders import HistoryEntry, Order, OrderStatus

ACTOR = "inventory"


def decide_confirmation(order: Order, *, now: datetime, arrived: str) -> OrderPlan | None:
    """The writes that confirm ``order`` now that ``arrived`` (a SKU) has stock; None when the order
    is not waiting any more (confirmed meanwhile, or cancelled)."""
    if order.status != "BACKORDERED":
        return None
    at = utc_text(now)
    status: OrderStatus = "PARTIALLY_SHIPPED" if order.shipments else "CONFIRMED"
    entry = HistoryEntry(
        status=status,
        at=at,
        actor=ACTOR,
        reason=f"backorder filled: stock of {arrived} arrived, every line reserved",
    )
    confirmed = order.model_copy(
        update={
            "status": status,
            "updated_at": at,
            "backorder": None,
            "history": [*order.history, entry],
            "version": order.version + 1,
        }
    )
    writes: tuple[Write, ...] = (
        ReplaceOrder(confirmed, expected_status=order.status, expected_updated_at=order.updated_at),
        *(ReserveStock(sku, quantity) for sku, quantity in sorted(_left_to_ship(confirmed).items())),
    )
    return OrderPlan(order=confirmed, writes=writes)


@dataclass(frozen=True)
class OrderMovedOn:
    """The order changed since it was read: read it again (it may not be waiting any more)."""


@dataclass(frozen=True)
class StillShort:
    skus: frozenset[str]


ConfirmationOutcome = OrderMovedOn | StillShort | Contention


def interpret_confirmation(failures: Sequence[Failure]) -> ConfirmationOutcome:
    if any(isinstance(f.write, ReplaceOrder) for f in failures):
        return OrderMovedOn()
    short = frozenset(f.write.sku for f in failures if isinstance(f.write, ReserveStock))
    if short:
        return StillShort(short)
    return Contention()


def _left_to_ship(order: Order) -> dict[str, int]:
    """What a confirmed backorder reserves: its units not shipped yet (all of them, unless it was imported
    partly fulfilled). The same units ``shared.domain.channel_orders.reserved_units`` counts."""
    return left_to_ship(order.lines, (line for shipment in order.shipments for line in shipment.lines))

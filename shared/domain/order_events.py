"""Which events one change of an order means. Pure: no boto3, no clock.

One stream record of the orders table is one change of one order item: its image before (``old``,
None when the order was created) and after (``new``, None when the item was removed). The change means:

* created (no old image): ``OrderCreated``, except for an imported order (``source == "import"``): its
  insertion records history, not a sale made now, and publishes nothing (nor its shipments); its later
  changes publish as any order's;
* the status differs: ``OrderStatusChanged`` (old and new status; who, why and when, from the history
  entry the change appended);
* shipments the old image did not have (by ``shipment_id``): one ``OrderShipped`` each;
* anything else (a rewrite of personal fields, a note, a second shipment's status staying
  PARTIALLY_SHIPPED) adds nothing beyond the above, and a removal means nothing.

Every event's ``event_id`` is derived from the change itself (the order id, the kind, and the updated_at
or shipment id that identify the change), never from the delivery: a redelivered record, or the same
change read again by anything else, yields the same ids, which is what consumers deduplicate on.
"""

from __future__ import annotations

from typing import Any

from shared.models.events import (
    ORDER_CREATED,
    ORDER_SHIPPED,
    ORDER_STATUS_CHANGED,
    OrderCreated,
    OrderEvent,
    OrderEventLine,
    OrderShipped,
    OrderStatusChanged,
)
from shared.models.orders import HistoryEntry, Order, Shipment

OrderEventDetail = OrderCreated | OrderStatusChanged | OrderShipped
DETAIL_TYPES: dict[type[OrderEvent], str] = {
    OrderCreated: ORDER_CREATED,
    OrderStatusChanged: ORDER_STATUS_CHANGED,
    OrderShipped: ORDER_SHIPPED,
}


def detail_type(event: OrderEvent) -> str:
    return DETAIL_TYPES[type(event)]


def order_events(old: Order | None, new: Order | None) -> list[OrderEventDetail]:
    """The events one change of an order item means, in this order: created or status changed, then one
    per new shipment. Empty when nothing an event reports changed."""
    if new is None:
        return []  # removed: orders are never deleted by the system, and a removal changes no status
    if old is None and new.source == "import":
        return []  # history recorded, not an order arriving: nothing to tell
    events: list[OrderEventDetail] = []
    if old is None:
        events.append(created(new))
    elif old.status != new.status:
        events.append(status_changed(old, new))
    known = {shipment.shipment_id for shipment in old.shipments} if old is not None else set()
    events += [shipped(new, s) for s in new.shipments if s.shipment_id not in known]
    return events


def _base(order: Order, event_id: str) -> dict[str, Any]:
    """The fields every order event carries. Identifiers and status only: no personal data."""
    return {
        "event_id": event_id,
        "order_id": order.order_id,
        "channel": order.channel,
        "external_id": order.external_id,
        "customer_id": order.customer_id,
        "status": order.status,
        "updated_at": order.updated_at,
    }


def created(order: Order) -> OrderCreated:
    return OrderCreated(
        **_base(order, f"{order.order_id}#{ORDER_CREATED}"),
        currency=order.currency,
        total=order.total,
        lines=[
            OrderEventLine(
                sku=line.sku, quantity=line.quantity, unit_price=line.unit_price, line_total=line.line_total
            )
            for line in order.lines
        ],
        created_at=order.created_at,
    )


def _entry(old: Order, new: Order) -> HistoryEntry | None:
    """The history entry the change appended for the new status, if it appended one."""
    if len(new.history) > len(old.history) and new.history[-1].status == new.status:
        return new.history[-1]
    return None


def status_changed(old: Order, new: Order) -> OrderStatusChanged:
    entry = _entry(old, new)
    return OrderStatusChanged(
        # updated_at identifies the version; the status tells apart two changes within one microsecond.
        **_base(new, f"{new.order_id}#{ORDER_STATUS_CHANGED}#{new.updated_at}#{new.status}"),
        old_status=old.status,
        new_status=new.status,
        actor=entry.actor if entry else None,
        reason=entry.reason if entry else None,
        changed_at=entry.at if entry else new.updated_at,
    )


def shipped(order: Order, shipment: Shipment) -> OrderShipped:
    return OrderShipped(
        **_base(order, f"{order.order_id}#{ORDER_SHIPPED}#{shipment.shipment_id}"),
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        lines=shipment.lines,
        shipped_at=shipment.shipped_at,
    )

"""What an email shows, from the order (or the StockLow event) it is about. Pure."""

from __future__ import annotations

from shared.domain.notifications import CustomerNotice, StaffNotice
from shared.models.orders import Order
from shared.notifications.templates import Values

STATUS_WORDS: dict[str, str] = {
    "PENDING_PAYMENT": "waiting for payment",
    "BACKORDERED": "waiting for stock",
    "CONFIRMED": "confirmed",
    "PARTIALLY_SHIPPED": "partly shipped",
    "SHIPPED": "shipped",
    "DELIVERED": "delivered",
    "CANCELLED": "cancelled",
    "RETURNED": "returned",
    "FULFILLED_BY_CHANNEL": "handled by the marketplace",
}


def order_values(order: Order, notice: CustomerNotice, tracking_link: str) -> Values:
    """The placeholders of a customer's email. The order must still have its customer (the caller
    sends nothing to an erased one)."""
    scalars = {
        "order_ref": order.external_id or order.order_id,
        "order_id": order.order_id,
        "customer_name": order.customer.name if order.customer else "",
        "status_text": STATUS_WORDS.get(order.status, order.status.lower()),
        "tracking_link": tracking_link,
        "total": f"{order.total} {order.currency}",
    }
    lines = tuple(f"{line.quantity} x {line.sku}" for line in order.lines)
    waiting = tuple(
        f"{b.requested - b.available} x {b.sku}" for b in (order.backorder or []) if b.requested > b.available
    )
    if notice.shipment_id is not None:
        shipment = next((s for s in order.shipments if s.shipment_id == notice.shipment_id), None)
        if shipment is not None:
            scalars["carrier"] = shipment.carrier or "the carrier"
            scalars["tracking_number"] = shipment.tracking_number or ""
            scalars["carrier_link"] = shipment.tracking_url or ""
            lines = tuple(f"{line.quantity} x {line.sku}" for line in shipment.lines)
    return Values(scalars=scalars, lists={"lines": lines, "waiting": waiting})


def stock_values(notice: StaffNotice) -> Values:
    return Values(
        scalars={
            "sku": notice.sku,
            "available": str(notice.available),
            "threshold": str(notice.threshold),
            "location": notice.location or "",
        }
    )

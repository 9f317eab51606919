"""Orders as the stream carries them, built by hand: an order, the same order after one change, a shipment.
Personal data on purpose (a name, an email, a phone, an address), so tests can show no event carries it."""

from __future__ import annotations

from typing import Any

from shared.models.orders import Order, OrderStatus

CREATED = "2026-11-24T09:00:00.000000Z"
CUSTOMER = {"email": "jane.doe@example.com", "name": "Jane Doe", "phone": "+49 30 1234567"}
ADDRESS = {
    "name": "Jane Doe",
    "line1": "Hauptstrasse 5",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


def order(status: OrderStatus = "CONFIRMED", **changes: Any) -> Order:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "status": status,
        "channel": "web",
        "external_id": "W-1001",
        "customer": CUSTOMER,
        "shipping_address": ADDRESS,
        "currency": "EUR",
        "lines": [
            {"sku": "MUG", "quantity": 2, "unit_price": "5.00", "line_total": "10.00"},
            {"sku": "CAP", "quantity": 1, "unit_price": "9.50", "line_total": "9.50"},
        ],
        "total": "19.50",
        "created_at": CREATED,
        "updated_at": CREATED,
        "history": [{"status": status, "at": CREATED, "actor": "channel:k-web"}],
    }
    values.update(changes)
    return Order.model_validate(values)


def then(
    before: Order, status: OrderStatus, at: str, actor: str, reason: str | None = None, **more: Any
) -> Order:
    """``before`` after one change: a status (maybe the same) and its history entry, as lifecycle writes."""
    entry = {"status": status, "at": at, "actor": actor, "reason": reason}
    history = [h.model_dump() for h in before.history] + [entry]
    return order(status, **{**_fields(before), "history": history, "updated_at": at, **more})


def _fields(o: Order) -> dict[str, Any]:
    return {
        k: v for k, v in o.model_dump(mode="json").items() if k not in ("status", "history", "updated_at")
    }


def shipment(shipment_id: str, at: str, *lines: tuple[str, int]) -> dict[str, Any]:
    return {
        "shipment_id": shipment_id,
        "carrier": "ups",
        "tracking_number": f"1Z{shipment_id}",
        "tracking_url": f"https://www.ups.com/track?tracknum=1Z{shipment_id}",
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        "location": "default",
        "shipped_at": at,
        "actor": "staff:k-1",
    }

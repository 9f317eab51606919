"""Which events one change of an order means (shared.domain.order_events), without I/O."""

from __future__ import annotations

import json
from typing import Any

from shared.domain.order_events import detail_type, order_events
from shared.models.events import OrderCreated, OrderEvent, OrderShipped, OrderStatusChanged
from tests.support.orders import CREATED, order, shipment, then


def kinds(events: list[Any]) -> list[str]:
    return [detail_type(e) for e in events]


def test_an_insert_is_one_order_created_with_the_order_summary() -> None:
    [event] = order_events(None, order(customer_id="c-7"))

    assert isinstance(event, OrderCreated)
    assert detail_type(event) == "OrderCreated"
    assert event.model_dump(mode="json") == {
        "event_id": "o-1#OrderCreated",
        "order_id": "o-1",
        "channel": "web",
        "external_id": "W-1001",
        "customer_id": "c-7",  # the opaque id only: never the name, email or phone
        "status": "CONFIRMED",
        "updated_at": CREATED,
        "currency": "EUR",
        "total": "19.50",
        "lines": [
            {"sku": "MUG", "quantity": 2, "unit_price": "5.00", "line_total": "10.00"},
            {"sku": "CAP", "quantity": 1, "unit_price": "9.50", "line_total": "9.50"},
        ],
        "created_at": CREATED,
    }


def test_a_backordered_order_is_created_backordered() -> None:
    [event] = order_events(None, order("BACKORDERED"))
    assert (detail_type(event), event.status) == ("OrderCreated", "BACKORDERED")


def test_a_status_change_is_one_order_status_changed_with_who_why_and_when() -> None:
    confirmed = order()
    cancelled = then(confirmed, "CANCELLED", "2026-11-24T10:00:00.000Z", "staff:k-9", "customer asked")

    [event] = order_events(confirmed, cancelled)

    assert isinstance(event, OrderStatusChanged)
    assert (event.old_status, event.new_status, event.status) == ("CONFIRMED", "CANCELLED", "CANCELLED")
    assert (event.actor, event.reason, event.changed_at) == (
        "staff:k-9",
        "customer asked",
        "2026-11-24T10:00:00.000Z",
    )
    assert event.event_id == "o-1#OrderStatusChanged#2026-11-24T10:00:00.000Z#CANCELLED"
    assert (event.order_id, event.channel, event.external_id) == ("o-1", "web", "W-1001")


def test_a_backorder_filled_is_a_status_change_by_inventory() -> None:
    waiting = order("BACKORDERED")
    confirmed = then(waiting, "CONFIRMED", "2026-11-24T11:00:00.000Z", "inventory", "backorder filled: MUG")

    [event] = order_events(waiting, confirmed)

    assert isinstance(event, OrderStatusChanged)
    assert (event.old_status, event.new_status, event.actor) == ("BACKORDERED", "CONFIRMED", "inventory")


def test_a_status_change_without_a_history_entry_still_says_when() -> None:
    before = order()
    after = order(
        "CANCELLED", updated_at="2026-11-24T12:00:00.000Z", history=[h.model_dump() for h in before.history]
    )

    [event] = order_events(before, after)

    assert isinstance(event, OrderStatusChanged)
    assert (event.actor, event.reason, event.changed_at) == (None, None, "2026-11-24T12:00:00.000Z")


def test_a_first_shipment_is_order_shipped_and_the_status_change() -> None:
    confirmed = order()
    at = "2026-11-25T08:00:00.000Z"
    shipped = then(
        confirmed, "PARTIALLY_SHIPPED", at, "staff:k-1", shipments=[shipment("s-1", at, ("MUG", 2))]
    )

    events = order_events(confirmed, shipped)

    assert kinds(events) == ["OrderStatusChanged", "OrderShipped"]
    status, parcel = events
    assert isinstance(status, OrderStatusChanged) and isinstance(parcel, OrderShipped)
    assert (status.old_status, status.new_status) == ("CONFIRMED", "PARTIALLY_SHIPPED")
    assert parcel.model_dump(mode="json") == {
        "event_id": "o-1#OrderShipped#s-1",
        "order_id": "o-1",
        "channel": "web",
        "external_id": "W-1001",
        "customer_id": None,
        "status": "PARTIALLY_SHIPPED",
        "updated_at": at,
        "shipment_id": "s-1",
        "carrier": "ups",
        "tracking_number": "1Zs-1",
        "tracking_url": "https://www.ups.com/track?tracknum=1Zs-1",
        "lines": [{"sku": "MUG", "quantity": 2}],
        "shipped_at": at,
    }


def test_a_second_partial_shipment_is_order_shipped_only() -> None:
    first_at, second_at = "2026-11-25T08:00:00.000Z", "2026-11-26T08:00:00.000Z"
    first = [shipment("s-1", first_at, ("MUG", 1))]
    partly = then(order(), "PARTIALLY_SHIPPED", first_at, "staff:k-1", shipments=first)
    again = then(
        partly,
        "PARTIALLY_SHIPPED",
        second_at,
        "staff:k-1",
        shipments=[*first, shipment("s-2", second_at, ("MUG", 1))],
    )

    [event] = order_events(partly, again)

    assert isinstance(event, OrderShipped)
    assert (event.shipment_id, event.shipped_at, event.status) == ("s-2", second_at, "PARTIALLY_SHIPPED")


def test_the_last_shipment_is_order_shipped_and_shipped() -> None:
    first_at, last_at = "2026-11-25T08:00:00.000Z", "2026-11-26T08:00:00.000Z"
    first = [shipment("s-1", first_at, ("MUG", 2))]
    partly = then(order(), "PARTIALLY_SHIPPED", first_at, "staff:k-1", shipments=first)
    done = then(
        partly, "SHIPPED", last_at, "staff:k-1", shipments=[*first, shipment("s-2", last_at, ("CAP", 1))]
    )

    events = order_events(partly, done)

    assert kinds(events) == ["OrderStatusChanged", "OrderShipped"]
    assert [e.event_id for e in events] == [
        f"o-1#OrderStatusChanged#{last_at}#SHIPPED",
        "o-1#OrderShipped#s-2",
    ]


def test_an_order_created_with_a_shipment_reports_both() -> None:
    at = "2026-11-25T08:00:00.000Z"
    events = order_events(None, order("SHIPPED", shipments=[shipment("s-1", at, ("MUG", 2), ("CAP", 1))]))
    assert kinds(events) == ["OrderCreated", "OrderShipped"]


def test_an_imported_order_publishes_nothing_when_inserted_and_as_usual_after() -> None:
    at = "2026-11-25T08:00:00.000Z"
    imported = order(
        "SHIPPED",
        source="import",
        import_id="imp-1",
        shipments=[shipment("s-1", at, ("MUG", 2), ("CAP", 1))],
    )
    assert order_events(None, imported) == []  # neither OrderCreated nor its shipment
    assert kinds(order_events(None, order(source="import", import_id="imp-1"))) == []

    later = then(imported, "DELIVERED", "2026-12-01T08:00:00.000Z", "staff:k-9", "arrived")
    events = order_events(imported, later)
    assert kinds(events) == ["OrderStatusChanged"]


def test_a_rewrite_of_personal_fields_publishes_nothing() -> None:
    before = order()
    erased = order(
        customer=None,
        shipping_address=None,
        erased_at="2026-12-01T00:00:00.000Z",
        updated_at="2026-12-01T00:00:00.000Z",
    )  # what an erasure writes
    assert order_events(before, erased) == []


def test_the_same_image_again_publishes_nothing() -> None:
    cancelled = then(order(), "CANCELLED", "2026-11-24T10:00:00.000Z", "staff:k-9", "x")
    assert order_events(cancelled, cancelled) == []


def test_a_removal_publishes_nothing() -> None:
    assert order_events(order(), None) == []
    assert order_events(None, None) == []


def test_event_ids_are_the_same_for_the_same_change() -> None:
    before = order()
    after = then(before, "CANCELLED", "2026-11-24T10:00:00.000Z", "staff:k-9", "x")
    first = [e.event_id for e in order_events(before, after)]
    again = [e.event_id for e in order_events(before.model_copy(deep=True), after.model_copy(deep=True))]
    assert first == again
    assert first != [e.event_id for e in order_events(None, before)]


def test_no_event_carries_personal_data() -> None:
    at = "2026-11-25T08:00:00.000Z"
    confirmed = order()
    shipped = then(
        confirmed, "SHIPPED", at, "staff:k-1", shipments=[shipment("s-1", at, ("MUG", 2), ("CAP", 1))]
    )
    events = [*order_events(None, confirmed), *order_events(confirmed, shipped)]
    assert kinds(events) == ["OrderCreated", "OrderStatusChanged", "OrderShipped"]

    text = json.dumps([e.model_dump(mode="json") for e in events])
    for personal in ("jane", "Jane", "Doe", "example.com", "1234567", "Hauptstrasse", "Berlin", "10115"):
        assert personal not in text
    # And no field that could carry it, in any order event's schema.
    for model in (OrderEvent, OrderCreated, OrderStatusChanged, OrderShipped):
        fields = set(model.model_fields)
        assert not fields & {"customer", "email", "name", "phone", "shipping_address", "address"}, model

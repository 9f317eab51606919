"""Publishing order events: one PutEvents per stream record, a partial failure raised with what went through,
and a retry in the same environment that sends only what did not (shared.dal.events, shared.services)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.dal.dynamo import from_item
from shared.dal.events import EventPublisher, PublishFailed
from shared.dal.orders import order_item
from shared.models.events import ORDERS_SOURCE
from shared.models.orders import Order
from shared.services.order_events import OrderEvents
from tests.support.orders import order, shipment, then

Entries = list[dict[str, Any]]


class FakeEvents:
    """An EventBridge client: records every PutEvents; ``fail(entries)`` names the positions to refuse."""

    def __init__(self) -> None:
        self.calls: list[Entries] = []
        self.fail: Callable[[Entries], set[int]] = lambda entries: set()

    def put_events(self, Entries: Entries) -> dict[str, Any]:
        self.calls.append(Entries)
        refused = self.fail(Entries)
        return {
            "FailedEntryCount": len(refused),
            "Entries": [
                {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}
                if i in refused
                else {"EventId": f"id-{len(self.calls)}-{i}"}
                for i in range(len(Entries))
            ],
        }

    def sent(self) -> list[str]:
        """The event ids of every entry sent, in order."""
        return [json.loads(e["Detail"])["event_id"] for call in self.calls for e in call]


def image(o: Order) -> dict[str, Any]:
    """The order item as a stream record's image, deserialised (as Powertools hands it over)."""
    item = from_item(order_item(o))
    assert item is not None
    return item


def publisher(client: FakeEvents) -> EventPublisher:
    return EventPublisher(client, "oms-events", ORDERS_SOURCE)


# --- EventPublisher.publish_many ------------------------------------------------------------------


def test_publish_many_is_one_request() -> None:
    client = FakeEvents()
    ids = publisher(client).publish_many([("A", {"n": 1}), ("B", {"n": 2})])

    assert ids == ["id-1-0", "id-1-1"]
    [entries] = client.calls
    assert [(e["DetailType"], json.loads(e["Detail"])) for e in entries] == [("A", {"n": 1}), ("B", {"n": 2})]
    assert {(e["EventBusName"], e["Source"]) for e in entries} == {("oms-events", "oms.orders")}


def test_publish_many_raises_naming_what_went_through() -> None:
    client = FakeEvents()
    client.fail = lambda entries: {1}

    with pytest.raises(
        PublishFailed, match="1 of 3 events not published \\(B\\): ThrottlingException"
    ) as info:
        publisher(client).publish_many([("A", {}), ("B", {}), ("C", {})])

    assert info.value.published == (0, 2)


def test_publish_many_sends_ten_per_request_and_stops_at_a_failed_one() -> None:
    client = FakeEvents()
    events = [(f"E{n}", {"n": n}) for n in range(23)]
    assert len(publisher(client).publish_many(events)) == 23
    assert [len(call) for call in client.calls] == [10, 10, 3]

    client = FakeEvents()
    client.fail = lambda entries: {0} if json.loads(entries[0]["Detail"])["n"] == 10 else set()
    with pytest.raises(PublishFailed) as info:
        publisher(client).publish_many(events)
    assert [len(call) for call in client.calls] == [10, 10]
    assert info.value.published == (*range(10), *range(11, 20))


def test_publish_many_of_nothing_sends_nothing() -> None:
    client = FakeEvents()
    assert publisher(client).publish_many([]) == []
    assert client.calls == []


# --- OrderEvents ----------------------------------------------------------------------------------

SHIPPED_AT = "2026-11-25T08:00:00.000Z"


def shipped_change() -> tuple[dict[str, Any], dict[str, Any]]:
    """A change that means two events: CONFIRMED -> PARTIALLY_SHIPPED and a shipment."""
    before = order()
    after = then(
        before,
        "PARTIALLY_SHIPPED",
        SHIPPED_AT,
        "staff:k-1",
        shipments=[shipment("s-1", SHIPPED_AT, ("MUG", 1))],
    )
    return image(before), image(after)


def test_one_record_is_one_put_events_with_all_its_events() -> None:
    client = FakeEvents()
    old, new = shipped_change()

    published = OrderEvents(publisher(client)).order_changed(old, new)

    assert [e.event_id for e in published] == [
        f"o-1#OrderStatusChanged#{SHIPPED_AT}#PARTIALLY_SHIPPED",
        "o-1#OrderShipped#s-1",
    ]
    [entries] = client.calls
    assert [e["DetailType"] for e in entries] == ["OrderStatusChanged", "OrderShipped"]
    detail = json.loads(entries[1]["Detail"])
    assert (detail["tracking_number"], detail["lines"]) == ("1Zs-1", [{"sku": "MUG", "quantity": 1}])


def test_an_insert_is_decoded_from_the_stream_image() -> None:
    client = FakeEvents()
    OrderEvents(publisher(client)).order_changed(None, image(order()))

    [[entry]] = client.calls
    detail = json.loads(entry["Detail"])
    assert entry["DetailType"] == "OrderCreated"
    assert (detail["total"], detail["lines"][0]["unit_price"]) == ("19.50", "5.00")  # decimal strings
    assert "customer" not in detail and "shipping_address" not in detail
    assert "Jane" not in entry["Detail"]


def test_a_partial_failure_is_retried_with_only_what_did_not_go_through() -> None:
    client = FakeEvents()
    client.fail = lambda entries: {1} if len(client.calls) == 1 else set()
    service = OrderEvents(publisher(client))
    old, new = shipped_change()

    with pytest.raises(PublishFailed):
        service.order_changed(old, new)
    retried = service.order_changed(old, new)  # the mapping delivers the record again

    assert [e.event_id for e in retried] == ["o-1#OrderShipped#s-1"]
    assert client.sent() == [
        f"o-1#OrderStatusChanged#{SHIPPED_AT}#PARTIALLY_SHIPPED",
        "o-1#OrderShipped#s-1",
        "o-1#OrderShipped#s-1",
    ]
    assert service.order_changed(old, new) == []  # and once all went, a redelivery sends nothing
    assert len(client.calls) == 2


def test_a_change_that_means_nothing_sends_nothing() -> None:
    client = FakeEvents()
    service = OrderEvents(publisher(client))
    same = image(order())
    assert service.order_changed(same, same) == []
    assert service.order_changed(same, None) == []
    assert client.calls == []


def test_remembered_ids_are_bounded() -> None:
    client = FakeEvents()
    service = OrderEvents(publisher(client), remember=2)
    orders = [order(order_id=f"o-{n}") for n in range(3)]
    for o in orders:
        service.order_changed(None, image(o))

    service.order_changed(None, image(orders[2]))  # remembered: not sent again
    service.order_changed(None, image(orders[0]))  # forgotten (the oldest): sent again
    assert client.sent() == ["o-0#OrderCreated", "o-1#OrderCreated", "o-2#OrderCreated", "o-0#OrderCreated"]

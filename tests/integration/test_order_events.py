"""Order events from the orders table's stream, against moto: orders placed and cancelled over the API,
the stream read by the same poller the local stack runs (the spec's filter: order items only), the
events read from the tap queue. Once per change, also when PutEvents fails and the mapping retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.api import wiring
from shared.aws import client
from shared.domain.moments import utc_text
from shared.domain.orders import OrderPlan, ReplaceOrder
from shared.models.orders import HistoryEntry, LineQuantity, Order, Shipment
from tests.support.http import ApiClient
from tests.support.order_events import OrderStream

ORDER = {
    "customer": {"email": "jane.doe@example.com", "name": "Jane Doe", "phone": "+49 30 1234567"},
    "shipping_address": {
        "line1": "Hauptstrasse 5",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    },
    "lines": [{"sku": "MUG", "quantity": 1}, {"sku": "TSHIRT", "quantity": 2}],
}


@pytest.fixture
def stream(stocked: ApiClient) -> OrderStream:
    return OrderStream()


def place(api: ApiClient, external_id: str | None = None, key: str | None = None) -> dict[str, Any]:
    body = {**ORDER, "external_id": external_id} if external_id else ORDER
    reply = api.post("/orders", body, headers={"Idempotency-Key": key} if key else None)
    assert reply.status == 201, reply.body
    return dict(reply.json())


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["detail-type"], e["detail"]["order_id"]) for e in events]


Refuse = Callable[[list[dict[str, Any]]], set[int]]


def flaky_put_events(monkeypatch: pytest.MonkeyPatch, refuse: Refuse) -> list[list[str]]:
    """PutEvents as EventBridge answers when it throttles some entries: ``refuse(entries)`` names the
    positions it refuses, the others reach the bus. Returns the detail types of every request, as sent."""
    events = client("events")  # the client the function's publisher uses (one per environment)
    real = events.put_events
    requests: list[list[str]] = []

    def put_events(**params: Any) -> dict[str, Any]:
        entries = params["Entries"]
        requests.append([e["DetailType"] for e in entries])
        refused = refuse(entries)
        taken = [e for i, e in enumerate(entries) if i not in refused]
        ids = iter(real(Entries=taken)["Entries"]) if taken else iter([])
        return {
            "FailedEntryCount": len(refused),
            "Entries": [
                {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}
                if i in refused
                else next(ids)
                for i in range(len(entries))
            ],
        }

    monkeypatch.setattr(events, "put_events", put_events)
    return requests


def once(predicate: Callable[[dict[str, Any]], bool]) -> Refuse:
    """Refuse the first entry that matches, the first time only."""
    done: list[bool] = []

    def refuse(entries: list[dict[str, Any]]) -> set[int]:
        if done:
            return set()
        hits = {i for i, e in enumerate(entries) if predicate({**e, "Detail": json.loads(e["Detail"])})}
        if hits:
            done.append(True)
            return {min(hits)}
        return set()

    return refuse


def test_an_order_placed_and_cancelled_is_published_once_per_change(
    web: ApiClient, stream: OrderStream
) -> None:
    order = place(web, external_id="W-1001", key="idem-1")
    reply = web.post(f"/orders/{order['order_id']}/cancel", {"reason": "changed my mind"})
    assert reply.status == 200
    assert web.post(f"/orders/{order['order_id']}/cancel", {"reason": "again"}).status == 200  # no change

    stream.drain()

    created, cancelled = stream.published()
    assert {created["source"], cancelled["source"]} == {"oms.orders"}
    assert (created["detail-type"], cancelled["detail-type"]) == ("OrderCreated", "OrderStatusChanged")
    assert created["detail"] == {
        "event_id": f"{order['order_id']}#OrderCreated",
        "order_id": order["order_id"],
        "channel": "web",
        "external_id": "W-1001",
        "customer_id": order["customer_id"],
        "status": "CONFIRMED",
        "updated_at": order["created_at"],
        "currency": order["currency"],
        "total": order["total"],
        "lines": [
            {
                "sku": line["sku"],
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "line_total": line["line_total"],
            }
            for line in order["lines"]
        ],
        "created_at": order["created_at"],
    }
    change = cancelled["detail"]
    assert (change["order_id"], change["old_status"], change["new_status"]) == (
        order["order_id"],
        "CONFIRMED",
        "CANCELLED",
    )
    entry = reply.json()["history"][-1]
    assert (change["actor"], change["reason"], change["changed_at"]) == (
        entry["actor"],
        "changed my mind",
        entry["at"],
    )
    assert change["actor"].startswith("channel:")
    assert change["event_id"] == f"{order['order_id']}#OrderStatusChanged#{change['changed_at']}#CANCELLED"
    # No personal data crossed to the bus.
    text = json.dumps([created, cancelled])
    for personal in ("jane", "Jane", "Doe", "1234567", "Hauptstrasse", "Berlin", "10115"):
        assert personal not in text
    # The idempotency and external-id claims written with the order never reached the function.
    assert set(stream.sort_keys()) == {"ORDER"}

    stream.drain()  # nothing new: nothing again
    assert stream.published() == []


def test_a_failed_record_is_retried_from_itself_and_nothing_is_published_twice(
    web: ApiClient, stream: OrderStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = (place(web, external_id=f"W-{n}") for n in range(3))
    requests = flaky_put_events(monkeypatch, once(lambda e: e["Detail"]["order_id"] == second["order_id"]))

    stream.drain()

    # One invocation: the first record published, the second refused, the third left untouched.
    assert requests[:2] == [["OrderCreated"], ["OrderCreated"]]
    [failed, *_] = stream.responses
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in stream.events[0]["Records"]]
    assert [f["itemIdentifier"] for f in failed["batchItemFailures"]] == sequence_numbers[1:]
    # The retry starts at the refused record: the first is not handed over again.
    assert [r["dynamodb"]["SequenceNumber"] for r in stream.events[1]["Records"]] == sequence_numbers[1:]
    assert stream.responses[1] == {"batchItemFailures": []}
    # Each order's creation on the bus exactly once, in the order they happened.
    assert kinds(stream.published()) == [
        ("OrderCreated", first["order_id"]),
        ("OrderCreated", second["order_id"]),
        ("OrderCreated", third["order_id"]),
    ]
    assert len(requests) == 4  # the first once, the refused one twice, the third once (in the retry)
    assert stream.failures() == []


def ship_by_hand(order_id: str, shipment_id: str) -> Order:
    """What the shipments endpoint will write (it is not on this branch): the order's next version with a
    shipment, through the order store, on condition that it is still the version read."""
    store = wiring.order_store()
    order = store.get(order_id, consistent=True)
    assert order is not None
    now = datetime.now(UTC)
    at = utc_text(now)
    shipment = Shipment(
        shipment_id=shipment_id,
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        lines=[LineQuantity(sku="MUG", quantity=1)],
        location="default",
        shipped_at=at,
        actor="staff:dev-staff",
    )
    shipped = order.model_copy(
        update={
            "status": "PARTIALLY_SHIPPED",
            "updated_at": at,
            "history": [
                *order.history,
                HistoryEntry(status="PARTIALLY_SHIPPED", at=at, actor="staff:dev-staff"),
            ],
            "shipments": [*order.shipments, shipment],
        }
    )
    plan = OrderPlan(order=shipped, writes=(ReplaceOrder(shipped, order.status, order.updated_at),))
    assert store.commit(plan, now=now) is None
    return shipped


def test_a_shipment_is_order_shipped_and_a_refused_entry_alone_is_sent_again(
    web: ApiClient, stream: OrderStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = place(web)
    stream.drain()
    assert kinds(stream.published()) == [("OrderCreated", order["order_id"])]
    requests = flaky_put_events(monkeypatch, once(lambda e: e["DetailType"] == "OrderShipped"))

    ship_by_hand(order["order_id"], "s-1")
    stream.drain()

    # Both events of the change in one request; EventBridge took one and refused the other; the retry
    # of the record sends only the refused one.
    assert requests == [["OrderStatusChanged", "OrderShipped"], ["OrderShipped"]]
    status, shipped = stream.published()
    assert (status["detail-type"], status["detail"]["new_status"]) == (
        "OrderStatusChanged",
        "PARTIALLY_SHIPPED",
    )
    assert shipped["detail-type"] == "OrderShipped"
    detail = shipped["detail"]
    assert (detail["shipment_id"], detail["carrier"], detail["tracking_number"]) == (
        "s-1",
        "ups",
        "1Z999AA10123456784",
    )
    assert detail["lines"] == [{"sku": "MUG", "quantity": 1}]
    assert detail["event_id"] == f"{order['order_id']}#OrderShipped#s-1"


def test_a_record_that_keeps_failing_is_recorded_in_the_failures_queue(
    web: ApiClient, stream: OrderStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = place(web)
    flaky_put_events(monkeypatch, lambda entries: set(range(len(entries))))

    stream.drain(rounds=40)

    assert stream.published() == []
    [failure] = stream.failures()
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == stream.poller.stream_arn
    assert failure["requestContext"]["functionArn"].endswith(":function:order_events")
    assert failure["requestContext"]["approximateInvokeCount"] == stream.poller._trigger.retry_attempts + 1
    assert wiring.order_store().get(order["order_id"]) is not None  # the order itself is untouched

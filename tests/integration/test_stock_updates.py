"""The warehouse stock feed against moto: counts and movements from SQS, in order and once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.domain.moments import utc_text
from tests.support.http import ApiClient
from tests.support.inventory import StockFeed
from tests.support.local_aws import RequestCounter

START = [datetime.now(UTC)]


@pytest.fixture(autouse=True)
def _start(stocked: ApiClient) -> None:
    START[0] = datetime.now(UTC)  # after the fixtures' staff counts, which are as of "now"


def t(seconds: int) -> str:
    """A source time after the fixtures' counts (in quarter seconds: never in the future by more than
    the clock skew a message may have)."""
    return (START[0] + timedelta(seconds=seconds / 4)).isoformat()


def message(**fields: Any) -> dict[str, Any]:
    return {"sku": "MUG", "source": "wms-eu-1", **fields}


def levels(staff: ApiClient, sku: str = "MUG") -> dict[str, Any]:
    reply = staff.get(f"/inventory/{sku}")
    assert reply.status == 200, reply.body
    return reply.json()


@pytest.fixture
def feed(stocked: ApiClient) -> StockFeed:
    return StockFeed()


def test_a_late_count_older_than_the_last_one_is_ignored(feed: StockFeed, stocked: ApiClient) -> None:
    feed.send(message(on_hand=40, as_of=t(60), update_id="count-10", location="wms-eu-1"))
    feed.run()
    feed.send(message(on_hand=99, as_of=t(0), update_id="count-09", location="wms-eu-1"))
    feed.run()

    stock = levels(stocked)
    [wms] = [loc for loc in stock["locations"] if loc["location"] == "wms-eu-1"]
    assert wms["on_hand"] == 40
    assert wms["last_count_at"] == utc_text(datetime.fromisoformat(t(60)))
    assert stock["on_hand"] == 3 + 40  # the default location's 3 and the warehouse's count
    assert feed.responses[-1] == {"batchItemFailures": []}  # ignored, not retried
    assert feed.dead_letters() == []


def test_a_duplicated_delta_is_applied_once(feed: StockFeed, stocked: ApiClient) -> None:
    delta = message(delta=5, as_of=t(60), update_id="receipt-7")
    feed.send(delta, delta)
    feed.run()
    feed.send(delta)  # redelivered later, in another batch
    feed.run()

    assert levels(stocked)["on_hand"] == 3 + 5
    movements = stocked.get("/inventory/MUG/movements").json()["items"]
    assert [(m["update_id"], m["change"]) for m in movements if m["source"] == "wms-eu-1"] == [
        ("receipt-7", 5)
    ]


def test_updates_of_one_sku_and_location_in_a_batch_are_one_write(
    feed: StockFeed, stocked: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    feed.send(
        message(delta=-1, as_of=t(61), update_id="pick-1"),
        message(on_hand=20, as_of=t(60), update_id="count-1"),
        message(delta=-2, as_of=t(62), update_id="pick-2"),
        message(delta=4, as_of=t(59), update_id="early"),  # before the count: in it
        message(sku="TSHIRT", delta=1, as_of=t(60), update_id="t-1"),
    )
    dynamodb_calls.reset()
    feed.run()

    writes = [c for c in dynamodb_calls.calls if c.startswith("TransactWriteItems")]
    assert len(writes) == 2  # one per SKU and location, for five messages
    assert levels(stocked)["on_hand"] == 20 - 1 - 2
    assert levels(stocked, "TSHIRT")["on_hand"] == 11


def test_counts_keep_the_reservations_of_open_orders(
    feed: StockFeed, stocked: ApiClient, web: ApiClient
) -> None:
    order = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 2}]}
    assert web.post("/orders", order).status == 201

    feed.send(message(on_hand=10, as_of=t(60), update_id="count-1"))
    feed.run()

    stock = levels(stocked)
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (10, 2, 8)


def test_bad_messages_go_to_the_dlq_with_a_reason_and_never_fail_their_neighbours(
    feed: StockFeed, stocked: ApiClient
) -> None:
    feed.send(
        message(delta=1, as_of=t(60), update_id="ok-1"),
        message(on_hand=3, delta=1, as_of=t(60), update_id="both"),
        message(sku="NOT-IN-CATALOG", delta=1, as_of=t(60), update_id="unknown"),
        message(delta=1, as_of="2999-01-01T00:00:00Z", update_id="future"),
    )
    feed.sqs.send_message(QueueUrl=feed.url, MessageBody="not json")
    feed.run()

    assert feed.responses[-1] == {"batchItemFailures": []}
    assert levels(stocked)["on_hand"] == 4
    reasons = sorted(m["MessageAttributes"]["oms_reason"]["StringValue"] for m in feed.dead_letters())
    assert reasons == [
        "body is not JSON",
        "stock update: (root): Value error, send exactly one of on_hand (a count) and delta (a movement)",
        "stock update: as_of is in the future",
        "unknown SKU 'NOT-IN-CATALOG'",
    ]


def test_a_transient_failure_hands_back_only_its_own_group(
    feed: StockFeed, stocked: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.stock_updates import wiring
    from shared.services.stock import Failed

    service = wiring.stock_service()
    real = service._apply

    def flaky(changes: Any, level: Any) -> Any:
        return Failed("throttled") if changes[0].sku == "TSHIRT" else real(changes, level)

    monkeypatch.setattr(service, "_apply", flaky)
    feed.send(
        message(delta=1, as_of=t(60), update_id="m-1"),
        message(sku="TSHIRT", delta=1, as_of=t(60), update_id="t-1"),
    )
    feed.run()

    assert len(feed.responses[-1]["batchItemFailures"]) == 1
    attributes = feed.sqs.get_queue_attributes(QueueUrl=feed.url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # only TSHIRT's, kept for a retry
    assert levels(stocked)["on_hand"] == 4
    assert levels(stocked, "TSHIRT")["on_hand"] == 10


def test_a_count_that_overtakes_later_movements_keeps_them(feed: StockFeed, stocked: ApiClient) -> None:
    """SQS does not keep order: the 11:05 pick may be applied before the 11:04 count arrives."""
    feed.send(message(on_hand=10, as_of=t(0), update_id="count-1", location="wms"))
    feed.run()
    feed.send(message(delta=-3, as_of=t(20), update_id="pick-1", location="wms"))
    feed.run()
    feed.send(message(on_hand=50, as_of=t(10), update_id="count-2", location="wms"))
    feed.run()

    stock = levels(stocked)
    [wms] = [loc for loc in stock["locations"] if loc["location"] == "wms"]
    assert wms["on_hand"] == 47  # the count, and the pick after it
    assert stock["on_hand"] == 3 + 47
    ledger = stocked.get("/inventory/MUG/movements").json()["items"]
    assert sum(m["change"] for m in ledger) == stock["on_hand"]


def test_stock_recorded_before_locations_is_the_default_locations(aws: Any, staff: ApiClient) -> None:
    """A product item written by the release before locations: on_hand, no on_hand@default."""
    from infra.spec import CATALOG

    staff.put("/products/OLD", {"name": "Old", "price": "1.00"})
    aws.update_item(
        TableName=CATALOG.local_name,
        Key={"pk": {"S": "OLD"}, "sk": {"S": "SKU"}},
        UpdateExpression="SET on_hand = :n, available = :n",
        ExpressionAttributeValues={":n": {"N": "10"}},
    )
    assert [(loc["location"], loc["on_hand"]) for loc in levels(staff, "OLD")["locations"]] == [
        ("default", 10)
    ]
    feed = StockFeed()
    feed.send(message(sku="OLD", delta=5, as_of=t(1), update_id="wms-1", location="wms"))
    feed.send(message(sku="OLD", delta=-2, as_of=t(1), update_id="pick-1"))
    feed.run()

    stock = levels(staff, "OLD")
    assert {loc["location"]: loc["on_hand"] for loc in stock["locations"]} == {"default": 8, "wms": 5}
    assert stock["on_hand"] == 13
    feed.send(message(sku="OLD", on_hand=6, as_of=t(2), update_id="count-1"))
    feed.run()
    assert levels(staff, "OLD")["on_hand"] == 11


def test_one_groups_error_is_that_groups_alone(
    feed: StockFeed, stocked: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from functions.stock_updates import wiring

    store = wiring.inventory_store()
    real = store.commit

    def throttled(plan: Any) -> Any:
        if plan.sku == "TSHIRT":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Transact")
        return real(plan)

    monkeypatch.setattr(store, "commit", throttled)
    feed.send(
        message(delta=1, as_of=t(4), update_id="m-1"),
        message(sku="TSHIRT", delta=1, as_of=t(4), update_id="t-1"),
    )
    feed.run()

    assert len(feed.responses[-1]["batchItemFailures"]) == 1
    assert levels(stocked)["on_hand"] == 4
    monkeypatch.setattr(store, "commit", real)

"""The marketplace feed against moto: SQS in, orders out, exactly once, poison to the DLQ.

Messages go through a real (moto) queue and the same poller the local stack runs, so deletes,
batch item failures and the dead-letter queue behave as they do behind Lambda's event source mapping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.marketplace_feed import handler as feed_handler
from functions.marketplace_feed import wiring as feed_wiring
from infra.local.pollers import QueuePoller
from infra.local.workers import LambdaContext
from infra.spec import MARKETPLACE_FEED, MARKETPLACE_ORDERS, MARKETPLACE_ORDERS_DLQ
from tests.support.http import ApiClient
from tests.support.local_aws import RequestCounter, orders_placed

SAMPLES = Path("events/marketplace_feed")


def sample_bodies(name: str) -> list[str]:
    return [record["body"] for record in json.loads((SAMPLES / f"{name}.json").read_text())["Records"]]


class Feed:
    """Send to the feed queue, run one poll as Lambda's mapping would, look at both queues."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.get_queue_url(QueueName=MARKETPLACE_ORDERS.local_name)["QueueUrl"]
        self.dlq = self.sqs.get_queue_url(QueueName=MARKETPLACE_ORDERS_DLQ.local_name)["QueueUrl"]
        self.responses: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        (trigger,) = MARKETPLACE_FEED.triggers
        self.poller = QueuePoller(self.sqs, self.url, trigger, self._invoke)

    def _invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        response = feed_handler.lambda_handler(event, LambdaContext("marketplace_feed", 512, 30, "test"))
        self.responses.append(response)
        return response

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def run(self) -> int:
        return self.poller.poll_once()

    def in_flight(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])


@pytest.fixture
def feed(stocked_for_feeds: ApiClient) -> Feed:
    return Feed()


@pytest.fixture
def stocked_for_feeds(staff: ApiClient) -> ApiClient:
    for sku, price, on_hand in (("TSHIRT-RED-M", "19.99", 10), ("MUG-WHITE", "8.50", 10)):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": price}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": on_hand}).status == 200
    return staff


def stock(staff: ApiClient, sku: str) -> dict[str, Any]:
    reply = staff.get(f"/inventory/{sku}").json()
    return {k: reply[k] for k in ("sku", "on_hand", "reserved", "available")}


def orders_of(staff: ApiClient, channel: str) -> list[dict[str, Any]]:
    return staff.get("/orders", query={"channel": channel, "limit": 100}).json()["items"]


@pytest.mark.parametrize("sample", ["amazon", "ebay", "generic"])
def test_each_marketplace_shape_becomes_one_order(
    feed: Feed, stocked_for_feeds: ApiClient, sample: str
) -> None:
    (body,) = sample_bodies(sample)
    message = json.loads(body)
    channel = message.get("channel") or message["marketplace"]  # a generic connector may name its channel
    feed.send(body)

    assert feed.run() == 1

    assert feed.responses == [{"batchItemFailures": []}]
    [order] = orders_of(stocked_for_feeds, channel)
    assert order["status"] == "CONFIRMED"
    external_id = order["external_id"]
    assert external_id
    found = stocked_for_feeds.get("/orders", query={"channel": channel, "external_id": external_id}).json()
    assert [o["order_id"] for o in found["items"]] == [order["order_id"]]
    reserved = {line["sku"]: 0 for line in order["lines"]}
    for line in order["lines"]:
        reserved[line["sku"]] += line["quantity"]
    for sku, quantity in reserved.items():
        assert stock(stocked_for_feeds, sku)["reserved"] == quantity
    assert feed.in_flight() == 0


def test_the_amazon_order_is_mapped_field_by_field(feed: Feed, stocked_for_feeds: ApiClient) -> None:
    (body,) = sample_bodies("amazon")
    document = json.loads(body)["order"]
    feed.send(body)
    feed.run()

    [order] = orders_of(stocked_for_feeds, "amazon")
    assert order["external_id"] == document["AmazonOrderId"]
    assert order["currency"] == document["OrderTotal"]["CurrencyCode"]
    # 39.98 for two T-shirts (SP-API's ItemPrice is per line) + 8.50, and US sales tax on top: OrderTotal
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("48.48", "3.88", "52.36")
    assert order["total"] == document["OrderTotal"]["Amount"]
    assert order["placed_at"] == "2026-03-14T09:21:47.000000Z"  # PurchaseDate, not when it arrived
    assert order["channel_version"] == "2026-03-14T09:52:03.000000Z"  # LastUpdateDate
    assert {(line["sku"], line["quantity"]) for line in order["lines"]} == {
        ("TSHIRT-RED-M", 2),
        ("MUG-WHITE", 1),
    }


def test_redelivery_never_creates_a_second_order(feed: Feed, stocked_for_feeds: ApiClient) -> None:
    (body,) = sample_bodies("ebay")
    feed.send(body, body)  # a connector resends; SQS may also deliver one message twice
    feed.run()
    feed.send(body)
    feed.run()

    assert len(orders_of(stocked_for_feeds, "ebay")) == 1
    [order] = orders_of(stocked_for_feeds, "ebay")
    quantity = sum(line["quantity"] for line in order["lines"])
    assert stock(stocked_for_feeds, "TSHIRT-RED-M")["reserved"] == quantity


def test_a_new_order_counts_once_per_channel_for_the_dashboard(
    feed: Feed, stocked_for_feeds: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    (body,) = sample_bodies("ebay")
    capsys.readouterr()
    feed.send(body, body)
    feed.run()
    feed.send(body)
    feed.run()
    # One order, one OrderPlaced with its channel: redeliveries and resends count nothing.
    assert orders_placed(capsys.readouterr().out) == [("ebay", [1.0])]


def test_one_poison_message_never_fails_its_neighbours(feed: Feed, stocked_for_feeds: ApiClient) -> None:
    bodies = sample_bodies("batch_with_poison")
    feed.send(*bodies)

    assert feed.run() == len(bodies)

    assert feed.responses == [{"batchItemFailures": []}]  # poison is moved, not retried
    assert feed.in_flight() == 0
    good = [
        b for b in bodies if _is_json(b) and json.loads(b).get("marketplace") in ("amazon", "ebay", "generic")
    ]
    assert sum(len(orders_of(stocked_for_feeds, c)) for c in ("amazon", "ebay", "generic")) == len(good)
    dead = feed.dead_letters()
    assert len(dead) == len(bodies) - len(good)
    reasons = sorted(m["MessageAttributes"]["oms_reason"]["StringValue"] for m in dead)
    assert any("not JSON" in r for r in reasons)
    assert any("marketplace" in r for r in reasons)
    assert sorted(m["Body"] for m in dead) == sorted(set(bodies) - set(good))  # the original body, untouched


def test_short_stock_records_a_backorder_and_oversells_nothing(
    feed: Feed, stocked_for_feeds: ApiClient
) -> None:
    stocked_for_feeds.put("/inventory/TSHIRT-RED-M", {"on_hand": 1})
    (body,) = sample_bodies("amazon")  # wants two T-shirts and a mug
    feed.send(body)
    feed.run()

    [order] = orders_of(stocked_for_feeds, "amazon")
    assert order["status"] == "BACKORDERED"
    assert order["backorder"] == [{"sku": "TSHIRT-RED-M", "requested": 2, "available": 1}]
    assert stock(stocked_for_feeds, "TSHIRT-RED-M") == {
        "sku": "TSHIRT-RED-M",
        "on_hand": 1,
        "reserved": 0,
        "available": 1,
    }
    assert stock(stocked_for_feeds, "MUG-WHITE")["reserved"] == 0
    assert order["history"][0]["status"] == "BACKORDERED"
    # Redelivered, it is still one order.
    feed.send(body)
    feed.run()
    assert len(orders_of(stocked_for_feeds, "amazon")) == 1


def test_an_unknown_sku_is_rejected_to_the_dlq_with_its_reason(
    feed: Feed, stocked_for_feeds: ApiClient
) -> None:
    message = {
        "marketplace": "generic",
        "order": {
            "external_id": "X-1",
            "customer": {"email": "a@example.com", "name": "A"},
            "lines": [{"sku": "NOT-IN-CATALOG", "quantity": 1, "unit_price": "1.00"}],
        },
    }
    feed.send(json.dumps(message))
    feed.run()

    [dead] = feed.dead_letters()
    reason = dead["MessageAttributes"]["oms_reason"]["StringValue"]
    assert "unknown SKU" in reason
    assert "a@example.com" not in reason
    assert orders_of(stocked_for_feeds, "generic") == []


def test_a_generic_connector_names_an_allowed_channel_or_gets_generic(
    feed: Feed, stocked_for_feeds: ApiClient
) -> None:
    (body,) = sample_bodies("generic")
    # etsy: a feed-owned channel (FEED_OWNED_CHANNELS, shared/domain/channels.py)
    named = {**json.loads(body), "channel": "etsy"}
    unnamed = {k: v for k, v in json.loads(body).items() if k != "channel"}
    unnamed["order"] = {**unnamed["order"], "external_id": "OTHER-1"}
    feed.send(json.dumps(named), json.dumps(unnamed))
    feed.run()
    assert [o["channel"] for o in orders_of(stocked_for_feeds, "etsy")] == ["etsy"]
    assert [o["external_id"] for o in orders_of(stocked_for_feeds, "generic")] == ["OTHER-1"]


@pytest.mark.parametrize(
    ("marketplace", "channel"),
    [
        ("generic", "web"),
        ("generic", "amazon"),
        ("generic", "staff"),
        ("generic", "unknown-shop"),
        ("ebay", "etsy"),
    ],
)
def test_a_connector_cannot_write_into_another_channel(
    feed: Feed, stocked_for_feeds: ApiClient, marketplace: str, channel: str
) -> None:
    """Its external ids would claim, or read back, that channel's orders: the message is refused."""
    (body,) = sample_bodies("generic" if marketplace == "generic" else "ebay")
    feed.send(json.dumps({**json.loads(body), "channel": channel}))
    feed.run()
    [dead] = feed.dead_letters()
    assert "channel" in dead["MessageAttributes"]["oms_reason"]["StringValue"]
    assert orders_of(stocked_for_feeds, channel) == []


def test_throttling_is_retried_and_nothing_is_lost(
    feed: Feed, stocked_for_feeds: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    (body,) = sample_bodies("ebay")
    store = feed_wiring.feed()._orders._orders  # type: ignore[attr-defined]
    real = store._db.transact_write_items

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "TransactWriteItems",
        )

    monkeypatch.setattr(store._db, "transact_write_items", throttled)
    feed.send(body)
    feed.run()

    [response] = feed.responses
    assert len(response["batchItemFailures"]) == 1  # reported back: SQS delivers it again
    assert feed.in_flight() == 1
    assert orders_of(stocked_for_feeds, "ebay") == []
    assert feed.dead_letters() == []

    monkeypatch.setattr(store._db, "transact_write_items", real)
    # Make the failed message visible now rather than after the visibility timeout.
    [record] = feed.events[-1]["Records"]
    feed.sqs.change_message_visibility(
        QueueUrl=feed.url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
    )
    feed.run()
    assert len(orders_of(stocked_for_feeds, "ebay")) == 1
    assert feed.in_flight() == 0


def test_when_the_dlq_cannot_be_reached_the_poison_stays_on_the_queue(
    feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*_: Any, **__: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(feed_wiring.dead_letters(), "send", unreachable)
    feed.send("not json", sample_bodies("generic")[0])
    feed.run()

    [response] = feed.responses
    assert len(response["batchItemFailures"]) == 1
    assert feed.in_flight() == 1  # nothing lost: SQS redrives it to the DLQ after 5 receives at worst


def test_a_new_feed_order_is_one_dynamodb_request(feed: Feed, dynamodb_calls: RequestCounter) -> None:
    (body,) = sample_bodies("amazon")
    feed.send(body)
    dynamodb_calls.reset()
    feed.run()
    assert dynamodb_calls.calls == ["TransactWriteItems"]


def _is_json(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def test_a_message_that_keeps_failing_moves_to_the_dlq_after_5_receives(
    feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue's redrive policy (as CDK declares it, infra/spec.py) ends endless retries."""
    store = feed_wiring.feed()._orders._orders  # type: ignore[attr-defined]

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems"
        )

    monkeypatch.setattr(store._db, "transact_write_items", throttled)
    (body,) = sample_bodies("ebay")
    feed.send(body)

    for receive in range(1, MARKETPLACE_ORDERS.max_receive_count + 1):
        assert feed.run() == 1, f"receive {receive}"
        [record] = feed.events[-1]["Records"]
        assert record["attributes"]["ApproximateReceiveCount"] == str(receive)
        feed.sqs.change_message_visibility(
            QueueUrl=feed.url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
        )

    assert feed.run() == 0  # the sixth receive finds it gone: SQS moved it
    [dead] = feed.dead_letters()
    assert dead["Body"] == body
    assert feed.in_flight() == 0


def test_with_too_little_time_left_records_are_handed_back_not_started(
    feed: Feed, stocked_for_feeds: ApiClient
) -> None:
    import time

    (body,) = sample_bodies("ebay")
    feed.send(body)
    messages = feed.sqs.receive_message(QueueUrl=feed.url, AttributeNames=["All"])["Messages"]
    from infra.local.pollers import sqs_event

    nearly_over = LambdaContext("marketplace_feed", 512, 30, "t", deadline=time.monotonic() + 5)
    response = feed_handler.lambda_handler(sqs_event(messages, "arn:aws:sqs:us-east-1:0:q"), nearly_over)

    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [messages[0]["MessageId"]]
    assert orders_of(stocked_for_feeds, "ebay") == []

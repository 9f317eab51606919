"""Dead letters over the API and through the service, against moto's SQS."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from functions.marketplace_feed import handler as marketplace_feed
from functions.marketplace_feed import wiring as feed_wiring
from infra.local.workers import LambdaContext
from infra.spec import API, MARKETPLACE_ORDERS, MARKETPLACE_ORDERS_DLQ, STOCK_UPDATES, dead_letters_config
from shared.aws import client
from shared.dal.dead_letters import Received, SqsQueues
from shared.domain.dead_letters import MOVED_BY_SQS, PREVIOUS_REASONS, REASON
from shared.models.dead_letters import DeadLetterOutcome
from shared.services.dead_letters import DeadLetterService, Limits
from tests.support.http import ApiClient

SAMPLE = json.loads(
    json.loads(open("events/marketplace_feed/generic.json").read())["Records"][0]["body"]  # noqa: SIM115
)


@pytest.fixture
def sqs(aws: Any) -> Any:
    return boto3.client("sqs")


def url(sqs: Any, name: str) -> str:
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def park(
    sqs: Any, body: dict[str, Any] | str, reason: str = "order rejected: lines[0].sku: unknown SKU"
) -> str:
    """What marketplace_feed does with poison (shared/dal/queues.py), through its own code."""
    text = body if isinstance(body, str) else json.dumps(body)
    sent: list[str] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        sent.append(parsed["MessageId"])

    events = client("sqs").meta.events  # the client the feed's DeadLetters sends with
    events.register("after-call.sqs.SendMessage", record)
    try:
        feed_wiring.dead_letters().send(text, reason=reason, source_message_id="src-1", source="test")
    finally:
        events.unregister("after-call.sqs.SendMessage", record)
    (message_id,) = sent
    return message_id


def everything(sqs: Any, name: str) -> list[str]:
    """Every visible message id, peeked (visibility 0)."""
    seen: dict[str, None] = {}
    for _ in range(5):
        for m in sqs.receive_message(
            QueueUrl=url(sqs, name), MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", []):
            seen[m["MessageId"]] = None
    return list(seen)


def receive_all(sqs: Any, name: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url(sqs, name), MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return got
        got += batch


def order(external_id: str) -> dict[str, Any]:
    message = json.loads(json.dumps(SAMPLE))
    message["order"]["external_id"] = external_id
    return dict(message)


def service(sqs: Any, limits: Limits | None = None, store: Any = None) -> DeadLetterService:
    queues = dead_letters_config(API.dead_letters, lambda q: url(sqs, q.local_name))
    return DeadLetterService(queues, store or SqsQueues(sqs), limits or Limits(wait_s=0))


# --- listing -----------------------------------------------------------------------------------


def test_every_queue_is_listed_with_its_depth(staff: ApiClient, sqs: Any) -> None:
    park(sqs, order("A-1"))
    park(sqs, order("A-2"))
    reply = staff.get("/dead-letters")
    assert reply.status == 200, reply.body
    queues = {q["queue"]: q for q in reply.json()["items"]}
    assert set(queues) == {d.name for d in API.dead_letters}
    assert queues["marketplace-orders"]["approximate_depth"] == 2
    assert queues["marketplace-orders"]["redrivable"] is True
    assert queues["stock-updates"]["approximate_depth"] == 0
    assert queues["order-events"]["redrivable"] is False


def test_a_listing_shows_reason_count_first_seen_and_a_masked_body(staff: ApiClient, sqs: Any) -> None:
    message_id = park(sqs, order("A-1"))
    reply = staff.get("/dead-letters/marketplace-orders")
    assert reply.status == 200, reply.body
    listing = reply.json()
    (message,) = listing["messages"]
    assert message["message_id"] == message_id
    assert message["reason"] == "order rejected: lines[0].sku: unknown SKU"
    assert message["receive_count"] >= 1
    assert abs(time.time() - _epoch(message["first_seen_at"])) < 60
    assert message["body"]["order"]["external_id"] == "A-1"
    assert message["body"]["order"]["customer"] == "*****"
    assert message["body"]["order"]["shipping_address"] == "*****"
    assert "riley" not in reply.body.decode().lower() and "7946" not in reply.body.decode()
    assert message["attributes"]["oms_source_message_id"] == "src-1"


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def test_a_peek_never_hides_a_message(staff: ApiClient, sqs: Any) -> None:
    message_id = park(sqs, order("A-1"))
    assert staff.get("/dead-letters/marketplace-orders").status == 200
    # At once, with no wait for any visibility timeout: still there for anyone.
    got = sqs.receive_message(QueueUrl=url(sqs, MARKETPLACE_ORDERS_DLQ.local_name), MaxNumberOfMessages=10)
    assert [m["MessageId"] for m in got["Messages"]] == [message_id]


def test_a_message_sqs_moved_has_that_as_its_reason(staff: ApiClient, sqs: Any) -> None:
    sqs.send_message(QueueUrl=url(sqs, MARKETPLACE_ORDERS_DLQ.local_name), MessageBody="{}")
    (message,) = staff.get("/dead-letters/marketplace-orders").json()["messages"]
    assert message["reason"] == MOVED_BY_SQS


def test_a_stream_failure_record_says_its_condition(staff: ApiClient, sqs: Any) -> None:
    record = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "DDBStreamBatchInfo": {"shardId": "shard-1", "startSequenceNumber": "1", "endSequenceNumber": "9"},
    }
    sqs.send_message(QueueUrl=url(sqs, "oms-order-events-failures"), MessageBody=json.dumps(record))
    listing = staff.get("/dead-letters/order-events").json()
    assert listing["redrivable"] is False
    assert listing["messages"][0]["reason"] == "RetryAttemptsExhausted"


def test_a_listing_peeks_at_most_limit_messages(staff: ApiClient, sqs: Any) -> None:
    parked = {park(sqs, order(f"A-{i}")) for i in range(15)}
    listing = staff.get("/dead-letters/marketplace-orders", query={"limit": 4}).json()
    assert len({m["message_id"] for m in listing["messages"]}) == 4
    listing = staff.get("/dead-letters/marketplace-orders").json()
    assert len({m["message_id"] for m in listing["messages"]} & parked) == 10
    assert listing["approximate_depth"] == 15
    assert staff.get("/dead-letters/marketplace-orders", query={"limit": 11}).status == 422


# --- redrive ---------------------------------------------------------------------------------


def test_redrive_by_id_sends_to_the_source_then_deletes(admin: ApiClient, sqs: Any) -> None:
    keep = park(sqs, order("KEEP"))
    again = park(sqs, order("AGAIN"))
    reply = admin.post("/dead-letters/marketplace-orders/redrive", {"ids": [again, "no-such-id"]})
    assert reply.status == 200, reply.body
    outcome = reply.json()
    assert outcome["done"] == [again]
    assert outcome["not_found"] == ["no-such-id"]
    assert outcome["complete"] is True
    (sent,) = receive_all(sqs, MARKETPLACE_ORDERS.local_name)
    assert json.loads(sent["Body"])["order"]["external_id"] == "AGAIN"
    attributes = sent.get("MessageAttributes", {})
    assert REASON not in attributes  # not the old poison's reason: a fresh try
    assert json.loads(attributes[PREVIOUS_REASONS]["StringValue"]) == [
        "order rejected: lines[0].sku: unknown SKU"
    ]
    # The one left behind is visible again at once (released, not held for 30 s).
    assert everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name) == [keep]


def test_redrive_all_empties_the_queue_into_its_source(admin: ApiClient, sqs: Any) -> None:
    parked = {park(sqs, order(f"ALL-{i}")) for i in range(12)}
    outcome = admin.post("/dead-letters/marketplace-orders/redrive", {"all": True}).json()
    assert set(outcome["done"]) == parked and outcome["complete"] is True
    assert everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name) == []
    assert sorted(
        json.loads(m["Body"])["order"]["external_id"] for m in receive_all(sqs, "oms-marketplace-orders")
    ) == sorted(f"ALL-{i}" for i in range(12))


def test_a_redriven_message_that_fails_again_returns_with_its_new_reason(admin: ApiClient, sqs: Any) -> None:
    park(sqs, order("TWICE"))
    (first,) = admin.get("/dead-letters/marketplace-orders").json()["messages"]
    assert admin.post("/dead-letters/marketplace-orders/redrive", {"all": True}).json()["done"]
    (copy,) = receive_all(sqs, MARKETPLACE_ORDERS.local_name)
    # The feed reads the body only: the reason history in the attributes changes nothing for it.
    event = {
        "Records": [
            {
                "messageId": copy["MessageId"],
                "receiptHandle": copy["ReceiptHandle"],
                "body": copy["Body"],
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {
                    k: {"stringValue": v["StringValue"], "dataType": "String"}
                    for k, v in copy["MessageAttributes"].items()
                },
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:oms-marketplace-orders",
            }
        ]
    }
    context = LambdaContext("marketplace_feed", 512, 30, "test")
    assert marketplace_feed.lambda_handler(event, context) == {"batchItemFailures": []}
    (message,) = admin.get("/dead-letters/marketplace-orders").json()["messages"]
    assert message["reason"].startswith("order rejected")  # MUG-WHITE is still unknown here
    assert message["attributes"]["oms_source_message_id"] == copy["MessageId"]
    # Parked again, it keeps the reason it had the first time beside its new one.
    assert message["previous_reasons"] == [first["reason"]] and message["reason"] != first["reason"]


def test_a_body_nested_too_deeply_is_listed_as_text(staff: ApiClient, sqs: Any) -> None:
    # The feeds park such bodies ("nested too deeply"); parsed, the listing could not serialise them.
    deep = "[" * 300 + "]" * 300
    park(sqs, deep, reason="body is nested too deeply (more than 64 levels)")
    reply = staff.get("/dead-letters/marketplace-orders")
    assert reply.status == 200, reply.body
    (message,) = reply.json()["messages"]
    assert message["body"] == deep


def test_a_crash_between_send_and_delete_leaves_it_in_both(sqs: Any) -> None:
    message_id = park(sqs, order("CRASH"))

    class CrashOnDelete(SqsQueues):
        def delete(self, url: str, message: Received) -> None:
            raise RuntimeError("the function died here")

    dead_letters = service(sqs, Limits(hold_s=2, seconds=1, wait_s=0), CrashOnDelete(sqs))
    with pytest.raises(RuntimeError):
        dead_letters.redrive("marketplace-orders", frozenset({message_id}))
    assert [
        json.loads(m["Body"])["order"]["external_id"] for m in receive_all(sqs, "oms-marketplace-orders")
    ] == ["CRASH"]
    time.sleep(2.2)  # the held dead letter is visible again once its timeout ends: never lost
    assert everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name) == [message_id]


def test_a_search_stops_at_its_bound_and_says_so(sqs: Any) -> None:
    ids = [park(sqs, order(f"B-{i}")) for i in range(25)]
    outcome = service(sqs, Limits(rounds=1, wait_s=0)).delete("marketplace-orders", frozenset({"missing"}))
    assert isinstance(outcome, DeadLetterOutcome)
    assert (outcome.complete, outcome.searched, outcome.not_found) == (False, 10, ["missing"])
    # Every one released: all 25 receivable at once.
    assert sorted(m["MessageId"] for m in receive_all(sqs, MARKETPLACE_ORDERS_DLQ.local_name)) == sorted(ids)


def test_stream_pointers_cannot_be_redriven(admin: ApiClient, sqs: Any) -> None:
    sqs.send_message(QueueUrl=url(sqs, "oms-order-events-failures"), MessageBody="{}")
    reply = admin.post("/dead-letters/order-events/redrive", {"all": True})
    assert reply.status == 409 and reply.header("Content-Type") == "application/problem+json"
    assert reply.json()["type"] == "urn:oms:problem:not-redrivable"


def test_stock_updates_redrive_to_their_own_queue(admin: ApiClient, sqs: Any) -> None:
    sqs.send_message(QueueUrl=url(sqs, "oms-stock-updates-dlq"), MessageBody='{"update_id": "u-1"}')
    assert len(admin.post("/dead-letters/stock-updates/redrive", {"all": True}).json()["done"]) == 1
    assert [m["Body"] for m in receive_all(sqs, STOCK_UPDATES.local_name)] == ['{"update_id": "u-1"}']
    assert receive_all(sqs, MARKETPLACE_ORDERS.local_name) == []


# --- delete ------------------------------------------------------------------------------------


def test_delete_by_id_and_all(admin: ApiClient, sqs: Any) -> None:
    first, second, third = (park(sqs, order(f"D-{i}")) for i in range(3))
    outcome = admin.post("/dead-letters/marketplace-orders/delete", {"ids": [second]}).json()
    assert outcome["done"] == [second] and outcome["not_found"] == []
    assert sorted(everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name)) == sorted([first, third])
    outcome = admin.post("/dead-letters/marketplace-orders/delete", {"all": True}).json()
    assert sorted(outcome["done"]) == sorted([first, third])
    assert everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name) == []
    assert receive_all(sqs, MARKETPLACE_ORDERS.local_name) == []  # deleted, never redriven


def test_stream_pointers_can_be_deleted(admin: ApiClient, sqs: Any) -> None:
    sqs.send_message(QueueUrl=url(sqs, "oms-inventory-events-failures"), MessageBody="{}")
    assert len(admin.post("/dead-letters/inventory-events/delete", {"all": True}).json()["done"]) == 1


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dead-letters"),
        ("GET", "/dead-letters/marketplace-orders"),
        ("POST", "/dead-letters/marketplace-orders/redrive"),
        ("POST", "/dead-letters/marketplace-orders/delete"),
    ],
)
def test_channel_keys_are_refused(web: ApiClient, sqs: Any, method: str, path: str) -> None:
    park(sqs, order("SECRET"))
    reply = web.request(method, path, {"all": True} if method == "POST" else None)
    assert reply.status == 403, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    assert len(everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name)) == 1


@pytest.mark.parametrize("who", ["staff", "viewer"])
@pytest.mark.parametrize("action", ["redrive", "delete"])
def test_only_admins_redrive_and_delete(
    who: str, action: str, staff: ApiClient, viewer: ApiClient, sqs: Any
) -> None:
    person = {"staff": staff, "viewer": viewer}[who]
    message_id = park(sqs, order("KEPT"))
    assert person.get("/dead-letters/marketplace-orders").status == 200  # every person reads them
    reply = person.post(f"/dead-letters/marketplace-orders/{action}", {"all": True})
    assert reply.status == 403, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.json()["detail"] == "This operation needs the admin role (or a higher one)."
    assert everything(sqs, MARKETPLACE_ORDERS_DLQ.local_name) == [message_id]
    assert receive_all(sqs, MARKETPLACE_ORDERS.local_name) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dead-letters/nope"),
        ("POST", "/dead-letters/nope/redrive"),
        ("POST", "/dead-letters/nope/delete"),
    ],
)
def test_an_unknown_queue_is_404(admin: ApiClient, method: str, path: str) -> None:
    reply = admin.request(method, path, {"all": True} if method == "POST" else None)
    assert reply.status == 404 and reply.header("Content-Type") == "application/problem+json"
    assert reply.json()["detail"] == "A dead-letter queue named nope does not exist."


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"all": False}, {"ids": ["a"], "all": True}, {"ids": ["a"] * 101}, {"every": True}],
)
def test_a_selection_is_ids_or_all(admin: ApiClient, body: dict[str, Any]) -> None:
    reply = admin.post("/dead-letters/marketplace-orders/delete", body)
    assert reply.status == 422, reply.body
    assert reply.header("Content-Type") == "application/problem+json"


def test_the_routes_are_documented_with_their_problems(staff: ApiClient) -> None:
    document = staff.get("/openapi.json").json()
    redrive = document["paths"]["/dead-letters/{queue}/redrive"]["post"]
    assert "no get-by-id" in redrive["description"] and "not_found" in redrive["description"]
    for status in ("401", "403", "404", "409", "422", "503"):
        content = redrive["responses"][status]["content"]
        assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    listing = document["paths"]["/dead-letters/{queue}"]["get"]
    assert "VisibilityTimeout 0" in listing["description"]
    assert set(document["paths"]["/dead-letters"]["get"]["responses"]) >= {"200", "401", "403", "503"}


def test_a_stock_update_redriven_once_its_sku_exists_applies_once(
    stocked: ApiClient, admin: ApiClient
) -> None:
    """stock_updates parks an unknown SKU with its reason; redriven with the reason history in its
    attributes it applies like any message, and a second copy (a crash between send and delete) is the
    same update_id: applied once."""
    from datetime import UTC, datetime

    from tests.support.inventory import StockFeed

    feed = StockFeed()
    update = {"sku": "LATE", "source": "wms-eu-1", "delta": 5, "update_id": "receipt-late-1"}
    feed.send({**update, "as_of": datetime.now(UTC).isoformat()})
    feed.run()
    (parked,) = stocked.get("/dead-letters/stock-updates").json()["messages"]
    assert "LATE" in json.dumps(parked["body"]) and parked["reason"]
    assert stocked.put("/products/LATE", {"name": "Late", "price": "1.00"}).status == 201

    outcome = admin.post("/dead-letters/stock-updates/redrive", {"ids": [parked["message_id"]]}).json()
    assert outcome["done"] == [parked["message_id"]]
    copy = feed.sqs.receive_message(QueueUrl=feed.url, MessageAttributeNames=["All"], VisibilityTimeout=0)
    (redriven,) = copy["Messages"]
    assert json.loads(redriven["MessageAttributes"][PREVIOUS_REASONS]["StringValue"]) == [parked["reason"]]
    feed.sqs.send_message(QueueUrl=feed.url, MessageBody=redriven["Body"])  # the copy a crash would leave
    feed.run()
    feed.run()

    assert stocked.get("/inventory/LATE").json()["on_hand"] == 5
    assert feed.dead_letters() == []

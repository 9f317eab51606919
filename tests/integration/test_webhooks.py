"""Webhooks against moto and a receiver on 127.0.0.1: the admin routes, then the delivery function run on
the webhooks queue's own messages (a retry's message is made visible again by the test: the clock of the
schedule is not waited for)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.webhooks.handler import lambda_handler as webhooks_handler
from infra.local.pollers import sqs_event
from infra.local.workers import LambdaContext
from infra.spec import WEBHOOKS, WEBHOOKS_DLQ, WEBHOOKS_QUEUE
from shared.config import EVENT_BUS_ENV, EVENTS_TAP_URL_ENV
from shared.domain.webhooks import ATTEMPTS
from tests.support.http import ApiClient
from tests.support.queues import take_all
from tests.support.webhook_receiver import Receiver, receiver

CUSTOMER = {"email": "jane@example.com", "name": "Jane Doe"}


@pytest.fixture
def hook(aws: Any) -> Any:
    with receiver() as r:
        yield r


def _url(queue: Any) -> str:
    return str(os.environ[queue.env_var])


def _register(admin: ApiClient, hook: Receiver, events: list[str] | None = None) -> dict[str, Any]:
    reply = admin.post("/webhooks", {"url": hook.url, "events": events or ["order.created", "order.shipped"]})
    assert reply.status == 201, reply.body
    return dict(reply.json())


def _bus_event(detail_type: str, detail: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "oms.orders",
        "account": "000000000000",
        "time": "2026-12-07T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def _send_event(event: dict[str, Any]) -> None:
    boto3.client("sqs").send_message(QueueUrl=_url(WEBHOOKS_QUEUE), MessageBody=json.dumps(event))


def _run(rounds: int = 1) -> list[dict[str, Any]]:
    """Receive what is visible on the webhooks queue and hand it to the function, ``rounds`` times; after
    each round, a message the function kept for a retry is made visible again at once."""
    sqs = boto3.client("sqs")
    url = _url(WEBHOOKS_QUEUE)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    responses = []
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=5, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            break
        response = webhooks_handler(sqs_event(messages, arn), LambdaContext("webhooks", 512, 60, "t"))
        responses.append(response)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:  # Lambda deletes what succeeded
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return responses


def _placed(staff: ApiClient) -> dict[str, Any]:
    reply = staff.post("/orders", {"customer": CUSTOMER, "lines": [{"sku": "MUG", "quantity": 1}]})
    assert reply.status == 201, reply.body
    return dict(reply.json())


def _deliveries(admin: ApiClient, endpoint_id: str) -> list[dict[str, Any]]:
    reply = admin.get(f"/webhooks/{endpoint_id}/deliveries")
    assert reply.status == 200, reply.body
    return list(reply.json()["items"])


def _depth(queue: Any) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=_url(queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


# --- endpoints over the API ------------------------------------------------------------------------------


def test_an_endpoint_is_registered_with_its_secret_shown_once(admin: ApiClient, hook: Receiver) -> None:
    created = _register(admin, hook)
    assert created["secret"].startswith("whsec_")
    assert created["enabled"] is True and created["active_secrets"] == 1
    endpoint_id = created["endpoint_id"]
    read = admin.get(f"/webhooks/{endpoint_id}")
    assert read.status == 200
    assert "secret" not in read.json()
    assert created["secret"] not in read.body.decode()
    listed = admin.get("/webhooks").json()["items"]
    assert [e["endpoint_id"] for e in listed] == [endpoint_id]
    assert all("secret" not in e for e in listed)
    # Stored sealed: the item holds no secret in clear.
    item = boto3.client("dynamodb").get_item(
        TableName=WEBHOOKS.local_name, Key={"pk": {"S": f"WEBHOOK#{endpoint_id}"}, "sk": {"S": "ENDPOINT"}}
    )["Item"]
    assert created["secret"] not in json.dumps(item, default=str)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://[fd00:ec2::254]/",
        "https://user:pw@example.com/",
        "http://192.168.1.10:8080/hook",
    ],
)
def test_urls_that_may_not_be_called_are_refused(admin: ApiClient, url: str) -> None:
    reply = admin.post("/webhooks", {"url": url, "events": ["order.created"]})
    assert reply.status == 422, reply.body
    assert reply.json()["errors"][0]["field"] == "url"


def test_unknown_event_types_are_refused(admin: ApiClient, hook: Receiver) -> None:
    assert admin.post("/webhooks", {"url": hook.url, "events": ["order.eaten"]}).status == 422


def test_patch_and_delete(admin: ApiClient, hook: Receiver) -> None:
    endpoint_id = _register(admin, hook)["endpoint_id"]
    patched = admin.patch(
        f"/webhooks/{endpoint_id}", {"events": ["stock.low"], "description": "Slack", "enabled": False}
    )
    assert patched.status == 200, patched.body
    assert patched.json()["events"] == ["stock.low"]
    assert patched.json()["enabled"] is False and patched.json()["description"] == "Slack"
    assert admin.patch(f"/webhooks/{endpoint_id}", {"url": "https://10.1.1.1/"}).status == 422
    assert admin.delete(f"/webhooks/{endpoint_id}").status == 204
    assert admin.get(f"/webhooks/{endpoint_id}").status == 404
    assert admin.delete(f"/webhooks/{endpoint_id}").status == 404


def test_staff_may_not_touch_webhooks(staff: ApiClient, hook: Receiver) -> None:
    assert staff.post("/webhooks", {"url": hook.url, "events": ["order.created"]}).status == 403
    assert staff.get("/webhooks").status == 403


# --- deliveries -----------------------------------------------------------------------------------------


def test_an_order_event_is_delivered_signed_with_the_order_as_the_api_returns_it(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    created = _register(admin, hook)
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"], "channel": "staff"}))
    _run(2)  # the event, then its delivery
    [got] = hook.received
    payload = got.verified(created["secret"])
    assert payload["type"] == "order.created"
    assert payload["timestamp"] == "2026-12-07T12:00:00Z"
    assert payload["data"] == stocked.get(f"/orders/{order['order_id']}").json()
    assert got.headers["webhook-id"].startswith("msg_")
    [delivery] = _deliveries(admin, created["endpoint_id"])
    assert delivery["delivery_id"] == got.headers["webhook-id"]
    assert delivery["status"] == "succeeded"
    [attempt] = delivery["attempts"]
    assert attempt["status"] == 200 and "receiver says hello" in attempt["response"]


def test_an_endpoint_not_subscribed_gets_nothing(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    _register(admin, hook, ["stock.low"])
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(2)
    assert hook.received == []


def test_one_delivery_per_endpoint_under_redelivery(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    created = _register(admin, hook)
    order = _placed(stocked)
    event = _bus_event("OrderCreated", {"order_id": order["order_id"]}, event_id="evt-1")
    _send_event(event)
    _send_event(event)  # EventBridge and SQS deliver at least once
    _run(4)
    _send_event(event)  # and once more, after the delivery
    _run(2)
    assert len(hook.received) == 1
    assert len(_deliveries(admin, created["endpoint_id"])) == 1
    assert _depth(WEBHOOKS_QUEUE) == 0


def test_a_change_published_twice_is_one_delivery(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    """order_events publishes at least once: a second PutEvents of one change is a new EventBridge event
    (a new envelope id) with the same ``event_id``, and receivers must see one webhook-id, once."""
    created = _register(admin, hook)
    order = _placed(stocked)
    detail = {"order_id": order["order_id"], "event_id": f"{order['order_id']}#OrderCreated"}
    _send_event(_bus_event("OrderCreated", detail, event_id="evt-first"))
    _run(2)
    _send_event(_bus_event("OrderCreated", detail, event_id="evt-republished"))
    _run(2)
    assert len(hook.received) == 1
    [delivery] = _deliveries(admin, created["endpoint_id"])
    assert hook.received[0].headers["webhook-id"] == delivery["delivery_id"]


def test_retries_then_success(admin: ApiClient, stocked: ApiClient, hook: Receiver) -> None:
    created = _register(admin, hook)
    hook.answers = [503, 429, 500]
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(6)
    assert len(hook.received) == 4
    ids = {r.headers["webhook-id"] for r in hook.received}
    assert len(ids) == 1  # every attempt is the same delivery
    for r in hook.received:
        r.verified(created["secret"])  # each signed afresh
    [delivery] = _deliveries(admin, created["endpoint_id"])
    assert [a["status"] for a in delivery["attempts"]] == [503, 429, 500, 200]
    assert [a["verdict"] for a in delivery["attempts"]] == ["retry", "retry", "retry", "succeeded"]
    assert delivery["status"] == "succeeded"
    assert admin.get(f"/webhooks/{created['endpoint_id']}").json()["failing_since"] is None
    assert _depth(WEBHOOKS_QUEUE) == 0


def test_a_retry_waits_by_the_schedule(admin: ApiClient, stocked: ApiClient, hook: Receiver) -> None:
    """The message of a failed attempt is made invisible for the schedule's delay (not slept on)."""
    _register(admin, hook)
    hook.answers = [503]
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(1)  # the event
    sqs = boto3.client("sqs")
    url = _url(WEBHOOKS_QUEUE)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, AttributeNames=["All"])["Messages"]
    response = webhooks_handler(sqs_event(messages, arn), LambdaContext("webhooks", 512, 60, "t"))
    assert len(response["batchItemFailures"]) == 1
    # Still in flight: 2.5 to 5 seconds away, so an immediate receive sees nothing.
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5).get("Messages", []) == []
    assert _depth(WEBHOOKS_QUEUE) == 1


def test_other_4xx_is_recorded_and_not_retried(admin: ApiClient, stocked: ApiClient, hook: Receiver) -> None:
    created = _register(admin, hook)
    hook.answers = [400]
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(4)
    assert len(hook.received) == 1
    [delivery] = _deliveries(admin, created["endpoint_id"])
    assert delivery["status"] == "failed"
    assert [a["status"] for a in delivery["attempts"]] == [400]
    assert _depth(WEBHOOKS_QUEUE) == 0
    assert admin.get(f"/webhooks/{created['endpoint_id']}").json()["failing_since"] is not None
    # A copy of its message (SQS delivers at least once) sends nothing more: only a replay does.
    from shared.services.webhooks import message

    boto3.client("sqs").send_message(
        QueueUrl=_url(WEBHOOKS_QUEUE),
        MessageBody=message(created["endpoint_id"], delivery["delivery_id"], base=0),
    )
    _run(2)
    assert len(hook.received) == 1


def test_retries_then_the_dead_letter_queue(admin: ApiClient, stocked: ApiClient, hook: Receiver) -> None:
    created = _register(admin, hook)
    hook.answers = [503] * 50
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(ATTEMPTS + 3)
    assert len(hook.received) == ATTEMPTS
    [delivery] = _deliveries(admin, created["endpoint_id"])
    assert delivery["status"] == "dead"
    assert len(delivery["attempts"]) == ATTEMPTS
    assert _depth(WEBHOOKS_QUEUE) == 0
    sqs = boto3.client("sqs")
    [parked] = sqs.receive_message(
        QueueUrl=_url(WEBHOOKS_DLQ), MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert json.loads(parked["Body"])["webhook_delivery"]["delivery_id"] == delivery["delivery_id"]
    reason = parked["MessageAttributes"]["oms_reason"]["StringValue"]
    assert f"after {ATTEMPTS} attempts" in reason and "503" in reason
    # A copy of the dead delivery's message that no one redrove (the parking failed after the record, or
    # SQS delivered twice) goes back to the DLQ: no new schedule, nothing sent.
    sqs.change_message_visibility(
        QueueUrl=_url(WEBHOOKS_DLQ), ReceiptHandle=parked["ReceiptHandle"], VisibilityTimeout=0
    )
    sqs.send_message(QueueUrl=_url(WEBHOOKS_QUEUE), MessageBody=parked["Body"])
    _run(2)
    assert len(hook.received) == ATTEMPTS
    assert _depth(WEBHOOKS_DLQ) == 2
    # The receiver fixed, an admin redrives the dead letters (each carries its reasons): delivered once.
    hook.answers = []
    outcome = admin.post("/dead-letters/webhooks/redrive", {"all": True})
    assert outcome.status == 200, outcome.body
    _run(3)
    [redriven] = _deliveries(admin, created["endpoint_id"])
    assert redriven["status"] == "succeeded"
    assert [a["status"] for a in redriven["attempts"]][-2:] == [503, 200]
    assert len(hook.received) == ATTEMPTS + 1  # the second copy found it succeeded: skipped


def test_failing_for_three_days_disables_the_endpoint_with_an_event(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    created = _register(admin, hook)
    endpoint_id = created["endpoint_id"]
    take_all(boto3.client("sqs"), os.environ[EVENTS_TAP_URL_ENV])
    # Its first failure, three days ago.
    boto3.client("dynamodb").update_item(
        TableName=WEBHOOKS.local_name,
        Key={"pk": {"S": f"WEBHOOK#{endpoint_id}"}, "sk": {"S": "ENDPOINT"}},
        UpdateExpression="SET failing_since = :then",
        ExpressionAttributeValues={
            ":then": {"S": (datetime.now(UTC) - timedelta(days=3, minutes=1)).isoformat()}
        },
    )
    hook.answers = [500]
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(3)
    endpoint = admin.get(f"/webhooks/{endpoint_id}").json()
    assert endpoint["enabled"] is False
    assert endpoint["disabled_reason"] == "deliveries failed for 3 days"
    events = take_all(boto3.client("sqs"), os.environ[EVENTS_TAP_URL_ENV])
    [disabled] = [e for e in events if e["detail-type"] == "WebhookEndpointDisabled"]
    assert disabled["source"] == "oms.webhooks"
    assert disabled["detail"]["endpoint_id"] == endpoint_id
    assert disabled["detail"]["url_host"] == "127.0.0.1"
    # Nothing more goes to it: its pending retry waits in the dead-letter queue, with why.
    _run(3)
    assert len(hook.received) == 1
    [parked] = boto3.client("sqs").receive_message(
        QueueUrl=_url(WEBHOOKS_DLQ), MessageAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    assert "endpoint is disabled" in parked["MessageAttributes"]["oms_reason"]["StringValue"]
    [pending] = _deliveries(admin, endpoint_id)
    refused = admin.post(f"/webhooks/{endpoint_id}/deliveries/{pending['delivery_id']}/replay")
    assert refused.status == 409 and "disabled" in refused.json()["detail"]
    # Enabled again by staff: its failures start over, and the redriven delivery is sent.
    again = admin.patch(f"/webhooks/{endpoint_id}", {"enabled": True}).json()
    assert again["enabled"] is True and again["failing_since"] is None and again["disabled_reason"] is None
    hook.answers = []
    assert admin.post("/dead-letters/webhooks/redrive", {"all": True}).status == 200
    _run(2)
    assert len(hook.received) == 2
    assert _deliveries(admin, endpoint_id)[0]["status"] == "succeeded"


def test_replay_sends_the_same_delivery_again(admin: ApiClient, stocked: ApiClient, hook: Receiver) -> None:
    created = _register(admin, hook)
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(2)
    [delivery] = _deliveries(admin, created["endpoint_id"])
    reply = admin.post(f"/webhooks/{created['endpoint_id']}/deliveries/{delivery['delivery_id']}/replay")
    assert reply.status == 202, reply.body
    _run(2)
    first, second = hook.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["delivery_id"]
    assert first.body == second.body
    second.verified(created["secret"])
    [after] = _deliveries(admin, created["endpoint_id"])
    assert [a["replay"] for a in after["attempts"]] == [False, True]
    missing = admin.post(f"/webhooks/{created['endpoint_id']}/deliveries/msg_nope/replay")
    assert missing.status == 404


def test_a_delivery_still_on_its_schedule_is_not_replayed(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    """A replay beside the delivery's own retries would run two chains of attempts on one counter."""
    created = _register(admin, hook)
    hook.answers = [503]
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(1)
    [delivery] = _deliveries(admin, created["endpoint_id"])
    assert delivery["status"] == "pending"
    reply = admin.post(f"/webhooks/{created['endpoint_id']}/deliveries/{delivery['delivery_id']}/replay")
    assert reply.status == 409
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_secret_rotation_signs_with_both_for_a_day(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    created = _register(admin, hook)
    rotated = admin.post(f"/webhooks/{created['endpoint_id']}/secret/rotate")
    assert rotated.status == 200, rotated.body
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"]
    assert rotated.json()["active_secrets"] == 2
    assert rotated.json()["previous_secret_expires_at"] is not None
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(2)
    [got] = hook.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    got.verified(new_secret)
    got.verified(created["secret"])  # receivers not yet switched still verify


def test_stock_low_carries_a_text(admin: ApiClient, hook: Receiver) -> None:
    created = _register(admin, hook, ["stock.low"])
    detail = {
        "sku": "MUG",
        "location": None,
        "available": 1,
        "on_hand": 1,
        "reserved": 0,
        "low_stock_threshold": 2,
    }
    event = {**_bus_event("StockLow", detail), "source": "oms.inventory"}
    _send_event(event)
    _run(2)
    [got] = hook.received
    payload = got.verified(created["secret"])
    assert payload["type"] == "stock.low"
    assert payload["data"]["text"].startswith("Low stock: MUG has 1 available")


def test_poison_goes_to_the_dead_letter_queue(aws: Any) -> None:
    boto3.client("sqs").send_message(QueueUrl=_url(WEBHOOKS_QUEUE), MessageBody="not json")
    _run(1)
    assert _depth(WEBHOOKS_QUEUE) == 0
    assert _depth(WEBHOOKS_DLQ) == 1


def test_an_event_on_the_bus_reaches_the_endpoint_through_the_rule(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    """The spec's rule (EVENT_RULES) puts the bus's OrderShipped on the webhooks queue, as in AWS."""
    from shared.dal.events import EventPublisher
    from shared.models.events import ORDERS_SOURCE

    created = _register(admin, hook)
    order = _placed(stocked)
    EventPublisher(boto3.client("events"), os.environ[EVENT_BUS_ENV], ORDERS_SOURCE).publish(
        "OrderShipped", {"order_id": order["order_id"], "shipment_id": "s1"}
    )
    _run(2)
    [got] = hook.received
    payload = got.verified(created["secret"])
    assert payload["type"] == "order.shipped"
    assert payload["data"]["order_id"] == order["order_id"]
    assert isinstance(payload["data"]["version"], int)


def test_the_url_is_checked_again_at_every_send(admin: ApiClient, stocked: ApiClient, hook: Receiver) -> None:
    """An endpoint whose URL now names a private address (changed behind the API's back, or a name that
    resolves elsewhere since) is refused at send time: recorded, not retried, nothing sent."""
    created = _register(admin, hook)
    endpoint_id = created["endpoint_id"]
    boto3.client("dynamodb").update_item(
        TableName=WEBHOOKS.local_name,
        Key={"pk": {"S": f"WEBHOOK#{endpoint_id}"}, "sk": {"S": "ENDPOINT"}},
        UpdateExpression="SET #url = :url",
        ExpressionAttributeNames={"#url": "url"},
        ExpressionAttributeValues={":url": {"S": "https://169.254.169.254/latest/meta-data/"}},
    )
    order = _placed(stocked)
    _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}))
    _run(3)
    assert hook.received == []
    [delivery] = _deliveries(admin, endpoint_id)
    [attempt] = delivery["attempts"]
    assert delivery["status"] == "failed"
    assert attempt["status"] is None and attempt["error"].startswith("refused:")
    assert _depth(WEBHOOKS_QUEUE) == 0


def test_endpoints_and_deliveries_are_paged_and_a_cursor_serves_its_own_query_only(
    admin: ApiClient, stocked: ApiClient, hook: Receiver
) -> None:
    first, second = _register(admin, hook), _register(admin, hook)
    page = admin.get("/webhooks", query={"limit": "1"}).json()
    rest = admin.get("/webhooks", query={"limit": "1", "next_token": page["next_token"]}).json()
    assert {page["items"][0]["endpoint_id"], rest["items"][0]["endpoint_id"]} == {
        first["endpoint_id"],
        second["endpoint_id"],
    }
    for n in range(2):
        order = _placed(stocked)
        _send_event(_bus_event("OrderCreated", {"order_id": order["order_id"]}, event_id=f"evt-page-{n}"))
    _run(3)
    path = f"/webhooks/{first['endpoint_id']}/deliveries"
    one = admin.get(path, query={"limit": "1"}).json()
    two = admin.get(path, query={"limit": "1", "next_token": one["next_token"]}).json()
    assert one["items"][0]["delivery_id"] != two["items"][0]["delivery_id"]
    # the first endpoint's cursor does not page the second's deliveries, nor the endpoints
    other = admin.get(
        f"/webhooks/{second['endpoint_id']}/deliveries", query={"next_token": one["next_token"]}
    )
    assert other.status == 400 and other.json()["type"] == "urn:oms:problem:invalid-next-token"
    assert admin.get("/webhooks", query={"next_token": one["next_token"]}).status == 400
    # a cursor of the right partition but another shape (forged, or from an older layout) is a 400 too
    from shared.dal import cursors

    forged = cursors.encode({"key": {"delivery_of": first["endpoint_id"], "created_key": 5}})
    assert admin.get(path, query={"next_token": forged}).status == 400

"""A marketplace connector's view: plain boto3 to the local stack's SQS, orders back through the API."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import requests

from tests.e2e.conftest import STAFF, Stack
from tests.support.waiting import wait_until

SAMPLES = Path("events/marketplace_feed")


def sqs(stack: Stack) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=stack.aws,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def sample_order(name: str) -> dict[str, Any]:
    (record,) = json.loads((SAMPLES / f"{name}.json").read_text())["Records"]
    return dict(json.loads(record["body"]))


def ensure_stock(stack: Stack, sku: str, on_hand: int) -> None:
    requests.put(
        f"{stack.api}/products/{sku}", json={"name": sku, "price": "9.99"}, headers=STAFF, timeout=10
    )
    requests.put(f"{stack.api}/inventory/{sku}", json={"on_hand": on_hand}, headers=STAFF, timeout=10)


def find(stack: Stack, channel: str, external_id: str) -> list[dict[str, Any]]:
    reply = requests.get(
        f"{stack.api}/orders",
        params={"channel": channel, "external_id": external_id},
        headers=STAFF,
        timeout=10,
    )
    return list(reply.json()["items"])


def test_a_connector_sends_orders_and_staff_see_them_within_seconds(stack: Stack) -> None:
    ensure_stock(stack, "TSHIRT-RED-M", 100)
    ensure_stock(stack, "MUG-WHITE", 100)
    client = sqs(stack)
    url = client.get_queue_url(QueueName="oms-marketplace-orders")["QueueUrl"]
    message = sample_order("generic")
    external_id = f"E2E-{uuid.uuid4().hex[:8]}"
    message["order"]["external_id"] = external_id

    client.send_message(QueueUrl=url, MessageBody=json.dumps(message))
    client.send_message(QueueUrl=url, MessageBody=json.dumps(message))  # a resend: still one order

    assert wait_until(lambda: len(find(stack, "generic", external_id)) == 1, timeout=15)
    [order] = find(stack, "generic", external_id)
    assert order["status"] == "CONFIRMED"
    assert wait_until(lambda: _queue_empty(client, url), timeout=15)
    assert len(find(stack, "generic", external_id)) == 1


def test_poison_lands_in_the_dead_letter_queue_with_its_reason(stack: Stack) -> None:
    client = sqs(stack)
    url = client.get_queue_url(QueueName="oms-marketplace-orders")["QueueUrl"]
    dlq = client.get_queue_url(QueueName="oms-marketplace-orders-dlq")["QueueUrl"]
    marker = f"walmart-{uuid.uuid4().hex[:6]}"
    client.send_message(QueueUrl=url, MessageBody=json.dumps({"marketplace": marker, "order": {}}))

    found: list[dict[str, Any]] = []

    def dead_lettered() -> bool:
        for m in client.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            if marker in m["Body"]:
                found.append(m)
        return bool(found)

    assert wait_until(dead_lettered, timeout=15)
    assert "marketplace" in found[0]["MessageAttributes"]["oms_reason"]["StringValue"]


def _queue_empty(client: Any, url: str) -> bool:
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        attributes["ApproximateNumberOfMessages"] == "0"
        and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    )

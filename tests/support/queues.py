"""Reading test queues (the events tap): messages are taken off the queue as they are read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


def take_all(sqs: Any, url: str) -> list[Event]:
    """Every message on the queue, until a receive comes back empty."""
    found: list[Event] = []
    while batch := take_matching(sqs, url, lambda _: True):
        found += batch
    return found


def take_matching(sqs: Any, url: str, match: Callable[[Event], bool]) -> list[Event]:
    """One receive: the messages ``match`` accepts are taken off the queue, the others left alone
    (other tests' events on a shared tap)."""
    found: list[Event] = []
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        event = json.loads(message["Body"])
        if match(event):
            found.append(event)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def about_order(order_id: str) -> Callable[[Event], bool]:
    return lambda e: e.get("source") == "oms.orders" and e.get("detail", {}).get("order_id") == order_id


def about_sku(sku: str) -> Callable[[Event], bool]:
    return lambda e: e.get("detail", {}).get("sku") == sku

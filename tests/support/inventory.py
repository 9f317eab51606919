"""Drive the inventory functions in this process as their event source mappings would: the stock
feed from its (moto) queue, the inventory events from the catalog table's (moto) stream."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.inventory_events import handler as events_handler
from functions.stock_updates import handler as stock_handler
from infra.local.pollers import QueuePoller, StreamPoller
from infra.local.workers import LambdaContext
from infra.spec import (
    EVENTS_TAP,
    INVENTORY_EVENTS,
    INVENTORY_EVENTS_FAILURES,
    STOCK_UPDATES,
    STOCK_UPDATES_DLQ,
    STOCK_UPDATES_FUNCTION,
)
from tests.support.queues import take_all


class StockFeed:
    """Send to oms-stock-updates, run one poll, look at the DLQ."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.get_queue_url(QueueName=STOCK_UPDATES.local_name)["QueueUrl"]
        self.dlq = self.sqs.get_queue_url(QueueName=STOCK_UPDATES_DLQ.local_name)["QueueUrl"]
        self.responses: list[dict[str, Any]] = []
        (trigger,) = STOCK_UPDATES_FUNCTION.triggers
        self.poller = QueuePoller(self.sqs, self.url, trigger, self._invoke)  # type: ignore[arg-type]

    def _invoke(self, event: dict[str, Any]) -> Any:
        response = stock_handler.lambda_handler(event, LambdaContext("stock_updates", 512, 30, "test"))
        self.responses.append(response)
        return response

    def send(self, *messages: dict[str, Any]) -> None:
        for message in messages:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(message))

    def run(self) -> int:
        return self.poller.poll_once()

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])


class InventoryStream:
    """The catalog stream into the inventory_events handler; the events tap queue."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        (trigger,) = INVENTORY_EVENTS.triggers
        failures = self.sqs.get_queue_url(QueueName=INVENTORY_EVENTS_FAILURES.local_name)["QueueUrl"]
        self.tap = self.sqs.get_queue_url(QueueName=EVENTS_TAP.local_name)["QueueUrl"]
        self.responses: list[dict[str, Any]] = []
        self.poller = StreamPoller(
            boto3.client("dynamodb"),
            boto3.client("dynamodbstreams"),
            self.sqs,
            trigger,  # type: ignore[arg-type]
            self._invoke,
            failures,
        )

    def _invoke(self, event: dict[str, Any]) -> Any:
        response = events_handler.lambda_handler(event, LambdaContext("inventory_events", 512, 60, "test"))
        self.responses.append(response)
        return response

    def drain(self, rounds: int = 20) -> None:
        """Poll until the stream has nothing new (the handler's own writes add records)."""
        for _ in range(rounds):
            if not self.poller.poll_once():
                return
        raise AssertionError("the catalog stream did not settle")

    def published(self) -> list[dict[str, Any]]:
        return take_all(self.sqs, self.tap)

"""Drive the order_events function in this process as its event source mapping would: the orders table's
(moto) stream, read by the local stack's StreamPoller with the spec's filter; the events tap queue."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.order_events import handler as order_events_handler
from infra.local.pollers import StreamPoller
from infra.local.workers import LambdaContext
from infra.spec import EVENTS_TAP, ORDER_EVENTS, ORDER_EVENTS_FAILURES
from tests.support.queues import take_all


class OrderStream:
    """The orders stream into the order_events handler; what it was handed; the events tap queue."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        (trigger,) = ORDER_EVENTS.triggers
        self.failures_url = self.sqs.get_queue_url(QueueName=ORDER_EVENTS_FAILURES.local_name)["QueueUrl"]
        self.tap = self.sqs.get_queue_url(QueueName=EVENTS_TAP.local_name)["QueueUrl"]
        self.events: list[dict[str, Any]] = []  # every event handed to the function
        self.responses: list[Any] = []  # and what it answered
        self.poller = StreamPoller(
            boto3.client("dynamodb"),
            boto3.client("dynamodbstreams"),
            self.sqs,
            trigger,  # type: ignore[arg-type]
            self._invoke,
            self.failures_url,
            function_name=ORDER_EVENTS.name,
        )

    def _invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        response = order_events_handler.lambda_handler(
            event, LambdaContext(ORDER_EVENTS.name, ORDER_EVENTS.memory_mb, ORDER_EVENTS.timeout_s, "test")
        )
        self.responses.append(response)
        return response

    def drain(self, rounds: int = 30) -> None:
        """Poll until the stream has nothing new and no batch is being retried."""
        for _ in range(rounds):
            if not self.poller.poll_once() and not self.poller.retrying:
                return
        raise AssertionError("the orders stream did not settle")

    def sort_keys(self) -> list[str]:
        """The sort key of every record handed to the function."""
        return [r["dynamodb"]["Keys"]["sk"]["S"] for e in self.events for r in e["Records"]]

    def published(self) -> list[dict[str, Any]]:
        """Every event on the tap queue since the last call (each read once)."""
        return take_all(self.sqs, self.tap)

    def failures(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.failures_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

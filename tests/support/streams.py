"""Drive a stream-triggered function in this process as its event source mapping would: the table's
(moto) stream, read by the local stack's StreamPoller with the trigger's filter, into the real handler."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import boto3

from infra.description import Function, StreamTrigger
from infra.local.pollers import StreamPoller
from infra.local.workers import LambdaContext


class StreamDriver:
    def __init__(self, fn: Function) -> None:
        (trigger,) = [t for t in fn.triggers if isinstance(t, StreamTrigger)]
        self.fn = fn
        self.sqs = boto3.client("sqs")
        self.failures_url = self.sqs.get_queue_url(QueueName=trigger.failures.local_name)["QueueUrl"]
        self.events: list[dict[str, Any]] = []  # every event handed to the function
        self.responses: list[Any] = []
        module_name, _, attribute = fn.handler.rpartition(".")
        self._handler = getattr(import_module(module_name), attribute)
        self.poller = StreamPoller(
            boto3.client("dynamodb"),
            boto3.client("dynamodbstreams"),
            self.sqs,
            trigger,
            self.invoke,
            self.failures_url,
            function_name=fn.name,
        )

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        response = self._handler(
            event, LambdaContext(self.fn.name, self.fn.memory_mb, self.fn.timeout_s, "test")
        )
        self.responses.append(response)
        return response

    def drain(self, rounds: int = 50) -> None:
        """Poll until the stream has nothing new and no batch is being retried."""
        for _ in range(rounds):
            if not self.poller.poll_once() and not self.poller.retrying:
                return
        raise AssertionError(f"the stream into {self.fn.name} did not settle")

    def replay(self) -> None:
        """Hand every event already delivered to the function again (a redelivery of all of it)."""
        for event in list(self.events):
            self.invoke(event)

"""SQS for dead letters: peek, receive and hold, release, send, delete, depth, and SQS's own move task.

Speaks SQS and nothing else: which messages to act on is decided in ``shared/services/dead_letters.py``.
SQS failures leave as the typed failures below, never as a botocore error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

BATCH = 10  # SQS's most per ReceiveMessage, ChangeMessageVisibilityBatch and DeleteMessageBatch
_MISSING = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


class QueueUnavailable(Exception):
    """The queue does not exist, or may not be used (permissions, its key)."""

    def __init__(self, url: str, code: str) -> None:
        super().__init__(f"queue unavailable ({code})")
        self.url = url
        self.code = code


class MoveUnsupported(Exception):
    """The endpoint cannot run SQS's own message move task (moto, the local stack)."""


@dataclass(frozen=True)
class Received:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at_ms: int
    # String (and Number) message attributes by name; binary ones are kept as sent in ``raw_attributes``.
    attributes: dict[str, str] = field(default_factory=dict)
    raw_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Depth:
    available: int
    in_flight: int


class QueueStore(Protocol):
    def depth(self, url: str) -> Depth: ...

    def receive(self, url: str, *, visibility_timeout_s: int, wait_s: int = 0) -> list[Received]: ...

    def release(self, url: str, messages: Iterable[Received]) -> None: ...

    def send(self, url: str, body: str, attributes: dict[str, dict[str, Any]]) -> str: ...

    def delete(self, url: str, message: Received) -> None: ...


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


class SqsQueues:
    """A ``QueueStore`` on an SQS client."""

    def __init__(self, client: Any) -> None:
        self._sqs = client

    def _call(self, url: str, operation: str, **params: Any) -> Any:
        try:
            return getattr(self._sqs, operation)(QueueUrl=url, **params)
        except ClientError as exc:
            code = _code(exc)
            if code in _MISSING or code in (
                "AccessDenied",
                "AccessDeniedException",
                "KMS.AccessDeniedException",
            ):
                raise QueueUnavailable(url, code) from exc
            raise

    def depth(self, url: str) -> Depth:
        attributes = self._call(
            url,
            "get_queue_attributes",
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return Depth(
            int(attributes.get("ApproximateNumberOfMessages", 0)),
            int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        )

    def receive(self, url: str, *, visibility_timeout_s: int, wait_s: int = 0) -> list[Received]:
        """Up to 10 messages, hidden from every other receiver for ``visibility_timeout_s`` (0: a peek,
        visible again at once). ``wait_s`` > 0 asks every SQS server (long polling): an empty answer then
        means an empty queue, where short polling may miss messages on a small queue."""
        reply = self._call(
            url,
            "receive_message",
            MaxNumberOfMessages=BATCH,
            VisibilityTimeout=visibility_timeout_s,
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
            MessageAttributeNames=["All"],
        )
        return [_received(m) for m in reply.get("Messages", [])]

    def release(self, url: str, messages: Iterable[Received]) -> None:
        """Visible again at once (what was held while searching and not acted on)."""
        held = list(messages)
        for start in range(0, len(held), BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": 0}
                for i, m in enumerate(held[start : start + BATCH])
            ]
            # A failed entry (its handle expired) is visible again anyway once its timeout ends.
            self._call(url, "change_message_visibility_batch", Entries=entries)

    def send(self, url: str, body: str, attributes: dict[str, dict[str, Any]]) -> str:
        reply = self._call(url, "send_message", MessageBody=body, MessageAttributes=attributes)
        return str(reply["MessageId"])

    def delete(self, url: str, message: Received) -> None:
        self._call(url, "delete_message", ReceiptHandle=message.receipt_handle)


def _received(message: dict[str, Any]) -> Received:
    system = message.get("Attributes", {})
    raw = dict(message.get("MessageAttributes", {}))
    return Received(
        message_id=str(message["MessageId"]),
        receipt_handle=str(message["ReceiptHandle"]),
        body=str(message.get("Body", "")),
        receive_count=int(system.get("ApproximateReceiveCount", 0)),
        sent_at_ms=int(system.get("SentTimestamp", 0)),
        attributes={name: str(v["StringValue"]) for name, v in raw.items() if "StringValue" in v},
        raw_attributes=raw,
    )


class MessageMover:
    """SQS's own redrive (StartMessageMoveTask): every message of a dead-letter queue back to a queue,
    run by SQS itself. AWS only; moto answers it with an HTML 500 (``MoveUnsupported``)."""

    def __init__(self, client: Any) -> None:
        self._sqs = client

    def arn(self, url: str) -> str:
        try:
            reply = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except ClientError as exc:
            raise QueueUnavailable(url, _code(exc)) from exc
        return str(reply["Attributes"]["QueueArn"])

    def start(self, source_arn: str, destination_arn: str) -> str:
        try:
            reply = self._sqs.start_message_move_task(SourceArn=source_arn, DestinationArn=destination_arn)
        except (ClientError, BotoCoreError) as exc:
            raise MoveUnsupported(type(exc).__name__) from exc
        return str(reply["TaskHandle"])

    def status(self, source_arn: str, task_handle: str) -> dict[str, Any]:
        """The task's latest report: Status (RUNNING, COMPLETED, CANCELLED, FAILED), moved so far."""
        reply = self._sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=10)
        for task in reply.get("Results", []):
            if task.get("TaskHandle") == task_handle:
                return dict(task)
        tasks = reply.get("Results", [])
        return dict(tasks[0]) if tasks else {"Status": "UNKNOWN"}

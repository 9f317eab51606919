"""Lambda's SQS event source mapping on a laptop: poll, invoke with a batch, delete what succeeded.

Like the real mapping: batches of up to ``batch_size``; the function's ``batchItemFailures`` stay on
the queue and come back after the visibility timeout; a failed invocation leaves the whole batch;
the queue's own redrive policy moves a message to its DLQ after ``max_receive_count`` receives.
Polls are short (moto serves one request at a time, so a long poll would stall every other call).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from infra.local.workers import InvocationError
from infra.spec import QueueTrigger

IDLE_WAIT_S = 0.2
REGION = "us-east-1"


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS mapping delivers for these ReceiveMessage messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class QueuePoller:
    def __init__(
        self, sqs: Any, queue_url: str, trigger: QueueTrigger, invoke: Callable[[dict[str, Any]], Any]
    ) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._trigger = trigger
        self._invoke = invoke
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"poll-{trigger.queue.local_name}", daemon=True
        )

    def start(self) -> QueuePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.poll_once()
            except Exception as exc:  # the endpoint went away or hiccuped: keep polling, like Lambda
                print(f"[poller {self._trigger.queue.local_name}] {type(exc).__name__}: {exc}", flush=True)
                handled = 0
            if not handled:
                self._stop.wait(IDLE_WAIT_S)

    def poll_once(self) -> int:
        """One receive and one invocation; returns how many messages were handed to the function."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self._trigger.batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            response = self._invoke(sqs_event(messages, self._arn)) or {}
        except InvocationError as exc:
            print(
                f"[poller {self._trigger.queue.local_name}] batch failed ({exc.error_type}); SQS retries it"
            )
            return len(messages)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        print(
            f"[poller {self._trigger.queue.local_name}] {len(messages)} messages: "
            f"{len(done)} done, {len(failed)} back to the queue",
            flush=True,
        )
        return len(messages)


def wait_until(predicate: Callable[[], bool], timeout: float = 10, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes (for tests and scripts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()

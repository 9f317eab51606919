"""SQS: sending a poison message straight to its dead-letter queue, with the reason attached."""

from __future__ import annotations

from typing import Any


class DeadLetters:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, body: str, *, reason: str, source_message_id: str, source: str) -> None:
        """The original body, untouched, so it can be redriven once the cause is fixed."""
        self._sqs.send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageAttributes={
                "oms_reason": {"DataType": "String", "StringValue": reason[:1024]},
                "oms_source": {"DataType": "String", "StringValue": source},
                "oms_source_message_id": {"DataType": "String", "StringValue": source_message_id},
            },
        )

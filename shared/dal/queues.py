"""SQS: sending a poison message straight to its dead-letter queue, with the reason attached; putting a
verified webhook delivery on the marketplace feed."""

from __future__ import annotations

import re
from typing import Any

from shared.masking import mask_text

_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def attribute_text(text: str, limit: int = 1024) -> str:
    """Printable ASCII only: SQS refuses some characters in attributes, and a refused send would
    keep the poison message cycling instead of parking it."""
    return _UNPRINTABLE.sub("?", text)[:limit] or "-"


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
                # Reasons name fields, never values; masked all the same, as a log line would be.
                "oms_reason": {"DataType": "String", "StringValue": attribute_text(mask_text(reason))},
                "oms_source": {"DataType": "String", "StringValue": attribute_text(source)},
                "oms_source_message_id": {
                    "DataType": "String",
                    "StringValue": attribute_text(source_message_id),
                },
            },
        )


class FeedQueue:
    """The marketplace feed queue, for the hook routes: one message per verified delivery."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, body: str) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body)

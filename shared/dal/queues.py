"""SQS: sending a poison message straight to its dead-letter queue, with the reason attached; putting a
verified webhook delivery on the marketplace feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from shared.domain.dead_letters import PREVIOUS_REASONS
from shared.masking import mask_text

_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def attribute_text(text: str, limit: int = 1024) -> str:
    """Printable ASCII only: SQS refuses some characters in attributes, and a refused send would
    keep the poison message cycling instead of parking it."""
    return _UNPRINTABLE.sub("?", text)[:limit] or "-"


class DeadLetters:
    """A queue consumer's own dead-letter queue. ``sqs`` makes the SQS client, called on the first send:
    most batches hold no poison, so a consumer's cold start does not pay for a client it may never use."""

    def __init__(self, sqs: Callable[[], Any], queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def send(
        self,
        body: str,
        *,
        reason: str,
        source_message_id: str,
        source: str,
        previous_reasons: str | None = None,
    ) -> None:
        """The original body, untouched, so it can be redriven once the cause is fixed. A redriven copy
        parked again keeps the reasons it carried (``previous_reasons``: its ``oms_previous_reasons``
        attribute as received), so staff see its whole history beside the new reason."""
        attributes = {
            # Reasons name fields, never values; masked all the same, as a log line would be.
            "oms_reason": {"DataType": "String", "StringValue": attribute_text(mask_text(reason))},
            "oms_source": {"DataType": "String", "StringValue": attribute_text(source)},
            "oms_source_message_id": {
                "DataType": "String",
                "StringValue": attribute_text(source_message_id),
            },
        }
        if previous_reasons:
            attributes[PREVIOUS_REASONS] = {"DataType": "String", "StringValue": previous_reasons[:1024]}
        self._sqs().send_message(QueueUrl=self._url, MessageBody=body, MessageAttributes=attributes)


def carried_reasons(record: Any) -> str | None:
    """The ``oms_previous_reasons`` attribute of an SQS event record (a Powertools ``SQSRecord``), if any."""
    attribute = (record.raw_event.get("messageAttributes") or {}).get(PREVIOUS_REASONS) or {}
    value = attribute.get("stringValue")
    return value if isinstance(value, str) and value else None


class FeedQueue:
    """The marketplace feed queue, for the hook routes: one message per verified delivery."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, body: str) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body)

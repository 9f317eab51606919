"""Lambda entry point of the notifications queue (SQS event source mapping, partial batch responses).

The queue receives the bus's order and stock events (an EventBridge rule: OrderCreated,
OrderStatusChanged, OrderShipped, StockLow) and SES's bounces and complaints (an SNS topic of the SES
configuration set, subscribed with raw delivery). Each record is one event: shared.services.notifications
sends what it means, once. A record fails (and SQS delivers it again after the visibility timeout) when
another delivery holds an email's lease, or a send failed; after ``max_receive_count`` receives it goes
to the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.notifications import wiring
from shared.observability import logger, metrics, tracer
from shared.services.notifications import TryLater

# A wholly failed batch answers with every record failed (not an error): SQS delivers each again alike.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

wiring.notifier()  # clients are created once, during init


class NotAnEvent(ValueError):
    """A message that is neither a bus event nor SES feedback: it fails until the DLQ keeps it."""


def message_of(body: str) -> dict[str, Any]:
    """The record's message: an EventBridge event, or SES feedback (raw, or in an SNS envelope)."""
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise NotAnEvent("not JSON") from exc
    if not isinstance(message, dict):
        raise NotAnEvent("not a JSON object")
    if message.get("Type") == "Notification" and isinstance(message.get("Message"), str):
        return message_of(message["Message"])
    return message


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    message = message_of(record.body)
    if "detail-type" in message:
        try:
            outcomes = wiring.notifier().event(str(message["detail-type"]), message.get("detail") or {})
        except TryLater:
            metrics.add_metric(name="NotificationRetried", unit=MetricUnit.Count, value=1)
            raise
        for outcome in outcomes:
            metrics.add_metric(name=f"Notification_{outcome}", unit=MetricUnit.Count, value=1)
        return
    if "eventType" in message or "notificationType" in message:
        suppressed = wiring.notifier().feedback(message)
        if suppressed:
            metrics.add_metric(name="NotificationAddressSuppressed", unit=MetricUnit.Count, value=suppressed)
        return
    logger.warning("message ignored: neither an event nor SES feedback", message_id=record.message_id)
    raise NotAnEvent("neither an event nor SES feedback")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

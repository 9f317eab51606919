"""Lambda entry point of the webhooks function (the WEBHOOKS queue, partial batch responses).

A message is a bus event (the rule delivers it: one delivery per subscribed endpoint, each queued as a
message of its own), a delivery (one signed attempt, ``shared.services.webhooks``) or poison (moved to the
dead-letter queue at once, with its reason). A delivery to try again is made visible again after the
schedule's delay (ChangeMessageVisibility) and reported as a batch item failure: no Lambda ever sleeps.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.webhooks import wiring
from shared.dal.queues import carried_reasons
from shared.metric_names import WEBHOOK_ENDPOINT_DISABLED_METRIC
from shared.observability import logger, metrics, tracer
from shared.services.webhooks import DeliveryMessage, Skipped, parse_message

SOURCE = "oms-webhooks"
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

wiring.dead_letters()  # the queues' URLs are checked now
wiring.messages()


class RetryLater(RuntimeError):
    """The delivery is tried again when the message is visible again (the schedule's delay)."""


def _park(record: SQSRecord, reason: str) -> None:
    wiring.dead_letters().send(
        record.body,
        reason=reason,
        source_message_id=record.message_id,
        source=SOURCE,
        previous_reasons=carried_reasons(record),
    )


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    parsed = parse_message(record.body)
    now = datetime.now(UTC)
    if parsed is None:
        _park(record, "neither a bus event nor a webhook delivery")
        metrics.add_metric(name="WebhookMessageRejected", unit=MetricUnit.Count, value=1)
        logger.warning(
            "webhook message rejected: moved to the dead-letter queue", message_id=record.message_id
        )
        return
    if not isinstance(parsed, DeliveryMessage):
        queued = wiring.deliveries().fan_out(parsed, now)
        logger.info("webhook deliveries queued", event_id=parsed.get("id"), deliveries=queued)
        return
    result = wiring.deliveries().deliver(parsed, now, redriven=carried_reasons(record) is not None)
    if isinstance(result, Skipped):
        if result.park is not None:
            _park(record, result.park)
        logger.info("webhook delivery skipped", delivery_id=parsed.delivery_id, reason=result.reason)
        return
    if result.disabled:
        metrics.add_metric(name=WEBHOOK_ENDPOINT_DISABLED_METRIC, unit=MetricUnit.Count, value=1)
        logger.warning("webhook endpoint disabled after 3 days of failures", endpoint_id=parsed.endpoint_id)
    fields: dict[str, Any] = {
        "delivery_id": result.delivery_id,
        "endpoint_id": parsed.endpoint_id,
        "status": result.status,
    }
    if result.verdict == "succeeded":
        metrics.add_metric(name="WebhookDelivered", unit=MetricUnit.Count, value=1)
        logger.info("webhook delivered", **fields)
    elif result.dead is not None:
        _park(record, result.dead)
        metrics.add_metric(name="WebhookDeadLettered", unit=MetricUnit.Count, value=1)
        logger.warning("webhook delivery exhausted: moved to the dead-letter queue", **fields)
    elif result.retry_in is not None:
        seconds = math.ceil(result.retry_in.total_seconds())
        wiring.messages().delay(record.receipt_handle, seconds)
        metrics.add_metric(name="WebhookRetried", unit=MetricUnit.Count, value=1)
        logger.info("webhook delivery will be retried", retry_in_s=seconds, **fields)
        raise RetryLater(f"retry in {seconds} s")
    else:
        metrics.add_metric(name="WebhookFailed", unit=MetricUnit.Count, value=1)
        logger.warning("webhook delivery failed: not retried", **fields)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

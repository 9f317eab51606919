"""Lambda entry point of the marketplace feed (SQS event source mapping, partial batch responses).

Each record is handled on its own: a good one becomes an order, a poison one is moved to the
dead-letter queue at once with its reason, and a transient failure is reported as a batch item
failure so SQS delivers only that message again. One bad message never fails its neighbours.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.marketplace_feed import wiring
from shared.dal.queues import carried_reasons
from shared.observability import count_order_placed, logger, metrics, tracer
from shared.services.feeds import Poison, RetryLater

SOURCE = "oms-marketplace-orders"
# A batch whose every record failed is still a partial response (all items failed), not a
# function error: SQS retries exactly those messages, and function errors stay for real crashes.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


wiring.feed()  # clients are created once, during init
wiring.dead_letters()  # its queue's URL is checked now; its SQS client is made on the first poison


# Below this much time left, records are handed back rather than started: a timeout would fail the
# whole batch, so every record in it would come back and count a receive toward the DLQ.
MIN_REMAINING_MS = 10_000


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    receives = record.attributes.approximate_receive_count
    try:
        if lambda_context is not None and lambda_context.get_remaining_time_in_millis() < MIN_REMAINING_MS:
            raise RetryLater("too little time left in this invocation")
        result = wiring.feed().process(record.body)
    except Exception as exc:
        # Transient (throttling, a timeout, contention): SQS delivers it again. Leave a trace.
        metrics.add_metric(name="FeedMessageRetried", unit=MetricUnit.Count, value=1)
        logger.warning(
            "feed message will be retried",
            message_id=record.message_id,
            error=type(exc).__name__,
            receive_count=receives,
        )
        raise
    if isinstance(result, Poison):
        wiring.dead_letters().send(
            record.body,
            reason=result.reason,
            source_message_id=record.message_id,
            source=SOURCE,
            previous_reasons=carried_reasons(record),
        )
        metrics.add_metric(name="FeedMessageRejected", unit=MetricUnit.Count, value=1)
        logger.warning(
            "feed message rejected: moved to the dead-letter queue",
            message_id=record.message_id,
            marketplace=result.marketplace,
            reason=result.reason,
            receive_count=receives,
        )
        return
    order = result.order
    metrics.add_metric(name=f"FeedOrder{result.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    if order is not None and result.outcome in ("created", "backordered"):
        count_order_placed(order.channel)
    if order is not None and any(a.resolved_at is None for a in order.attention):
        metrics.add_metric(name="OrderNeedsAttention", unit=MetricUnit.Count, value=1)
    logger.info(
        f"feed order {result.outcome}",
        message_id=record.message_id,
        order_id=result.order_id,
        channel=order.channel if order else None,
        external_id=order.external_id if order else None,
        status=order.status if order else None,
        receive_count=receives,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

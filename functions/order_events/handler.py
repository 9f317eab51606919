"""Lambda entry point of the orders table's stream: every change of an order is published on the bus
``oms-events`` as OrderCreated, OrderStatusChanged and OrderShipped (see shared.domain.order_events).

The mapping's filter lets only order items through (sort key ``ORDER``); idempotency and external-id
claims, and anything else the table holds, never reach the function. Records of one order arrive in
order and are handled in order: the first record that fails stops the batch, and it and every record
after it are reported as batch item failures. The mapping then retries from that record, so a record
is never published again because a later one failed, and a later change is never published before an
earlier one. Delivery is at least once with a deduplication id: see shared.services.order_events.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.order_events import wiring
from shared.dal import keys
from shared.dal.events import PublishFailed
from shared.domain.order_events import detail_type
from shared.observability import logger, metrics, tracer
from shared.stream_batch import InOrderProcessor

processor = InOrderProcessor()

wiring.order_events()  # clients are created once, during init


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    order_id = keys.order_id_of(stream.keys) if stream is not None and stream.keys else None
    if stream is None or order_id is None:
        return  # the filter matches a prefix: only the order item itself is an order
    try:
        published = wiring.order_events().order_changed(stream.old_image or None, stream.new_image or None)
    except PublishFailed as exc:
        metrics.add_metric(name="OrderEventsNotPublished", unit=MetricUnit.Count, value=1)
        logger.warning(
            "order events not published; the record is retried",
            order_id=order_id,
            sequence_number=stream.sequence_number,
            error=str(exc),
        )
        raise
    if published:
        metrics.add_metric(name="OrderEventsPublished", unit=MetricUnit.Count, value=len(published))
        logger.info(
            "order events published",
            order_id=order_id,
            events=[detail_type(e) for e in published],
            event_ids=[e.event_id for e in published],
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

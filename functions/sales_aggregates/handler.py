"""Lambda entry point of the orders table's stream for the daily sales counters (and, after them, the
customer aggregates of shared/services/customer_stats.py): each change of an order
adds what it moved (orders, units, gross sales, discounts, returns, shipping, taxes, cancellations,
statuses) to the business days it moved them on (see shared.reports.sales), once per change (see
shared.dal.sales).

Only order items reach the function (the mapping's filter; the exact sort key is checked here). The
records of one order are applied in order: the first record that fails stops the batch, and it and
every record after it are retried, so a change is never skipped for a later one.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.sales_aggregates import wiring
from shared.dal import keys
from shared.observability import logger, metrics, tracer
from shared.stream_batch import InOrderProcessor

processor = InOrderProcessor()

wiring.sales_aggregator()  # clients are created once, during init
wiring.customer_aggregator()


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    order_id = keys.order_id_of(stream.keys) if stream is not None and stream.keys else None
    if stream is None or order_id is None:
        return  # only the order item itself is an order (the filter matches a prefix)
    sequence, old, new = str(stream.sequence_number), stream.old_image or None, stream.new_image or None
    moved = wiring.sales_aggregator().order_changed(sequence, old, new)
    # Each aggregator has its own markers: a retried record is applied by the one that had not applied it.
    customer_counters = wiring.customer_aggregator().order_changed(sequence, old, new)
    if customer_counters:
        metrics.add_metric(name="CustomerCountersMoved", unit=MetricUnit.Count, value=customer_counters)
    if moved:
        metrics.add_metric(name="SalesCountersMoved", unit=MetricUnit.Count, value=moved)
        logger.debug(
            "sales counters moved",
            order_id=order_id,
            counters=moved,
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

"""Lambda entry point of the catalog table's stream: stock changes become backorder confirmations
and low-stock events.

Records of one item arrive in order. A product item whose available stock rose fills the orders
waiting for it; one that crossed its low-stock threshold publishes StockLow; a backordered order
joining a SKU's line tries that line at once (stock may have arrived while it was recorded). A product
item at 0 available or less marks its day out of stock, and a shipment entering the ledger adds its
units to its day and location (inventory performance, ``shared.services.stock_stats``). A failed
record is reported as a batch item failure: the mapping retries from it, in order.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.inventory_events import wiring
from shared.dal import keys
from shared.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

wiring.inventory_events()  # clients are created once, during init
wiring.stock_stats()


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    if stream is None or not stream.keys:
        return
    sku, sort_key = str(stream.keys.get("pk", "")), str(stream.keys.get("sk", ""))
    if sort_key == keys.SKU_SK and stream.new_image:
        report = wiring.inventory_events().product_changed(
            sku, stream.old_image or None, stream.new_image, change_id=f"{sku}#{stream.sequence_number}"
        )
        if report.published:
            metrics.add_metric(name="StockLowPublished", unit=MetricUnit.Count, value=1)
            logger.info("StockLow published", sku=sku)
        filled = report.backorders
        stock = wiring.stock_stats().product_changed(
            sku, stream.old_image or None, stream.new_image, str(stream.sequence_number)
        )
        if stock == "out":
            logger.info("out of stock", sku=sku)
    elif sort_key.startswith(keys.MOVE_PREFIX):
        if record.event_name == DynamoDBRecordEventName.INSERT and stream.new_image:
            shipped = wiring.stock_stats().movement_recorded(sku, sort_key, stream.new_image)
            if shipped:
                metrics.add_metric(name="UnitsShippedRecorded", unit=MetricUnit.Count, value=shipped)
        return
    elif sort_key.startswith(keys.WAIT_PREFIX) and record.event_name == DynamoDBRecordEventName.INSERT:
        filled = wiring.inventory_events().started_waiting(sku)
    else:
        return
    if filled and filled.confirmed:
        metrics.add_metric(name="BackorderConfirmed", unit=MetricUnit.Count, value=len(filled.confirmed))
        logger.info(
            "backorders confirmed", sku=sku, order_ids=filled.confirmed, passed_over=len(filled.skipped)
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

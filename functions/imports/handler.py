"""Lambda entry point of the import worker (the IMPORT_WORK queue, one message per invocation, partial
batch responses).

A message is an upload's S3 event (plan the file's chunks: ``ImportJobs.plan``), one chunk of rows
(``ImportJobs.apply``), S3's test event (ignored) or poison: moved to the dead-letter queue at once, with its
reason. Anything else that fails (throttling, a timeout, the run not yet RUNNING) is reported as a batch
item failure: SQS delivers the message again, and after maxReceiveCount moves it to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.imports import wiring
from shared.dal.queues import carried_reasons
from shared.observability import logger, metrics, tracer
from shared.services.import_jobs import ChunkMessage, Done, Ignored, Upload, parse_work
from shared.services.messages import Poison

SOURCE = "oms-import-work"
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

wiring.dead_letters()  # its queue's URL is checked now; its SQS client is made on the first poison


def _park(record: SQSRecord, reason: str) -> None:
    wiring.dead_letters().send(
        record.body,
        reason=reason,
        source_message_id=record.message_id,
        source=SOURCE,
        previous_reasons=carried_reasons(record),
    )
    metrics.add_metric(name="ImportMessageRejected", unit=MetricUnit.Count, value=1)
    logger.warning(
        "import message rejected: moved to the dead-letter queue", message_id=record.message_id, reason=reason
    )


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    work = parse_work(record.body)
    receives = record.attributes.approximate_receive_count
    result: Done | Ignored | Poison
    try:
        if isinstance(work, Upload):
            result = wiring.jobs().plan(work)
        elif isinstance(work, ChunkMessage):
            result = wiring.jobs().apply(work)
        else:
            result = work
    except Exception as exc:
        metrics.add_metric(name="ImportMessageRetried", unit=MetricUnit.Count, value=1)
        logger.warning(
            "import message will be retried",
            message_id=record.message_id,
            error=type(exc).__name__,
            reason=str(exc) if type(exc).__name__ == "RetryLater" else None,
            receive_count=receives,
        )
        raise
    if isinstance(result, Poison):
        _park(record, result.reason)
    elif isinstance(result, Ignored):
        logger.info("import message ignored", message_id=record.message_id, reason=result.reason)
    else:
        metrics.add_metric(name=f"Import{result.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
        logger.info(
            f"import {result.outcome}",
            message_id=record.message_id,
            import_id=result.import_id,
            chunks=result.chunks,
            receive_count=receives,
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

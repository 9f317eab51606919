"""Lambda entry point of the reports: two triggers, one function.

* The daily schedule (EventBridge Scheduler at 01:00 in the business time zone; a timer in ``make
  run``) sends ``{"schedule": ..., "scheduled_time": ...}``: it asks for yesterday's daily_sales and
  today's inventory. Their ids come from the schedule and the period, so a retried run asks for
  nothing new.
* The reports table's stream: a report asked for (a PENDING record inserted, by the schedule or by
  POST /reports) is built here, one per invocation, and marked READY with its files, or FAILED with
  the reason. A report that fails is not retried by the mapping: staff see the reason and ask again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.reports import wiring
from shared.dal import keys
from shared.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

wiring.report_builder()  # clients are created once, during init


class ScheduledRun(BaseModel):
    schedule: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")
    scheduled_time: str = Field(min_length=20, max_length=40)


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    new = (stream.new_image if stream else None) or {}
    if record.event_name is None or record.event_name.name != "INSERT" or new.get("sk") != keys.REPORT_SK:
        return  # only a report asked for; its later updates (READY, FAILED) mean nothing here
    report_id = str(new.get("report_id", ""))
    builder = wiring.report_builder()
    try:
        built = builder.build(report_id)
    except Exception as exc:
        # A report that cannot be built says why, and the batch goes on; the logs keep the details.
        logger.exception("report failed", report_id=report_id, report_type=new.get("type"))
        metrics.add_metric(name="ReportsFailed", unit=MetricUnit.Count, value=1)
        builder.fail(report_id, f"the report could not be built ({type(exc).__name__}); ask for it again")
        return
    if built is None:
        logger.info("report already built", report_id=report_id)
        return
    metrics.add_metric(name="ReportsBuilt", unit=MetricUnit.Count, value=1)
    logger.info(
        "report built",
        report_id=report_id,
        report_type=built.report.type,
        period=built.report.period,
        rows=built.report.rows,
        items_read=built.items_read,
    )


def scheduled(run: ScheduledRun) -> dict[str, Any]:
    asked = wiring.report_service().scheduled(run.schedule, run.scheduled_time)
    for report, created in asked:
        logger.info(
            "scheduled report asked for" if created else "scheduled report was already asked for",
            report_id=report.report_id,
            report_type=report.type,
            period=report.period,
        )
    return {"reports": [report.report_id for report, _ in asked]}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "schedule" in event:
        return scheduled(ScheduledRun.model_validate(event))
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

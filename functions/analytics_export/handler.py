"""Lambda entry point of the nightly analytics export (issue 18). Two events:

* the schedule (EventBridge Scheduler at 02:00, 02:20 and 02:40 in the business time zone; timers in
  ``make run``): ``{"schedule": ..., "scheduled_time": ..., "days_ago": "1"}`` exports yesterday (the
  day before yesterday with "2", ...: ``shared.services.analytics_export.scheduled_day``), the same day
  on a retry;
* an admin's ``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`` (``aws lambda invoke``, ``make invoke``):
  those business days, at most ``MAX_INVOKED_DAYS`` at a time.

Answers what it wrote: the days, the rows and the DynamoDB items read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from functions.analytics_export import wiring
from shared.analytics.layout import REEXPORT_DAYS_AGO
from shared.config import settings
from shared.observability import logger, metrics, tracer
from shared.reports.days import zone
from shared.services.analytics_export import MAX_INVOKED_DAYS, ExportDone, scheduled_day

wiring.analytics_export()  # clients are created once, during init


class ScheduledRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schedule: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")
    scheduled_time: str = Field(min_length=20, max_length=40)
    days_ago: int = Field(default=1, ge=1, le=max(REEXPORT_DAYS_AGO))  # the day it exports


class RangeRun(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    first: dt.date = Field(alias="from")
    last: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> RangeRun:
        if self.last < self.first:
            raise ValueError("'to' is before 'from'")
        return self


def _answer(done: ExportDone) -> dict[str, Any]:
    metrics.add_metric(name="AnalyticsDaysExported", unit=MetricUnit.Count, value=len(done.days))
    logger.info(
        "analytics exported",
        days=[d.day for d in done.days],
        orders=done.orders,
        lines=done.lines,
        stockouts=done.stockouts,
        items_read=done.items_read,
    )
    return {
        "days": [d.day for d in done.days],
        "orders": done.orders,
        "lines": done.lines,
        "stockouts": done.stockouts,
        "items_read": done.items_read,
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    service = wiring.analytics_export()
    if "schedule" in event:  # a schedule's run that fails raises: Scheduler retries it, then the DLQ
        run = ScheduledRun.model_validate(event)
        day = scheduled_day(run.scheduled_time, run.days_ago, zone(settings().timezone))
        return _answer(service.export(day, day))
    try:
        asked = RangeRun.model_validate(event)
        return _answer(service.export(asked.first, asked.last, most=MAX_INVOKED_DAYS))
    except ValueError as exc:  # pydantic's ValidationError too: an admin's mistake, exported nothing
        details = (
            [str(e["msg"]) for e in exc.errors(include_input=False, include_context=False)]
            if isinstance(exc, ValidationError)
            else [str(exc)]
        )
        logger.warning("analytics export refused", details=details)
        return {"error": 'expected {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}', "details": details}

"""Lambda entry point of the nightly inventory roll-up (EventBridge Scheduler at 00:20 in the business
time zone; a timer in ``make run``): ``{"schedule": ..., "scheduled_time": ...}``.

It rolls the units sold of the last days (``shared.services.inventory_performance.REROLL_DAYS``) from the
daily sales counters into the SKUs' month items, and marks every SKU still out of stock out on each day
since it ran out, today included. Everything it writes is a SET: a retried run writes the same.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.inventory_rollup import wiring
from shared.config import settings
from shared.observability import logger, metrics, tracer
from shared.reports.days import parse_utc, zone

wiring.rollup()  # clients are created once, during init


class ScheduledRun(BaseModel):
    schedule: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")
    scheduled_time: str = Field(min_length=20, max_length=40)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = ScheduledRun.model_validate(event)
    # The business day the run was scheduled on: a retry after midnight rolls up the same days.
    today = parse_utc(run.scheduled_time).astimezone(zone(settings().timezone)).date()
    report = wiring.rollup().run(today)
    metrics.add_metric(name="InventoryRollupSkuDays", unit=MetricUnit.Count, value=report.sold_items)
    logger.info(
        "inventory rolled up",
        days=report.days,
        sold_items=report.sold_items,
        out_of_stock=report.out_of_stock,
        out_marks=report.out_marks,
    )
    return {
        "today": today.isoformat(),
        "days": report.days,
        "sold_items": report.sold_items,
        "out_of_stock": report.out_of_stock,
    }

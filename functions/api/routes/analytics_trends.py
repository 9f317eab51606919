"""Analytics: sales trends (viewer). Figures per day, ISO week or month, beside the period before."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import TypeAdapter, ValidationError

from functions.api import wiring
from shared.config import settings
from shared.http import invalid_field, json_response, require
from shared.models.common import IsoDate, Sku
from shared.models.trends import (
    DEFAULT_TREND_DAYS,
    MAX_TREND_SKUS,
    Granularity,
    TrendBy,
    Trends,
)
from shared.openapi import problem_responses
from shared.patterns import CHANNEL_NAME_PATTERN, CURRENCY_PATTERN
from shared.reports.days import today, zone

router = Router()
SKUS = TypeAdapter(list[Sku])


@router.get(
    "/analytics/trends",
    summary="Sales trends (viewer): orders, units, gross, net and total sales and average order value per "
    "day, ISO week or month, each beside the period before, per currency",
    description=(
        "Buckets are whole business days; the first and last week or month are clipped to the range (each "
        "point carries its first_day and last_day). The previous period is the range moved back by its "
        "length in buckets. statistics says what the answer read: a 2-year monthly trend reads the MONTH "
        "roll-ups (a few hundred items, whatever the number of orders)."
    ),
    tags=["analytics"],
    responses=problem_responses(
        422, 503, notes={422: "Invalid fields, to before from, or a range over 731 days"}
    ),
)
def get_trends(
    from_: Annotated[
        IsoDate | None,
        Query(alias="from", description=f"First business day (default: {DEFAULT_TREND_DAYS} days before to)"),
    ] = None,
    to: Annotated[
        IsoDate | None, Query(description="Last business day, inclusive (default: yesterday)")
    ] = None,
    granularity: Annotated[Granularity, Query(description="A point per day, ISO week or month")] = "day",
    by: Annotated[
        TrendBy, Query(description="One series in all, one per channel, or one per SKU (per currency)")
    ] = "total",
    channel: Annotated[
        str | None, Query(pattern=CHANNEL_NAME_PATTERN, description="Only this channel (by=total or channel)")
    ] = None,
    sku: Annotated[
        list[str] | None,
        Query(
            description=f"by=sku: these SKUs (up to {MAX_TREND_SKUS} times); without it, the top "
            f"{MAX_TREND_SKUS} by net sales in the range",
        ),
    ] = None,
    currency: Annotated[str | None, Query(pattern=CURRENCY_PATTERN, description="Only this currency")] = None,
) -> Response[Trends]:
    require(router, "viewer")
    from shared.reports.trends import TrendQuery  # the arithmetic: on the first trend asked for
    from shared.services.trends import InvalidTrendQuery, default_range

    try:
        skus = tuple(SKUS.validate_python(sku or []))
    except ValidationError as exc:
        raise invalid_field(
            "query.sku", "each sku must be a SKU: no control characters, no outer spaces"
        ) from exc
    tz = settings().timezone
    try:
        first, last = default_range(today(dt.datetime.now(dt.UTC), zone(tz)), from_, to, DEFAULT_TREND_DAYS)
        query = TrendQuery(granularity, by, first, last, channel, skus, currency)
        answer = wiring.trend_service().trends(query)
    except InvalidTrendQuery as exc:
        raise invalid_field(f"query.{exc.field}", str(exc)) from exc
    return json_response(200, answer)

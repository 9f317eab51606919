"""Inventory performance (viewer): per SKU and location, units sold, cover, sell-through, stock-outs,
slow and dead stock, and what to reorder (README, "Inventory performance")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api import wiring
from shared.dal.cursors import InvalidCursor
from shared.http import ProblemError, invalid_field, json_response, require
from shared.models.common import Sku
from shared.models.inventory import LOCATION_PATTERN
from shared.models.inventory_analytics import InventoryPerformance
from shared.openapi import problem_responses
from shared.patterns import described
from shared.reports.inventory_performance import (
    DEFAULT_DAYS,
    DEFAULT_DEAD_STOCK_DAYS,
    DEFAULT_SLOW_MOVER_RATE,
    DEFAULT_TARGET_COVER_DAYS,
    MAX_DAYS,
    FutureDay,
    Settings,
)

router = Router()
_DAY = described(r"^\d{4}-\d{2}-\d{2}$", "must be a date like 2026-01-31")
FIRST_DAY = dt.date(2000, 1, 1)  # no shop's figures start earlier: a period never reaches year 1
_RATE = described(
    r"^\d{1,6}(\.\d{1,4})?$", 'must be a decimal number with at most 4 decimals, such as "0.25"'
)


@router.get(
    "/analytics/inventory",
    summary="Inventory performance per SKU and location (viewer): sold, cover, stock-outs, reorder",
    description="Per SKU, in SKU order: units sold over 7, 30 and 90 days ending on as_of; on hand and "
    "available now; days of cover (available / the 30-day daily rate); sell-through over the period "
    "(sold / (sold + on hand now)); days out of stock in the period; slow movers and dead stock; a reorder "
    "suggestion (reorder point = lead-time demand + z x sigma of daily demand x sqrt(lead time), the "
    "product's lead time and service level); units shipped per location per day. Figures come from "
    "aggregates: reads grow with SKUs and days, never with orders (statistics says what this answer read). "
    "Days before today are rolled up nightly; today's units sold are read live. A page may hold fewer than "
    "limit items when location is given: follow next_token until it is absent.",
    tags=["analytics"],
    responses=problem_responses(400, 422, 503),
)
def inventory_performance(
    as_of: Annotated[
        str | None,
        Query(
            pattern=_DAY,
            description="The period's last business day (ISO date, 2000-01-01 to today); default: today",
        ),
    ] = None,
    days: Annotated[
        int,
        Query(ge=1, le=MAX_DAYS, description="The period's length in days (stock-outs, sell-through, daily)"),
    ] = DEFAULT_DAYS,
    location: Annotated[
        str | None,
        Query(
            pattern=LOCATION_PATTERN, description="Only SKUs stocked or shipped at this location, its figures"
        ),
    ] = None,
    sku: Annotated[Sku | None, Query(description="Only this SKU")] = None,
    target_cover_days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="Days of demand a suggested reorder brings stock up to")
    ] = DEFAULT_TARGET_COVER_DAYS,
    dead_stock_days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="Dead stock: nothing sold in this many days while on hand")
    ] = DEFAULT_DEAD_STOCK_DAYS,
    slow_mover_rate: Annotated[
        str | None,
        Query(
            pattern=_RATE,
            description="Slow mover: a 90-day rate under this many units a day "
            f"(default {DEFAULT_SLOW_MOVER_RATE})",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="SKUs per page")] = 100,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[InventoryPerformance]:
    require(router, "viewer")
    analytics = wiring.inventory_analytics()
    try:
        last = dt.date.fromisoformat(as_of) if as_of else analytics.today()
    except ValueError:
        raise invalid_field("query.as_of", "must be a date like 2026-01-31") from None
    if last < FIRST_DAY:
        raise invalid_field("query.as_of", f"must be {FIRST_DAY.isoformat()} or later")
    settings = Settings(
        as_of=last,
        days=days,
        target_cover_days=target_cover_days,
        dead_stock_days=dead_stock_days,
        slow_mover_rate=Decimal(slow_mover_rate) if slow_mover_rate else DEFAULT_SLOW_MOVER_RATE,
        location=location,
    )
    try:
        page = analytics.page(settings, next_token, limit, sku)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    except FutureDay as exc:
        raise invalid_field("query.as_of", str(exc)) from exc
    return json_response(200, page)

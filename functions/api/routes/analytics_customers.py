"""Customer behaviour routes (issue 18): month by month and cohorts (viewer), the top customers (staff)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api import wiring
from shared.config import settings
from shared.http import invalid_field, json_response, require
from shared.models.common import Currency
from shared.models.customer_analytics import (
    DEFAULT_TOP,
    MAX_RANGE_MONTHS,
    MAX_TOP,
    CustomerBehaviour,
    TopCustomers,
)
from shared.openapi import problem_responses
from shared.patterns import described

router = Router()

_MONTH = described(r"^\d{4}-(0[1-9]|1[0-2])$", "must be a month like 2026-02")


@router.get(
    "/analytics/customers",
    summary="Customer behaviour by business month, and cohorts by month of first order (viewer)",
    description="New and returning customers, orders per customer, repeat purchase rate, days from first to "
    "second order and channel mix, per month; each month's cohort (customers whose first counted order fell "
    "in it) with the share ordering again in each later month, up to 12 months after, within the range. "
    "An order counts when it has a customer and is not cancelled. The top customers: "
    "GET /analytics/customers/top (staff).",
    tags=["analytics"],
    responses=problem_responses(
        422, 503, notes={422: f"Invalid month, to before from, or more than {MAX_RANGE_MONTHS} months"}
    ),
)
def customer_behaviour(
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            pattern=_MONTH,
            description="First business month (YYYY-MM); default: 11 months before to",
            examples=["2026-01"],
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            pattern=_MONTH,
            description=f"Last business month, inclusive (YYYY-MM; {MAX_RANGE_MONTHS} months at most); "
            "default: this month",
            examples=["2026-12"],
        ),
    ] = None,
) -> Response[CustomerBehaviour]:
    require(router, "viewer")
    from shared.services.customer_stats import InvalidRange

    analytics = wiring.customer_analytics()
    try:
        first, last = analytics.period(from_, to)
    except InvalidRange as exc:
        raise invalid_field(f"query.{exc.field}", str(exc)) from exc
    return json_response(200, analytics.behaviour(first, last))


@router.get(
    "/analytics/customers/top",
    summary="The top customers by lifetime value in a currency, named live (staff)",
    description="Lifetime value: net sales (gross - discounts - returns) of the customer's counted orders in "
    "the currency. Names are read from the customers table when asked (never stored with the figures); "
    "an erased customer is listed with erased true and no name.",
    tags=["analytics"],
    responses=problem_responses(422, 503),
)
def top_customers(
    currency: Annotated[
        Currency | None, Query(description="ISO 4217 currency; default: the catalog's currency")
    ] = None,
    top: Annotated[
        int, Query(ge=1, le=MAX_TOP, description=f"How many customers (1-{MAX_TOP})")
    ] = DEFAULT_TOP,
) -> Response[TopCustomers]:
    require(router, "staff")
    return json_response(200, wiring.customer_analytics().top(currency or settings().currency, top))

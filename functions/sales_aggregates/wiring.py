"""The daily sales counters' collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import CUSTOMER_STATS_TABLE_ENV, DAILY_SALES_TABLE_ENV, required, settings
from shared.dal.customer_stats import CustomerStatsStore
from shared.dal.sales import SalesStore
from shared.reports.days import zone
from shared.services.customer_stats import CustomerStatsAggregator
from shared.services.sales import SalesAggregator


@once
def sales_store() -> SalesStore:
    return SalesStore(client("dynamodb"), required(DAILY_SALES_TABLE_ENV))


@once
def sales_aggregator() -> SalesAggregator:
    return SalesAggregator(sales_store(), zone(settings().timezone))


@once
def customer_aggregator() -> CustomerStatsAggregator:
    """The customer aggregates (issue 18): the second aggregator, after the sales counters."""
    store = CustomerStatsStore(client("dynamodb"), required(CUSTOMER_STATS_TABLE_ENV))
    return CustomerStatsAggregator(store, zone(settings().timezone))

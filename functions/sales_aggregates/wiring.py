"""The daily sales counters' collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import DAILY_SALES_TABLE_ENV, required, settings
from shared.dal.sales import SalesStore
from shared.reports.days import zone
from shared.services.sales import SalesAggregator


@once
def sales_store() -> SalesStore:
    return SalesStore(client("dynamodb"), required(DAILY_SALES_TABLE_ENV))


@once
def sales_aggregator() -> SalesAggregator:
    return SalesAggregator(sales_store(), zone(settings().timezone))

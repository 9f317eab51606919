"""The daily sales counters' collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import required, settings
from shared.dal.sales import SalesStore
from shared.reports.days import zone
from shared.services.sales import SalesAggregator


@once
def sales_store() -> SalesStore:
    return SalesStore(client("dynamodb"), required("OMS_DAILY_SALES_TABLE"))


@once
def sales_aggregator() -> SalesAggregator:
    return SalesAggregator(sales_store(), zone(settings().timezone))

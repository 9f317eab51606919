"""The analytics export's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once, s3_client
from shared.config import (
    ANALYTICS_BUCKET_ENV,
    INVENTORY_STATS_TABLE_ENV,
    ORDERS_TABLE_ENV,
    required,
    settings,
)
from shared.dal.analytics_export import AnalyticsFiles, StockoutDays
from shared.dal.report_sources import OrderPeriods
from shared.reports.days import zone
from shared.services.analytics_export import AnalyticsExport


@once
def analytics_export() -> AnalyticsExport:
    dynamodb = client("dynamodb")
    orders, stats = required(ORDERS_TABLE_ENV), required(INVENTORY_STATS_TABLE_ENV)
    return AnalyticsExport(
        orders=lambda: OrderPeriods(dynamodb, orders),
        stockouts=lambda: StockoutDays(dynamodb, stats),
        files=AnalyticsFiles(s3_client(), required(ANALYTICS_BUCKET_ENV)),
        tz=zone(settings().timezone),
    )

"""The reports function's collaborators, built once per execution environment (``shared.aws.once``).

What renders a report (xlsxwriter, the HTML renderer) is imported by the builder that needs it, when a
report of that kind is built: see ``shared.services.reports``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.aws import client, once, s3_client
from shared.config import (
    CATALOG_TABLE_ENV,
    CUSTOMER_STATS_TABLE_ENV,
    DAILY_SALES_TABLE_ENV,
    INVENTORY_STATS_TABLE_ENV,
    ORDERS_TABLE_ENV,
    REPORTS_BUCKET_ENV,
    REPORTS_TABLE_ENV,
    local_stack,
    required,
    settings,
)
from shared.dal.report_files import ReportFiles
from shared.dal.report_sources import OrderPeriods, Products
from shared.dal.reports import ReportStore
from shared.dal.sales import SalesStore
from shared.services.reports import AnalyticsSource, ReportBuilder, ReportService

if TYPE_CHECKING:
    from shared.dal.customer_stats import CustomerStatsStore
    from shared.models.reports import Report
    from shared.reports.tabular import TabularReport
    from shared.services.inventory_performance import InventoryAnalytics


@once
def customer_stats() -> CustomerStatsStore:
    """The customer aggregates (issue 18), for customer_behaviour (imported when one is built)."""
    from shared.dal.customer_stats import CustomerStatsStore

    return CustomerStatsStore(client("dynamodb"), required(CUSTOMER_STATS_TABLE_ENV))


def customers_report(report: Report) -> tuple[TabularReport, int]:
    from shared.reports.customers_report import customers_report

    return customers_report(report, customer_stats())


@once
def inventory_analytics() -> InventoryAnalytics:
    """inventory_performance: every SKU's figures from the inventory stats, the catalog and the daily
    sales counters."""
    from shared.dal.inventory_stats import PerformanceSources
    from shared.reports.days import zone
    from shared.services.inventory_performance import InventoryAnalytics

    dynamodb = client("dynamodb")
    catalog, stats, sales = (
        required(CATALOG_TABLE_ENV),
        required(INVENTORY_STATS_TABLE_ENV),
        required(DAILY_SALES_TABLE_ENV),
    )
    return InventoryAnalytics(
        lambda: PerformanceSources(dynamodb, catalog, stats, sales), zone(settings().timezone)
    )


def inventory_performance(report: Report) -> tuple[TabularReport, int]:
    """inventory_performance (issue 18); its arithmetic and the renderers' shapes load when one is built."""
    from shared.reports.inventory_performance_report import inventory_performance_report

    return inventory_performance_report(report, inventory_analytics())


def sales_trends_report(report: Report) -> tuple[TabularReport, int]:
    from shared.reports.trends_report import trends_report  # on the first sales_trends report

    return trends_report(report, sales_store())


# The analytics reports' sources, one per type (issue 18): each makes its TabularReport from its own
# aggregates (shared/reports/<area>_report.py), built with the stores below when a report is built.
ANALYTICS: dict[str, AnalyticsSource] = {
    "customer_behaviour": customers_report,
    "inventory_performance": inventory_performance,
    "sales_trends": sales_trends_report,
}


@once
def report_store() -> ReportStore:
    return ReportStore(client("dynamodb"), required(REPORTS_TABLE_ENV))


@once
def report_files() -> ReportFiles:
    return ReportFiles(s3_client(), required(REPORTS_BUCKET_ENV))


@once
def sales_store() -> SalesStore:
    # a sales_trends report's queries (one per period and shard) on 16 threads; moto (the local stack) one
    return SalesStore(client("dynamodb"), required(DAILY_SALES_TABLE_ENV), workers=1 if local_stack() else 16)


@once
def report_service() -> ReportService:
    """The daily schedule's requests (yesterday's daily_sales, today's inventory)."""
    return ReportService(report_store(), report_files(), settings().timezone)


@once
def report_builder() -> ReportBuilder:
    """A report asked for, built from its sources and stored as files."""
    dynamodb = client("dynamodb")
    orders, catalog = required(ORDERS_TABLE_ENV), required(CATALOG_TABLE_ENV)
    return ReportBuilder(
        report_store(),
        report_files(),
        sales_store(),
        orders=lambda: OrderPeriods(dynamodb, orders),
        products=lambda: Products(dynamodb, catalog),
        analytics=ANALYTICS,
    )

"""The reports function's collaborators, built once per execution environment (``shared.aws.once``).

What renders a report (xlsxwriter, the HTML renderer) is imported by the builder that needs it, when a
report of that kind is built: see ``shared.services.reports``.
"""

from __future__ import annotations

from shared.aws import client, once, s3_client
from shared.config import required, settings
from shared.dal.report_files import ReportFiles
from shared.dal.report_sources import OrderPeriods, Products
from shared.dal.reports import ReportStore
from shared.dal.sales import SalesStore
from shared.services.reports import ReportBuilder, ReportService


@once
def report_store() -> ReportStore:
    return ReportStore(client("dynamodb"), required("OMS_REPORTS_TABLE"))


@once
def report_files() -> ReportFiles:
    return ReportFiles(s3_client(), required("OMS_REPORTS_BUCKET"))


@once
def sales_store() -> SalesStore:
    return SalesStore(client("dynamodb"), required("OMS_DAILY_SALES_TABLE"))


@once
def report_service() -> ReportService:
    """The daily schedule's requests (yesterday's daily_sales, today's inventory)."""
    return ReportService(report_store(), report_files(), settings().timezone)


@once
def report_builder() -> ReportBuilder:
    """A report asked for, built from its sources and stored as files."""
    dynamodb = client("dynamodb")
    orders, catalog = required("OMS_ORDERS_TABLE"), required("OMS_CATALOG_TABLE")
    return ReportBuilder(
        report_store(),
        report_files(),
        sales_store(),
        orders=lambda: OrderPeriods(dynamodb, orders),
        products=lambda: Products(dynamodb, catalog),
    )

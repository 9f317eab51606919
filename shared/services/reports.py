"""Reports: asking for one (staff, or the daily schedule), building it to S3, reading it back.

Asking records a PENDING report; the reports table's stream hands it to ``ReportBuilder`` (in the
reports function), which writes the files and marks it READY (or FAILED, with the reason). A report's
id decides its file keys, so building one again writes the same objects; a scheduled run's id is made
from the schedule and the period, so a retried run finds its report already there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.domain.moments import utc_text
from shared.models.reports import (
    ANALYTICS_TYPES,
    CONTENT_TYPES,
    FORMATS,
    SALES_WINDOW_DAYS,
    ExportRow,
    FileFormat,
    Report,
    ReportFile,
    ReportRequest,
    ReportSource,
    ReportType,
)
from shared.reports.days import day_range, parse_utc, today, zone

if TYPE_CHECKING:  # the API imports this module at init; the stores come from its wiring, built when used
    from shared.dal.report_files import ReportFiles
    from shared.dal.report_sources import OrderPeriods, Products
    from shared.dal.reports import ReportStore
    from shared.dal.sales import SalesStore
    from shared.reports.tabular import TabularReport

# An analytics report's figures: the TabularReport for report.period_start..period_end, and the items read.
AnalyticsSource = Callable[[Report], "tuple[TabularReport, int]"]

DOWNLOAD_LINK_SECONDS = 600  # presigned links expire within 10 minutes
SCHEDULED_TYPES: tuple[ReportType, ...] = ("daily_sales", "inventory")
WEEKLY_TYPES: tuple[ReportType, ...] = ("inventory_performance",)  # on Mondays: the week before
MONTHLY_TYPES: tuple[ReportType, ...] = ("sales_trends", "customer_behaviour")  # on the 1st: the month before


def due_on(day: dt.date) -> tuple[ReportType, ...]:
    """The reports the daily run asks for on a business day: every day's, Monday's weekly ones, and the
    1st's monthly ones (each for its last full period, see ``ReportService.period``)."""
    due = SCHEDULED_TYPES
    if day.isoweekday() == 1:
        due += WEEKLY_TYPES
    if day.day == 1:
        due += MONTHLY_TYPES
    return due


def last_full_period(report_type: ReportType, today: dt.date) -> tuple[dt.date, dt.date]:
    """An analytics report's default period: the last full ISO week (Monday to Sunday) before ``today``
    for inventory_performance, the last full month for the others."""
    if report_type == "inventory_performance":
        monday = today - dt.timedelta(days=today.isoweekday() - 1)
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


_IDS = uuid.UUID("6f1c2b1e-0a52-4c55-9d0e-3d1f1f7e5a10")  # namespace of report ids made from keys


class InvalidPeriod(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NoSource(LookupError):
    """No source builds this report type's figures (the reports function's wiring names one per type)."""


class ReportKeyReused(ValueError):
    """An Idempotency-Key already asked for a different report."""


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first}_{self.last}"


def file_key(report: Report, fmt: str) -> str:
    return f"reports/{report.type}/{report.period}/{report.report_id}.{fmt}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ReportService:
    def __init__(
        self,
        store: ReportStore,
        files: ReportFiles | None,
        timezone: str,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._files = files
        self.timezone = timezone
        self._tz = zone(timezone)
        self._clock = clock

    def period(self, request: ReportRequest, *, on: dt.date | None = None) -> Period:
        """The business days a request covers. ``on``: the day it is asked on (default: today)."""
        now = on or today(self._clock(), self._tz)
        if request.type == "orders_export":
            assert request.from_ is not None and request.to is not None  # the model requires both
            if request.to > now:
                raise InvalidPeriod("to", f"to is after today ({now}) in {self.timezone}")
            return Period(request.from_, request.to)
        if request.type in ANALYTICS_TYPES:
            if request.from_ is None or request.to is None:
                return Period(*last_full_period(request.type, now))
            if request.to > now:
                raise InvalidPeriod("to", f"to is after today ({now}) in {self.timezone}")
            return Period(request.from_, request.to)
        if request.type == "inventory":
            if request.date not in (None, now):
                raise InvalidPeriod(
                    "date", f"inventory is stock as it is now: leave date out or send today ({now})"
                )
            return Period(now, now)
        day = request.date or now - dt.timedelta(days=1)
        if day > now:
            raise InvalidPeriod("date", f"{day} has not begun in {self.timezone}")
        return Period(day, day)

    def request(
        self,
        request: ReportRequest,
        *,
        requested_by: str,
        source: ReportSource = "api",
        idempotency_key: str | None = None,
        report_id: str | None = None,
        on: dt.date | None = None,
    ) -> tuple[Report, bool]:
        """Record a PENDING report (built asynchronously). Returns it and True, or the report this
        idempotency key (or id) already made and False."""
        period = self.period(request, on=on)
        if report_id is None:
            report_id = (
                str(uuid.uuid5(_IDS, f"{requested_by}\n{idempotency_key}"))
                if idempotency_key
                else str(uuid.uuid4())
            )
        report = Report(
            report_id=report_id,
            type=request.type,
            period=period.label,
            period_start=period.first.isoformat(),
            period_end=period.last.isoformat(),
            timezone=self.timezone,
            status="PENDING",
            source=source,
            requested_at=utc_text(self._clock()),
            requested_by=requested_by,
        )
        existing, created = self._store.create(report)
        if created:
            return report, True
        if (existing.type, existing.period) != (report.type, report.period):
            raise ReportKeyReused(f"report {report_id} is a {existing.type} report for {existing.period}")
        return existing, False

    def scheduled(self, schedule: str, scheduled_time: str) -> list[tuple[Report, bool]]:
        """The daily run: yesterday's daily_sales and today's inventory, on Mondays last week's
        inventory_performance, on the 1st last month's sales_trends and customer_behaviour (``due_on``),
        for the business day the run was scheduled on (a retry of the run, even after midnight, asks for
        the same reports and gets the ones its first attempt made)."""
        day = parse_utc(scheduled_time).astimezone(self._tz).date()
        asked = []
        for report_type in due_on(day):
            request = ReportRequest(type=report_type)
            period = self.period(request, on=day)
            asked.append(
                self.request(
                    request,
                    requested_by=schedule,
                    source="schedule",
                    report_id=f"{report_type}-{period.label}-{schedule}",
                    on=day,
                )
            )
        return asked

    def get(self, report_id: str) -> Report | None:
        """The report, with a presigned download link per file once READY."""
        report = self._store.get(report_id)
        if report is None or report.status != "READY" or self._files is None:
            return report
        expires = utc_text(self._clock() + dt.timedelta(seconds=DOWNLOAD_LINK_SECONDS))
        files = [
            f.model_copy(
                update={
                    "download_url": self._files.download_url(
                        f.key, DOWNLOAD_LINK_SECONDS, f.key.rsplit("/", 1)[-1]
                    ),
                    "expires_at": expires,
                }
            )
            for f in report.files
        ]
        return report.model_copy(update={"files": files})

    def list(
        self,
        report_type: ReportType | None,
        first: dt.date | None,
        last: dt.date | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Report], str | None]:
        return self._store.list(
            report_type,
            first.isoformat() if first else None,
            last.isoformat() if last else None,
            cursor,
            limit,
        )


@dataclass
class Built:
    report: Report
    items_read: int


class ReportBuilder:
    """Builds a PENDING report's files and closes it. Reads only what the report needs."""

    def __init__(
        self,
        store: ReportStore,
        files: ReportFiles,
        sales: SalesStore,
        orders: Callable[[], OrderPeriods],
        products: Callable[[], Products],
        clock: Callable[[], dt.datetime] = _utcnow,
        analytics: Mapping[str, AnalyticsSource] | None = None,
    ) -> None:
        self._analytics = dict(analytics or {})
        self._store = store
        self._files = files
        self._sales = sales
        self._orders = orders
        self._products = products
        self._clock = clock

    def build(self, report_id: str) -> Built | None:
        """Build the report if it is still PENDING. None: no such report, or it is done already."""
        report = self._store.get(report_id, consistent=True)
        if report is None or report.status != "PENDING":
            return None
        read_before = self._sales.items_read
        if report.type == "orders_export":
            files, items_read = self._export(report)
        elif report.type in ANALYTICS_TYPES:
            files, items_read = self._tabular(report)  # its source counts all it read (the sales store too)
            read_before = self._sales.items_read
        else:
            files, items_read = self._summary(report)
        items_read += self._sales.items_read - read_before
        now = utc_text(self._clock())
        if not self._store.finish(report_id, files, files[0].rows, now):
            return None  # another attempt closed it first
        done = {"status": "READY", "files": files, "rows": files[0].rows, "completed_at": now}
        return Built(report.model_copy(update=done), items_read)

    def fail(self, report_id: str, reason: str) -> bool:
        return self._store.fail(report_id, reason, utc_text(self._clock()))

    def _summary(self, report: Report) -> tuple[list[ReportFile], int]:
        from shared.reports.render import render

        figures, items_read = self.figures(report)
        return self._write(report, lambda fmt, out: render(figures, fmt, out)), items_read

    def _write(self, report: Report, render: Callable[[FileFormat, Any], int]) -> list[ReportFile]:
        """Each of the report type's files, written by ``render(format, out)`` (which returns its rows)."""
        files = []
        for fmt in FORMATS[report.type]:
            key = file_key(report, fmt)
            with self._files.writer(key, CONTENT_TYPES[fmt]) as out:
                rows = render(fmt, out)
            files.append(
                ReportFile(
                    format=fmt, key=key, content_type=CONTENT_TYPES[fmt], bytes=out.bytes_written, rows=rows
                )
            )
        return files

    def _tabular(self, report: Report) -> tuple[list[ReportFile], int]:
        """An analytics report: its area's source makes the TabularReport, written in every format."""
        from shared.reports.render.tabular import write

        source = self._analytics.get(report.type)
        if source is None:
            raise NoSource(f"this deployment cannot build {report.type} reports")
        tabular, items_read = source(report)
        return self._write(report, lambda fmt, out: write(tabular, fmt, out)), items_read

    def figures(self, report: Report) -> tuple[Any, int]:
        """The report's figures (DailySales or InventoryReport) and the catalog items read for them."""
        from shared.reports.inventory import inventory_report
        from shared.reports.sales import daily_sales, net_units_by_sku

        if report.type == "daily_sales":
            return daily_sales(report.period_start, report.timezone, self._sales.day(report.period_start)), 0
        from shared.dal.inventory import stock_from_item

        day = dt.date.fromisoformat(report.period_start)
        window = [(day - dt.timedelta(days=n)).isoformat() for n in range(SALES_WINDOW_DAYS, 0, -1)]
        sold = net_units_by_sku(self._sales.days(window))
        products = self._products()
        listed = [
            (stock_from_item(str(item["pk"]), item), str(item.get("name", "")))
            for item in products.items()
            if "price" in item
        ]
        figures = inventory_report(report.period_start, report.timezone, window[0], window[-1], listed, sold)
        return figures, products.items_read

    def _export(self, report: Report) -> tuple[list[ReportFile], int]:
        from shared.reports.export import export_rows
        from shared.reports.render import write_export_csv

        tz = zone(report.timezone)
        start, end = day_range(
            dt.date.fromisoformat(report.period_start), dt.date.fromisoformat(report.period_end), tz
        )
        orders = self._orders()

        def rows() -> Iterator[ExportRow]:
            for order in orders.placed_between(start, end):
                yield from export_rows(order, tz)

        key = file_key(report, "csv")
        with self._files.writer(key, CONTENT_TYPES["csv"]) as out:
            count = write_export_csv(rows(), out)
        file = ReportFile(
            format="csv", key=key, content_type=CONTENT_TYPES["csv"], bytes=out.bytes_written, rows=count
        )
        return [file], orders.items_read

"""The ``sales_trends`` report: the trends of ``report.period_start..period_end`` as a TabularReport.

Granularity follows the period's length: days up to 62 days (the monthly run's month), ISO weeks up to
six months (184 days), months beyond. Charts: net sales over time, one chart per currency (two
currencies never share a scale), this period's line beside the previous period's; net sales by channel
over the whole period, bars grouped per currency. Sheets: the totals per period and per channel per
period, each figure beside the previous period's net sales and the change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from shared.models.reports import Report, cents
from shared.models.trends import Granularity, Trends, TrendSeries
from shared.reports.render.rows import Row
from shared.reports.render.svg import Bar, Group
from shared.reports.tabular import BarChart, LineChart, LineSeries, Sheet, TabularReport
from shared.reports.trends import TrendQuery
from shared.services.trends import PeriodCounters, TrendService

DAY_GRANULARITY_DAYS = 62
WEEK_GRANULARITY_DAYS = 184  # six months
FIGURES = (
    "orders",
    "units",
    "gross_sales",
    "discounts",
    "returns",
    "net_sales",
    "shipping",
    "taxes",
    "total_sales",
    "average_order_value",
)
HEADER = (
    "period",
    "first_day",
    "last_day",
    "currency",
    "channel",
    *FIGURES,
    "previous_period",
    "previous_net_sales",
    "net_sales_change_percent",
)
X_LABELS: dict[Granularity, str] = {"day": "Day", "week": "ISO week", "month": "Month"}


def granularity_of(first: dt.date, last: dt.date) -> Granularity:
    days = (last - first).days + 1
    if days <= DAY_GRANULARITY_DAYS:
        return "day"
    return "week" if days <= WEEK_GRANULARITY_DAYS else "month"


def _rows(series: Sequence[TrendSeries]) -> list[Row]:
    """A row per point: the channel column holds the series' name ('total' in the totals' sheet)."""
    rows: list[Row] = []
    for one in series:
        for point in one.points:
            figures = point.figures
            rows.append(
                (
                    point.period,
                    point.first_day,
                    point.last_day,
                    one.currency,
                    one.name,
                    *(getattr(figures, name) for name in FIGURES),
                    point.previous_period,
                    point.previous.net_sales,
                    point.change_percent.net_sales,
                )
            )
    return rows


def tabular(total: Trends, channels: Trends) -> TabularReport:
    """The report of a range's trends in total and by channel (pure)."""
    charts: list[LineChart | BarChart] = []
    for one in total.series:
        charts.append(
            LineChart(
                chart_id=f"net-sales-{one.currency.lower()}",
                title=f"Net sales ({one.currency}) per {total.granularity}",
                x_label=X_LABELS[total.granularity],
                y_label=f"Net sales ({one.currency})",
                x_labels=[point.period for point in one.points],
                series=[
                    LineSeries(
                        f"{total.first_day} to {total.last_day}",
                        [point.figures.net_sales for point in one.points],
                    ),
                    LineSeries(
                        f"previous: {total.previous_first_day} to {total.previous_last_day}",
                        [point.previous.net_sales for point in one.points],
                    ),
                ],
            )
        )
    by_channel: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for one in channels.series:
        for point in one.points:
            by_channel[one.currency][one.name] += point.figures.net_sales
    groups = [
        Group(
            heading=currency,
            bars=[
                Bar(channel, net, f"{cents(net)} {currency}")
                for channel, net in sorted(nets.items(), key=lambda item: (-item[1], item[0]))
            ],
        )
        for currency, nets in sorted(by_channel.items())
    ]
    if groups:
        charts.append(BarChart(chart_id="net-sales-by-channel", title="Net sales by channel", groups=groups))
    return TabularReport(
        title=f"Sales trends {total.first_day} to {total.last_day}",
        subtitle=f"Per {total.granularity}, business days in {total.timezone}; compared with "
        f"{total.previous_first_day} to {total.previous_last_day}",
        notes=total.notes,
        charts=charts,
        sheets=(
            Sheet("Trend", HEADER, _rows(total.series)),
            Sheet("By channel", HEADER, _rows(channels.series)),
        ),
    )


def trends_report(report: Report, counters: PeriodCounters) -> tuple[TabularReport, int]:
    """The sales_trends report of ``report``'s period, and the counter items read for it."""
    first, last = dt.date.fromisoformat(report.period_start), dt.date.fromisoformat(report.period_end)
    granularity = granularity_of(first, last)
    service = TrendService(lambda: counters, report.timezone)
    total = service.trends(TrendQuery(granularity, "total", first, last))
    channels = service.trends(TrendQuery(granularity, "channel", first, last))
    return tabular(total, channels), total.statistics.items_read + channels.statistics.items_read

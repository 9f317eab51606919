"""The analytics reports' shape (shared.reports.tabular) as CSV, XLSX and HTML, the line chart and the heat
map, and when the schedule asks for the weekly and monthly analytics reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from decimal import Decimal

import openpyxl
import pytest
from pydantic import ValidationError

from shared.models.reports import ReportRequest
from shared.reports.render.charts import heat_map, line_chart, nice_step
from shared.reports.render.svg import Bar, Group
from shared.reports.render.tabular import document, write
from shared.reports.tabular import BarChart, HeatMap, LineChart, LineSeries, Sheet, TabularReport
from shared.services.reports import due_on, last_full_period

D = Decimal


def report() -> TabularReport:
    return TabularReport(
        title="Sales trends 2026-01-01 to 2026-03-31",
        subtitle="Business days in Europe/Berlin, by month",
        notes=("Net sales = gross sales - discounts - returns.",),
        charts=(
            LineChart(
                "net-sales-EUR",
                "Net sales (EUR)",
                "Month",
                "Net sales (EUR)",
                ("2026-01", "2026-02", "2026-03"),
                (LineSeries("EUR", (D("100.5"), None, D("300"))),),
            ),
            BarChart("by-channel", "Net sales by channel", (Group("EUR", (Bar("<web>", D(10), "10.00"),)),)),
            HeatMap(
                "cohorts",
                "Cohorts",
                "First order month",
                "Months after",
                ("2026-01", "2026-02"),
                ("0", "1"),
                ((D(1), D("0.25")), (D(1), None)),
            ),
        ),
        sheets=(
            Sheet(
                "Months", ("month", "currency", "orders", "net_sales"), (("2026-01", "EUR", 3, D("100.5")),)
            ),
            Sheet(
                "By channel",
                ("month", "channel", "net_sales", "share"),
                (("2026-01", "=cmd", D("-2"), D("0.125")),),
            ),
        ),
    )


def test_csv_holds_every_sheet_as_a_section_under_one_header() -> None:
    out = io.BytesIO()
    assert write(report(), "csv", out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    assert rows[0] == ["section", "month", "currency", "orders", "net_sales", "channel", "share"]
    assert rows[1] == ["Months", "2026-01", "EUR", "3", "100.50", "", ""]  # money to the cent
    assert rows[2] == ["By channel", "2026-01", "", "", "-2.00", "'=cmd", "0.125"]  # a share keeps its digits


def test_xlsx_has_a_worksheet_per_sheet() -> None:
    out = io.BytesIO()
    assert write(report(), "xlsx", out) == 2
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Months", "By channel"]
    assert [c.value for c in book["Months"][1]] == ["month", "currency", "orders", "net_sales"]
    assert [c.value for c in book["By channel"][2]] == ["2026-01", "'=cmd", -2, 0.125]
    assert book["Months"]["D2"].number_format == "#,##0.00"


def test_html_is_self_contained_escaped_and_draws_each_chart() -> None:
    page = document(report())
    assert "default-src 'none'" in page
    assert "<web>" not in page and "&lt;web&gt;" in page
    assert re.search(r"<script|https?://(?!www\.w3)", page) is None
    for chart in ("net-sales-EUR", "by-channel", "cohorts"):
        assert f'data-chart="{chart}"' in page
    assert page.count('data-sheet="') == 2
    assert '<td class="num neg">-2.00</td>' in page


def test_a_line_chart_has_axes_a_legend_and_a_gap_for_a_missing_value() -> None:
    svg = line_chart(
        "c",
        "t",
        "Month",
        "Net sales (EUR)",
        ["a", "b", "c"],
        [("EUR", [D(1), None, D(3)]), ("USD", [D(2)] * 3)],
        "none",
    )
    assert 'data-axis="x">Month<' in svg and 'data-axis="y">Net sales (EUR)<' in svg
    assert 'data-legend="EUR"' in svg and 'data-legend="USD"' in svg
    eur = re.search(r'<g data-series="EUR">(.*?)</g>', svg)
    assert eur is not None and eur.group(1).count("<polyline") == 2  # broken at the missing month
    assert eur.group(1).count("<circle") == 2
    assert line_chart("c", "t", "x", "y", ["a"], [("EUR", [None])], "no sales").startswith(
        '<p class="no-data" data-chart-empty="c">no sales'
    )


def test_many_x_labels_are_thinned_to_fit() -> None:
    labels = [f"2026-{m:02d}-{d:02d}" for m in (1, 2, 3) for d in range(1, 29)]
    svg = line_chart("c", "t", "Day", "Orders", labels, [("orders", [D(1)] * len(labels))], "none")
    shown = svg.count("data-x-label")
    assert 5 <= shown < len(labels)
    assert labels[-1] in svg  # the last day is always labelled


@pytest.mark.parametrize(
    ("span", "step"), [(D(7), D(2)), (D(100), D(20)), (D("0.3"), D("0.1")), (D(0), D(1))]
)
def test_round_tick_steps(span: Decimal, step: Decimal) -> None:
    assert nice_step(span) == step


def test_a_heat_map_shades_each_cell_and_prints_its_share() -> None:
    svg = heat_map(
        "h", "t", "rows", "cols", ["r1", "r2"], ["0", "1"], [[D(1), D("0.25")], [D(1), None]], "none"
    )
    assert svg.count("data-share=") == 3  # no cell where there is no value
    assert ">25%<" in svg and ">100%<" in svg
    assert 'fill="rgb(255,255,255)"' in svg  # the scale starts at white


def test_the_schedule_asks_for_weekly_and_monthly_reports_on_their_days() -> None:
    assert due_on(dt.date(2026, 11, 24)) == ("daily_sales", "inventory")  # a Tuesday
    assert due_on(dt.date(2026, 11, 23)) == ("daily_sales", "inventory", "inventory_performance")  # a Monday
    assert due_on(dt.date(2026, 12, 1)) == ("daily_sales", "inventory", "sales_trends", "customer_behaviour")
    assert len(due_on(dt.date(2026, 6, 1))) == 5  # a Monday and the 1st


def test_the_last_full_periods() -> None:
    assert last_full_period("inventory_performance", dt.date(2026, 11, 25)) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 22),
    )
    assert last_full_period("inventory_performance", dt.date(2026, 11, 23)) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 22),
    )
    assert last_full_period("sales_trends", dt.date(2026, 3, 1)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )


@pytest.mark.parametrize(
    "body",
    [
        {"type": "sales_trends", "date": "2026-01-01"},
        {"type": "sales_trends", "from": "2026-01-01"},
        {"type": "customer_behaviour", "from": "2026-02-01", "to": "2026-01-01"},
        {"type": "inventory_performance", "from": "2024-01-01", "to": "2026-01-01"},
    ],
)
def test_an_analytics_report_takes_a_range_of_at_most_two_years(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ReportRequest.model_validate(body)


def test_an_analytics_report_may_leave_its_period_out() -> None:
    assert ReportRequest.model_validate({"type": "sales_trends"}).from_ is None
    assert ReportRequest.model_validate({"type": "sales_trends", "from": "2024-12-01", "to": "2026-11-30"}).to


def test_a_chart_of_counts_has_whole_ticks_and_a_heat_map_room_for_its_titles() -> None:
    svg = line_chart("c", "t", "Month", "Customers", ["2026-01"], [("new", [D(2)])], "none")
    ticks = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert ticks == ["0", "1", "2"]  # never 0.50 customers
    one_column = heat_map(
        "h", "t", "First order", "Months after the first order", ["2026-01"], ["0"], [[D(1)]], "-"
    )
    width = int(re.search(r'width="(\d+)"', one_column).group(1))  # type: ignore[union-attr]
    assert width >= 110 + len("Months after the first order") * 8


@pytest.mark.parametrize("days", [5, 28, 30, 31, 90])
def test_the_x_labels_shown_never_overlap(days: int) -> None:
    labels = [(dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat() for n in range(days)]
    svg = line_chart("c", "t", "Day", "Orders", labels, [("orders", [D(1)] * days)], "none")
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*data-x-label=""', svg)]
    assert labels[0] in svg and labels[-1] in svg
    width = 10 * 8 + 8  # ten characters at the chart's generous 8 px, and a gap
    # the first and last labels lean inwards (a whole width on one side), the others are centred
    assert all(b - a >= 1.5 * width - 1 for a, b in itertools.pairwise(xs)), xs

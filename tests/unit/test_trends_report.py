"""The sales_trends report (shared.reports.trends_report) from counters held by a typed fake of the store."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from shared.models.reports import Report
from shared.reports.periods import Period, periods_of
from shared.reports.render.tabular import write
from shared.reports.sales import CounterRow
from shared.reports.tabular import BarChart, LineChart
from shared.reports.trends_report import granularity_of, trends_report
from shared.services.trends import PeriodCounters

D = Decimal


class FakeCounters:
    """The counters as the stream would leave them: each day's added to its day, ISO week and month."""

    def __init__(self, days: dict[tuple[str, str], dict[str, Decimal]]) -> None:
        self.items: dict[Period, dict[str, dict[str, Decimal]]] = defaultdict(dict)
        for (day, what), fields in days.items():
            for period in periods_of(day):
                into = self.items[period].setdefault(what, defaultdict(Decimal))
                for name, value in fields.items():
                    into[name] += value
        self.items_read = 0
        self.requests = 0

    def rows_many(self, reads: Sequence[tuple[Period, str]]) -> list[list[CounterRow]]:
        return [self.rows(period, prefix) for period, prefix in reads]

    def rows(self, period: Period, prefix: str) -> list[CounterRow]:
        self.requests += 1
        found = [
            CounterRow(w, dict(f))
            for w, f in sorted(self.items.get(period, {}).items())
            if w.startswith(prefix)
        ]
        self.items_read += len(found)
        return found


def report(first: str, last: str) -> Report:
    return Report(
        report_id="r1",
        type="sales_trends",
        period=f"{first}_{last}",
        period_start=first,
        period_end=last,
        timezone="Europe/Berlin",
        status="PENDING",
        source="schedule",
        requested_at="2026-12-01T00:00:00.000000Z",
        requested_by="schedule",
    )


def test_granularity_follows_the_length() -> None:
    d = dt.date.fromisoformat
    assert granularity_of(d("2026-11-01"), d("2026-11-30")) == "day"
    assert granularity_of(d("2026-06-01"), d("2026-11-30")) == "week"
    assert granularity_of(d("2025-12-01"), d("2026-11-30")) == "month"


def test_a_monthly_report_draws_net_sales_per_currency_and_bars_by_channel() -> None:
    counters = FakeCounters(
        {
            ("2026-11-02", "TOTAL#EUR"): {"orders": D(2), "gross": D("50.00"), "discounts": D("5.00")},
            ("2026-11-02", "CHANNEL#web#EUR"): {"orders": D(2), "gross": D("50.00"), "discounts": D("5.00")},
            ("2026-11-03", "TOTAL#USD"): {"orders": D(1), "gross": D("20.00")},
            ("2026-11-03", "CHANNEL#pos#USD"): {"orders": D(1), "gross": D("20.00")},
            ("2026-10-05", "TOTAL#EUR"): {"orders": D(1), "gross": D("30.00")},  # the month before
            ("2026-10-05", "CHANNEL#web#EUR"): {"orders": D(1), "gross": D("30.00")},
        }
    )
    fake: PeriodCounters = counters
    tabular, items = trends_report(report("2026-11-01", "2026-11-30"), fake)

    assert items == counters.items_read > 0
    lines = [c for c in tabular.charts if isinstance(c, LineChart)]
    assert [c.y_label for c in lines] == ["Net sales (EUR)", "Net sales (USD)"]  # never one scale for two
    eur = lines[0]
    assert len(eur.x_labels) == 30 and eur.x_labels[1] == "2026-11-02"
    assert eur.series[0].values[1] == D("45.00")
    assert eur.series[1].label.startswith("previous: 2026-10-02")  # 30 days before
    (bars,) = [c for c in tabular.charts if isinstance(c, BarChart)]
    assert [(g.heading, [(b.label, b.value) for b in g.bars]) for g in bars.groups] == [
        ("EUR", [("web", D("45.00"))]),
        ("USD", [("pos", D("20.00"))]),
    ]
    out = io.BytesIO()
    assert (
        write(tabular, "csv", out) == 30 * 2 + 30 * 2
    )  # a row per day and currency, in total and by channel
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    nov2 = [
        r for r in rows if r["section"] == "Trend" and r["period"] == "2026-11-02" and r["currency"] == "EUR"
    ]
    assert [(r["orders"], r["net_sales"], r["average_order_value"]) for r in nov2] == [
        ("2", "45.00", "22.50")
    ]
    html = io.BytesIO()
    write(tabular, "html", html)
    assert b"<svg" in html.getvalue() and b"Net sales (USD)" in html.getvalue()

"""The customer_behaviour report (issue 18): the cohort heat map, new and returning customers as lines, the
sheets months, cohorts and channel mix, from the month counters (a typed fake of the store)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.dal.customer_stats import LtvRow
from shared.models.reports import Report
from shared.reports.customer_stats import MonthCounters, recount
from shared.reports.customers_report import customers_report
from shared.reports.tabular import HeatMap, LineChart
from shared.services.customer_stats import CustomerStatsReader
from tests.support.customer_orders import bought

UTC = ZoneInfo("UTC")


class FakeStats:
    """The month counters of some orders, read as the store reads them (one item per month and shard)."""

    def __init__(self, counters: MonthCounters) -> None:
        self.counters = counters
        self.items_read = 0
        self.requests = 0

    def months(self, months: Iterable[str]) -> MonthCounters:
        wanted = set(months)
        found = {key: fields for key, fields in self.counters.items() if key[0] in wanted}
        self.items_read += len(found)
        self.requests += 1
        return found

    def top(self, currency: str, limit: int) -> list[LtvRow]:
        raise AssertionError("a report never lists the top customers")


def report(start: str, end: str) -> Report:
    return Report(
        report_id="r1",
        type="customer_behaviour",
        period=f"{start}_{end}",
        period_start=start,
        period_end=end,
        timezone="UTC",
        status="PENDING",
        source="api",
        requested_at="2026-04-01T00:00:00.000000Z",
        requested_by="staff:test",
    )


def test_the_report_holds_the_cohorts_the_months_and_the_channel_mix() -> None:
    counters, _ = recount(
        [
            bought("a1", "c1", "2026-01-05T10:00:00.000000Z"),
            bought("a2", "c1", "2026-03-04T10:00:00.000000Z", channel="pos"),
            bought("b1", "c2", "2026-01-20T10:00:00.000000Z"),
            bought("d1", "c3", "2026-02-01T10:00:00.000000Z"),
            bought("g1", None, "2026-02-02T10:00:00.000000Z", channel="pos"),
        ],
        UTC,
    )
    stats: CustomerStatsReader = FakeStats(counters)
    tabular, items_read = customers_report(report("2026-01-01", "2026-03-31"), stats)
    assert items_read == len(counters)
    heat, lines = tabular.charts
    assert isinstance(heat, HeatMap) and isinstance(lines, LineChart)
    assert (heat.rows, heat.columns) == (["2026-01", "2026-02", "2026-03"], ["0", "1", "2"])
    assert heat.values == [
        [Decimal("1.0000"), Decimal("0.0000"), Decimal("0.5000")],
        [Decimal("1.0000"), Decimal("0.0000"), None],
        [None, None, None],  # no cohort started in March
    ]
    assert [(s.label, list(s.values)) for s in lines.series] == [
        ("New customers", [Decimal(2), Decimal(1), Decimal(0)]),
        ("Returning customers", [Decimal(0), Decimal(0), Decimal(1)]),
    ]
    months, cohorts, mix = tabular.sheets
    assert [row[:6] for row in months.rows] == [
        ("2026-01", 2, 2, 0, 2, 0),
        ("2026-02", 1, 1, 0, 1, 1),
        ("2026-03", 1, 0, 1, 1, 0),
    ]
    assert cohorts.rows[0] == ("2026-01", 2, Decimal("1.0000"), Decimal("0.0000"), Decimal("0.5000"))
    assert list(mix.rows) == [
        ("2026-01", "web", 2, Decimal("1.0000")),
        ("2026-02", "pos", 1, Decimal("0.5000")),
        ("2026-02", "web", 1, Decimal("0.5000")),
        ("2026-03", "pos", 1, Decimal("1.0000")),
    ]
    assert tabular.title == "Customer behaviour 2026-01 to 2026-03"

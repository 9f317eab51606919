"""Trend arithmetic (shared.reports.periods, shared.reports.trends) and the counters' roll-ups and chunks
(shared.reports.sales.rolled_up, shared.dal.sales.chunks): pure, no I/O."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared.dal.sales import MAX_TRANSACT_ITEMS, chunks
from shared.reports.periods import Bucket, Period, buckets, cover, iso_week, period_bounds, shift
from shared.reports.sales import CounterRow, rolled_up
from shared.reports.trends import TrendQuery, change, plan, prefixes, series, series_rows, top_skus
from shared.services.trends import InvalidTrendQuery, check, default_range

D = Decimal
d = dt.date.fromisoformat


def test_iso_weeks_start_on_monday_and_belong_to_their_iso_year() -> None:
    assert iso_week(d("2026-01-01")) == "2026-W01"  # a Thursday
    assert iso_week(d("2027-01-01")) == "2026-W53"  # a Friday: the last week of 2026
    assert period_bounds(Period("WEEK", "2026-W53")) == (d("2026-12-28"), d("2027-01-03"))
    assert period_bounds(Period("MONTH", "2024-02")) == (d("2024-02-01"), d("2024-02-29"))


def test_buckets_are_clipped_to_the_range() -> None:
    months = buckets("MONTH", d("2026-01-15"), d("2026-03-10"))
    assert [(b.period.label, b.first, b.last, b.clipped) for b in months] == [
        ("2026-01", d("2026-01-15"), d("2026-01-31"), True),
        ("2026-02", d("2026-02-01"), d("2026-02-28"), False),
        ("2026-03", d("2026-03-01"), d("2026-03-10"), True),
    ]
    weeks = buckets("WEEK", d("2026-02-04"), d("2026-02-16"))  # a Wednesday to a Monday
    assert [(b.period.label, b.first.isoformat(), b.last.isoformat()) for b in weeks] == [
        ("2026-W06", "2026-02-04", "2026-02-08"),
        ("2026-W07", "2026-02-09", "2026-02-15"),
        ("2026-W08", "2026-02-16", "2026-02-16"),
    ]
    assert len(buckets("DAY", d("2024-02-27"), d("2024-03-01"))) == 4


def test_cover_reads_whole_months_then_whole_weeks_then_days() -> None:
    assert cover(d("2026-03-01"), d("2026-03-31")) == [Period("MONTH", "2026-03")]
    # December 2024 from the 7th (a Saturday): two days, three whole weeks, two days
    assert cover(d("2024-12-07"), d("2024-12-31")) == [
        Period("DAY", "2024-12-07"),
        Period("DAY", "2024-12-08"),
        Period("WEEK", "2024-W50"),
        Period("WEEK", "2024-W51"),
        Period("WEEK", "2024-W52"),
        Period("DAY", "2024-12-30"),
        Period("DAY", "2024-12-31"),
    ]
    # every day of a two-year range is covered exactly once, by few items
    first, last = d("2024-12-07"), d("2026-12-06")
    periods = cover(first, last)
    days = [day for p in periods for day in _days(*period_bounds(p))]
    assert days == _days(first, last)
    assert len(periods) < 40


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def test_shift_moves_months_keeping_their_ends() -> None:
    assert shift("MONTH", d("2026-03-31"), 1) == d("2026-02-28")
    assert shift("MONTH", d("2026-03-15"), 3) == d("2025-12-15")
    assert shift("MONTH", d("2026-05-30"), 3) == d("2026-02-28")
    assert shift("WEEK", d("2026-03-02"), 2) == d("2026-02-16")
    assert shift("DAY", d("2026-03-01"), 1) == d("2026-02-28")


def test_the_previous_period_is_the_range_moved_back_by_its_length_in_buckets() -> None:
    days = plan(TrendQuery("day", "total", d("2026-03-01"), d("2026-03-07")))
    assert [p.previous.first.isoformat() for p in days] == [f"2026-02-{n}" for n in range(22, 29)]
    months = plan(TrendQuery("month", "total", d("2026-01-15"), d("2026-03-10")))
    assert [(p.previous.period.label, p.previous.first, p.previous.last) for p in months] == [
        ("2025-10", d("2025-10-15"), d("2025-10-31")),
        ("2025-11", d("2025-11-01"), d("2025-11-30")),
        ("2025-12", d("2025-12-01"), d("2025-12-10")),
    ]
    weeks = plan(TrendQuery("week", "total", d("2026-02-09"), d("2026-02-22")))
    assert [(p.previous.period.label, p.previous.first.isoformat()) for p in weeks] == [
        ("2026-W05", "2026-01-26"),
        ("2026-W06", "2026-02-02"),
    ]


def test_change_in_percent_is_null_when_the_previous_is_zero() -> None:
    assert change(D("150.00"), D("100.00")) == D("50.0")
    assert change(D("50.00"), D("-100.00")) == D("150.0")  # up from a negative: a rise
    assert change(1, 3) == D("-66.7")
    assert change(D(5), D(0)) is None
    assert change(None, D(1)) is None


def test_top_skus_per_currency_by_net_sales_ties_by_sku() -> None:
    buckets_rows = [
        {
            ("EUR", "A"): {"gross": D(10)},
            ("EUR", "B"): {"gross": D(30), "returns": D(25)},
            ("USD", "A"): {"gross": D(1)},
        },
        {("EUR", "C"): {"gross": D(5)}, ("EUR", "B"): {"gross": D(0)}},
    ]
    assert top_skus(buckets_rows, n=2) == {"EUR": ["A", "B"], "USD": ["A"]}  # B: 5.00, C: 5.00, B first


def test_series_points_carry_figures_previous_and_change() -> None:
    query = TrendQuery("month", "total", d("2026-01-01"), d("2026-02-28"))
    pairs = plan(query)
    rows = [
        CounterRow(
            "TOTAL#EUR",
            {
                "orders": D(4),
                "units": D(6),
                "gross": D("100"),
                "discounts": D(10),
                "returns": D(10),
                "shipping": D(5),
                "taxes": D(19),
                "included_taxes": D(0),
            },
        ),
        CounterRow("TOTAL#USD", {"orders": D(1), "gross": D("7")}),
        CounterRow("CHANNEL#web#EUR", {"orders": D(4)}),  # not asked for: by=total reads TOTAL only
        CounterRow("STATUS#CONFIRMED", {"orders": D(4)}),
    ]
    current = [series_rows(query, rows), {}]
    previous = [series_rows(query, [CounterRow("TOTAL#EUR", {"orders": D(2), "gross": D(40)})]), {}]
    (eur, usd) = series(query, pairs, current, previous)
    assert (eur.currency, eur.name, usd.currency) == ("EUR", "total", "USD")
    jan = eur.points[0]
    assert (jan.period, jan.previous_period, jan.first_day, jan.last_day) == (
        "2026-01",
        "2025-11",
        "2026-01-01",
        "2026-01-31",
    )
    f = jan.figures
    assert (f.orders, f.net_sales, f.total_sales, f.average_order_value) == (
        4,
        D("80.00"),
        D("104.00"),
        D("22.50"),
    )
    assert jan.previous.net_sales == D("40.00")
    assert jan.change_percent.net_sales == D("100.0") and jan.change_percent.orders == D("100.0")
    assert jan.change_percent.shipping is None  # nothing before
    feb = eur.points[1]
    assert feb.figures.orders == 0 and feb.figures.average_order_value is None
    assert feb.change_percent.net_sales is None


def test_a_sku_series_has_no_shipping_taxes_or_total() -> None:
    query = TrendQuery("day", "sku", d("2026-01-01"), d("2026-01-01"), skus=("A#1",))
    assert prefixes(query, query.skus) == ["SKU#A%231#"]
    rows = [
        CounterRow("SKU#A%231#EUR", {"orders": D(1), "gross": D(9)}),
        CounterRow("SKU#B#EUR", {"gross": D(1)}),
    ]
    (one,) = series(query, plan(query), [series_rows(query, rows)], [{}])
    assert one.name == "A#1"
    figures = one.points[0].figures
    assert (figures.shipping, figures.taxes, figures.total_sales, figures.net_sales) == (
        None,
        None,
        None,
        D("9.00"),
    )


def test_a_channel_filter_reads_that_channel() -> None:
    total = TrendQuery("day", "total", d("2026-01-01"), d("2026-01-01"), channel="web")
    assert prefixes(total) == ["CHANNEL#web#"]
    rows = [
        CounterRow("CHANNEL#web#EUR", {"orders": D(2)}),
        CounterRow("CHANNEL#webshop#EUR", {"orders": D(5)}),
    ]
    assert series_rows(total, rows) == {("EUR", "total"): {"orders": D(2)}}
    by_channel = TrendQuery("day", "channel", d("2026-01-01"), d("2026-01-01"), currency="USD")
    assert series_rows(by_channel, rows) == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (TrendQuery("day", "total", d("2026-01-02"), d("2026-01-01")), "to"),
        (TrendQuery("month", "total", d("2024-01-01"), d("2026-01-01")), "to"),  # 732 days
        (TrendQuery("day", "total", d("2026-01-01"), d("2026-01-01"), skus=("A",)), "sku"),
        (TrendQuery("day", "sku", d("2026-01-01"), d("2026-01-01"), skus=tuple("ABCDEFGHIJK")), "sku"),
        (TrendQuery("day", "sku", d("2026-01-01"), d("2026-01-01"), channel="web"), "channel"),
        (TrendQuery("month", "total", d("0001-01-01"), d("0001-01-31")), "from"),  # no month before it
        (TrendQuery("day", "total", d("9999-12-31"), d("9999-12-31")), "to"),
    ],
)
def test_queries_the_trends_refuse(query: TrendQuery, field: str) -> None:
    with pytest.raises(InvalidTrendQuery) as refused:
        check(query)
    assert refused.value.field == field


def test_two_years_are_accepted_and_the_range_defaults() -> None:
    check(TrendQuery("month", "total", d("2024-12-07"), d("2026-12-06")))  # 730 days
    check(TrendQuery("month", "total", d("2024-01-01"), d("2025-12-31")))  # 731 (a leap year)
    assert default_range(d("2026-12-07"), None, None, 30) == (d("2026-11-06"), d("2026-12-06"))
    assert default_range(d("2026-12-07"), d("2026-12-01"), None, 30) == (d("2026-12-01"), d("2026-12-06"))


def test_roll_ups_hold_the_days_counters_but_statuses() -> None:
    delta = {
        ("2026-02-01", "TOTAL#EUR"): {"orders": D(1), "gross": D(10)},  # a Sunday: week 5
        ("2026-02-02", "TOTAL#EUR"): {"orders": D(-1), "gross": D(-10), "cancellations": D(1)},  # week 6
        ("2026-02-01", "STATUS#CANCELLED"): {"orders": D(1)},
    }
    rolled = rolled_up(delta)
    assert rolled[(Period("MONTH", "2026-02"), "TOTAL#EUR")] == {
        "cancellations": D(1)
    }  # the rest cancels out
    assert rolled[(Period("WEEK", "2026-W05"), "TOTAL#EUR")] == {"orders": D(1), "gross": D(10)}
    assert (Period("WEEK", "2026-W05"), "STATUS#CANCELLED") not in rolled
    assert rolled[(Period("DAY", "2026-02-01"), "STATUS#CANCELLED")] == {"orders": D(1)}
    assert len(rolled) == 6


def test_a_large_change_is_split_the_same_way_every_time() -> None:
    delta = {("2026-02-03", f"SKU#S{n:02d}#EUR"): {"orders": D(1)} for n in range(50)}
    delta[("2026-02-03", "TOTAL#EUR")] = {"orders": D(1)}
    rolled = rolled_up(delta)
    assert len(rolled) == 51 * 3
    parts = chunks(rolled)
    assert [len(part) for part in parts] == [MAX_TRANSACT_ITEMS - 1, 51 * 3 - (MAX_TRANSACT_ITEMS - 1)]
    again = chunks(dict(reversed(list(rolled.items()))))
    assert [[key for key, _ in part] for part in again] == [[key for key, _ in part] for part in parts]


def test_bucket_clipped_flag() -> None:
    assert not Bucket(Period("WEEK", "2026-W06"), d("2026-02-02"), d("2026-02-08")).clipped


class FakeDynamo:
    """Query over items held in memory: pk equality and begins_with(sk), one page."""

    def __init__(self, items: dict[str, dict[str, dict[str, Decimal]]]) -> None:
        self.items = items

    def query(self, **params: object) -> dict[str, object]:
        values = params["ExpressionAttributeValues"]
        assert isinstance(values, dict)
        pk, prefix = values[":pk"]["S"], values.get(":prefix", {"S": ""})["S"]
        found = [
            {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"N": str(value)} for name, value in fields.items()}}
            for sk, fields in sorted(self.items.get(pk, {}).items())
            if sk.startswith(prefix)
        ]
        return {"Items": found, "Count": len(found)}


def test_rows_many_adds_the_shards_up_the_same_on_threads() -> None:
    from shared.dal.keys import ANALYTICS_SHARDS, period_pk
    from shared.dal.sales import SalesStore

    items = {
        period_pk("MONTH", "2026-02", shard): {
            "TOTAL#EUR": {"orders": D(shard + 1)},
            "CHANNEL#web#EUR": {"orders": D(1)},
        }
        for shard in range(ANALYTICS_SHARDS)
    }
    items[period_pk("DAY", "2026-03-01", 3)] = {"TOTAL#USD": {"gross": D("2.50")}}
    reads = [
        (Period("MONTH", "2026-02"), "TOTAL#"),
        (Period("DAY", "2026-03-01"), ""),
        (Period("MONTH", "2026-02"), ""),
    ]
    one, many = SalesStore(FakeDynamo(items), "t"), SalesStore(FakeDynamo(items), "t", workers=4)
    assert one.rows_many(reads) == many.rows_many(reads)
    total, day, month = many.rows_many(reads)
    assert [(r.what, r.fields) for r in total] == [("TOTAL#EUR", {"orders": D(36)})]  # 1 + 2 + ... + 8
    assert [(r.what, r.fields) for r in day] == [("TOTAL#USD", {"gross": D("2.50")})]
    assert [r.what for r in month] == ["CHANNEL#web#EUR", "TOTAL#EUR"]
    assert many.requests == 2 * len(reads) * ANALYTICS_SHARDS  # two calls of three reads, eight shards each
    assert many.items_read == 2 * (8 + 1 + 16)

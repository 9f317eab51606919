"""daily_sales arithmetic: every figure of one business day against orders built here (cancellations on
the day and for earlier orders, a return of an older order, two currencies, orders either side of
midnight in the business time zone), and the stream's deltas adding up to the recount."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shared.dal.keys import from_key_part, key_part
from shared.models.reports import SalesFigures
from shared.reports.days import business_day, day_range, utc_dates
from shared.reports.sales import (
    contribution,
    daily_sales,
    delta,
    net_units_by_sku,
    recount,
    rows_of,
    status_at_end_of,
)
from tests.support.report_orders import (
    BERLIN,
    DAY,
    TIMEZONE,
    D,
    latest,
    line,
    moved,
    placed,
    returned,
    versions,
)


def figures(**values: object) -> SalesFigures:
    return SalesFigures.model_validate(values)


def test_every_figure_of_a_day() -> None:
    report = daily_sales(DAY, "Europe/Berlin", rows_of(recount(latest(), BERLIN), DAY))

    assert report.date == DAY
    assert [c.currency for c in report.currencies] == ["EUR", "USD"]
    eur, usd = report.currencies
    assert eur.totals == figures(
        orders=2,  # o1, o2 (o4 is the next day in Berlin; o5 and o6 were placed before)
        units=4,
        gross=D("35.50"),
        cancelled_orders=2,  # o2 and o6, both cancelled on the day
        cancelled_units=3,
        cancelled_value=D("21.00"),
        returned_units=2,
        returned_value=D("18.00"),  # at the 9.00 the units were sold for
    )
    assert eur.totals.net == D("-3.50")
    assert eur.totals.average_order_value == D("17.75")
    assert {c.channel: c.figures for c in eur.by_channel} == {
        "ebay": figures(returned_units=2, returned_value=D("18.00")),
        "web": figures(
            orders=2,
            units=4,
            gross=D("35.50"),
            cancelled_orders=2,
            cancelled_units=3,
            cancelled_value=D("21.00"),
        ),
    }
    assert [s.sku for s in eur.by_sku] == ["A", "B"]  # by gross, highest first
    assert {s.sku: s.figures for s in eur.by_sku} == {
        "A": figures(
            orders=2,
            units=3,
            gross=D("30.00"),
            cancelled_orders=1,
            cancelled_units=1,
            cancelled_value=D("10.00"),
            returned_units=2,
            returned_value=D("18.00"),
        ),
        "B": figures(
            orders=1,
            units=1,
            gross=D("5.50"),
            cancelled_orders=1,
            cancelled_units=2,
            cancelled_value=D("11.00"),
        ),
    }
    assert usd.totals == figures(orders=1, units=3, gross=D("21.75"))
    assert usd.totals.average_order_value == D("21.75")
    assert [(c.channel, c.figures) for c in usd.by_channel] == [("pos", usd.totals)]
    assert [(s.sku, s.figures.units) for s in usd.by_sku] == [("C", 3)]
    # status at the end of the day: o3 shipped after midnight, so it was still CONFIRMED
    assert report.orders_by_status == {"CONFIRMED": 2, "CANCELLED": 1}


def test_the_next_day_holds_what_crossed_midnight() -> None:
    report = daily_sales("2026-11-24", "Europe/Berlin", rows_of(recount(latest(), BERLIN), "2026-11-24"))
    (eur,) = report.currencies
    assert eur.totals == figures(orders=1, units=5, gross=D("50.00"))
    assert report.orders_by_status == {"CONFIRMED": 1}


def test_the_same_orders_in_utc_fall_on_other_days() -> None:
    utc = ZoneInfo("UTC")
    report = daily_sales(DAY, "UTC", rows_of(recount(latest(), utc), DAY))
    eur = next(c for c in report.currencies if c.currency == "EUR")
    # o2 was placed on the 22nd in UTC; o4 on the 23rd
    assert (eur.totals.orders, eur.totals.gross) == (2, D("75.50"))


def test_stream_deltas_add_up_to_the_recount() -> None:
    summed: dict[tuple[str, str], dict[str, Decimal]] = {}
    for history in versions().values():
        for old, new in zip([None, *history], history, strict=False):
            for key, fields in delta(old, new, BERLIN).items():
                bucket = summed.setdefault(key, {})
                for name, value in fields.items():
                    bucket[name] = bucket.get(name, D(0)) + value
    cleaned = {k: {n: v for n, v in f.items() if v} for k, f in summed.items()}
    assert {k: f for k, f in cleaned.items() if f} == recount(latest(), BERLIN)


def test_a_change_that_moves_no_figure_adds_nothing() -> None:
    order = versions()["o1"][0]
    erased = order.model_copy(update={"customer": None, "erased_at": "2026-11-25T00:00:00.000Z"})
    assert delta(order, erased, BERLIN) == {}
    assert delta(order, None, BERLIN) != {}  # a removal takes the order's figures away


def test_a_cancellation_moves_the_status_of_its_own_day_only() -> None:
    o2, o2_cancelled = versions()["o2"]
    moves = delta(o2, o2_cancelled, BERLIN)
    assert moves[(DAY, "STATUS#CONFIRMED")] == {"orders": D(-1)}
    assert moves[(DAY, "STATUS#CANCELLED")] == {"orders": D(1)}
    o6, o6_cancelled = versions()["o6"]
    assert not any(what.startswith("STATUS#") for _, what in delta(o6, o6_cancelled, BERLIN))


def test_a_returned_sku_on_two_lines_is_valued_first_line_first() -> None:
    order = placed(
        "o7", "web", "EUR", "2026-11-23T08:00:00.000Z", line("A", 1, "10.00"), line("A", 2, "8.00")
    )
    back = returned(moved(order, "SHIPPED", "2026-11-23T09:00:00.000Z"), "2026-11-23T10:00:00.000Z", "A", 2)
    counters = contribution(back, BERLIN)
    assert counters[(DAY, "SKU#A#EUR")]["returned_value"] == D("18.00")  # 10.00 + 8.00


def test_status_at_the_end_of_a_day_follows_the_history() -> None:
    _, shipped = versions()["o3"]
    assert status_at_end_of(DAY, shipped, BERLIN) == "CONFIRMED"
    assert status_at_end_of("2026-11-24", shipped, BERLIN) == "SHIPPED"


def test_net_units_sold_per_sku() -> None:
    rows = rows_of(recount(latest(), BERLIN), DAY)
    # A: 3 placed - 1 cancelled - 2 returned; B: 1 - 2; C: 3
    assert net_units_by_sku(rows) == {"A": 0, "B": -1, "C": 3}


@pytest.mark.parametrize("sku", ["A#1", "A", "#", "A#EUR", "50%23OFF", "%", "KIT:RED+BLUE", "TEE/RED/M"])
def test_a_key_part_never_holds_a_separator_and_reads_back(sku: str) -> None:
    part = key_part(sku)
    assert "#" not in part
    assert from_key_part(part) == sku


def test_counters_of_skus_holding_separators_stay_apart() -> None:
    # "A#EUR" in USD must not read as SKU "A" in EUR, nor "A#1" as "A"; a literal %23 is not a '#'.
    orders = [
        placed("s1", "web", "USD", "2026-11-23T08:00:00.000Z", line("A#EUR", 2, "3.00")),
        placed("s2", "web", "EUR", "2026-11-23T08:00:00.000Z", line("A#1", 1, "4.00"), line("A", 5, "1.00")),
        placed("s3", "web", "EUR", "2026-11-23T09:00:00.000Z", line("50%23", 1, "2.50")),
    ]
    cancelled = moved(orders[1], "CANCELLED", "2026-11-23T10:00:00.000Z")
    counters = recount([orders[0], cancelled, orders[2]], BERLIN)

    assert {what for day, what in counters if what.startswith("SKU#")} == {
        "SKU#A%23EUR#USD",
        "SKU#A%231#EUR",
        "SKU#A#EUR",
        "SKU#50%2523#EUR",
    }
    report = daily_sales(DAY, TIMEZONE, rows_of(counters, DAY))
    by_currency = {c.currency: {s.sku: s.figures for s in c.by_sku} for c in report.currencies}
    assert by_currency == {
        "EUR": {
            "A": figures(
                orders=1,
                units=5,
                gross=D("5.00"),
                cancelled_orders=1,
                cancelled_units=5,
                cancelled_value=D("5.00"),
            ),
            "A#1": figures(
                orders=1,
                units=1,
                gross=D("4.00"),
                cancelled_orders=1,
                cancelled_units=1,
                cancelled_value=D("4.00"),
            ),
            "50%23": figures(orders=1, units=1, gross=D("2.50")),
        },
        "USD": {"A#EUR": figures(orders=1, units=2, gross=D("6.00"))},
    }
    assert net_units_by_sku(rows_of(counters, DAY)) == {"A#EUR": 2, "A#1": 0, "A": 0, "50%23": 1}


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2026-11-23", "2026-11-22T23:00:00.000Z", "2026-11-23T23:00:00.000Z"),
        # the day summer time ends in Berlin has 25 hours
        ("2026-10-25", "2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z"),
        # the day it begins has 23
        ("2026-03-29", "2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"),
    ],
)
def test_a_business_day_in_utc(day: str, start: str, end: str) -> None:
    from datetime import date

    assert day_range(date.fromisoformat(day), date.fromisoformat(day), BERLIN) == (start, end)
    assert business_day(start, BERLIN) == day
    assert utc_dates(start, end) == [start[:10], end[:10]]  # the by_day partitions an export reads
    assert utc_dates("2026-11-23T00:00:00.000Z", "2026-11-24T00:00:00.000Z") == ["2026-11-23"]

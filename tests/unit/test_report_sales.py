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
from shared.reports.money import order_money
from shared.reports.sales import (
    CounterRow,
    contribution,
    daily_sales,
    delta,
    figures_of,
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
    refunded,
    returned,
    sold,
    versions,
)


def figures(**values: object) -> SalesFigures:
    return SalesFigures.model_validate(values)


def test_every_figure_of_a_day() -> None:
    report = daily_sales(DAY, "Europe/Berlin", rows_of(recount(latest(), BERLIN), DAY))

    assert report.date == DAY
    assert [c.currency for c in report.currencies] == ["EUR", "GBP", "USD"]
    eur, gbp, usd = report.currencies
    # Placed: o1 (25.50) and o2 (10.00); cancelled on the day: o2 (placed on it) and o6 (placed on the
    # 21st, 11.00), both taken back here; o5's two units returned at the 9.00 they were sold for.
    assert eur.totals == figures(
        orders=0,  # 2 placed - 2 cancelled
        units=1,  # 3 + 1 - 1 - 2
        cancelled_orders=2,
        returned_units=2,
        gross_sales=D("14.50"),  # 25.50 + 10.00 - 10.00 - 11.00
        returns=D("18.00"),
    )
    assert (eur.totals.net_sales, eur.totals.total_sales) == (D("-3.50"), D("-3.50"))
    assert eur.totals.average_order_value is None  # no order left counting
    assert {c.channel: c.figures for c in eur.by_channel} == {
        "ebay": figures(returned_units=2, returns=D("18.00")),
        "web": figures(orders=0, units=1, cancelled_orders=2, gross_sales=D("14.50")),
    }
    assert [s.sku for s in eur.by_sku] == ["A", "B"]  # by net sales, highest first
    assert {s.sku: s.figures for s in eur.by_sku} == {
        "A": figures(
            orders=1,
            units=2,
            cancelled_orders=1,
            returned_units=2,
            gross_sales=D("20.00"),
            returns=D("18.00"),
        ),
        "B": figures(orders=0, units=-1, cancelled_orders=1, gross_sales=D("-5.50")),
    }
    # g1 (taxes on top, refunded 18.00), g2 (FBA, taxes included, refunded 4.00 without lines), g3
    # (pending payment), g4 (refunded 5.00; cancelled tomorrow), g5's return valued net of discount
    assert gbp.totals == figures(
        orders=4,
        units=9,
        returned_units=1,
        gross_sales=D("126.00"),  # 50 + 36 + 20 + 20
        discounts=D("11.00"),  # 9 + 2
        returns=D("44.00"),  # 18 + 4 + 5 + 17
        shipping=D("15.00"),  # 6 + 4 + 5
        taxes=D("17.67"),  # 8 + 6.67 + 3
        included_taxes=D("6.67"),  # g2's, already inside its prices and shipping
    )
    assert gbp.totals.net_sales == D("71.00")
    # total sales = the orders' totals (55 + 40 + 20 + 26) minus the day's returns (44)
    assert gbp.totals.total_sales == D("97.00")
    assert gbp.totals.average_order_value == D("28.75")  # (126 - 11) / 4
    assert {c.channel: c.figures for c in gbp.by_channel} == {
        "amazon": figures(
            orders=1,
            units=3,
            gross_sales=D("36.00"),
            returns=D("4.00"),
            shipping=D("4.00"),
            taxes=D("6.67"),
            included_taxes=D("6.67"),
        ),
        "shopify": figures(
            orders=3,
            units=6,
            returned_units=1,
            gross_sales=D("90.00"),
            discounts=D("11.00"),
            returns=D("40.00"),
            shipping=D("11.00"),
            taxes=D("11.00"),
        ),
    }
    assert [(c.channel, c.figures.total_sales) for c in gbp.by_channel] == [
        ("amazon", D("36.00")),
        ("shopify", D("61.00")),
    ]
    # SKUs: their lines' own discounts (g1's order and shipping discount is the order's), the refunds
    # that name them; never shipping or taxes
    assert [s.sku for s in gbp.by_sku] == ["S2", "S1"]
    assert {s.sku: s.figures for s in gbp.by_sku} == {
        "S1": figures(
            orders=2,
            units=3,
            returned_units=1,
            gross_sales=D("60.00"),
            discounts=D("4.00"),
            returns=D("35.00"),  # g1's refund 18.00, g5's returned unit 17.00
        ),
        "S2": figures(orders=3, units=6, gross_sales=D("66.00")),
    }
    assert usd.totals == figures(orders=1, units=3, gross_sales=D("21.75"))
    assert usd.totals.average_order_value == usd.totals.total_sales == D("21.75")
    assert [(c.channel, c.figures) for c in usd.by_channel] == [("pos", usd.totals)]
    assert [(s.sku, s.figures.units) for s in usd.by_sku] == [("C", 3)]
    # status at the end of the day: o3 shipped after midnight, so it was still CONFIRMED; g2 arrived
    # after the day, with the status it arrived with
    assert report.orders_by_status == {
        "PENDING_PAYMENT": 1,
        "CONFIRMED": 3,
        "SHIPPED": 1,
        "CANCELLED": 1,
        "FULFILLED_BY_CHANNEL": 1,
    }


def test_the_next_day_holds_what_crossed_midnight_and_the_late_changes() -> None:
    report = daily_sales("2026-11-24", "Europe/Berlin", rows_of(recount(latest(), BERLIN), "2026-11-24"))
    eur, gbp = report.currencies
    assert eur.totals == figures(orders=1, units=5, gross_sales=D("50.00"))
    # g4 cancelled: everything it added yesterday taken back (its later refund counts nothing); g5's
    # refund of the unit returned yesterday adds 15.00 - 17.00; g1's unit returned after its refund: 0
    assert gbp.totals == figures(
        orders=-1,
        units=-2,
        cancelled_orders=1,
        returned_units=1,
        gross_sales=D("-20.00"),
        discounts=D("-2.00"),
        returns=D("-7.00"),  # -5.00 (g4's refund taken back) - 2.00
        shipping=D("-5.00"),
        taxes=D("-3.00"),
    )
    assert (gbp.totals.net_sales, gbp.totals.total_sales) == (D("-11.00"), D("-19.00"))
    assert {s.sku: s.figures.returns for s in gbp.by_sku} == {"S1": D("-2.00"), "S2": D("0.00")}
    assert report.orders_by_status == {"CONFIRMED": 1}


def test_over_both_days_a_cancelled_order_counts_zero() -> None:
    g4 = versions()["g4"][-1]
    counters = recount([g4], BERLIN)
    summed: dict[str, dict[str, Decimal]] = {}
    for (_, what), fields in counters.items():
        if what.startswith("STATUS#"):
            continue
        for name, value in fields.items():
            summed.setdefault(what, {}).setdefault(name, D(0))
            summed[what][name] += value
    assert {what: {n: v for n, v in f.items() if v} for what, f in summed.items()} == {
        "TOTAL#GBP": {"cancellations": D(1)},
        "CHANNEL#shopify#GBP": {"cancellations": D(1)},
        "SKU#S2#GBP": {"cancellations": D(1)},
    }


def test_the_same_orders_in_utc_fall_on_other_days() -> None:
    utc = ZoneInfo("UTC")
    report = daily_sales(DAY, "UTC", rows_of(recount(latest(), utc), DAY))
    eur = next(c for c in report.currencies if c.currency == "EUR")
    # o2 was placed on the 22nd in UTC (cancelled on the 23rd); o4 on the 23rd
    assert (eur.totals.orders, eur.totals.gross_sales) == (0, D("54.50"))  # 25.50 - 10 + 50 - 11


def test_an_order_stored_before_totals_is_worth_its_lines() -> None:
    order = versions()["o1"][0]
    assert (order.subtotal, order.total) == (D("0.00"), D("25.50"))
    money = order_money(order)
    assert (money.gross, money.discounts, money.shipping, money.taxes, money.total) == (
        D("25.50"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("25.50"),
    )
    g2 = order_money(versions()["g2"][0])
    assert (g2.gross, g2.included_taxes, g2.total) == (D("36.00"), D("6.67"), D("40.00"))


def test_counters_written_before_the_glossary_read_the_same() -> None:
    legacy = {
        "orders": D(3),
        "units": D(5),
        "gross": D("50.00"),
        "cancelled_orders": D(1),
        "cancelled_units": D(2),
        "cancelled_value": D("20.00"),
        "returned_units": D(1),
        "returned_value": D("9.00"),
    }
    assert figures_of(legacy) == figures(
        orders=2, units=3, cancelled_orders=1, returned_units=1, gross_sales=D("30.00"), returns=D("9.00")
    )
    assert net_units_by_sku([CounterRow("SKU#A#EUR", legacy)]) == {"A": 2}


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
    erased = order.model_copy(update={"customer": None, "erased_at": "2026-11-25T00:00:00.000000Z"})
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
        "o7", "web", "EUR", "2026-11-23T08:00:00.000000Z", line("A", 1, "10.00"), line("A", 2, "8.00")
    )
    back = returned(
        moved(order, "SHIPPED", "2026-11-23T09:00:00.000000Z"), "2026-11-23T10:00:00.000000Z", "A", 2
    )
    counters = contribution(back, BERLIN)
    assert counters[(DAY, "SKU#A#EUR")]["returns"] == D("18.00")  # 10.00 + 8.00


def test_status_at_the_end_of_a_day_follows_the_history() -> None:
    _, shipped = versions()["o3"]
    assert status_at_end_of(DAY, shipped, BERLIN) == "CONFIRMED"
    assert status_at_end_of("2026-11-24", shipped, BERLIN) == "SHIPPED"


def test_net_units_sold_per_sku() -> None:
    rows = rows_of(recount(latest(), BERLIN), DAY)
    # A: 3 placed - 1 cancelled - 2 returned; B: 1 - 2; C: 3; S1: 3 - 1 returned; S2: 6 (refunded
    # units are not returned units)
    assert net_units_by_sku(rows) == {"A": 0, "B": -1, "C": 3, "S1": 2, "S2": 6}


def test_a_refund_naming_two_skus_is_shared_by_their_net_value() -> None:
    order = sold(
        "g9",
        "shopify",
        "2026-11-23T08:00:00.000000Z",
        line("S1", 1, "30.00", "10.00"),
        line("S2", 2, "10.00"),
    )
    back = refunded(order, "2026-11-23T09:00:00.000000Z", "10.00", ("S1", 1), ("S2", 1))
    counters = contribution(back, BERLIN)
    # S1 is worth 20.00 net, one S2 10.00: the 10.00 refunded is 6.67 and 3.33 of them, to the cent
    assert counters[(DAY, "SKU#S1#GBP")]["returns"] == D("6.67")
    assert counters[(DAY, "SKU#S2#GBP")]["returns"] == D("3.33")
    assert counters[(DAY, "TOTAL#GBP")]["returns"] == D("10.00")


@pytest.mark.parametrize("sku", ["A#1", "A", "#", "A#EUR", "50%23OFF", "%", "KIT:RED+BLUE", "TEE/RED/M"])
def test_a_key_part_never_holds_a_separator_and_reads_back(sku: str) -> None:
    part = key_part(sku)
    assert "#" not in part
    assert from_key_part(part) == sku


def test_counters_of_skus_holding_separators_stay_apart() -> None:
    # "A#EUR" in USD must not read as SKU "A" in EUR, nor "A#1" as "A"; a literal %23 is not a '#'.
    orders = [
        placed("s1", "web", "USD", "2026-11-23T08:00:00.000000Z", line("A#EUR", 2, "3.00")),
        placed(
            "s2", "web", "EUR", "2026-11-23T08:00:00.000000Z", line("A#1", 1, "4.00"), line("A", 5, "1.00")
        ),
        placed("s3", "web", "EUR", "2026-11-23T09:00:00.000000Z", line("50%23", 1, "2.50")),
    ]
    cancelled = moved(orders[1], "CANCELLED", "2026-11-23T10:00:00.000000Z")
    counters = recount([orders[0], cancelled, orders[2]], BERLIN)

    assert {what for day, what in counters if what.startswith("SKU#")} == {
        "SKU#A%23EUR#USD",
        "SKU#A%231#EUR",
        "SKU#A#EUR",
        "SKU#50%2523#EUR",
    }
    report = daily_sales(DAY, TIMEZONE, rows_of(counters, DAY))
    by_currency = {c.currency: {s.sku: s.figures for s in c.by_sku} for c in report.currencies}
    # s2 was placed and cancelled that day: it adds nothing, and is counted as cancelled
    assert by_currency == {
        "EUR": {
            "A": figures(orders=0, units=0, cancelled_orders=1),
            "A#1": figures(orders=0, units=0, cancelled_orders=1),
            "50%23": figures(orders=1, units=1, gross_sales=D("2.50")),
        },
        "USD": {"A#EUR": figures(orders=1, units=2, gross_sales=D("6.00"))},
    }
    assert net_units_by_sku(rows_of(counters, DAY)) == {"A#EUR": 2, "A#1": 0, "A": 0, "50%23": 1}


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2026-11-23", "2026-11-22T23:00:00.000000Z", "2026-11-23T23:00:00.000000Z"),
        # the day summer time ends in Berlin has 25 hours
        ("2026-10-25", "2026-10-24T22:00:00.000000Z", "2026-10-25T23:00:00.000000Z"),
        # the day it begins has 23
        ("2026-03-29", "2026-03-28T23:00:00.000000Z", "2026-03-29T22:00:00.000000Z"),
    ],
)
def test_a_business_day_in_utc(day: str, start: str, end: str) -> None:
    from datetime import date

    assert day_range(date.fromisoformat(day), date.fromisoformat(day), BERLIN) == (start, end)
    assert business_day(start, BERLIN) == day
    assert utc_dates(start, end) == [start[:10], end[:10]]  # the by_day partitions an export reads
    assert utc_dates("2026-11-23T00:00:00.000000Z", "2026-11-24T00:00:00.000000Z") == ["2026-11-23"]

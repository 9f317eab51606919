"""Inventory performance arithmetic (shared/reports/inventory_performance.py), against figures worked by
hand here. Pure: no AWS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared.reports.inventory_performance import (
    Settings,
    SkuHistory,
    StockNow,
    days_ending,
    days_of_cover,
    performance,
    reorder,
    sell_through,
    z_score,
)

D = Decimal
AS_OF = dt.date(2026, 3, 31)


def test_the_reorder_suggestion_matches_the_example_worked_by_hand() -> None:
    # Daily demand over the 90 days ending on as_of: 2 units on 45 days, nothing on the other 45
    # (alternating: the order of the days changes neither the mean nor sigma).
    demand = [2, 0] * 45
    # rate  = (45 x 2) / 90 = 1 unit a day
    # sigma = population standard deviation: every day is 1 away from the mean, so sqrt(90 x 1 / 90) = 1
    # z     = NormalDist().inv_cdf(0.95) = 1.64485... -> 1.645
    # L     = 9 days, sqrt(9) = 3
    # lead-time demand = 1 x 9 = 9.00
    # safety stock     = 1.645 x 1 x 3 = 4.935 -> 4.94 (to the cent, half up)
    # reorder point    = 9.00 + 4.94 = 13.94
    # available 12 <= 13.94: reorder
    # suggested        = ceil(30 days x 1 + 4.94 - 12) = ceil(22.94) = 23
    suggestion = reorder(demand, 12, lead_time_days=9, service_level=D("0.95"), target_cover_days=30)

    assert suggestion.daily_rate == D("1.00")
    assert suggestion.demand_std_dev == D("1.00")
    assert suggestion.z == D("1.645")
    assert suggestion.lead_time_demand == D("9.00")
    assert suggestion.safety_stock == D("4.94")
    assert suggestion.reorder_point == D("13.94")
    assert suggestion.reorder is True
    assert suggestion.suggested_quantity == 23


def test_a_second_hand_worked_example_at_99_percent_with_an_irrational_sigma() -> None:
    # 3 units on 30 days, nothing on 60: rate = 90 / 90 = 1; variance = (30 x (3-1)^2 + 60 x (0-1)^2) / 90
    # = (120 + 60) / 90 = 2, sigma = sqrt(2) = 1.41421...
    # z(0.99) = 2.32634... -> 2.326; L = 4, sqrt(4) = 2
    # safety stock = 2.326 x 1.41421356 x 2 = 6.5789... -> 6.58; lead-time demand = 4.00
    # reorder point = 10.58
    demand = [3] * 30 + [0] * 60
    at_11 = reorder(demand, 11, lead_time_days=4, service_level=D("0.99"), target_cover_days=30)
    assert (at_11.z, at_11.demand_std_dev, at_11.safety_stock, at_11.reorder_point) == (
        D("2.326"),
        D("1.41"),
        D("6.58"),
        D("10.58"),
    )
    assert (at_11.reorder, at_11.suggested_quantity) == (False, 0)  # 11 > 10.58
    at_10 = reorder(demand, 10, lead_time_days=4, service_level=D("0.99"), target_cover_days=30)
    # ceil(30 x 1 + 6.58 - 10) = ceil(26.58) = 27
    assert (at_10.reorder, at_10.suggested_quantity) == (True, 27)
    # A target cover of 10 days: ceil(10 + 6.58 - 10) = 7
    short = reorder(demand, 10, lead_time_days=4, service_level=D("0.99"), target_cover_days=10)
    assert short.suggested_quantity == 7


def test_a_sku_that_never_sells_is_never_reordered() -> None:
    suggestion = reorder([0] * 90, 0)
    assert (suggestion.reorder_point, suggestion.reorder, suggestion.suggested_quantity) == (D("0"), False, 0)


def test_the_defaults_are_seven_days_and_95_percent() -> None:
    suggestion = reorder([1] * 90, 100)
    assert (suggestion.lead_time_days, suggestion.service_level, suggestion.z) == (7, D("0.95"), D("1.645"))
    # no variation: no safety stock; lead-time demand 7
    assert (suggestion.safety_stock, suggestion.reorder_point) == (D("0.00"), D("7.00"))


@pytest.mark.parametrize(
    ("level", "z"),
    [("0.80", "0.842"), ("0.90", "1.282"), ("0.95", "1.645"), ("0.975", "1.960"), ("0.995", "2.576")],
)
def test_z_comes_from_the_normal_distribution(level: str, z: str) -> None:
    assert z_score(D(level)) == D(z)


def test_days_of_cover() -> None:
    # 45 units in 30 days: 1.5 a day; 30 available last 20.0 days
    assert days_of_cover(30, 45) == D("20.0")
    # 7 in 30 days: 0.2333 a day; 10 available: 42.857... -> 42.9
    assert days_of_cover(10, 7) == D("42.9")
    assert days_of_cover(10, 0) is None  # nothing sold: no rate to divide by
    assert days_of_cover(-3, 30) == D("0.0")  # oversold: no cover


def test_sell_through() -> None:
    assert sell_through(30, 90) == D("0.2500")  # 30 / (30 + 90)
    assert sell_through(1, 2) == D("0.3333")
    assert sell_through(5, 0) == D("1.0000")  # sold out
    assert sell_through(0, 0) is None
    assert sell_through(-2, 10) == D("0.0000")  # more returned than sold counts as none sold


def stock(on_hand: int, available: int | None = None, **locations: int) -> StockNow:
    return StockNow(
        name="Mug",
        on_hand=on_hand,
        reserved=on_hand - (on_hand if available is None else available),
        available=on_hand if available is None else available,
        locations=locations or {"default": on_hand},
    )


def test_dead_stock_sold_nothing_in_n_days_while_on_hand() -> None:
    sold_long_ago = SkuHistory(sold={"2025-12-01": 4})  # 120 days before as_of
    dead = performance("MUG", sold_long_ago, stock(10), Settings(as_of=AS_OF))
    # last_sold looks back over the days read (the longest of the period, 90 days and N): not that far
    assert (dead.dead_stock, dead.slow_mover, dead.last_sold) == (True, False, None)
    # With N = 150 days the sale is inside the window: not dead (and 4 in 90 days is not even slow: 0 in 90)
    alive = performance("MUG", sold_long_ago, stock(10), Settings(as_of=AS_OF, dead_stock_days=150))
    assert (alive.dead_stock, alive.last_sold) == (False, "2025-12-01")
    # Nothing on hand: not dead stock, whatever it sold
    assert performance("MUG", SkuHistory(), stock(0), Settings(as_of=AS_OF)).dead_stock is False


def test_slow_movers_sell_under_the_threshold_over_90_days() -> None:
    # 9 units in 90 days (one every 10th day, the last 9 days before as_of): 0.1 a day, under 0.2
    slow = SkuHistory(sold={day: 1 for day in days_ending(AS_OF, 90)[::10]})
    figures = performance("MUG", slow, stock(5), Settings(as_of=AS_OF))
    assert (figures.slow_mover, figures.dead_stock) == (True, False)
    assert [(s.days, s.units, s.per_day) for s in figures.sold] == [
        (7, 0, D("0.00")),
        (30, 3, D("0.10")),
        (90, 9, D("0.10")),
    ]
    # 18 in 90 days: exactly 0.2, not under it
    steady = SkuHistory(sold={day: 1 for day in days_ending(AS_OF, 90)[::5]})
    assert performance("MUG", steady, stock(5), Settings(as_of=AS_OF)).slow_mover is False
    # a threshold of 0.5 makes it slow
    settings = Settings(as_of=AS_OF, slow_mover_rate=D("0.5"))
    assert performance("MUG", steady, stock(5), settings).slow_mover is True


def test_the_period_counts_out_of_stock_days_sell_through_and_shipments_per_location() -> None:
    period = days_ending(AS_OF, 7)
    history = SkuHistory(
        sold={period[0]: 3, period[3]: 2, "2026-03-01": 10},
        out_of_stock={period[1], period[2], "2026-03-02"},
        shipped={period[0]: {"berlin": 2, "paris": 1}, period[4]: {"berlin": 2}},
    )
    figures = performance("MUG", history, stock(15, 12, berlin=10, paris=5), Settings(as_of=AS_OF, days=7))
    assert figures.days_out_of_stock == 2  # 2026-03-02 is before the period
    assert figures.sell_through == D("0.2500")  # 5 sold in the period / (5 + 15 on hand)
    assert [(loc.location, loc.on_hand, loc.shipped) for loc in figures.locations] == [
        ("berlin", 10, 4),
        ("paris", 5, 1),
    ]
    assert [day.day for day in figures.daily] == period
    assert figures.daily[0].shipped == {"berlin": 2, "paris": 1}
    assert figures.daily[1].out_of_stock is True
    # 30 days ending on as_of start on 03-02: 5 sold (not the 10 on 03-01), 1/6 a day; 12 available
    # last 12 x 30 / 5 = 72.0 days
    assert figures.days_of_cover == D("72.0")

    paris = performance(
        "MUG", history, stock(15, 12, berlin=10, paris=5), Settings(as_of=AS_OF, days=7, location="paris")
    )
    assert [loc.location for loc in paris.locations] == ["paris"]
    assert paris.daily[0].shipped == {"paris": 1} and paris.daily[4].shipped == {}


def test_the_report_puts_the_reorder_list_first_then_every_sku_stock_outs_slow_dead_and_shipments() -> None:
    from shared.models.inventory_analytics import InventoryPerformance, Statistics
    from shared.models.reports import Report
    from shared.reports.inventory_performance_report import inventory_performance_report

    as_of = dt.date(2026, 3, 29)  # a Sunday: the week 2026-03-23..29
    days = days_ending(as_of, 90)
    histories = {
        # sells 2 a day on alternate days, runs low: reordered
        "A": (SkuHistory(sold=dict.fromkeys(days[::2], 2)), stock(12)),
        # sold nothing for 90 days, 10 on hand: dead
        "B": (SkuHistory(), stock(10)),
        # out of stock two days of the week, shipped from berlin
        "C": (
            SkuHistory(
                sold={days[-1]: 1},
                out_of_stock={days[-2], days[-3]},
                shipped={days[-1]: {"berlin": 1}},
            ),
            stock(0),
        ),
    }

    class Figures:
        def everything(self, settings: Settings, page_size: int = 1000) -> InventoryPerformance:
            assert (settings.as_of, settings.days) == (as_of, 7)
            return InventoryPerformance(
                as_of=as_of.isoformat(),
                period_start=settings.period[0],
                days=settings.days,
                target_cover_days=settings.target_cover_days,
                dead_stock_days=settings.dead_stock_days,
                slow_mover_rate=settings.slow_mover_rate,
                items=[performance(sku, h, s, settings) for sku, (h, s) in histories.items()],
                statistics=Statistics(items_read=42, requests=5),
            )

    report = Report.model_validate(
        {
            "report_id": "r1",
            "type": "inventory_performance",
            "period": "2026-03-23_2026-03-29",
            "period_start": "2026-03-23",
            "period_end": "2026-03-29",
            "timezone": "Europe/Berlin",
            "status": "PENDING",
            "requested_by": "test",
            "requested_at": "2026-03-30T00:00:00.000000Z",
            "source": "api",
        }
    )
    tabular, items_read = inventory_performance_report(report, Figures())

    assert items_read == 42
    assert [sheet.name for sheet in tabular.sheets] == [
        "Reorder",
        "All SKUs",
        "Out of stock days",
        "Slow and dead stock",
        "Shipped per location",
    ]
    reorder_sheet, every, out, slow_dead, shipped = tabular.sheets
    # A: 90 units in 90 days (rate 1), sigma 1, z 1.645, L 7: safety 1.645 x sqrt 7 = 4.35, point 11.35;
    # 12 available > 11.35: not yet. C: 1 unit in 90 days, 0 available: reorder
    assert [row[0] for row in reorder_sheet.rows] == ["C"]
    assert [row[0] for row in every.rows] == ["A", "B", "C"]
    assert list(out.rows) == [("C", days[-3]), ("C", days[-2])]
    assert [(row[0], row[2]) for row in slow_dead.rows] == [("B", "dead")]
    assert list(shipped.rows) == [("C", "berlin", days[-1], 1)]
    assert [bar.label for bar in tabular.charts[0].groups[0].bars] == ["C"]  # type: ignore[union-attr]
    assert tabular.title == "Inventory performance 2026-03-23 to 2026-03-29"

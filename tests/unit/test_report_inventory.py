"""Inventory report arithmetic: totals and location rows, the low-stock flag, days of cover."""

from __future__ import annotations

from decimal import Decimal

from shared.domain.inventory import LocationLevel, stock_view
from shared.reports.inventory import days_of_cover, inventory_report


def test_days_of_cover_at_the_window_rate() -> None:
    assert days_of_cover(available=10, units_sold=14) == Decimal("5.0")  # 2 a day
    assert days_of_cover(available=10, units_sold=3) == Decimal("23.3")  # 10 / (3/7)
    assert days_of_cover(available=1, units_sold=6) == Decimal("1.2")  # 1.1666.. half up
    assert days_of_cover(available=0, units_sold=5) == Decimal("0.0")
    assert days_of_cover(available=-2, units_sold=5) == Decimal("0.0")  # oversold by a count: none left
    assert days_of_cover(available=10, units_sold=0) is None  # no sales, no rate
    assert days_of_cover(available=10, units_sold=-1) is None  # more came back than went out


def test_rows_per_sku_then_per_location() -> None:
    mug = stock_view(
        "MUG",
        on_hand=12,
        reserved=5,
        available=7,
        levels={"default": LocationLevel(on_hand=4), "wms-eu-1": LocationLevel(on_hand=8)},
        low_stock_threshold=8,
    )
    tee = stock_view("TEE", on_hand=3, reserved=0, available=3, levels={}, low_stock_threshold=None)
    report = inventory_report(
        "2026-11-24", "UTC", "2026-11-17", "2026-11-23", [(tee, "T-shirt"), (mug, "Mug")], {"MUG": 7}
    )
    rows = [(r.sku, r.location, r.on_hand, r.reserved, r.available) for r in report.rows]
    assert rows[0] == ("MUG", "ALL", 12, 5, 7)
    mug_locations = [r for r in rows[1:] if r[0] == "MUG"]
    assert sum(r[2] for r in mug_locations) == 12
    assert sum(r[3] for r in mug_locations) == 5  # reservations allocated across the locations
    assert {r[1] for r in mug_locations} == {"default", "wms-eu-1"}
    total = report.rows[0]
    assert (total.low_stock, total.low_stock_threshold, total.units_sold) == (True, 8, 7)
    assert total.days_of_cover == Decimal("7.0")  # 7 available at 1 a day
    location_row = report.rows[1]
    assert (location_row.low_stock, location_row.units_sold, location_row.days_of_cover) == (None, None, None)
    tee_total = next(r for r in report.rows if r.sku == "TEE" and r.location == "ALL")
    assert (tee_total.low_stock, tee_total.units_sold, tee_total.days_of_cover) == (False, 0, None)
    assert [r.sku for r in report.rows if r.location == "ALL"] == ["MUG", "TEE"]

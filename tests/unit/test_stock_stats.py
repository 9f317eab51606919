"""What the catalog stream records for inventory performance, and what the nightly roll-up writes, against
typed fakes of the stats store (its Protocols). Pure: no AWS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from shared.services.inventory_performance import DailyUnits, InventoryRollup, RollupStats
from shared.services.stock_stats import StockRecorder, StockStats

BERLIN = ZoneInfo("Europe/Berlin")


class FakeStats:
    def __init__(self) -> None:
        self.out_days: set[tuple[str, str]] = set()
        self.locations: dict[tuple[str, str], list[str]] = {}
        self.now_out: dict[str, tuple[str, str]] = {}  # sku -> (since, seq)
        self.back: list[str] = []
        self.shipped: dict[tuple[str, str, str], int] = {}
        self.markers: set[str] = set()
        self.sold: dict[tuple[str, str], int] = {}

    def mark_out(self, sku: str, day: str, locations: Sequence[str]) -> None:
        self.out_days.add((sku, day))
        self.locations[(sku, day)] = list(locations)

    def out_now(self, sku: str, day: str, locations: Sequence[str], sequence_number: str) -> bool:
        since = self.now_out.get(sku, (day, ""))[0]
        self.now_out[sku] = (since, sequence_number)
        return True

    def back_in_stock(self, sku: str, sequence_number: str) -> None:
        self.now_out.pop(sku, None)
        self.back.append(sku)

    def add_shipped(
        self, sku: str, day: str, location: str, units: int, ledger_sort_key: str, now: int
    ) -> bool:
        if ledger_sort_key in self.markers:
            return False
        self.markers.add(ledger_sort_key)
        self.shipped[(sku, day, location)] = self.shipped.get((sku, day, location), 0) + units
        return True

    def set_sold(self, day: str, units_by_sku: Mapping[str, int]) -> int:
        for sku, units in units_by_sku.items():
            self.sold[(sku, day)] = units
        return len(units_by_sku)

    def out_of_stock_now(self) -> list[tuple[str, str, list[str]]]:
        return [(sku, since, ["default"]) for sku, (since, _) in sorted(self.now_out.items())]


class FakeSales:
    def __init__(self, by_day: dict[str, dict[str, int]]) -> None:
        self.by_day = by_day

    def units_sold(self, day: str) -> dict[str, int]:
        return dict(self.by_day.get(day, {}))


def image(available: int, at: str | None, **levels: int) -> dict[str, Any]:
    item: dict[str, Any] = {"available": available, "on_hand": max(available, 0), "reserved": 0}
    if at is not None:
        item["stock_updated_at"] = at
    item.update({f"on_hand@{name}": units for name, units in levels.items()})
    return item


def recorder(stats: StockStats) -> StockRecorder:
    return StockRecorder(stats, BERLIN, clock=lambda: 1_800_000_000.0)


def test_a_product_never_stocked_is_not_tracked() -> None:
    stats = FakeStats()
    assert recorder(stats).product_changed("MUG", None, image(0, None), "1") is None
    assert stats.out_days == set()


def test_running_out_marks_the_business_day_of_the_change_and_the_sku_out_now() -> None:
    stats = FakeStats()
    # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin
    changed = recorder(stats).product_changed(
        "MUG", image(3, "2026-03-01T10:00:00.000000Z"), image(0, "2026-03-01T23:30:00.000000Z"), "7"
    )
    assert changed == "out"
    assert stats.out_days == {("MUG", "2026-03-02")}
    assert stats.now_out == {"MUG": ("2026-03-02", "7")}


def test_still_out_on_the_same_day_writes_nothing_more_and_coming_back_clears_it() -> None:
    stats = FakeStats()
    rec = recorder(stats)
    was = image(0, "2026-03-02T09:00:00.000000Z")
    assert rec.product_changed("MUG", was, image(-1, "2026-03-02T11:00:00.000000Z"), "8") is None
    assert stats.out_days == set()
    assert rec.product_changed("MUG", was, image(4, "2026-03-02T12:00:00.000000Z"), "9") == "back"
    assert stats.back == ["MUG"]


def test_out_locations_are_the_empty_ones_or_all_when_everything_is_reserved() -> None:
    stats = FakeStats()
    rec = recorder(stats)
    rec.product_changed("A", None, image(0, "2026-03-02T09:00:00.000000Z", berlin=0, paris=4), "1")
    rec.product_changed("B", None, image(0, "2026-03-02T09:00:00.000000Z", berlin=2, paris=4), "1")
    assert stats.locations[("A", "2026-03-02")] == ["berlin"]
    assert stats.locations[("B", "2026-03-02")] == ["berlin", "paris"]


def test_only_shipments_add_units_and_each_once() -> None:
    stats = FakeStats()
    rec = recorder(stats)
    shipment = {
        "kind": "shipment",
        "change": -3,
        "location": "berlin",
        "as_of": "2026-03-02T08:00:00.000000Z",
    }
    assert rec.movement_recorded("MUG", "MOVE#1", shipment) == 3
    assert rec.movement_recorded("MUG", "MOVE#1", shipment) == 0  # redelivered
    assert rec.movement_recorded("MUG", "MOVE#2", {**shipment, "kind": "return", "change": 2}) == 0
    assert rec.movement_recorded("MUG", "MOVE#3", {**shipment, "kind": "count", "change": -5}) == 0
    assert stats.shipped == {("MUG", "2026-03-02", "berlin"): 3}


def test_the_roll_up_re_rolls_seven_days_and_carries_every_sku_still_out_to_today() -> None:
    stats: FakeStats = FakeStats()
    stats.now_out = {"MUG": ("2026-03-05", "5"), "OLD": ("2026-01-01", "3")}
    sales: DailyUnits = FakeSales(
        {"2026-03-09": {"MUG": 2}, "2026-03-03": {"PEN": 1}, "2026-03-02": {"PEN": 9}}
    )
    store: RollupStats = stats
    report = InventoryRollup(store, sales).run(dt.date(2026, 3, 10))
    assert report.days == [f"2026-03-{d:02d}" for d in range(3, 10)]  # the 7 days before the 10th
    assert stats.sold == {("MUG", "2026-03-09"): 2, ("PEN", "2026-03-03"): 1}  # the 2nd is not re-rolled
    # MUG from the day it ran out; OLD only as far back as the re-roll window (the 3rd), both to the 10th
    assert {day for sku, day in stats.out_days if sku == "MUG"} == {f"2026-03-{d:02d}" for d in range(5, 11)}
    assert {day for sku, day in stats.out_days if sku == "OLD"} == {f"2026-03-{d:02d}" for d in range(3, 11)}
    assert report.out_of_stock == 2

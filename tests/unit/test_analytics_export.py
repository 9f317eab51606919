"""The analytics export's rows and runs, without I/O: each order's money columns are the sales glossary's
(what the daily counters add for it over every day), no personal data is written, a day's orders land in
that day's objects, and the nightly run's days."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import pytest

from shared.analytics.export import order_rows
from shared.analytics.layout import LINES_TABLE, ORDERS_TABLE, REEXPORT_DAYS_AGO, STOCKOUTS_TABLE, TABLES
from shared.dal.analytics_export import Stockout
from shared.models.orders import Address, Customer, Order
from shared.reports.sales import contribution, parse_counter
from shared.services.analytics_export import AnalyticsExport, days_between, scheduled_day
from tests.support.report_orders import BERLIN, latest, versions

D = Decimal


def lifetime_totals(order: Order) -> dict[str, Decimal]:
    """What the daily counters add for one order over every day (its TOTAL counter, all days summed)."""
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for (_, what), fields in contribution(order, BERLIN).items():
        counter = parse_counter(what)
        if counter is not None and counter.kind == "TOTAL":
            for name, value in fields.items():
                summed[name] += value
    return summed


@pytest.mark.parametrize("order", latest(), ids=lambda o: o.order_id)
def test_the_money_columns_are_what_the_counters_add_for_the_order(order: Order) -> None:
    row = order_rows(order, BERLIN).order
    counted = lifetime_totals(order)
    if row["cancelled"]:  # a cancelled order counts zero over days holding its placing and cancellation
        assert counted.pop("cancellations") == 1
        assert all(value == 0 for value in counted.values()), counted
        assert row["cancelled_at"] is not None
        return
    assert D(row["gross_sales"]) == counted["gross"]
    assert D(row["discounts"]) == counted["discounts"]
    assert D(row["returns"]) == counted["returns"]
    assert D(row["shipping"]) == counted["shipping"]
    assert D(row["taxes"]) == counted["taxes"]
    assert D(row["included_taxes"]) == counted["included_taxes"]
    assert row["units"] == counted["units"] and row["returned_units"] == counted["returned_units"]
    net = counted["gross"] - counted["discounts"] - counted["returns"]
    assert D(row["net_sales"]) == net
    total = net + counted["shipping"] + counted["taxes"] - counted["included_taxes"]
    assert D(row["total_sales"]) == total


def test_a_hand_checked_order_row_and_its_lines() -> None:
    # g5 (tests/support/report_orders.py): 2 x S1 at 20.00 with a 6.00 line discount; one unit returned
    # (valued (40 - 6) / 2 = 17.00), then refunded 15.00 (which counts 15.00 - 17.00): returns 15.00.
    g5 = versions()["g5"][-1]
    rows = order_rows(g5, BERLIN)
    assert rows.day == "2026-11-20"
    assert {
        k: rows.order[k] for k in ("gross_sales", "discounts", "returns", "net_sales", "total_sales")
    } == {
        "gross_sales": "40.00",
        "discounts": "6.00",
        "returns": "15.00",
        "net_sales": "19.00",
        "total_sales": "19.00",
    }
    assert rows.order["returned_units"] == 1 and rows.order["cancelled"] is False
    assert rows.lines == [
        {
            "order_id": "g5",
            "line": 1,
            "sku": "S1",
            "quantity": 2,
            "unit_price": "20.00",
            "line_total": "40.00",
            "discount": "6.00",
            "net": "34.00",
            "currency": "GBP",
            "channel": "shopify",
            "cancelled": False,
        }
    ]


def test_rows_have_exactly_the_layout_columns_and_no_personal_data() -> None:
    customer = Customer(email="ada@example.com", name="Ada Lovelace", phone="+44 20 7946 0000")
    address = Address(
        name="Ada Lovelace", line1="12 Example Street", city="London", postal_code="N1 1AA", country="GB"
    )
    for stored in latest():
        order = stored.model_copy(update={"customer": customer, "shipping_address": address})
        rows = order_rows(order, BERLIN)
        assert list(rows.order) == [c.name for c in ORDERS_TABLE.columns]
        for line in rows.lines:
            assert list(line) == [c.name for c in LINES_TABLE.columns]
        text = json.dumps([rows.order, *rows.lines])
        for personal in ("ada@example.com", "Lovelace", "7946", "Example Street", "N1 1AA"):
            assert personal not in text
        assert rows.order["customer_id"] == order.customer_id


def test_the_business_day_is_the_placed_day_in_the_business_time_zone() -> None:
    # o2: 23:30 UTC on the 22nd is 00:30 on the 23rd in Berlin
    assert order_rows(versions()["o2"][-1], BERLIN).day == "2026-11-23"
    # g2: placed on the 23rd, received two days later: the placed day counts
    assert order_rows(versions()["g2"][-1], BERLIN).day == "2026-11-23"


def test_every_table_has_its_prefix_and_one_object_per_day() -> None:
    assert [t.name for t in TABLES] == ["orders", "lines", "stockouts"]
    assert ORDERS_TABLE.key("2026-11-23") == "analytics/orders/day=2026-11-23/part-00000.json.gz"
    assert STOCKOUTS_TABLE.key("2026-11-23") == "analytics/stockouts/day=2026-11-23/part-00000.json.gz"


def test_the_nightly_runs_export_yesterday_and_the_two_days_before_it() -> None:
    assert REEXPORT_DAYS_AGO == (1, 2, 3)
    # 02:00 in Berlin on the 24th is 01:00 UTC: yesterday is the 23rd
    assert scheduled_day("2026-11-24T01:00:00Z", 1, BERLIN) == dt.date(2026, 11, 23)
    assert scheduled_day("2026-11-24T01:40:00Z", 3, BERLIN) == dt.date(2026, 11, 21)
    # 23:30 UTC on the 23rd is already the 24th in Berlin: yesterday is still the 23rd
    assert scheduled_day("2026-11-23T23:30:00Z", 1, BERLIN) == dt.date(2026, 11, 23)
    with pytest.raises(ValueError, match="days_ago 4"):
        scheduled_day("2026-11-24T01:00:00Z", 4, BERLIN)


def test_a_range_is_ordered_and_bounded() -> None:
    assert days_between(dt.date(2026, 11, 1), dt.date(2026, 11, 3)) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
    ]
    with pytest.raises(ValueError, match="before"):
        days_between(dt.date(2026, 11, 3), dt.date(2026, 11, 1))
    with pytest.raises(ValueError, match="at most 31"):
        days_between(dt.date(2026, 1, 1), dt.date(2026, 2, 1), most=31)


# --- the service over fakes of its Protocols ------------------------------------------------------


class FakeWriter:
    def __init__(self, files: FakeFiles, key: str) -> None:
        self._files, self._key = files, key
        self._records: list[bytes] = []
        self.records = 0

    def write(self, record: bytes) -> None:
        self._records.append(record)
        self.records += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self._files.objects[self._key] = b"".join(self._records)


class FakeFiles:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def writer(self, key: str) -> FakeWriter:
        return FakeWriter(self, key)


class FakeOrders:
    def __init__(self, orders: list[Order]) -> None:
        self._orders = orders
        self.items_read = 0
        self.asked: list[tuple[str, str]] = []

    def placed_between(self, start: str, end: str) -> Any:
        self.asked.append((start, end))
        for order in self._orders:
            placed = order.placed_at or order.created_at
            if start <= placed < end:
                self.items_read += 1
                yield order


class FakeStockouts:
    def __init__(self, days: dict[str, list[Stockout]]) -> None:
        self._days = days
        self.items_read = 0

    def stockouts_on(self, day: str) -> Any:
        for stockout in self._days.get(day, []):
            self.items_read += 1
            yield stockout


def rows(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


def test_each_day_is_written_whole_to_its_own_objects() -> None:
    files = FakeFiles()
    orders = FakeOrders(latest())
    stockouts = FakeStockouts({"2026-11-23": [Stockout("A", ("main", "backroom"))]})
    service = AnalyticsExport(lambda: orders, lambda: stockouts, files, BERLIN)
    done = service.export(dt.date(2026, 11, 22), dt.date(2026, 11, 24))
    assert [d.day for d in done.days] == ["2026-11-22", "2026-11-23", "2026-11-24"]
    # every table of every day is written, an empty day too (an export replaces the day's object)
    assert sorted(files.objects) == sorted(t.key(d.day) for t in TABLES for d in done.days)
    on_23rd = rows(files.objects[ORDERS_TABLE.key("2026-11-23")])
    assert sorted(r["order_id"] for r in on_23rd) == ["g1", "g2", "g3", "g4", "o1", "o2", "o3"]
    assert [r["order_id"] for r in rows(files.objects[ORDERS_TABLE.key("2026-11-24")])] == ["o4"]
    assert files.objects[ORDERS_TABLE.key("2026-11-22")] == b""
    assert rows(files.objects[STOCKOUTS_TABLE.key("2026-11-23")]) == [
        {"sku": "A", "locations": ["backroom", "main"]}
    ]
    assert done.orders == 8 and done.stockouts == 1
    assert done.lines == sum(
        len(o.lines) for o in latest() if o.order_id in {r["order_id"] for r in on_23rd} | {"o4"}
    )
    assert done.items_read == orders.items_read + stockouts.items_read == 9
    # Berlin's day 23 is [23:00 UTC on the 22nd, 23:00 UTC on the 23rd)
    assert orders.asked[1] == ("2026-11-22T23:00:00.000000Z", "2026-11-23T23:00:00.000000Z")


def test_exporting_again_writes_the_same_bytes() -> None:
    first, second = FakeFiles(), FakeFiles()
    for files in (first, second):
        AnalyticsExport(lambda: FakeOrders(latest()), lambda: FakeStockouts({}), files, BERLIN).export(
            dt.date(2026, 11, 20), dt.date(2026, 11, 25)
        )
    assert first.objects == second.objects

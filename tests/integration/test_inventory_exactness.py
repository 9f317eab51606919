"""Inventory performance is exact: three months of orders (two currencies, cancellations, returns) through
the orders stream (sales_aggregates) and of stock levels and ledger movements through the catalog stream
(inventory_events), with the nightly roll-up run every night, give per SKU and day exactly the units sold,
the out-of-stock days and the units shipped per location that an independent computation finds from the
orders and the stock movements themselves; and so does the inventory_performance report built from them.

Business time zone Europe/Berlin. The independent computation below reads only the orders and the stock
writes this test made: no aggregation code of the project.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from functions.inventory_rollup import handler as rollup_handler
from infra.local.workers import LambdaContext
from infra.spec import (
    CATALOG,
    INVENTORY_EVENTS,
    INVENTORY_STATS,
    ORDERS,
    REPORTS_BUCKET,
    REPORTS_FUNCTION,
    SALES_AGGREGATES,
)
from shared.dal.dynamo import to_item
from shared.dal.inventory_stats import InventoryStatsStore
from shared.dal.orders import order_item
from shared.models.inventory import Movement
from shared.models.orders import Order
from shared.reports.inventory_performance import shipped_recount, sold_recount
from tests.support.http import ApiClient
from tests.support.local_aws import local_aws
from tests.support.report_orders import line, moved, placed, returned
from tests.support.streams import StreamDriver

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = dt.date(2026, 8, 31)  # a Monday
LAST = dt.date(2026, 11, 29)  # a Sunday: 91 days
DAYS = [(FIRST + dt.timedelta(days=n)).isoformat() for n in range((LAST - FIRST).days + 1)]
SKUS = ("A", "B", "C", "D")  # D never sells
SELLING = ("A", "B", "C")
LOCATIONS = ("berlin", "paris")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OMS_TIMEZONE", "Europe/Berlin")
    with local_aws() as dynamodb:
        yield dynamodb


def at(day: str, hour: int, minute: int = 0) -> str:
    """A UTC timestamp of a local (Berlin) hour on a business day."""
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), BERLIN)
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def local_day(timestamp: str) -> str:
    moment = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return moment.astimezone(BERLIN).date().isoformat()


# --- the data ---------------------------------------------------------------------------------------------


def order_histories(rng: random.Random) -> list[list[Order]]:
    """Each order's versions: placed; some cancelled a day or two later; some shipped then partly returned."""
    histories: list[list[Order]] = []
    for index, day in enumerate(DAYS):
        for n in range(rng.randint(0, 3)):
            sku = rng.choice(SELLING)
            currency = rng.choice(("EUR", "USD"))
            quantity = rng.randint(1, 3)
            # 00:30 local (the day before in UTC) on some: the business day, not the UTC date, counts
            hour = rng.choice((0, 9, 14, 23))
            order = placed(
                f"o{index}-{n}",
                rng.choice(("web", "pos")),
                currency,
                at(day, hour, 30),
                line(sku, quantity, "10.00"),
            )
            versions = [order]
            fate = rng.random()
            later = index + rng.randint(1, 2)
            if fate < 0.15 and later < len(DAYS):
                versions.append(moved(order, "CANCELLED", at(DAYS[later], 11)))
            elif fate < 0.35 and later + 3 < len(DAYS):
                shipped = moved(order, "SHIPPED", at(DAYS[later], 12))
                back = returned(shipped, at(DAYS[later + 3], 15), sku, rng.randint(1, quantity))
                versions += [shipped, back]
            histories.append(versions)
    return histories


def stock_plan(rng: random.Random) -> dict[str, list[tuple[str, int]]]:
    """Per day, the product items' successive available levels that day (most days none)."""
    plan: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for day in DAYS:
        for sku in SKUS:
            if rng.random() < 0.12:
                for _ in range(rng.randint(1, 2)):
                    plan[day].append((sku, rng.choice((-1, 0, 0, 2, 5, 9))))
    # Every SKU starts stocked on the first day (D keeps 12 on hand and never sells).
    plan[DAYS[0]][:0] = [(sku, 12 if sku == "D" else 6) for sku in SKUS]
    return plan


def movements_plan(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Per day, ledger entries: shipments from two locations, and returns and counts (which ship nothing)."""
    plan: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index, day in enumerate(DAYS):
        for n in range(rng.randint(0, 3)):
            kind = rng.choice(("shipment", "shipment", "shipment", "return", "count"))
            units = rng.randint(1, 4)
            plan[day].append(
                {
                    "sku": rng.choice(SELLING),
                    "location": rng.choice(LOCATIONS),
                    "kind": kind,
                    "change": -units if kind == "shipment" else units,
                    "as_of": at(day, rng.choice((0, 8, 16, 23)), n),
                    "recorded_at": at(day, 23, 59),
                    "source": "shipping",
                    "update_id": f"m{index}-{n}",
                }
            )
    return plan


def put_product(dynamodb: Any, sku: str, available: int, when: str) -> None:
    on_hand = max(available, 0)
    dynamodb.put_item(
        TableName=CATALOG.local_name,
        Item={
            "pk": {"S": sku},
            "sk": {"S": "SKU"},
            **to_item(
                {
                    "name": f"Product {sku}",
                    "price": Decimal("10.00"),
                    "listed": "PRODUCT",
                    "on_hand": on_hand,
                    "reserved": on_hand - available,
                    "available": available,
                    "stock_updated_at": when,
                    "updated_at": when,
                }
            ),
        },
    )


def put_movement(dynamodb: Any, movement: dict[str, Any]) -> None:
    sort_key = f"MOVE#{movement['as_of']}#{movement['location']}#{movement['update_id']}"
    dynamodb.put_item(
        TableName=CATALOG.local_name,
        Item={"pk": {"S": movement["sku"]}, "sk": {"S": sort_key}, **to_item(movement)},
    )


def roll_up(on: str) -> None:
    event = {"schedule": "inventory-rollup", "scheduled_time": at(on, 0, 20).replace(".000000", "")}
    rollup_handler.lambda_handler(event, LambdaContext("inventory_rollup", 512, 300, "test"))


# --- the independent computation ---------------------------------------------------------------------------


def expected_sold(histories: list[list[Order]]) -> dict[str, dict[str, int]]:
    """Units per SKU and business day: + on the day placed, - on the day returned, and a cancellation takes
    back on its day what the order still counted."""
    sold: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for versions in histories:
        final = versions[-1]
        for item in final.lines:
            sold[item.sku][local_day(final.created_at)] += item.quantity
        for record in final.returns:
            for back in record.lines:
                sold[back.sku][local_day(record.returned_at)] -= back.quantity
        if final.status == "CANCELLED":
            cancelled_at = final.history[-1].at
            for item in final.lines:
                sold[item.sku][local_day(cancelled_at)] -= item.quantity
    return sold


def expected_out(plan: dict[str, list[tuple[str, int]]]) -> dict[str, set[str]]:
    """A day is out of stock when available was 0 or less at its start (the last level before it) or
    became so during it."""
    out: dict[str, set[str]] = defaultdict(set)
    level: dict[str, int] = {}
    for day in DAYS:
        for sku, available in [(sku, level[sku]) for sku in sorted(level)]:
            if available <= 0:
                out[sku].add(day)
        for sku, available in plan.get(day, []):
            level[sku] = available
            if available <= 0:
                out[sku].add(day)
    return out


def expected_shipped(plan: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, int]]]:
    shipped: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for entries in plan.values():
        for entry in entries:
            if entry["kind"] == "shipment":
                shipped[entry["sku"]][local_day(entry["as_of"])][entry["location"]] -= entry["change"]
    return shipped


# --- the test ----------------------------------------------------------------------------------------------


def test_three_months_of_orders_and_stock_movements_equal_the_independent_computation(
    aws: Any, staff: ApiClient
) -> None:
    rng = random.Random(18)
    histories = order_histories(rng)
    stock = stock_plan(rng)
    ledger = movements_plan(rng)
    assert sum(len(v) > 1 and v[-1].status == "CANCELLED" for v in histories) >= 5
    assert sum(bool(v[-1].returns) for v in histories) >= 5
    assert {v[0].currency for v in histories} == {"EUR", "USD"}

    for versions in histories:
        for version in versions:
            aws.put_item(TableName=ORDERS.local_name, Item=order_item(version))
    StreamDriver(SALES_AGGREGATES).drain()

    events = StreamDriver(INVENTORY_EVENTS)
    for day in DAYS:
        roll_up(day)  # 00:20: yesterday and the days before rolled up, SKUs still out marked out today
        for n, (sku, available) in enumerate(stock.get(day, [])):
            put_product(aws, sku, available, at(day, 10, n))
        for movement in ledger.get(day, []):
            put_movement(aws, movement)
        events.drain()
    events.replay()  # every catalog record delivered twice: nothing counts twice
    roll_up((LAST + dt.timedelta(days=1)).isoformat())  # the last day rolled up

    sold, out, shipped = expected_sold(histories), expected_out(stock), expected_shipped(ledger)
    # The project's pure recounts agree with this test's own computation.
    assert sold_recount([v[-1] for v in histories], BERLIN) == {
        sku: {day: units for day, units in by_day.items() if units} for sku, by_day in sold.items()
    }
    movements = [Movement.model_validate(m) for entries in ledger.values() for m in entries]
    assert shipped_recount(movements, BERLIN) == {
        sku: {day: dict(at) for day, at in by_day.items()} for sku, by_day in shipped.items()
    }
    assert any(v < 0 for sku in SELLING for v in sold[sku].values()), "the data has days of net returns"
    assert all(out[sku] for sku in SELLING), "the data has stock-outs"

    answer = staff.get(f"/analytics/inventory?as_of={LAST.isoformat()}&days={len(DAYS)}").json()
    assert [item["sku"] for item in answer["items"]] == list(SKUS)
    for item in answer["items"]:
        sku = item["sku"]
        assert [(d["day"], d["sold"]) for d in item["daily"]] == [(day, sold[sku][day]) for day in DAYS], sku
        assert {d["day"] for d in item["daily"] if d["out_of_stock"]} == out[sku], sku
        assert {d["day"]: d["shipped"] for d in item["daily"] if d["shipped"]} == {
            day: dict(by_location) for day, by_location in shipped[sku].items() if day in DAYS
        }, sku
        assert item["days_out_of_stock"] == len(out[sku])
        ninety = sum(sold[sku][day] for day in DAYS[-90:])
        assert next(s["units"] for s in item["sold"] if s["days"] == 90) == ninety
    # D never sold: dead stock while it has any on hand
    never = answer["items"][3]
    assert never["dead_stock"] is (never["on_hand"] > 0)

    # The export's layout: one STOCKOUT item per SKU and day out of stock.
    store = InventoryStatsStore(aws, INVENTORY_STATS.local_name)
    for day in DAYS:
        assert {s["sku"] for s in store.stock_outs(day)} == {sku for sku in SKUS if day in out[sku]}, day

    # The weekly report of the last week says the same.
    week = DAYS[-7:]
    reply = staff.post("/reports", {"type": "inventory_performance", "from": week[0], "to": week[-1]})
    assert reply.status == 202, reply.body
    StreamDriver(REPORTS_FUNCTION).drain()
    report = staff.get(f"/reports/{reply.json()['report_id']}").json()
    assert report["status"] == "READY", report
    (csv_file,) = [f for f in report["files"] if f["format"] == "csv"]
    body = boto3.client("s3").get_object(Bucket=REPORTS_BUCKET.local_name, Key=csv_file["key"])["Body"].read()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert {(r["sku"], r["day"]) for r in rows if r["section"] == "Out of stock days"} == {
        (sku, day) for sku in SKUS for day in week if day in out[sku]
    }
    assert {
        (r["sku"], r["location"], r["day"], int(r["units"]))
        for r in rows
        if r["section"] == "Shipped per location"
    } == {
        (sku, location, day, units)
        for sku in SKUS
        for day in week
        for location, units in shipped[sku].get(day, {}).items()
    }
    sections = list(dict.fromkeys(r["section"] for r in rows))
    order = ["Reorder", "All SKUs", "Out of stock days", "Slow and dead stock", "Shipped per location"]
    assert sections == [s for s in order if s in sections] and sections[:2] == order[:2]

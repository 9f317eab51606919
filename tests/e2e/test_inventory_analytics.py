"""Inventory performance on the running local stack: over three simulated business days (the clock hook,
``PUT /_local/clock``; the handlers are not faked) a SKU sells, ships from a location and runs out; the
catalog stream records the stock-out and the shipment, the nightly roll-up (``POST
/_local/schedules/InventoryRollup/run``) rolls up the units sold and carries the stock-out forward, and
``GET /analytics/inventory`` and the ``inventory_performance`` report say so."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from tests.e2e.conftest import STAFF, VIEWER, WEB, Stack

LOCATION = "e2e-east"


def set_clock(stack: Stack, day: dt.date) -> None:
    reply = requests.put(
        f"{stack.api}/_local/clock", json={"now": f"{day.isoformat()}T10:00:00Z"}, timeout=10
    )
    assert reply.ok, reply.text


def run_rollup(stack: Stack) -> None:
    reply = requests.post(f"{stack.api}/_local/schedules/InventoryRollup/run", timeout=120)
    assert reply.ok, reply.text


def figures(stack: Stack, sku: str, as_of: dt.date, days: int) -> dict[str, Any]:
    reply = requests.get(
        f"{stack.api}/analytics/inventory",
        params={"sku": sku, "as_of": as_of.isoformat(), "days": days},
        headers=VIEWER,
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["statistics"]["requests"] >= 2
    (item,) = body["items"]
    return dict(item)


def until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not after {timeout}s"
        time.sleep(0.5)


def test_a_sku_sells_ships_runs_out_and_is_reordered(stack: Stack) -> None:
    api = stack.api
    sku = f"E2E-INV-{uuid.uuid4().hex[:8]}"
    today = dt.datetime.now(dt.UTC).date()  # the local stack's business time zone is UTC unless set
    first, second = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    try:
        set_clock(stack, first)
        body = {"name": "Lamp", "price": "12.25", "lead_time_days": 5, "service_level": 0.99}
        assert requests.put(f"{api}/products/{sku}", json=body, headers=STAFF, timeout=10).ok
        stocked = requests.put(
            f"{api}/inventory/{sku}", json={"on_hand": 5, "location": LOCATION}, headers=STAFF, timeout=10
        )
        assert stocked.ok, stocked.text
        orders = []
        for quantity in (2, 3):
            order = {
                "customer": {"email": "inv@example.com", "name": "In Ventory"},
                "lines": [{"sku": sku, "quantity": quantity}],
            }
            placed = requests.post(f"{api}/orders", json=order, headers=WEB, timeout=10)
            assert placed.status_code == 201, placed.text
            orders.append(placed.json()["order_id"])
        shipment = {"carrier": "ups", "tracking_number": f"1Z{uuid.uuid4().hex[:8]}", "location": LOCATION}
        shipped = requests.post(
            f"{api}/orders/{orders[0]}/shipments", json=shipment, headers=STAFF, timeout=10
        )
        assert shipped.status_code in (200, 201), shipped.text

        # Day 1 ("today" for the API while the clock says so): sold 5 (read live), shipped 2, out of stock.
        day_one = until(
            lambda: (
                (f := figures(stack, sku, first, 1)["daily"][0])["out_of_stock"]
                and f["shipped"]
                and f["sold"] == 5
                and f
            ),
            "day 1's stock-out, shipment and sales",
        )
        assert day_one["shipped"] == {LOCATION: 2}

        # The night before day 2: the roll-up writes day 1's units sold and carries the stock-out to day 2.
        set_clock(stack, second)
        run_rollup(stack)
        item = figures(stack, sku, second, 2)
        assert [(d["day"], d["sold"], d["out_of_stock"]) for d in item["daily"]] == [
            (first.isoformat(), 5, True),
            (second.isoformat(), 0, True),
        ]
    finally:
        requests.delete(f"{api}/_local/clock", timeout=10)

    run_rollup(stack)  # tonight's run, at the real time: still out today
    item = figures(stack, sku, today, 3)
    assert [d["out_of_stock"] for d in item["daily"]] == [True, True, True]
    assert item["days_out_of_stock"] == 3
    assert item["sold"][0] == {"days": 7, "units": 5, "per_day": "0.71"}
    assert (item["on_hand"], item["available"], item["out_of_stock_now"]) == (3, 0, True)
    assert item["locations"] == [{"location": LOCATION, "on_hand": 3, "shipped": 2}]
    assert item["reorder"]["reorder"] is True and item["reorder"]["suggested_quantity"] > 0
    assert (item["reorder"]["lead_time_days"], item["reorder"]["service_level"]) == (5, "0.99")

    asked = requests.post(
        f"{api}/reports",
        json={"type": "inventory_performance", "from": first.isoformat(), "to": today.isoformat()},
        headers=STAFF,
        timeout=10,
    )
    assert asked.status_code == 202, asked.text
    report = until(
        lambda: (
            (
                r := requests.get(
                    f"{api}/reports/{asked.json()['report_id']}", headers=STAFF, timeout=10
                ).json()
            )["status"]
            != "PENDING"
            and r
        ),
        "the inventory_performance report",
    )
    assert report["status"] == "READY", report
    assert {f["format"] for f in report["files"]} == {"csv", "xlsx", "html"}
    (csv_file,) = [f for f in report["files"] if f["format"] == "csv"]
    rows = list(
        csv.DictReader(io.StringIO(requests.get(csv_file["download_url"], timeout=10).text, newline=""))
    )
    assert rows[0]["section"] == "Reorder"
    assert {r["day"] for r in rows if r["section"] == "Out of stock days" and r["sku"] == sku} == {
        first.isoformat(),
        second.isoformat(),
        today.isoformat(),
    }
    (html_file,) = [f for f in report["files"] if f["format"] == "html"]
    html = requests.get(html_file["download_url"], timeout=10).text
    assert "SKUs out of stock the most days" in html and sku in html

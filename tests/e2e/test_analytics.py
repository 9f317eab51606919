"""Analytics end to end on the running local stack (issue 18): orders over five simulated business days
(the clock hook, ``PUT /_local/clock``: the handlers are not faked), then every figure read back over
HTTP (trends, customer behaviour, inventory performance), each new report downloaded, the nightly export
run and queried with ``oms sql``, and the console's Analytics page drawn in Chromium.

The days are in March 2025, which no other e2e test touches, so the month's figures are this test's
alone whatever else the shared stack holds. Worked by hand (prices 10.00 and 4.50, EUR or the stack's
currency, no shipping or tax):

  Mon 03  c1 web   A x2            20.00
  Tue 04  c2 pos   B x2             9.00
  Wed 05  c1 web   A x1 + B x1     14.50   and c2's order is cancelled: -9.00 on the 5th
  Thu 06  c3 web   A x3            30.00
  Fri 07  c3 pos   B x4            18.00   and c1's first order ships (no figure moves)

  net sales 20.00, 9.00, 5.50, 30.00, 18.00 = 82.50 over 4 orders (5 placed, 1 cancelled)
  customers in March: c1 and c3 (c2's only order was cancelled): 2 new, 0 returning, 4 orders,
  both with a second order (c1 after 2 days, c3 after 1): repeat rate 1, 1.5 days to the second order
  units of A sold: 2, 1, 3 = 6 (on the 3rd, 5th and 6th)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import POS, ROOT, STAFF, VIEWER, WEB, Stack
from tests.e2e.console_support import STAFF_KEY, chromium, sign_in, watch

pytestmark = pytest.mark.e2e

DAYS = [dt.date(2025, 3, n) for n in range(3, 8)]


def until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not after {timeout}s"
        time.sleep(0.5)


def ok(reply: requests.Response) -> dict[str, Any]:
    assert reply.status_code < 300, f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text}"
    return dict(reply.json()) if reply.content else {}


def set_clock(stack: Stack, at: str) -> None:
    ok(requests.put(f"{stack.api}/_local/clock", json={"now": at}, timeout=10))


def get(stack: Stack, path: str, **params: Any) -> dict[str, Any]:
    return ok(requests.get(f"{stack.api}{path}", params=params, headers=VIEWER, timeout=30))


def report(stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    asked = ok(requests.post(f"{stack.api}/reports", json=body, headers=STAFF, timeout=10))
    done = until(
        lambda: (
            (r := ok(requests.get(f"{stack.api}/reports/{asked['report_id']}", headers=STAFF, timeout=10)))[
                "status"
            ]
            != "PENDING"
            and r
        ),
        f"the {body['type']} report",
    )
    assert done["status"] == "READY", done
    assert {f["format"] for f in done["files"]} == {"csv", "xlsx", "html"}
    return dict(done)


def download(built: dict[str, Any], fmt: str) -> bytes:
    (file,) = [f for f in built["files"] if f["format"] == fmt]
    body = requests.get(file["download_url"], timeout=10)
    assert body.status_code == 200, body.text
    assert len(body.content) == file["bytes"]
    return body.content


def place(stack: Stack, channel: dict[str, str], email: str, lines: list[tuple[str, int]]) -> str:
    body = {
        "customer": {"email": email, "name": "Ana Lytics"},
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
    }
    return str(ok(requests.post(f"{stack.api}/orders", json=body, headers=channel, timeout=10))["order_id"])


def oms(stack: Stack, *argv: str) -> str:
    env = {**os.environ, "OMS_AWS_ENDPOINT": stack.aws, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_five_simulated_days_of_orders_read_back_as_analytics_reports_sql_and_charts(
    stack: Stack, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6].upper()
    sku_a, sku_b = f"AN-A-{run}", f"AN-B-{run}"
    c1, c2, c3 = (f"{name}.{run.lower()}@example.com" for name in ("c1", "c2", "c3"))
    try:
        set_clock(stack, f"{DAYS[0]}T09:00:00Z")
        for sku, price in ((sku_a, "10.00"), (sku_b, "4.50")):
            ok(
                requests.put(
                    f"{stack.api}/products/{sku}",
                    json={"name": sku, "price": price},
                    headers=STAFF,
                    timeout=10,
                )
            )
            ok(requests.put(f"{stack.api}/inventory/{sku}", json={"on_hand": 100}, headers=STAFF, timeout=10))
        first = place(stack, WEB, c1, [(sku_a, 2)])
        set_clock(stack, f"{DAYS[1]}T10:00:00Z")
        cancelled = place(stack, POS, c2, [(sku_b, 2)])
        set_clock(stack, f"{DAYS[2]}T11:00:00Z")
        place(stack, WEB, c1, [(sku_a, 1), (sku_b, 1)])
        ok(
            requests.post(
                f"{stack.api}/orders/{cancelled}/cancel", json={"reason": "e2e"}, headers=STAFF, timeout=10
            )
        )
        set_clock(stack, f"{DAYS[3]}T12:00:00Z")
        place(stack, WEB, c3, [(sku_a, 3)])
        set_clock(stack, f"{DAYS[4]}T13:00:00Z")
        place(stack, POS, c3, [(sku_b, 4)])
        shipment = {"carrier": "ups", "tracking_number": f"1Z{run}"}
        ok(requests.post(f"{stack.api}/orders/{first}/shipments", json=shipment, headers=STAFF, timeout=10))

        # The streams have counted it all (they run at the real time: the figures are dated by the orders).
        def counted() -> Any:
            trends = get(stack, "/analytics/trends", **{"from": DAYS[0], "to": DAYS[-1]}, granularity="day")
            return (
                trends["series"]
                and sum(p["figures"]["orders"] for p in trends["series"][0]["points"]) == 4
                and trends
            )

        trends = until(counted, "the five days' sales counted")
        # The night after the last day: the inventory roll-up counts the units sold up to then.
        set_clock(stack, f"{DAYS[-1] + dt.timedelta(days=1)}T00:30:00Z")
        ok(requests.post(f"{stack.api}/_local/schedules/InventoryRollup/run", timeout=120))
    finally:
        requests.delete(f"{stack.api}/_local/clock", timeout=10)

    # Trends: per day as worked out above, and the period before (the five days before) empty.
    (series,) = trends["series"]
    assert [p["period"] for p in series["points"]] == [d.isoformat() for d in DAYS]
    assert [p["figures"]["net_sales"] for p in series["points"]] == [
        "20.00",
        "9.00",
        "5.50",
        "30.00",
        "18.00",
    ]
    assert [p["figures"]["orders"] for p in series["points"]] == [1, 1, 0, 1, 1]  # the 5th: +1 -1
    assert {p["previous"]["orders"] for p in series["points"]} == {0}
    assert all(p["change_percent"]["net_sales"] is None for p in series["points"])  # nothing before
    by_channel = get(
        stack, "/analytics/trends", **{"from": DAYS[0], "to": DAYS[-1]}, granularity="week", by="channel"
    )
    net = {
        s["name"]: sum(Decimal(p["figures"]["net_sales"]) for p in s["points"]) for s in by_channel["series"]
    }
    assert net == {"web": Decimal("64.50"), "pos": Decimal("18.00")}  # pos: 9.00 - 9.00 + 18.00
    assert by_channel["statistics"]["requests"] > 0

    # Customer behaviour of March 2025.
    customers = get(stack, "/analytics/customers", **{"from": "2025-03", "to": "2025-03"})
    (march,) = customers["months"]
    assert (march["customers"], march["new_customers"], march["returning_customers"], march["orders"]) == (
        2,
        2,
        0,
        4,
    )
    assert (march["repeat_purchase_rate"], march["average_days_to_second_order"]) == (1.0, 1.5)
    assert customers["cohorts"][0]["cohort"] == "2025-03" and customers["cohorts"][0]["customers"] == 2

    # Inventory performance of A over the five days.
    inventory = get(stack, "/analytics/inventory", sku=sku_a, as_of=DAYS[-1], days=5)
    (a,) = inventory["items"]
    assert [(d["day"], d["sold"]) for d in a["daily"]] == [
        (d.isoformat(), n) for d, n in zip(DAYS, (2, 0, 1, 3, 0), strict=True)
    ]

    # Each new report, downloaded; the CSV's figures are the API's.
    trends_report = report(
        stack, {"type": "sales_trends", "from": DAYS[0].isoformat(), "to": DAYS[-1].isoformat()}
    )
    rows = list(csv.DictReader(io.StringIO(download(trends_report, "csv").decode(), newline="")))
    assert rows and "section" in rows[0]
    trend_rows = [r for r in rows if r["section"] == "Trend"]
    assert [r["period"] for r in trend_rows] == [d.isoformat() for d in DAYS]
    assert sum(Decimal(r["net_sales"]) for r in trend_rows) == Decimal("82.50"), trend_rows
    behaviour = report(stack, {"type": "customer_behaviour", "from": "2025-03-01", "to": "2025-03-31"})
    text = download(behaviour, "csv").decode()
    assert "2025-03" in text and c1 not in text and "Ana Lytics" not in text  # no personal data in a file
    performance = report(
        stack, {"type": "inventory_performance", "from": DAYS[0].isoformat(), "to": DAYS[-1].isoformat()}
    )
    assert sku_a in download(performance, "csv").decode()
    for built in (trends_report, behaviour):  # line charts with titled axes and a legend
        page = download(built, "html").decode()
        assert all(mark in page for mark in ("<svg", 'data-axis="x"', 'data-axis="y"', "data-legend="))
    # bars of days out of stock (none ran out: the chart says so) and of the largest suggested reorders
    assert "data-chart" in download(performance, "html").decode()
    for built in (trends_report, behaviour, performance):
        assert download(built, "xlsx")[:2] == b"PK"

    # The nightly export of those days, then one query on DuckDB over the copied files.
    event = tmp_path / "range.json"
    event.write_text(json.dumps({"from": DAYS[0].isoformat(), "to": DAYS[-1].isoformat()}))
    oms(stack, "-m", "infra.invoke", "analytics_export", str(event))
    printed = oms(
        stack,
        "-m",
        "infra.cli",
        "sql",
        "--cache",
        str(tmp_path / "cache"),
        "SELECT count(*) AS orders, sum(net_sales) AS net FROM orders "
        f"WHERE NOT cancelled AND day BETWEEN '{DAYS[0]}' AND '{DAYS[-1]}'",
    )
    row = next((line for line in printed.splitlines() if "82.50" in line), None)
    assert row is not None, printed
    assert [cell.strip() for cell in row.split("│") if cell.strip()] == ["4", "82.50"], printed

    # The console's Analytics page over those days, in Chromium at 1280 px.
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        found = watch(page)
        sign_in(page, stack.api, STAFF_KEY)
        page.goto(f"{stack.api}/console/analytics?from={DAYS[0]}&to={DAYS[-1]}&granularity=day")
        chart = page.locator("svg[data-chart^='trend-']").first
        chart.wait_for(timeout=30_000)
        assert chart.locator("[data-axis='x']").text_content() == "Day"
        assert chart.locator("[data-legend]").count() == 2  # this period and the one before
        assert chart.locator("circle").count() >= 5
        page.locator("svg[data-chart='cohorts'] rect[data-share]").first.wait_for(timeout=30_000)
        page.locator("svg[data-chart='net-sales-by-channel']").wait_for()
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 1280  # fits the window
        page.screenshot(path=str(ROOT / ".pytest_cache" / "analytics-1280.png"), full_page=True)
        assert found.violations == [] and found.errors == []
        # The reports' HTML files, as staff open them: every chart fits 1280 px.
        for built in (trends_report, behaviour, performance):
            report_page = browser.new_page(viewport={"width": 1280, "height": 900})
            report_page.set_content(download(built, "html").decode())
            charts = report_page.locator("svg[data-chart]")
            assert charts.count() + report_page.locator("[data-chart-empty]").count() >= 2
            for n in range(charts.count()):
                box = charts.nth(n).bounding_box()
                assert box is not None and 0 < box["width"] <= 1280
            shot = ROOT / ".pytest_cache" / f"analytics-report-{built['type']}-1280.png"
            report_page.screenshot(path=str(shot), full_page=True)

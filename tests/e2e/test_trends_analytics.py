"""Sales trends through the running local stack: orders placed over HTTP reach the sharded counters through
the orders stream; GET /analytics/trends reads them back (by SKU, by channel) with its statistics, its
query parameters are in the OpenAPI document, and a sales_trends report is built and downloaded."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tests.e2e.conftest import STAFF, VIEWER, WEB, Stack


def trends(stack: Stack, **query: Any) -> dict[str, Any]:
    reply = requests.get(f"{stack.api}/analytics/trends", params=query, headers=VIEWER, timeout=30)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_orders_show_in_the_trends_and_the_sales_trends_report(stack: Stack) -> None:
    api = stack.api
    sku = f"E2E-TR-{uuid.uuid4().hex[:8]}"
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Vase", "price": "15.00"}, headers=STAFF, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 20}, headers=STAFF, timeout=10).ok
    for quantity in (1, 2, 3):
        body = {
            "customer": {"email": "trends@example.com", "name": "Tre Nds"},
            "lines": [{"sku": sku, "quantity": quantity}],
        }
        placed = requests.post(f"{api}/orders", json=body, headers=WEB, timeout=10)
        assert placed.status_code == 201, placed.text
    # today in any business time zone lies within a day of today in UTC
    today = dt.datetime.now(dt.UTC).date()
    window = {
        "from": (today - dt.timedelta(days=1)).isoformat(),
        "to": (today + dt.timedelta(days=1)).isoformat(),
    }

    deadline = time.monotonic() + 60
    while True:
        answer = trends(stack, **window, granularity="day", by="sku", sku=sku)
        points = [p for s in answer["series"] for p in s["points"]]
        if sum(p["figures"]["orders"] for p in points) == 3:
            break
        assert time.monotonic() < deadline, f"the trends never showed the orders: {answer}"
        time.sleep(0.5)
    (series,) = answer["series"]
    assert series["name"] == sku
    assert sum(p["figures"]["units"] for p in points) == 6
    assert sum(Decimal(p["figures"]["net_sales"]) for p in points) == Decimal("90.00")
    assert all(p["figures"]["shipping"] is None for p in points)  # a SKU's series: the order's, not a SKU's
    assert answer["statistics"]["requests"] > 0 and answer["statistics"]["items_read"] >= 1
    assert answer["skus"] == [sku]

    weekly = trends(stack, **window, granularity="week", by="channel")
    web = [s for s in weekly["series"] if s["name"] == "web"]
    assert web and sum(p["figures"]["orders"] for s in web for p in s["points"]) >= 3

    refused = requests.get(
        f"{api}/analytics/trends", params={"granularity": "year"}, headers=VIEWER, timeout=10
    )
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"

    schema = requests.get(f"{api}/openapi.json", headers=VIEWER, timeout=10).json()
    parameters = {p["name"]: p for p in schema["paths"]["/analytics/trends"]["get"]["parameters"]}
    assert {"from", "to", "granularity", "by", "channel", "sku", "currency"} <= set(parameters)
    assert all(parameters[name].get("description") for name in ("from", "to", "granularity", "by", "sku"))

    business_today = dt.datetime.now(ZoneInfo(answer["timezone"])).date()  # a report ends by today
    period = {"from": (business_today - dt.timedelta(days=1)).isoformat(), "to": business_today.isoformat()}
    asked = requests.post(
        f"{api}/reports", json={"type": "sales_trends", **period}, headers=STAFF, timeout=10
    )
    assert asked.status_code == 202, asked.text
    deadline = time.monotonic() + 60
    while True:
        report = requests.get(f"{api}/reports/{asked.json()['report_id']}", headers=STAFF, timeout=10).json()
        if report["status"] != "PENDING":
            break
        assert time.monotonic() < deadline, report
        time.sleep(0.5)
    assert report["status"] == "READY", report
    assert [f["format"] for f in report["files"]] == ["csv", "xlsx", "html"]
    (csv_file,) = [f for f in report["files"] if f["format"] == "csv"]
    rows = list(
        csv.DictReader(
            io.StringIO(requests.get(csv_file["download_url"], timeout=10).content.decode("utf-8"))
        )
    )
    web_rows = [r for r in rows if r["section"] == "By channel" and r["channel"] == "web"]
    assert sum(int(r["orders"]) for r in web_rows) >= 3
    (html_file,) = [f for f in report["files"] if f["format"] == "html"]
    html = requests.get(html_file["download_url"], timeout=10).text
    assert "<svg" in html and "Net sales by channel" in html

"""Reports through the running local stack: orders placed over HTTP reach the daily counters through the
orders stream; a report asked for over HTTP is built from the reports stream into the embedded S3 and
downloaded through its presigned link, as staff would."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
from decimal import Decimal
from typing import Any

import requests

from tests.e2e.conftest import STAFF, WEB, Stack


def ready(stack: Stack, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    asked = requests.post(f"{stack.api}/reports", json=body, headers=STAFF, timeout=10)
    assert asked.status_code == 202, asked.text
    assert asked.headers["Location"].endswith(f"/reports/{asked.json()['report_id']}")
    deadline = time.monotonic() + timeout
    while True:
        report = requests.get(
            f"{stack.api}/reports/{asked.json()['report_id']}", headers=STAFF, timeout=10
        ).json()
        if report["status"] != "PENDING":
            return dict(report)
        assert time.monotonic() < deadline, f"still PENDING after {timeout}s: {report}"
        time.sleep(0.5)


def rows_of(report: dict[str, Any]) -> list[dict[str, str]]:
    (file,) = [f for f in report["files"] if f["format"] == "csv"]
    assert file["download_url"].startswith("http://127.0.0.1:")  # the embedded endpoint, not AWS
    body = requests.get(file["download_url"], timeout=10)  # no API key: the link is the credential
    assert body.status_code == 200, body.text
    assert "attachment" in body.headers.get("Content-Disposition", "")
    return list(csv.DictReader(io.StringIO(body.content.decode("utf-8"), newline="")))


def test_orders_become_a_downloadable_daily_sales_report_and_export(stack: Stack) -> None:
    sku = f"E2E-REP-{uuid.uuid4().hex[:8]}"
    api = stack.api
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Lamp", "price": "12.25"}, headers=STAFF, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 10}, headers=STAFF, timeout=10).ok
    order_ids = []
    for quantity in (1, 3):
        body = {
            "customer": {"email": "reports@example.com", "name": "Rep Orts"},
            "lines": [{"sku": sku, "quantity": quantity}],
        }
        placed = requests.post(f"{api}/orders", json=body, headers=WEB, timeout=10)
        assert placed.status_code == 201, placed.text
        order_ids.append(placed.json()["order_id"])
    cancelled = requests.post(
        f"{api}/orders/{order_ids[0]}/cancel", json={"reason": "test"}, headers=WEB, timeout=10
    )
    assert cancelled.status_code == 200, cancelled.text
    today = dt.datetime.now(dt.UTC).date().isoformat()  # the local stack's business time zone is UTC

    # the counters follow the stream: ask until they hold both orders (the stream is a moment behind)
    deadline = time.monotonic() + 30
    while True:
        report = ready(stack, {"type": "daily_sales", "date": today})
        assert report["status"] == "READY", report
        line = next((r for r in rows_of(report) if r["section"] == "sku" and r["key"] == sku), None)
        if line and line["cancelled_orders"] == "1":
            break
        assert time.monotonic() < deadline, f"the counters never caught up: {line}"
        time.sleep(1)
    # two placed (1 + 3 units), the first cancelled the same day: taken back on it
    assert (line["currency"], line["orders"], line["units"], line["gross_sales"]) == (
        "USD",
        "1",
        "3",
        "36.75",
    )
    assert (line["cancelled_orders"], line["discounts"], line["net_sales"]) == ("1", "0.00", "36.75")
    assert [f["format"] for f in report["files"]] == ["csv", "xlsx", "html"]
    html = requests.get(report["files"][2]["download_url"], timeout=10).text
    assert html.count("<svg") >= 3

    export = ready(stack, {"type": "orders_export", "from": today, "to": today})
    mine = [r for r in rows_of(export) if r["order_id"] in order_ids]
    assert sorted((r["status"], r["quantity"], r["line_total"]) for r in mine) == [
        ("CANCELLED", "1", "12.25"),
        ("CONFIRMED", "3", "36.75"),
    ]
    assert all(Decimal(r["unit_price"]) == Decimal("12.25") and r["sku"] == sku for r in mine)
    assert "reports@example.com" not in str(mine)

    listed = requests.get(
        f"{api}/reports", params={"type": "orders_export", "from": today}, headers=STAFF, timeout=10
    )
    assert export["report_id"] in [r["report_id"] for r in listed.json()["items"]]
    assert requests.get(f"{api}/reports", headers=WEB, timeout=10).status_code == 403

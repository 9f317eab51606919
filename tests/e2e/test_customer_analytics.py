"""Customer behaviour through the running local stack (issue 18): orders placed over HTTP reach the customer
aggregates through the orders stream (sales_aggregates); GET /analytics/customers moves by what they add,
the top list names the customer live (and not once they are erased), and the customer_behaviour report is
built and downloaded without a name in it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
from decimal import Decimal
from typing import Any

import requests

from tests.e2e.conftest import ADMIN, STAFF, VIEWER, WEB, Stack

FIELDS = ("customers", "new_customers", "orders", "repeat_customers", "second_orders")


def month_now(stack: Stack, month: str) -> dict[str, Any]:
    answer = requests.get(
        f"{stack.api}/analytics/customers", params={"from": month, "to": month}, headers=VIEWER, timeout=10
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["statistics"]["requests"] == 1 and body["statistics"]["items_read"] <= 8
    (figures,) = body["months"]
    return dict(figures)


def place(stack: Stack, sku: str, email: str, name: str, quantity: int) -> dict[str, Any]:
    body = {"customer": {"email": email, "name": name}, "lines": [{"sku": sku, "quantity": quantity}]}
    placed = requests.post(f"{stack.api}/orders", json=body, headers=WEB, timeout=10)
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def eventually(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "the customer aggregates never caught up"
        time.sleep(0.5)


def test_orders_move_the_customer_figures_and_the_top_list_names_live(stack: Stack) -> None:
    api, run = stack.api, uuid.uuid4().hex[:8]
    sku = f"E2E-CUS-{run}"
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Vase", "price": "25.00"}, headers=STAFF, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 20}, headers=STAFF, timeout=10).ok
    month = dt.datetime.now(dt.UTC).date().isoformat()[:7]  # the local stack's business time zone is UTC
    before = month_now(stack, month)

    ada = f"ada-{run}@example.com"
    first = place(stack, sku, ada, "Ada Analytics", 1)
    place(stack, sku, ada, "Ada Analytics", 2)
    other = place(stack, sku, f"bob-{run}@example.com", "Bob Analytics", 1)
    cancelled = requests.post(
        f"{api}/orders/{other['order_id']}/cancel", json={"reason": "test"}, headers=WEB, timeout=10
    )
    assert cancelled.status_code == 200, cancelled.text

    # Ada: new, two orders, a repeat customer with her second order the same day; Bob's only order cancelled
    want = {"customers": 1, "new_customers": 1, "orders": 2, "repeat_customers": 1, "second_orders": 1}

    def moved() -> dict[str, Any] | None:
        now = month_now(stack, month)
        delta = {name: now[name] - before[name] for name in FIELDS}
        return now if delta == want else None

    now = eventually(moved)
    web_orders = {c["channel"]: c["orders"] for c in now["channels"]}.get("web", 0)
    assert web_orders >= 2

    customer_id = first["customer_id"]
    assert customer_id

    def listed() -> dict[str, Any] | None:
        top = requests.get(
            f"{api}/analytics/customers/top",
            params={"currency": first["currency"], "top": 100},
            headers=STAFF,
            timeout=10,
        )
        assert top.status_code == 200, top.text
        return next((i for i in top.json()["items"] if i["customer_id"] == customer_id), None)

    ada_row = eventually(listed)
    assert (ada_row["name"], ada_row["erased"], ada_row["orders"]) == ("Ada Analytics", False, 2)
    assert Decimal(ada_row["lifetime_value"]) == Decimal("75.00")
    assert requests.get(f"{api}/analytics/customers/top", headers=VIEWER, timeout=10).status_code == 403

    # erased: the figures stay, the name goes
    erased = requests.delete(f"{api}/customers/{customer_id}", headers=ADMIN, timeout=10)
    assert erased.status_code == 200, erased.text
    ada_row = eventually(listed)
    assert (ada_row["name"], ada_row["erased"], ada_row["lifetime_value"]) == (None, True, "75.00")

    # the monthly report: built from the aggregates, no name in it
    today = dt.datetime.now(dt.UTC).date()
    asked = requests.post(
        f"{api}/reports",
        json={
            "type": "customer_behaviour",
            "from": today.replace(day=1).isoformat(),
            "to": today.isoformat(),
        },
        headers=STAFF,
        timeout=10,
    )
    assert asked.status_code == 202, asked.text

    def built() -> dict[str, Any] | None:
        report = requests.get(f"{api}/reports/{asked.json()['report_id']}", headers=STAFF, timeout=10).json()
        return None if report["status"] == "PENDING" else dict(report)

    report = eventually(built, timeout=60)
    assert report["status"] == "READY", report
    (file,) = [f for f in report["files"] if f["format"] == "csv"]
    text = requests.get(file["download_url"], timeout=10).content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    month_row = next(r for r in rows if r["section"] == "months" and r["month"] == month)
    assert int(month_row["customers"]) == now["customers"]
    assert "Ada Analytics" not in text and "Bob Analytics" not in text and "example.com" not in text

"""The nightly analytics export on the running local stack: orders placed over HTTP, the export function
invoked with a range event (``python -m infra.invoke``, what ``make invoke`` runs), then ``oms sql`` as a
subprocess against the local stack's AWS endpoint: DuckDB over the files it copied from the bucket."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, STAFF, WEB, Stack

pytestmark = pytest.mark.e2e


def run(stack: Stack, *argv: str) -> str:
    env = {**os.environ, "OMS_AWS_ENDPOINT": stack.aws, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_orders_exported_then_queried_with_oms_sql(stack: Stack, tmp_path: Path) -> None:
    sku = f"E2E-AX-{uuid.uuid4().hex[:8]}"
    api = stack.api
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Vase", "price": "12.25"}, headers=STAFF, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 10}, headers=STAFF, timeout=10).ok
    order_ids = []
    for quantity in (1, 3):
        body = {
            "customer": {"email": "analytics@example.com", "name": "Ana Lytics"},
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
    event = tmp_path / "range.json"
    event.write_text(json.dumps({"from": today, "to": today}))
    printed = run(stack, "-m", "infra.invoke", "analytics_export", str(event))
    answer = json.loads(printed[printed.rindex("\n{\n") :])  # after the function's log lines: its answer
    assert answer["days"] == [today] and answer["orders"] >= 2, answer

    cache = str(tmp_path / "cache")
    ids = ", ".join(f"'{order_id}'" for order_id in order_ids)
    printed = run(
        stack,
        "-m",
        "infra.cli",
        "sql",
        "--cache",
        cache,
        "SELECT count(*) AS n, sum(CASE WHEN cancelled THEN 1 ELSE 0 END) AS c, "
        f"sum(CASE WHEN NOT cancelled THEN net_sales END) AS net FROM orders WHERE order_id IN ({ids})",
    )
    row = next((line for line in printed.splitlines() if "36.75" in line), None)  # 3 x 12.25
    assert row is not None, printed
    assert [cell.strip() for cell in row.split("│") if cell.strip()] == ["2", "1", "36.75"], printed
    printed = run(
        stack,
        "-m",
        "infra.cli",
        "sql",
        "--cache",
        cache,
        "--offline",
        "--query",
        "revenue-by-month-and-channel",
    )
    assert today[:7] in printed and "web" in printed, printed
    # no personal data went to the bucket
    printed = run(
        stack,
        "-m",
        "infra.cli",
        "sql",
        "--cache",
        cache,
        "--offline",
        f"SELECT * FROM orders WHERE order_id IN ({ids})",
    )
    assert "analytics@example.com" not in printed and "Lytics" not in printed

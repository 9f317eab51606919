"""Moving a shop in and out through the running local stack (issue 15).

* A Shopify shop (products, inventory at two locations, customers, an order export of 5,000 orders:
  fulfilled, cancelled, partial, refunded and open, over past days, in three currencies) goes in with
  ``oms import`` as a subprocess; the runs are read back over ``GET /imports`` and a sample of orders
  over the API (status, placed_at, totals to the cent).
* One file goes through ``POST /imports``: a real HTTP PUT of the file to the presigned URL, then the
  run is FINISHED.
* ``oms export`` writes the whole shop, a second, empty local stack imports it with
  ``oms import DIR --format oms``, and the two shops read over the API are equal field by field, apart
  from import provenance (tests/support/shop_state.py, itself tested on doctored copies).

``oms`` runs as ``python -m infra.cli`` from this checkout: the same ``main`` as the ``.venv/bin/oms``
console script, and this checkout's code whatever checkout the venv was installed from.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, STAFF, WEB, Stack, start_stack
from tests.support.shop_state import differences, shop_state
from tests.support.shopify_files import (
    FIXTURES,
    ShopifyOrder,
    Variant,
    inventory_csv,
    make_orders,
    orders_csv,
    products_csv,
    variants,
)
from tests.support.waiting import wait_until

ORDER_COUNT = 5_000
CUSTOMER_GAPS: tuple[str, ...] = ()
SKU_COUNT = 60
LOCATIONS = ("Main Warehouse", "Store 2")
STATUS_OF_MIX = {
    "fulfilled": {"SHIPPED", "DELIVERED"},
    "cancelled": {"CANCELLED"},
    "partial": {"PARTIALLY_SHIPPED"},
    "refunded": {"SHIPPED", "DELIVERED", "RETURNED"},
    "open": {"CONFIRMED", "BACKORDERED"},
}


# 5,000 orders go in through the local stack's one-request-at-a-time moto while its stream pollers drain
# them: on two shared cores that has taken from under 10 to over 15 minutes (a fresh CI run went past
# 900 s). The limit only stops a hung command; what the import does is what the tests assert.
OMS_TIMEOUT_S = 2400


def oms(stack: Stack, *args: str, timeout: float = OMS_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMS_AWS_ENDPOINT": stack.aws}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def getter(stack: Stack) -> Any:
    def get(path: str, query: Mapping[str, str]) -> Any:
        # A read is retried once on a 502 (the local function's 10 s timeout): right after 5,000 imported
        # orders the stack's stream pollers still keep its one-request-at-a-time moto busy, and on two
        # cores a GSI page can wait its turn past the timeout. A read that fails twice fails the test.
        for attempt in (1, 2):
            reply = requests.get(f"{stack.api}{path}", params=dict(query), headers=STAFF, timeout=30)
            if reply.status_code != 502 or attempt == 2:
                break
            time.sleep(5)
        assert reply.status_code == 200, (path, reply.text)
        return reply.json()

    return get


def run_id(output: str) -> str:
    """The run's id, from the line ``run {id}: ...`` the command prints first."""
    for line in output.splitlines():
        if line.startswith("run ") and ":" in line:
            return line.split()[1].rstrip(":")
    raise AssertionError(f"no run line in {output!r}")


@dataclass
class Shop:
    folder: Path
    items: list[Variant]
    orders: list[ShopifyOrder]
    runs: dict[str, str]  # file name -> import id


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """This module's own stack, not the session's: its stream pollers take minutes to drain 5,000
    imported orders, and the one-request-at-a-time moto behind them would slow every later e2e test
    past the functions' 3 s read timeout (a retried PUT then answers "updated")."""
    yield from start_stack()


_SHOP_FAILED: list[str] = []  # why the shop could not be imported: each later test fails at once


@pytest.fixture(scope="module")
def shop(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    # pytest sets up a failed module fixture again for every test that asks for it: three 5,000-order
    # imports in a row. One failure is reported once, and the other tests fail with its reason.
    if _SHOP_FAILED:
        pytest.fail(f"the shop's import failed in an earlier test: {_SHOP_FAILED[0]}")
    try:
        return _import_shop(stack, tmp_path_factory)
    except Exception as exc:
        _SHOP_FAILED.append(f"{type(exc).__name__}: {str(exc)[:500]}")
        raise


def _import_shop(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    folder = tmp_path_factory.mktemp("shopify")
    items = variants(SKU_COUNT, on_hand=500)
    orders = make_orders(ORDER_COUNT, items, now=dt.datetime.now(dt.UTC))
    products_csv(folder / "products.csv", items)
    inventory_csv(folder / "inventory.csv", items, LOCATIONS)
    shutil.copy(FIXTURES / "customers.csv", folder / "customers.csv")
    orders_csv(folder / "orders.csv", orders)
    runs = {}
    for name, fmt in (
        ("products.csv", "shopify-products"),
        ("inventory.csv", "shopify-inventory"),
        ("customers.csv", "shopify-customers"),
        ("orders.csv", "shopify-orders"),
    ):
        done = oms(stack, "import", str(folder / name), "--format", fmt)
        assert done.returncode == 0, (name, done.stdout[-3000:], done.stderr[-3000:])
        assert "Traceback" not in done.stderr
        runs[name] = run_id(done.stdout)
    return Shop(folder, items, orders, runs)


def test_a_shopify_shop_goes_in_with_oms_import(stack: Stack, shop: Shop) -> None:
    get = getter(stack)
    listed: dict[str, Any] = {}
    token = None
    while True:
        page = get("/imports", {"limit": "100", **({"next_token": token} if token else {})})
        listed |= {run["import_id"]: run for run in page["items"]}
        token = page.get("next_token")
        if not token:
            break
    runs = {name: listed[import_id] for name, import_id in shop.runs.items()}
    assert all(run["status"] == "FINISHED" for run in runs.values()), runs
    orders_run = runs["orders.csv"]
    assert orders_run["counts"]["orders"]["read"] == ORDER_COUNT
    assert orders_run["counts"]["orders"]["created"] == ORDER_COUNT
    assert orders_run["counts"]["orders"]["rejected"] == 0
    assert orders_run["error_report"] is None
    expected: dict[str, Decimal] = {}
    for order in shop.orders:
        expected[order.currency] = expected.get(order.currency, Decimal(0)) + order.total
    assert {t["currency"]: Decimal(t["in_file"]) for t in orders_run["totals"]} == expected
    assert {t["currency"]: Decimal(t["written"]) for t in orders_run["totals"]} == expected
    assert runs["products.csv"]["counts"]["products"]["created"] == SKU_COUNT

    for order in shop.orders[:: ORDER_COUNT // 50]:
        found = get("/orders", {"channel": "shopify", "external_id": order.name})["items"]
        assert len(found) == 1, order.name
        got = found[0]
        assert got["status"] in STATUS_OF_MIX[order.mix], (order.name, order.mix, got["status"])
        assert got["placed_at"] == order.placed_at
        assert got["currency"] == order.currency
        assert Decimal(got["total"]) == order.total
        assert Decimal(got["subtotal"]) == order.subtotal
        assert Decimal(got["discount_total"]) == order.discount
        assert Decimal(got["shipping_total"]) == order.shipping
        assert Decimal(got["tax_total"]) == order.taxes
        assert got["source"] == "import" and got["import_id"] == orders_run["import_id"]
        if order.mix == "refunded":
            assert sum(Decimal(r["amount"]) for r in got["refunds"]) == order.total
        if order.mix in ("fulfilled", "refunded", "partial"):
            assert got["shipments"], order.name

    stock = get(f"/inventory/{shop.items[0].sku}", {})
    assert len(stock["locations"]) >= len(LOCATIONS)


def test_a_file_uploaded_through_post_imports_is_imported(stack: Stack, shop: Shop) -> None:
    body = (shop.folder / "customers.csv").read_bytes()
    asked = requests.post(
        f"{stack.api}/imports",
        json={"file_name": "customers-upload.csv", "options": {"format": "shopify-customers"}},
        headers=STAFF,
        timeout=10,
    )
    assert asked.status_code in (201, 202), asked.text
    upload = asked.json()
    import_id = upload["run"]["import_id"]
    put = requests.put(
        upload["upload_url"], data=body, headers=upload.get("upload_headers") or {}, timeout=30
    )
    assert put.status_code in (200, 204), put.text

    def finished() -> bool:
        run = requests.get(f"{stack.api}/imports/{import_id}", headers=STAFF, timeout=10).json()
        return bool(run.get("status") in ("FINISHED", "REJECTED", "FAILED"))

    assert wait_until(finished, timeout=60, interval=0.5)
    run = requests.get(f"{stack.api}/imports/{import_id}", headers=STAFF, timeout=10).json()
    assert run["status"] == "FINISHED", run
    assert run["source"] == "upload"
    assert run["counts"]["customers"]["read"] > 0 and run["counts"]["customers"]["rejected"] == 0
    # the customers were imported by the CLI already: the same rows again change nothing
    assert run["counts"]["customers"]["created"] == 0


def live_history(stack: Stack, sku: str) -> None:
    """An order placed live, shipped, delivered and partly returned: history the export must carry."""
    body = {
        "customer": {"email": "live.buyer@example.com", "name": "Live Buyer"},
        "lines": [{"sku": sku, "quantity": 2}],
    }
    placed = requests.post(f"{stack.api}/orders", json=body, headers=WEB, timeout=10)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    for path, payload in (
        (f"/orders/{order_id}/shipments", {"carrier": "ups", "tracking_number": "1ZE2E0001"}),
        (f"/orders/{order_id}/delivery", {}),
        (
            f"/orders/{order_id}/returns",
            {"lines": [{"sku": sku, "quantity": 1}], "reason": "too small", "restock": True},
        ),
    ):
        reply = requests.post(f"{stack.api}{path}", json=payload, headers=STAFF, timeout=10)
        assert reply.status_code in (200, 201), (path, reply.text)


@pytest.fixture(scope="module")
def second_stack() -> Iterator[Stack]:
    yield from start_stack()


def test_an_export_imports_into_an_empty_stack_with_nothing_lost(
    stack: Stack, shop: Shop, second_stack: Stack, tmp_path: Path
) -> None:
    live_history(stack, shop.items[0].sku)
    exported = oms(stack, "export", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == [
        "customers.jsonl",
        "manifest.json",
        "orders.jsonl",
        "products.csv",
        "stock.csv",
    ]

    started = time.monotonic()
    imported = oms(second_stack, "import", str(tmp_path / "export"), "--format", "oms")
    assert imported.returncode == 0, (imported.stdout[-3000:], imported.stderr[-3000:])

    with (shop.folder / "customers.csv").open(encoding="utf-8-sig", newline="") as stream:
        emails = [row["Email"] for row in csv.DictReader(stream) if row["Email"]]
    first = shop_state(getter(stack), emails)
    second = shop_state(getter(second_stack), emails)
    assert len(first["orders"]) >= ORDER_COUNT + 1
    assert len(first["products"]) >= SKU_COUNT and first["customers"] and first["stock"]
    assert {k: len(v) for k, v in first.items()} == {k: len(v) for k, v in second.items()}
    # KNOWN GAP (the customers writer / the oms-orders restore, not the command): a customer restored from
    # an export gets no first_channel and the import's time as last_order_at (the oms-customers record
    # has neither, and restoring the orders does not set them). Everything else must be equal.
    found = differences(first, second, limit=100_000)
    gaps = [
        d for d in found if d.startswith("customers/") and d.split(":")[0].rsplit("/", 1)[1] in CUSTOMER_GAPS
    ]
    assert [d for d in found if d not in gaps] == []
    assert any(o["returns"] for o in first["orders"].values())
    assert any(o["refunds"] for o in first["orders"].values())
    assert any(o["shipments"] for o in first["orders"].values())
    print(f"the export imported in {time.monotonic() - started:.0f} s")

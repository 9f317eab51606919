"""``oms import`` against moto, end to end in one process: the Shopify fixtures go in with the right exit
codes and a reconciliation; a bad row under each error policy; a dry run; a run interrupted mid-file
resumes; and an export imported into an empty stack reads back, over the API, as the shop it came from
(tests/support/shop_state.py, the comparison the e2e test makes across two running stacks)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import cli, importing
from infra.spec import IMPORTS
from shared.dal.imports import ImportRunStore
from tests.support.http import ApiClient
from tests.support.local_aws import local_aws
from tests.support.shop_state import differences, shop_state
from tests.support.shopify_files import (
    FIXTURES,
    ShopifyOrder,
    inventory_csv,
    make_orders,
    orders_csv,
    products_csv,
    variants,
)

# products.csv and inventory.csv hold a product without a SKU (reported and skipped): they go in with
# skip-rows, exit code 1.
SKIP = ("--on-error", "skip-rows")
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
CUSTOMER_GAPS: tuple[str, ...] = ()
SHOP = (
    ("products.csv", "shopify-products"),
    ("inventory.csv", "shopify-inventory"),
    ("customers.csv", "shopify-customers"),
    ("orders.csv", "shopify-orders"),
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with local_aws() as dynamodb:
        monkeypatch.setattr(cli, "_client", lambda args, service: boto3.client(service))
        yield dynamodb


def oms(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def copy_fixtures(folder: Path) -> Path:
    for name, _ in SHOP:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


def staff_get(path: str, query: dict[str, str]) -> Any:
    reply = ApiClient("dev-staff-key").get(path, query=query)
    assert reply.status == 200, (path, reply.body)
    return reply.json()


def table_lines(out: str, kind: str) -> list[int]:
    """A kind's row of the reconciliation: read, created, updated, unchanged, rejected."""
    for line in out.splitlines():
        cells = line.replace("│", " ").split()
        if cells[:1] == [kind]:
            return [int(c) for c in cells[1:6]]
    raise AssertionError(f"no {kind} row in\n{out}")


def test_the_shopify_fixtures_import_with_a_reconciliation(
    aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_fixtures(tmp_path)
    outputs = {}
    for name, fmt in SHOP:
        code, out, err = oms(capsys, "import", str(folder / name), "--format", fmt, *SKIP)
        outputs[name] = out
        assert code == (0 if name == "customers.csv" else 1), (name, out, err)
    assert table_lines(outputs["products.csv"], "products")[4] == 1
    assert table_lines(outputs["inventory.csv"], "stock")[4] == 2
    # #1001 and #1003 hold a line without a SKU (a listing nothing maps): refused, the others written
    assert table_lines(outputs["orders.csv"], "orders") == [4, 2, 0, 0, 2]
    assert sorted(p.name for p in tmp_path.glob("*.errors.*")) == [
        "inventory.csv.errors.csv",
        "orders.csv.errors.csv",
        "products.csv.errors.csv",
    ]
    assert "Money per currency" in outputs["orders.csv"] and "USD" in outputs["orders.csv"]
    assert "check: " in outputs["orders.csv"] and "import: " in outputs["orders.csv"]  # not a terminal
    order = staff_get("/orders", {"channel": "shopify", "external_id": "#1002"})["items"][0]
    assert order["status"] == "CANCELLED" and order["placed_at"] == "2026-11-04T20:02:03.000000Z"

    code, out, _ = oms(capsys, "import", str(folder / "orders.csv"), "--format", "shopify-orders", *SKIP)
    assert code == 1
    assert table_lines(out, "orders") == [4, 0, 0, 2, 2]  # the same file again changes nothing


def shop_files(folder: Path, orders: int) -> tuple[Path, Path, list[ShopifyOrder]]:
    items = variants(12)
    products_csv(folder / "products.csv", items)
    made = make_orders(orders, items, now=NOW)
    orders_csv(folder / "orders.csv", made)
    return folder / "products.csv", folder / "orders.csv", made


def with_unknown_sku(path: Path, name: str) -> Path:
    """The order file with order ``name``'s first line naming a SKU the catalog does not have."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    next(row for row in rows if row["Name"] == name)["Lineitem sku"] = "NO-SUCH-SKU"
    bad = path.with_name("bad-orders.csv")
    with bad.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return bad


def found(order: ShopifyOrder) -> bool:
    return bool(staff_get("/orders", {"channel": "shopify", "external_id": order.name})["items"])


def test_each_error_policy_and_the_dry_run(
    aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    products, orders, made = shop_files(tmp_path, 20)
    assert oms(capsys, "import", str(products), "--format", "shopify-products")[0] == 0
    bad = with_unknown_sku(orders, made[3].name)

    code, out, _ = oms(capsys, "import", str(bad), "--format", "shopify-orders", "--dry-run")
    assert code == 1 and "dry run: nothing was written" in out
    report = tmp_path / "bad-orders.csv.errors.csv"
    refused = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"), newline="")))
    assert {r["Name"] for r in refused} == {made[3].name}
    assert all("unknown SKU" in r["_errors"] for r in refused)
    assert not any(found(o) for o in made)

    code, out, _ = oms(capsys, "import", str(bad), "--format", "shopify-orders")
    assert code == 1 and "reject-file: nothing was imported" in out
    assert not any(found(o) for o in made)

    code, out, _ = oms(capsys, "import", str(bad), "--format", "shopify-orders", *SKIP)
    assert code == 1
    assert table_lines(out, "orders") == [20, 19, 0, 0, 1]
    assert "rows refused, with why:" in out and report.is_file()
    assert [found(o) for o in made] == [n != 3 for n in range(20)]


class Crash(RuntimeError):
    pass


def test_an_interrupted_import_resumes_where_it_stopped(
    aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    products, _, orders = shop_files(tmp_path, 250)
    assert oms(capsys, "import", str(products), "--format", "shopify-products")[0] == 0
    built = importing.import_service

    def crashing(where: importing.Where) -> Any:
        service = built(where)
        writer = service._writers["orders"]
        calls = {"n": 0}

        class Once:
            def write(self, entries: Sequence[Any], provenance: Any) -> Any:
                calls["n"] += 1
                if calls["n"] == 2:
                    raise Crash("the machine went away")
                return writer.write(entries, provenance)

        service._writers["orders"] = Once()
        return service

    monkeypatch.setattr(importing, "import_service", crashing)
    with pytest.raises(Crash):
        cli.main(["import", str(tmp_path / "orders.csv"), "--format", "shopify-orders"])
    capsys.readouterr()
    monkeypatch.setattr(importing, "import_service", built)

    code, out, err = oms(capsys, "import", str(tmp_path / "orders.csv"), "--format", "shopify-orders")

    assert code == 0, (out, err)
    assert "resuming run " in out and " at line " in out
    read, created, _, unchanged, rejected = table_lines(out, "orders")
    assert (read, created + unchanged, rejected) == (250, 250, 0)
    assert created >= 150  # the first batch was written before the crash: not again
    assert all(found(order) for order in orders[::25])


def test_an_export_imports_into_an_empty_stack_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_fixtures(tmp_path)
    items = variants(6)
    products_csv(folder / "more-products.csv", items)
    inventory_csv(folder / "more-stock.csv", items, ["Main Warehouse", "Store 2"])
    orders_csv(folder / "more-orders.csv", make_orders(30, items, now=NOW))
    monkeypatch.setattr(cli, "_client", lambda args, service: boto3.client(service))
    with local_aws():
        for name, fmt in (
            *SHOP,
            ("more-products.csv", "shopify-products"),
            ("more-stock.csv", "shopify-inventory"),
            ("more-orders.csv", "shopify-orders"),
        ):
            assert oms(capsys, "import", str(folder / name), "--format", fmt, *SKIP)[0] in (0, 1), name
        web, staff = ApiClient("dev-web-key"), ApiClient("dev-staff-key")
        placed = web.post(
            "/orders",
            {
                "customer": {"email": "live@example.com", "name": "Live"},
                "lines": [{"sku": items[0].sku, "quantity": 2}],
            },
        )
        assert placed.status == 201, placed.body
        order_id = placed.json()["order_id"]
        assert (
            staff.post(f"/orders/{order_id}/shipments", {"carrier": "ups", "tracking_number": "1Z1"}).status
            == 201
        )
        assert staff.post(f"/orders/{order_id}/delivery").status == 200
        returned = staff.post(
            f"/orders/{order_id}/returns",
            {"lines": [{"sku": items[0].sku, "quantity": 1}], "reason": "x", "restock": True},
        )
        assert returned.status in (200, 201), returned.body
        emails = ["maren.okafor@example.com", "live@example.com"]
        first = shop_state(staff_get, emails)
        code, out, err = oms(capsys, "export", str(tmp_path / "export"))
        assert code == 0, err
    with local_aws():
        code, out, err = oms(capsys, "import", str(tmp_path / "export"), "--format", "oms")
        assert code == 0, (out, err)
        second = shop_state(staff_get, emails)
    assert len(first["orders"]) == 2 + 30 + 1 and len(first["products"]) >= 9
    assert {o["status"] for o in first["orders"].values()} >= {"CANCELLED", "PARTIALLY_SHIPPED", "RETURNED"}
    # KNOWN GAP (the customers writer / the oms-orders restore, not this command): a customer restored
    # from an export gets no first_channel and the import's time as last_order_at (the oms-customers
    # record has neither, and restoring the orders does not set them). Everything else must be equal.
    found = differences(first, second, limit=10_000)
    gaps = [
        d for d in found if d.startswith("customers/") and d.split(":")[0].rsplit("/", 1)[1] in CUSTOMER_GAPS
    ]
    assert [d for d in found if d not in gaps] == []


def test_a_file_truncated_mid_row_fails_its_run_and_writes_nothing(
    aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    products, orders, made = shop_files(tmp_path, 30)
    assert oms(capsys, "import", str(products), "--format", "shopify-products")[0] == 0
    body = orders.read_bytes()
    cut = body.index(b",", len(body) // 2) + 1  # a cell's start
    truncated = tmp_path / "truncated.csv"
    truncated.write_bytes(body[:cut] + b'"unfinished')  # ends inside a quoted cell

    code, out, err = oms(capsys, "import", str(truncated), "--format", "shopify-orders")

    assert code == 2, (out, err)
    assert err.startswith("oms import: truncated.csv: ") and "Traceback" not in err
    assert not any(found(o) for o in made)
    runs, _ = ImportRunStore(aws, IMPORTS.local_name).page(None, 10)
    (run,) = [r for r in runs if r.file_name == "truncated.csv"]
    assert run.status == "FAILED" and run.problem and run.rows_done == 0
    assert not (tmp_path / "truncated.csv.errors.csv").exists()

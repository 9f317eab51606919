"""``oms export`` against moto (shared.services.exports over shared.dal.export_sources): every product,
its stock per location, every customer with an email and every order (or those placed in a range),
streamed through the writers into files with a manifest that counts and hashes them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from pydantic import BaseModel

from infra import cli
from infra.spec import CATALOG, CUSTOMERS, ORDERS
from shared.dal.dynamo import from_item
from shared.dal.export_sources import DynamoExportSources
from shared.dal.orders import order_item
from shared.models.imports import CustomerImport, ProductRecord, StockRecord
from shared.models.orders import Order, order_from_item
from shared.services.exports import ExportService, Range, Writers
from tests.support.http import ApiClient

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
SAM = {"email": "sam@example.com", "name": "Sam Example", "phone": "+1 312 555 0187"}
ADDRESS = {
    "name": "Sam Example",
    "line1": "2150 N Lincoln Ave",
    "city": "Chicago",
    "postal_code": "60614",
    "country": "US",
}


CUSTOMERS_PLACED = (
    SAM,
    {"email": "kim@example.com", "name": "Kim"},
    {"email": "lee@example.com", "name": "Lee"},
)


def _jsonl(stream: IO[bytes], records: Iterable[BaseModel]) -> int:
    """A writer that honours the contract (records streamed to a binary stream; the count back):
    one record's JSON per line."""
    count = 0
    for record in records:
        stream.write(record.model_dump_json().encode() + b"\n")
        count += 1
    return count


def _products(stream: IO[bytes], records: Iterable[ProductRecord]) -> int:
    return _jsonl(stream, records)


def _stock(stream: IO[bytes], records: Iterable[StockRecord]) -> int:
    return _jsonl(stream, records)


def _customers(stream: IO[bytes], records: Iterable[CustomerImport]) -> int:
    return _jsonl(stream, records)


def _orders(stream: IO[bytes], records: Iterable[Order]) -> int:
    return _jsonl(stream, records)


FAKE_WRITERS = Writers(_products, _stock, _customers, _orders)


def service(aws: Any) -> ExportService:
    sources = DynamoExportSources(aws, ORDERS.local_name, CATALOG.local_name, CUSTOMERS.local_name)
    return ExportService(sources, FAKE_WRITERS, lambda: NOW)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def shop(staff: ApiClient, web: ApiClient) -> list[dict[str, Any]]:
    assert staff.put("/products/MUG", {"name": '=HYPERLINK("x")', "price": "8.50"}).status == 201
    assert (
        staff.put("/products/PEN", {"name": "Pen", "price": "1.00", "low_stock_threshold": 2}).status == 201
    )
    assert staff.put("/products/NEW", {"name": "Never stocked", "price": "3.00"}).status == 201
    assert staff.put("/inventory/MUG", {"on_hand": 10}).status == 200
    assert staff.put("/inventory/MUG", {"on_hand": 4, "location": "store-2"}).status == 200
    assert staff.put("/inventory/PEN", {"on_hand": 7, "location": "store-2"}).status == 200
    placed = []
    for customer in CUSTOMERS_PLACED:
        reply = web.post(
            "/orders",
            {"customer": customer, "shipping_address": ADDRESS, "lines": [{"sku": "MUG", "quantity": 1}]},
        )
        assert reply.status == 201, reply.body
        placed.append(reply.json())
    return placed


def test_export_writes_every_kind_and_a_manifest(
    aws: Any, admin: ApiClient, staff: ApiClient, web: ApiClient, tmp_path: Path
) -> None:
    placed = shop(staff, web)
    lee = placed[2]["customer_id"]
    assert admin.delete(f"/customers/{lee}").status == 200  # erased: nothing personal comes back

    done = service(aws).export(tmp_path / "out")

    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "customers.jsonl",
        "manifest.json",
        "orders.jsonl",
        "products.csv",
        "stock.csv",
    ]
    products = {p["sku"]: p for p in lines(out / "products.csv")}
    assert products["MUG"]["name"] == '=HYPERLINK("x")' and products["MUG"]["price"] == "8.50"
    assert products["PEN"]["low_stock_threshold"] == 2 and products["PEN"]["status"] == "active"
    assert set(products) == {"MUG", "PEN", "NEW"}
    stock = sorted((s["sku"], s["location"], s["on_hand"]) for s in lines(out / "stock.csv"))
    assert stock == [("MUG", "default", 10), ("MUG", "store-2", 4), ("PEN", "store-2", 7)]
    customers = {c["email"]: c for c in lines(out / "customers.jsonl")}
    assert set(customers) == {"sam@example.com", "kim@example.com"}
    assert customers["sam@example.com"]["phone"] == SAM["phone"]
    assert customers["sam@example.com"]["customer_id"] == placed[0]["customer_id"]
    assert (
        customers["sam@example.com"]["addresses"] == []
        or customers["sam@example.com"]["addresses"][0]["city"] == "Chicago"
    )
    assert "lee@example.com" not in (out / "customers.jsonl").read_text()
    orders = {o["order_id"]: o for o in lines(out / "orders.jsonl")}
    assert set(orders) == {p["order_id"] for p in placed}
    assert orders[lee_order(placed)]["customer"] is None  # the erased customer's order, without them
    first = placed[0]["order_id"]
    item = aws.get_item(
        TableName=ORDERS.local_name, Key={"pk": {"S": f"ORDER#{first}"}, "sk": {"S": "ORDER"}}
    )
    assert Order.model_validate(orders[first]) == order_from_item(from_item(item["Item"]) or {})  # whole

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["exported_at"] == "2026-12-01T09:30:00.000000Z" and manifest["range"] is None
    assert {k: v["count"] for k, v in manifest["files"].items()} == {
        "products": 3,
        "stock": 3,
        "customers": 2,
        "orders": 3,
    }
    for entry in manifest["files"].values():
        body = (out / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(body).hexdigest() and entry["bytes"] == len(body)
    assert manifest["files"]["orders"]["format"] == "oms-orders"
    assert manifest["skipped"] == {"erased_customers": 1}
    assert done.manifest() == manifest


def lee_order(placed: list[dict[str, Any]]) -> str:
    return str(placed[2]["order_id"])


def test_export_of_a_range_holds_the_orders_placed_in_it(aws: Any, staff: ApiClient, tmp_path: Path) -> None:
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    berlin = ZoneInfo("Europe/Berlin")
    stored = []
    for n, at in enumerate(
        (
            "2026-11-19T22:59:59.000000Z",
            "2026-11-19T23:00:00.000000Z",
            "2026-11-21T22:59:00.000000Z",
            "2026-11-21T23:00:00.000000Z",
        )
    ):
        order = Order.model_validate(
            {
                "order_id": f"o{n}",
                "status": "CONFIRMED",
                "channel": "web",
                "currency": "EUR",
                "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "8.50", "line_total": "8.50"}],
                "total": "8.50",
                "placed_at": at,
                "created_at": "2026-12-01T00:00:00.000000Z",
                "updated_at": "2026-12-01T00:00:00.000000Z",
            }
        )
        aws.put_item(TableName=ORDERS.local_name, Item=order_item(order))
        stored.append(order)

    done = service(aws).export(
        tmp_path, what=["orders"], period=Range(dt.date(2026, 11, 20), dt.date(2026, 11, 21), berlin)
    )

    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "orders.jsonl"]
    assert [o["order_id"] for o in lines(tmp_path / "orders.jsonl")] == ["o1", "o2"]  # Berlin's 20th and 21st
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["range"]["from"] == "2026-11-20" and manifest["range"]["timezone"] == "Europe/Berlin"
    assert done.files[0].count == 2


def test_oms_export_writes_the_oms_formats(
    aws: Any,
    staff: ApiClient,
    web: ApiClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    placed = shop(staff, web)
    monkeypatch.setattr(cli, "_client", lambda args, service: boto3.client(service))

    assert cli.main(["export", str(tmp_path / "out")]) == 0

    out = tmp_path / "out"
    printed = capsys.readouterr().out
    assert "orders            3" in printed and "manifest:" in printed
    products = (out / "products.csv").read_bytes()
    assert products.startswith(b"\xef\xbb\xbfsku,name,price,status,low_stock_threshold\r\n")
    assert b'MUG,"\'=HYPERLINK(""x"")",8.50,active,\r\n' in products  # escaped, inert
    assert b"PEN,store-2,7\r\n" in (out / "stock.csv").read_bytes()
    orders = lines(out / "orders.jsonl")
    assert sorted(o["order_id"] for o in orders) == sorted(p["order_id"] for p in placed)
    assert {c["email"] for c in lines(out / "customers.jsonl")} == {c["email"] for c in CUSTOMERS_PLACED}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["customers"]["count"] == 3


def test_oms_export_refuses_half_a_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", str(tmp_path), "--from", "2026-11-01"]) == 2
    assert "both --from and --to" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export", str(tmp_path), "--what", "products,invoices"])

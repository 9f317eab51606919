"""The generated Shopify files (tests/support/shopify_files.py, for the bench and the e2e tests) read as
the fixtures do: every entry good, each order's total what the generator says, the rows grouped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from shared.models.channels import ChannelOrder
from shared.models.imports import ProductRecord, StockRecord
from shared.transfer.files import rows
from shared.transfer.formats import format_of
from shared.transfer.records import BadEntry, Entry, ReadOptions
from tests.support.shopify_files import MIXES, inventory_csv, make_orders, orders_csv, products_csv, variants

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
OPTIONS = ReadOptions(channel=None, location="default", currency="USD")


def entries(path: Path, name: str) -> list[Entry]:
    fmt = format_of(name)
    with path.open("rb") as stream:
        found = list(fmt.entries(rows(stream, fmt.container), OPTIONS))  # type: ignore[arg-type]
    bad = [e for e in found if isinstance(e, BadEntry)]
    assert not bad, bad[:3]
    return [e for e in found if isinstance(e, Entry)]


def test_generated_orders_read_as_shopify_orders(tmp_path: Path) -> None:
    items = variants(30)
    orders = make_orders(50, items, now=NOW)
    path = tmp_path / "orders.csv"
    written = orders_csv(path, orders)

    read = entries(path, "shopify-orders")

    assert written == sum(len(o.lines) for o in orders)
    assert len(read) == 50
    assert {o.mix for o in orders} == set(MIXES)
    for entry, order in zip(read, orders, strict=True):
        assert isinstance(entry.record, ChannelOrder)
        assert entry.file_totals == ((order.currency, order.total),)
        assert sum(1 for _ in entry.rows) == len(order.lines)
        assert order.total == order.subtotal - order.discount + order.shipping + order.taxes
        assert order.created_at < NOW - dt.timedelta(hours=1)


def test_generated_products_and_inventory_read_as_shopify_files(tmp_path: Path) -> None:
    items = variants(9)
    products_csv(tmp_path / "products.csv", items)
    inventory_csv(tmp_path / "inventory.csv", items, ["Main Warehouse", "Store 2"])

    products = entries(tmp_path / "products.csv", "shopify-products")
    stock = entries(tmp_path / "inventory.csv", "shopify-inventory")

    names = {e.record.sku: e.record for e in products if isinstance(e.record, ProductRecord)}
    assert set(names) == {v.sku for v in items}
    assert names["SKU-00001"].price == Decimal("6.99")
    assert len([e for e in stock if isinstance(e.record, StockRecord)]) == 18

"""The Shopify CSV formats, on the fixture files (tests/fixtures/shopify/csv/, built from Shopify's
documented columns) and on small edge files built here from the same headers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from shared.models.channels import ChannelOrder
from shared.models.imports import CustomerImport, ProductRecord, StockRecord
from shared.transfer.files import BOM, FileProblem, header_of, rows
from shared.transfer.formats import check_header, format_of
from shared.transfer.records import BadEntry, Entry, Parsed, ReadOptions
from shared.transfer.shopify import (
    ShopifyCustomers,
    ShopifyInventory,
    ShopifyOrders,
    ShopifyProducts,
    location_name,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shopify" / "csv"
OPTIONS = ReadOptions(channel=None, location="wms-1", currency="USD")


def _parse(fmt: object, data: bytes, options: ReadOptions = OPTIONS) -> list[Parsed]:
    return list(fmt.entries(rows(io.BytesIO(data), "csv"), options))  # type: ignore[attr-defined]


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _good(parsed: list[Parsed]) -> dict[str, Entry]:
    return {p.key: p for p in parsed if isinstance(p, Entry)}


def _bad(parsed: list[Parsed]) -> list[BadEntry]:
    return [p for p in parsed if isinstance(p, BadEntry)]


def _header(name: str) -> bytes:
    return _fixture(name).split(b"\n", 1)[0] + b"\n"


def _row(name: str, **cells: str) -> bytes:
    """One row of the fixture's header with these cells filled (quoted as CSV)."""
    columns = _header(name).decode().rstrip("\n").split(",")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cells.get(c, "") for c in columns])
    return out.getvalue().encode()


# --- products ----------------------------------------------------------------------------------


def test_products_variants_grouped_by_handle() -> None:
    parsed = _parse(ShopifyProducts(), _fixture("products.csv"))
    good = _good(parsed)
    products = {k: e.record for k, e in good.items() if e.kind == "products"}
    assert products == {
        "TEE-S": ProductRecord(sku="TEE-S", name="Classic Organic Tee - S", price=Decimal("24.00")),
        "TEE-M": ProductRecord(sku="TEE-M", name="Classic Organic Tee - M", price=Decimal("24.00")),
        "TEE-L": ProductRecord(sku="TEE-L", name="Classic Organic Tee - L", price=Decimal("24.00")),
        "WAL-BRN": ProductRecord(sku="WAL-BRN", name="Café Leather Wallet - Brown", price=Decimal("35.00")),
        "BEANIE-1": ProductRecord(
            sku="BEANIE-1", name="Winter Beanie", price=Decimal("18.00"), status="draft"
        ),
    }
    stock = {k: e.record for k, e in good.items() if e.kind == "stock"}
    assert stock["TEE-M@wms-1"] == StockRecord(sku="TEE-M", location="wms-1", on_hand=21)
    assert sorted(stock) == ["BEANIE-1@wms-1", "TEE-L@wms-1", "TEE-M@wms-1", "TEE-S@wms-1", "WAL-BRN@wms-1"]
    # the tote has no Variant SKU: reported, naming the column
    [bad] = _bad(parsed)
    assert bad.errors == ("Variant SKU is missing",)
    assert bad.rows[0].line == 5
    assert good["TEE-M"].rows[0].line == 3


def test_products_carry_the_title_options_and_skip_image_rows() -> None:
    name = "products.csv"
    data = (
        _header(name)
        + _row(
            name,
            Handle="tee",
            Title="Tee",
            **{"Option1 Value": "Red", "Option2 Value": "M", "Variant SKU": "T-RM", "Variant Price": "10.00"},
        )
        + _row(name, Handle="tee", **{"Option1 Value": "Red", "Option2 Value": "L", "Variant SKU": "T-RL"})
        + _row(name, Handle="tee", **{"Image Src": "https://cdn.shopify.com/x.jpg", "Image Position": "2"})
        + _row(
            name, Handle="mug", Title="Mug", Status="ARCHIVED", **{"Variant SKU": "MUG", "Variant Price": "5"}
        )
        + _row(name, Handle="nameless", **{"Variant SKU": "NN", "Variant Price": "5.00"})
    )
    parsed = _parse(ShopifyProducts(), data)
    assert [p.key for p in parsed] == [
        "T-RM",
        "T-RL",
        "MUG",
        "NN",
    ]  # no stock entries: no Variant Inventory Qty
    assert parsed[0].record.name == "Tee - Red / M"  # type: ignore[union-attr]
    bad, nameless = _bad(parsed)
    assert bad.key == "T-RL"
    assert bad.errors == ("Variant Price is missing",)
    assert nameless.errors == ("Title is missing (on the product's first row)",)  # not the mug's
    assert parsed[2].record == ProductRecord(sku="MUG", name="Mug", price=Decimal("5.00"), status="archived")  # type: ignore[union-attr]


def test_a_negative_or_bad_inventory_qty_is_a_bad_stock_entry() -> None:
    name = "products.csv"
    data = _header(name) + _row(
        name,
        Handle="mug",
        Title="Mug",
        **{"Variant SKU": "MUG", "Variant Price": "5.00", "Variant Inventory Qty": "-2"},
    )
    parsed = _parse(ShopifyProducts(), data)
    assert isinstance(parsed[0], Entry)
    assert isinstance(parsed[1], BadEntry)
    assert parsed[1].errors == ("Variant Inventory Qty must not be negative",)
    assert parsed[1].kind == "stock"


def test_a_bad_price_names_the_column_never_the_value() -> None:
    name = "products.csv"
    data = _header(name) + _row(
        name,
        Handle="mug",
        Title="Mug",
        **{"Variant SKU": "MUG", "Variant Price": "12,50secret", "Variant Inventory Qty": "4"},
    )
    [bad] = _parse(ShopifyProducts(), data)  # and no stock for it
    assert isinstance(bad, BadEntry)
    assert bad.errors == ('Variant Price is not a decimal amount such as "19.99"',)
    assert "secret" not in str(bad.errors)


# --- edge files ------------------------------------------------------------------------------


def _product_file(title: str) -> bytes:
    name = "products.csv"
    return _header(name) + _row(
        name, Handle="h", Title=title, **{"Variant SKU": "S-1", "Variant Price": "1.00"}
    )


def test_a_bom_and_windows_1252_read_the_same_title() -> None:
    utf8 = _product_file("Café Crème")
    cp1252 = utf8.decode().encode("cp1252")
    for data in (utf8, BOM + utf8, cp1252):
        [entry] = _parse(ShopifyProducts(), data)
        assert entry.record.name == "Café Crème"  # type: ignore[union-attr]


def test_a_formula_cell_is_read_as_text() -> None:
    [entry] = _parse(ShopifyProducts(), _product_file('=HYPERLINK("http://x","y")'))
    assert entry.record.name == '=HYPERLINK("http://x","y")'  # type: ignore[union-attr]
    # the error report escapes it; imported again, the quote comes off
    [again] = _parse(ShopifyProducts(), _product_file('\'=HYPERLINK("http://x","y")'))
    assert again.record.name == '=HYPERLINK("http://x","y")'  # type: ignore[union-attr]


def test_a_truncated_file_is_a_file_problem() -> None:
    data = _fixture("products.csv")
    cut = data[: data.index(b"Soft, breathable") + 5]  # inside the quoted Body (HTML)
    with pytest.raises(FileProblem, match="truncated"):
        _parse(ShopifyProducts(), cut)


def test_a_row_with_a_missing_column_is_a_bad_entry() -> None:
    data = _fixture("products.csv")
    lines = data.split(b"\n")
    lines[2] = lines[2].rsplit(b",", 1)[0]  # TEE-M loses its last cell
    parsed = _parse(ShopifyProducts(), b"\n".join(lines))
    bad = _bad(parsed)
    assert bad[0].rows[0].line == 3
    assert bad[0].errors == ("the row has 47 cells where the header has 48 columns",)
    assert "TEE-L" in _good(parsed)


# --- inventory ---------------------------------------------------------------------------------


def test_inventory_per_location() -> None:
    parsed = _parse(ShopifyInventory(), _fixture("inventory.csv"))
    stock = {k: e.record for k, e in _good(parsed).items()}
    assert len(stock) == 10
    assert stock["TEE-M@main-warehouse"] == StockRecord(sku="TEE-M", location="main-warehouse", on_hand=20)
    assert stock["TEE-M@downtown-store"] == StockRecord(sku="TEE-M", location="downtown-store", on_hand=4)
    assert [b.errors for b in _bad(parsed)] == [("SKU is missing",), ("SKU is missing",)]  # the tote


def test_inventory_newer_layout_and_not_stocked() -> None:
    header = b"Handle,Title,SKU,Bin name,Location,Available (not editable),On hand (current),On hand (new)\n"
    data = (
        header
        + b"tee,Tee,TEE-S,,Main Warehouse,5,6,9\n"
        + b"tee,Tee,TEE-M,,Main Warehouse,5,6,\n"
        + b"tee,Tee,TEE-L,,Caf\xc3\xa9 Nord #2,not stocked,not stocked,\n"
    )
    parsed = _parse(ShopifyInventory(), data)
    assert [(p.key, p.record.on_hand) for p in parsed] == [  # type: ignore[union-attr]
        ("TEE-S@main-warehouse", 9),
        ("TEE-M@main-warehouse", 6),
    ]
    # the older layout: a blank On hand is bad, never read from Available
    older = b"Handle,SKU,Location,Available,On hand\ntee,TEE-S,Shop,4,\ntee,TEE-M,Shop,4,5\n"
    blank, good = _parse(ShopifyInventory(), older)
    assert isinstance(blank, BadEntry)
    assert blank.errors == ("On hand is missing",)
    assert isinstance(good, Entry)
    assert good.record == StockRecord(sku="TEE-M", location="shop", on_hand=5)
    only_available = b"Handle,SKU,Location,Available (not editable)\ntee,TEE-S,Shop,4\n"
    [entry] = _parse(ShopifyInventory(), only_available)
    assert isinstance(entry, Entry)
    assert entry.record == StockRecord(sku="TEE-S", location="shop", on_hand=4)


@pytest.mark.parametrize(
    ("shopify", "oms"),
    [("Main Warehouse", "main-warehouse"), ("Café Nord #2", "cafe-nord-2"), ("  ", ""), ("A.B_c", "a.b_c")],
)
def test_location_names(shopify: str, oms: str) -> None:
    assert location_name(shopify) == oms


# --- customers ---------------------------------------------------------------------------------


def test_customers() -> None:
    parsed = _parse(ShopifyCustomers(), _fixture("customers.csv"))
    good = _good(parsed)
    assert sorted(good) == ["jun.whitlock@example.com", "luis.pena@example.com", "maren.okafor@example.com"]
    maren = good["maren.okafor@example.com"].record
    assert isinstance(maren, CustomerImport)
    assert maren.name == "Maren Okafor"
    assert maren.phone == "+12125550101"
    assert maren.accepts_email_marketing is True
    [address] = maren.addresses
    assert (
        address.line1,
        address.line2,
        address.city,
        address.region,
        address.postal_code,
        address.country,
    ) == (
        "12 Example Street",
        "Apt 4B",
        "Brooklyn",
        "NY",
        "11201",
        "US",
    )
    assert address.name == "Maren Okafor (Okafor & Daughters, LLC)"
    jun = good["jun.whitlock@example.com"].record
    assert isinstance(jun, CustomerImport)
    assert (jun.addresses, jun.accepts_email_marketing) == ([], False)


def test_customers_without_email_or_with_bad_cells_are_bad() -> None:
    name = "customers.csv"
    data = (
        _header(name)
        + _row(name, **{"First Name": "No", "Last Name": "Mail"})
        + _row(
            name,
            Email="Mixed.Case@Example.COM",
            **{"Accepts Email Marketing": "maybe", "Default Address Address1": "1 Road"},
        )
    )
    no_mail, mixed = _parse(ShopifyCustomers(), data)
    assert isinstance(no_mail, BadEntry)
    assert no_mail.errors == ("Email is missing",)
    assert isinstance(mixed, BadEntry)
    assert mixed.key == "mixed.case@example.com"
    assert "Accepts Email Marketing must be yes or no" in mixed.errors
    assert any(e.startswith("Default Address City:") for e in mixed.errors)
    assert any(e.startswith("Default Address Country Code:") for e in mixed.errors)


# --- orders ------------------------------------------------------------------------------------


def _orders() -> dict[str, Entry]:
    parsed = _parse(ShopifyOrders(), _fixture("orders.csv"))
    assert _bad(parsed) == []
    return _good(parsed)


def test_an_order_with_three_lines_a_discount_shipping_and_tax() -> None:
    entry = _orders()["shopify##1001"]
    order = entry.record
    assert isinstance(order, ChannelOrder)
    assert [r.line for r in entry.rows] == [2, 3, 4]
    assert entry.file_totals == (("USD", Decimal("100.83")),)
    assert (order.channel, order.external_id, order.status, order.currency) == (
        "shopify",
        "#1001",
        "shipped",
        "USD",
    )
    assert [
        (line.sku, line.listing, line.quantity, line.unit_price, line.discount) for line in order.lines
    ] == [
        ("TEE-M", None, 2, Decimal("24.00"), Decimal("0.00")),
        ("WAL-BRN", None, 1, Decimal("35.00"), Decimal("0.00")),
        (None, "canvas-tote", 1, Decimal("12.50"), Decimal("0.00")),
    ]
    assert order.order_discount == Decimal("9.55")
    assert (order.shipping_total, order.tax_total, order.taxes_included) == (
        Decimal("8.00"),
        Decimal("6.88"),
        False,
    )
    assert order.channel_total == Decimal("100.83")
    assert order.placed_at == "2026-11-02T15:15:40.000000Z"
    [shipment] = order.shipments
    assert (shipment.shipment_ref, shipment.lines, shipment.shipped_at) == (
        "#1001-F1",
        None,
        "2026-11-03T14:01:10.000000Z",
    )
    assert (order.customer.email, order.customer.name, order.customer.phone) == (
        "maren.okafor@example.com",
        "Maren Okafor",
        "+12125550101",
    )
    assert order.shipping_address is not None
    assert (order.shipping_address.line1, order.shipping_address.region, order.shipping_address.country) == (
        "12 Example Street",
        "NY",
        "US",
    )
    assert order.refunds == []


def test_a_cancelled_order() -> None:
    order = _orders()["shopify##1002"].record
    assert isinstance(order, ChannelOrder)
    assert (order.status, order.shipments, order.refunds) == ("cancelled", [], [])
    # Cancelled at 2026-11-04 16:30:00 -0600: the version an import records the cancellation at.
    assert (order.placed_at, order.version) == ("2026-11-04T20:02:03.000000Z", "2026-11-04T22:30:00.000000Z")


def test_a_partially_fulfilled_order_ships_its_fulfilled_lines() -> None:
    order = _orders()["shopify##1003"].record
    assert isinstance(order, ChannelOrder)
    assert order.status == "open"
    [shipment] = order.shipments
    assert (shipment.shipment_ref, shipment.lines) == ("#1003-F1", [("TEE-S", 1)])


def test_a_refunded_order() -> None:
    order = _orders()["shopify##1004"].record
    assert isinstance(order, ChannelOrder)
    assert order.status == "shipped"
    [refund] = order.refunds
    assert (refund.refund_id, refund.amount) == ("#1004-R1", Decimal("25.92"))


def test_orders_go_on_the_channel_given() -> None:
    options = ReadOptions(channel="shopify-eu", location="default", currency="USD")
    parsed = _parse(ShopifyOrders(), _fixture("orders.csv"), options)
    assert {p.key for p in parsed} == {
        "shopify-eu##1001",
        "shopify-eu##1002",
        "shopify-eu##1003",
        "shopify-eu##1004",
    }


def _order_file(**changes: str) -> bytes:
    """Order #1004 (one line) with some of its first row's cells changed."""
    name = "orders.csv"
    header = _header(name).decode().rstrip("\n").split(",")
    [row] = [r for r in rows(io.BytesIO(_fixture(name)), "csv") if r.cells["Name"] == "#1004"]
    cells = {**row.cells, **changes}
    return _header(name) + _row(name, **{c: cells[c] for c in header})


def test_an_order_whose_money_does_not_make_the_total_says_by_how_much() -> None:
    [bad] = _parse(ShopifyOrders(), _order_file(Total="25.93"))
    assert isinstance(bad, BadEntry)
    assert bad.key == "shopify##1004"
    assert bad.errors == (
        "Total differs by +0.01 from the lines (Lineitem price x Lineitem quantity) less Discount Amount "
        "plus Shipping and Taxes",
    )


def test_taxes_included_when_the_total_holds_them() -> None:
    [entry] = _parse(ShopifyOrders(), _order_file(Total="24.00", **{"Refunded Amount": "24.00"}))
    assert isinstance(entry, Entry)
    assert entry.record.taxes_included is True  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"Currency": "XYZ"}, "Currency is not an ISO 4217 currency code"),
        ({"Lineitem price": "-1.00"}, "Lineitem price must not be negative"),
        ({"Lineitem quantity": "two"}, "Lineitem quantity is not a whole number"),
        ({"Created at": "yesterday"}, "Created at is not an ISO-8601 date-time"),
        ({"Created at": ""}, "Created at is missing"),
        ({"Refunded Amount": ""}, "Refunded Amount is missing for a refunded order"),
        ({"Shipping Country": "United States"}, "Shipping Country: must be a two-letter ISO 3166-1 country"),
    ],
)
def test_bad_order_cells_name_shopify_columns(changes: dict[str, str], error: str) -> None:
    [bad] = _parse(ShopifyOrders(), _order_file(**changes))
    assert isinstance(bad, BadEntry)
    assert any(e.startswith(error) for e in bad.errors), bad.errors


def test_an_order_without_email_gets_a_placeholder_and_pending_payment_is_pending() -> None:
    [entry] = _parse(
        ShopifyOrders(),
        _order_file(
            Email="",
            **{
                "Financial Status": "pending",
                "Fulfillment Status": "unfulfilled",
                "Refunded Amount": "0.00",
                "Lineitem fulfillment status": "pending",
            },
        ),
    )
    assert isinstance(entry, Entry)
    order = entry.record
    assert isinstance(order, ChannelOrder)
    assert order.status == "pending"
    assert order.customer.email == "-1004@shopify.invalid"


# The header of Shopify's product export since 2024 (see the fixture README).
CURRENT_HEADER = (
    "Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,"
    "Barcode,Option1 name,Option1 value,Option1 Linked To,Option2 name,Option2 value,Option2 Linked To,"
    "Option3 name,Option3 value,Option3 Linked To,Price,Compare-at price,Cost per item,Charge tax,Tax code,"
    "Unit price total measure,Unit price total measure unit,Unit price base measure,"
    "Unit price base measure unit,Inventory tracker,Inventory quantity,Continue selling when out of stock,"
    "Weight value (grams),Weight unit for display,Requires shipping,Fulfillment service,Product image URL,"
    "Image position,Image alt text,Variant image URL,Gift card,SEO title,SEO description"
)


def _current_row(**cells: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cells.get(c, "") for c in CURRENT_HEADER.split(",")])
    return out.getvalue()


def test_the_current_product_export_header_is_read_too() -> None:
    data = (
        CURRENT_HEADER
        + "\n"
        + _current_row(
            Title="Classic Tee",
            Status="Active",
            **{
                "URL handle": "classic-tee",
                "SKU": "TEE-S",
                "Option1 name": "Size",
                "Option1 value": "S",
                "Price": "24.00",
                "Inventory quantity": "15",
                "Product image URL": "https://cdn.shopify.com/tee.jpg",
            },
        )
        + _current_row(
            **{"URL handle": "classic-tee", "SKU": "TEE-M", "Option1 value": "M", "Price": "24.00"}
        )
        + _current_row(
            **{"URL handle": "classic-tee", "Product image URL": "https://x/2.jpg", "Image position": "2"}
        )
        + _current_row(
            Title="Tote", **{"URL handle": "tote", "Option1 value": "Default Title", "Price": "12.50"}
        )
    ).encode()
    fmt = format_of("shopify-products")
    check_header(fmt, header_of(io.BytesIO(data)))
    parsed = _parse(ShopifyProducts(), data)
    assert [(p.kind, p.key) for p in parsed] == [
        ("products", "TEE-S"),
        ("stock", "TEE-S@wms-1"),
        ("products", "TEE-M"),
        ("products", None),
    ]
    assert parsed[0].record == ProductRecord(sku="TEE-S", name="Classic Tee - S", price=Decimal("24.00"))  # type: ignore[union-attr]
    assert parsed[2].record.name == "Classic Tee - M"  # type: ignore[union-attr]
    assert isinstance(parsed[3], BadEntry)
    assert parsed[3].errors == ("SKU is missing",)  # the file's own column name
    with pytest.raises(FileProblem, match=r"it lacks the column Price$"):
        check_header(fmt, CURRENT_HEADER.replace(",Price,", ",").split(","))

"""The oms-* formats: records -> writer -> reader -> the same records, nothing lost."""

from __future__ import annotations

import io
from decimal import Decimal

from shared.models.imports import CustomerImport, ProductRecord, StockRecord
from shared.models.orders import (
    Address,
    Customer,
    HistoryEntry,
    LineQuantity,
    Order,
    OrderLine,
    Refund,
    ReturnRecord,
    Shipment,
)
from shared.transfer.files import BOM, rows
from shared.transfer.oms import (
    OmsCustomers,
    OmsOrders,
    OmsProducts,
    OmsStock,
    write_customers,
    write_orders,
    write_products,
    write_stock,
)
from shared.transfer.records import BadEntry, Entry, Parsed, ReadOptions

OPTIONS = ReadOptions(channel=None, location="default", currency="USD")
FORMULA = '=HYPERLINK("http://x","y")'


def _read(fmt: object, data: bytes) -> list[Parsed]:
    container = fmt.container  # type: ignore[attr-defined]
    return list(fmt.entries(rows(io.BytesIO(data), container), OPTIONS))  # type: ignore[attr-defined]


def _records(parsed: list[Parsed]) -> list[object]:
    assert all(isinstance(p, Entry) for p in parsed), parsed
    return [p.record for p in parsed if isinstance(p, Entry)]


def test_products_round_trip_with_a_formula_in_a_name() -> None:
    products = [
        ProductRecord(sku="TEE-M", name="Classic Tee - M", price=Decimal("24.00")),
        ProductRecord(
            sku="HYPER", name=FORMULA, price=Decimal("0.50"), status="draft", low_stock_threshold=3
        ),
        ProductRecord(
            sku="-DASH", name='\'quoted, "twice"\nand a line', price=Decimal("1000"), status="archived"
        ),
        ProductRecord(sku="CAFE", name="Café", price=Decimal("9.99"), low_stock_threshold=0),
    ]
    out = io.BytesIO()
    assert write_products(out, products) == 4
    data = out.getvalue()
    assert data.startswith(BOM + b"sku,name,price,status,low_stock_threshold\r\n")
    assert b"'=HYPERLINK" in data  # inert in a spreadsheet
    assert b"'-DASH" in data
    parsed = _read(OmsProducts(), data)
    assert _records(parsed) == products
    assert [p.key for p in parsed] == ["TEE-M", "HYPER", "-DASH", "CAFE"]


def test_stock_round_trip() -> None:
    stock = [
        StockRecord(sku="TEE-M", location="default", on_hand=20),
        StockRecord(sku="TEE-M", location="main-warehouse", on_hand=0),
        StockRecord(sku="+PLUS", location="x.y_z", on_hand=10_000_000),
    ]
    out = io.BytesIO()
    write_stock(out, stock)
    parsed = _read(OmsStock(), out.getvalue())
    assert _records(parsed) == stock
    assert [p.key for p in parsed] == ["TEE-M@default", "TEE-M@main-warehouse", "+PLUS@x.y_z"]


def test_customers_round_trip() -> None:
    customers = [
        CustomerImport(
            email="Maren.Okafor@example.com",
            name=FORMULA,
            phone="+12125550101",
            addresses=[
                Address(
                    name="Maren", line1="12 Example Street", line2="Apt 4B", city="Brooklyn", country="US"
                ),
                Address(line1="1 Other Road", city="Berlin", postal_code="10115", country="DE"),
            ],
            accepts_email_marketing=True,
            customer_id="c-123",
        ),
        CustomerImport(email="jun@example.com"),
    ]
    out = io.BytesIO()
    write_customers(out, customers)
    parsed = _read(OmsCustomers(), out.getvalue())
    assert _records(parsed) == customers
    assert [p.key for p in parsed] == ["maren.okafor@example.com", "jun@example.com"]


def _order(**changes: object) -> Order:
    order = Order(
        order_id="o-1",
        status="PARTIALLY_SHIPPED",
        channel="shopify",
        external_id="#1001",
        customer_id="c-123",
        customer=Customer(email="maren@example.com", name=FORMULA, phone="+1"),
        shipping_address=Address(line1="12 Example Street", city="Brooklyn", region="NY", country="US"),
        currency="EUR",
        lines=[
            OrderLine(sku="TEE-M", quantity=2, unit_price=Decimal("24.00"), line_total=Decimal("48.00")),
            OrderLine(
                sku="WAL",
                quantity=1,
                unit_price=Decimal("35.00"),
                line_total=Decimal("35.00"),
                discount=Decimal("3.50"),
            ),
        ],
        subtotal=Decimal("83.00"),
        discount_total=Decimal("3.50"),
        shipping_total=Decimal("8.00"),
        tax_total=Decimal("6.88"),
        total=Decimal("94.38"),
        placed_at="2026-11-02T15:15:40.000000Z",
        created_at="2026-12-06T18:00:00.000000Z",
        updated_at="2026-12-06T18:00:01.000000Z",
        history=[
            HistoryEntry(status="CONFIRMED", at="2026-12-06T18:00:00.000000Z", actor="import"),
            HistoryEntry(status="PARTIALLY_SHIPPED", at="2026-12-06T18:00:01.000000Z", actor="import"),
        ],
        shipments=[
            Shipment(
                shipment_id="s-1",
                lines=[LineQuantity(sku="TEE-M", quantity=2)],
                location="default",
                shipped_at="2026-11-03T14:01:10.000000Z",
                actor="import",
                channel_ref="#1001-F1",
            )
        ],
        returns=[
            ReturnRecord(
                return_id="r-1",
                lines=[LineQuantity(sku="TEE-M", quantity=1)],
                reason="too small",
                restock=True,
                location="default",
                returned_at="2026-11-20T10:00:00.000000Z",
                actor="staff",
            )
        ],
        refunds=[
            Refund(
                refund_id="#1001-R1",
                amount=Decimal("24.00"),
                refunded_at="2026-11-21T10:00:00.000000Z",
                source="shopify",
            )
        ],
    )
    return order.model_copy(update=changes)


def test_orders_round_trip_whole() -> None:
    orders = [_order(), _order(order_id="o-2", external_id=None, channel="pos", status="SHIPPED")]
    out = io.BytesIO()
    assert write_orders(out, orders) == 2
    parsed = _read(OmsOrders(), out.getvalue())
    assert _records(parsed) == orders
    assert [p.key for p in parsed] == ["shopify##1001", "order#o-2"]
    assert isinstance(parsed[0], Entry)
    assert parsed[0].file_totals == (("EUR", Decimal("94.38")),)


def test_a_corrected_error_report_imports_again() -> None:
    data = b"sku,location,on_hand,_errors\r\nTEE-M,default,5,on_hand: was bad\r\n"
    [entry] = _read(OmsStock(), data)
    assert isinstance(entry, Entry)
    assert entry.record == StockRecord(sku="TEE-M", on_hand=5)
    [customer] = _read(OmsCustomers(), b'{"email": "a@example.com", "_errors": "x"}\n')
    assert isinstance(customer, Entry)


def test_bad_cells_name_the_column() -> None:
    data = b"sku,name,price,status,low_stock_threshold\r\nA-1,,1.999,gone,-1\r\n"
    [bad] = _read(OmsProducts(), data)
    assert isinstance(bad, BadEntry)
    assert bad.key == "A-1"
    assert bad.errors == ("low_stock_threshold is not a whole number",)
    data = b"sku,name,price,status,low_stock_threshold\r\nA-1,,1.999,gone,\r\n"
    [bad] = _read(OmsProducts(), data)
    assert isinstance(bad, BadEntry)
    assert [e.split(":")[0] for e in bad.errors] == ["name", "price", "status"]
    [bad] = _read(OmsStock(), b"sku,location,on_hand\r\nA-1,Main Warehouse,3\r\n")
    assert isinstance(bad, BadEntry)
    assert bad.errors[0].startswith("location: must be a location name")
    [bad] = _read(OmsOrders(), b'{"order_id": "o-9", "channel": "web"}\n')
    assert isinstance(bad, BadEntry)
    assert bad.key == "order#o-9"
    assert "status: Field required" in bad.errors

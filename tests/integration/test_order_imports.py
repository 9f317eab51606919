"""Imported orders against moto: a Shopify order export's orders (the fixture's, built by hand as the
shopify-orders format makes them: tests/fixtures/shopify/csv/orders.csv) and orders restored from this
OMS's own export, written by the orders writer; the orders stream driven into order_events and
sales_aggregates as the local stack does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.sales_aggregates import wiring as sales_wiring
from infra.spec import CATALOG, CUSTOMERS, ORDERS, SALES_AGGREGATES
from shared.aws import client
from shared.config import settings
from shared.dal import keys
from shared.dal.orders import OrderStore
from shared.models.channels import ChannelOrder
from shared.models.orders import Order
from shared.reports.sales import daily_sales, recount, rows_of
from shared.services.channel_orders import Applied, ChannelOrderService
from shared.services.import_writes import KindWriter, LiveCheck, Provenance, Written
from shared.services.order_imports import order_imports
from shared.transfer.records import Entry, Row
from tests.support.http import ApiClient
from tests.support.local_aws import RequestCounter, transaction_write_units
from tests.support.order_events import OrderStream
from tests.support.streams import StreamDriver

IMPORT = Provenance("imp-1", datetime(2026, 12, 6, 18, 0, tzinfo=UTC))
AGAIN = Provenance("imp-2", datetime(2026, 12, 6, 19, 0, tzinfo=UTC))
PRODUCTS = {"TEE-S": "24.00", "TEE-M": "24.00", "TEE-L": "24.00", "WAL-BRN": "35.00", "TOTE": "12.50"}
MAREN = {"email": "maren.okafor@example.com", "name": "Maren Okafor", "phone": "+12125550101"}
LUIS = {"email": "luis.pena@example.com", "name": "Luis Peña"}
BROOKLYN = {
    "name": "Maren Okafor",
    "line1": "12 Example Street",
    "line2": "Apt 4B",
    "city": "Brooklyn",
    "region": "NY",
    "postal_code": "11201",
    "country": "US",
}


def shopify(name: str, **fields: Any) -> ChannelOrder:
    values: dict[str, Any] = {"channel": "shopify", "external_id": name, "currency": "USD", **fields}
    return ChannelOrder.model_validate(values)


# The fixture's four orders (the Canvas Tote has no SKU there: TOTE here), and an open one.
O1001 = shopify(
    "#1001",
    status="shipped",
    placed_at="2026-11-02T15:15:40.000000Z",
    customer=MAREN,
    shipping_address=BROOKLYN,
    lines=[
        {"sku": "TEE-M", "quantity": 2, "unit_price": "24.00"},
        {"sku": "WAL-BRN", "quantity": 1, "unit_price": "35.00"},
        {"sku": "TOTE", "quantity": 1, "unit_price": "12.50"},
    ],
    order_discount="9.55",
    shipping_total="8.00",
    tax_total="6.88",
    channel_total="100.83",
    shipments=[{"shipment_ref": "#1001-1", "shipped_at": "2026-11-03T14:01:10.000000Z"}],
)
O1002 = shopify(
    "#1002",
    status="cancelled",
    placed_at="2026-11-04T20:02:03.000000Z",
    version="2026-11-04T22:30:00.000000Z",  # Cancelled at
    customer=LUIS,
    lines=[{"sku": "WAL-BRN", "quantity": 1, "unit_price": "35.00"}],
    shipping_total="5.00",
    tax_total="2.80",
    channel_total="42.80",
)
O1003 = shopify(
    "#1003",
    status="open",
    placed_at="2026-11-10T13:40:10.000000Z",
    customer=MAREN,
    shipping_address=BROOKLYN,
    lines=[
        {"sku": "TEE-S", "quantity": 1, "unit_price": "24.00"},
        {"sku": "TOTE", "quantity": 2, "unit_price": "12.50"},
    ],
    shipping_total="8.00",
    tax_total="3.92",
    channel_total="60.92",
    shipments=[{"shipment_ref": "#1003-1", "lines": [["TEE-S", 1]]}],
)
O1004 = shopify(
    "#1004",
    status="shipped",
    placed_at="2026-11-12T17:00:03.000000Z",
    customer=LUIS,
    lines=[{"sku": "TEE-L", "quantity": 1, "unit_price": "24.00"}],
    tax_total="1.92",
    channel_total="25.92",
    shipments=[{"shipment_ref": "#1004-1", "shipped_at": "2026-11-13T16:20:00.000000Z"}],
    refunds=[{"refund_id": "#1004-refund", "amount": "25.92"}],
)
O1005 = shopify(
    "#1005",
    status="open",
    placed_at="2026-12-05T09:00:00.000000Z",
    customer=MAREN,
    lines=[{"sku": "TEE-M", "quantity": 3, "unit_price": "24.00"}],
    channel_total="72.00",
)


def entry(record: ChannelOrder | Order, line: int = 2) -> Entry:
    key = (
        f"{record.channel}#{record.external_id}"
        if record.external_id is not None
        else f"order#{getattr(record, 'order_id', '')}"
    )
    total = record.channel_total if isinstance(record, ChannelOrder) else record.total
    return Entry(
        kind="orders",
        key=key,
        record=record,
        rows=(Row(line, 0, 1, {}),),
        file_totals=(("USD", total or Decimal(0)),),
    )


@pytest.fixture
def catalog(aws: Any, staff: ApiClient) -> ApiClient:
    for sku, price in PRODUCTS.items():
        assert staff.put(f"/products/{sku}", {"name": sku, "price": price}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": 10}).status == 200
    return staff


@pytest.fixture
def imports(catalog: ApiClient) -> tuple[KindWriter, LiveCheck]:
    return order_imports(
        client("dynamodb"),
        orders_table=ORDERS.local_name,
        catalog_table=CATALOG.local_name,
        customers_table=CUSTOMERS.local_name,
        settings=settings(),
    )


@pytest.fixture
def writer(imports: tuple[KindWriter, LiveCheck]) -> KindWriter:
    return imports[0]


def store() -> OrderStore:
    return OrderStore(client("dynamodb"), ORDERS.local_name, CATALOG.local_name, CUSTOMERS.local_name)


def levels(aws: Any, sku: str) -> tuple[int, int, int]:
    item = aws.get_item(TableName=CATALOG.local_name, Key=keys.sku_key(sku))["Item"]
    return int(item["on_hand"]["N"]), int(item["reserved"]["N"]), int(item["available"]["N"])


def waiting(aws: Any, sku: str) -> list[str]:
    items = aws.query(
        TableName=CATALOG.local_name,
        KeyConditionExpression="pk = :sku AND begins_with(sk, :wait)",
        ExpressionAttributeValues={":sku": {"S": sku}, ":wait": {"S": keys.WAIT_PREFIX}},
    )["Items"]
    return [i["order_id"]["S"] for i in items if "expires_at" not in i]


def stored(written: Written) -> Order:
    record = written.entry.record
    assert isinstance(record, ChannelOrder)
    order = store().get_by_external_id(record.channel, record.external_id)
    assert order is not None
    return order


def outcomes(written: list[Written]) -> list[str]:
    return [w.outcome for w in written]


def test_historical_orders_reserve_nothing_move_nothing_and_publish_nothing(
    aws: Any, writer: KindWriter
) -> None:
    stream = OrderStream()
    before = {sku: levels(aws, sku) for sku in PRODUCTS}

    written = writer.write([entry(O1001), entry(O1002), entry(O1004)], IMPORT)

    assert outcomes(written) == ["created", "created", "created"], [w.errors for w in written]
    assert {sku: levels(aws, sku) for sku in PRODUCTS} == before  # nothing reserved, nothing shipped
    shipped, cancelled, refunded = (stored(w) for w in written)
    assert (shipped.status, cancelled.status, refunded.status) == ("SHIPPED", "CANCELLED", "SHIPPED")
    assert [w.money for w in written] == [
        (("USD", Decimal("100.83")),),
        (("USD", Decimal("42.80")),),
        (("USD", Decimal("25.92")),),
    ]
    assert (shipped.subtotal, shipped.discount_total, shipped.shipping_total, shipped.tax_total) == (
        Decimal("95.50"),
        Decimal("9.55"),
        Decimal("8.00"),
        Decimal("6.88"),
    )
    assert (shipped.source, shipped.import_id, shipped.created_at) == (
        "import",
        "imp-1",
        "2026-12-06T18:00:00.000000Z",
    )
    assert [(h.status, h.at, h.actor) for h in shipped.history] == [
        ("CONFIRMED", "2026-11-02T15:15:40.000000Z", "import:imp-1"),
        ("SHIPPED", "2026-11-03T14:01:10.000000Z", "import:imp-1"),
    ]
    assert cancelled.history[-1].at == "2026-11-04T22:30:00.000000Z"
    assert [r.amount for r in refunded.refunds] == [Decimal("25.92")]
    assert shipped.customer_id is not None and shipped.customer_id != cancelled.customer_id

    stream.drain()
    assert len(stream.events) >= 1  # the inserts went through the handler
    assert stream.published() == []  # no OrderCreated, no OrderShipped


def test_an_open_imported_order_reserves_and_waits_for_stock_when_short(aws: Any, writer: KindWriter) -> None:
    (open_order,) = writer.write([entry(O1005)], IMPORT)
    assert open_order.outcome == "created"
    assert stored(open_order).status == "CONFIRMED"
    assert levels(aws, "TEE-M") == (10, 3, 7)

    short = O1005.model_copy(
        update={"external_id": "#1006", "lines": [O1005.lines[0].model_copy(update={"quantity": 8})]}
    )
    (backordered,) = writer.write([entry(short)], IMPORT)
    assert backordered.outcome == "created"
    order = stored(backordered)
    assert order.status == "BACKORDERED"
    assert levels(aws, "TEE-M") == (10, 3, 7)  # nothing reserved for it, nothing oversold
    assert waiting(aws, "TEE-M") == [order.order_id]


def test_a_partly_fulfilled_order_reserves_only_its_unshipped_units(aws: Any, writer: KindWriter) -> None:
    (written,) = writer.write([entry(O1003)], IMPORT)

    order = stored(written)
    assert order.status == "PARTIALLY_SHIPPED"
    assert [(s.lines[0].sku, s.lines[0].quantity) for s in order.shipments] == [("TEE-S", 1)]
    assert levels(aws, "TEE-S") == (10, 0, 10)  # shipped before the stock was counted
    assert levels(aws, "TOTE") == (10, 2, 8)


def test_reimporting_changes_nothing_and_writes_nothing_and_a_correction_updates(
    aws: Any, writer: KindWriter
) -> None:
    batch = [entry(O1001), entry(O1002), entry(O1003), entry(O1004)]
    first = writer.write(batch, IMPORT)
    assert outcomes(first) == ["created"] * 4
    calls = RequestCounter()

    again = writer.write(batch, AGAIN)

    assert outcomes(again) == ["unchanged"] * 4
    assert [w.money for w in again] == [w.money for w in first]  # what is stored
    assert calls.calls == ["BatchGetItem"] * 3  # the SKUs, the claims, the orders: no write at all
    assert stored(again[0]).import_id == "imp-1"

    # #1003's second line shipped since: the corrected file says so
    corrected = O1003.model_copy(
        update={
            "status": "shipped",
            "shipments": [
                *O1003.shipments,
                O1003.shipments[0].model_copy(
                    update={
                        "shipment_ref": "#1003-2",
                        "lines": [("TOTE", 2)],
                        "shipped_at": "2026-11-15T10:00:00Z",
                    }
                ),
            ],
        }
    )
    calls.reset()
    fixed = writer.write([entry(O1001), entry(corrected)], AGAIN)

    assert outcomes(fixed) == ["unchanged", "updated"]
    order = stored(fixed[1])
    assert order.status == "SHIPPED"
    assert order.history[-1].at == "2026-11-15T10:00:00Z"
    assert order.import_id == "imp-2"
    assert levels(aws, "TOTE") == (10, 0, 10)  # its reservation released, nothing taken off the shelf
    # one write: the update, over the version this environment wrote (KnownOrders)
    assert calls.calls.count("TransactWriteItems") == 1


def test_daily_sales_of_an_imported_past_day_equals_the_recount(aws: Any, writer: KindWriter) -> None:
    sales = StreamDriver(SALES_AGGREGATES)
    written = writer.write([entry(O1001), entry(O1002), entry(O1003), entry(O1004)], IMPORT)
    assert outcomes(written) == ["created"] * 4

    sales.drain()

    orders = [stored(w) for w in written]
    tz = ZoneInfo(settings().timezone)
    for day in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-10", "2026-11-12", "2026-12-06"):
        counted = sales_wiring.sales_store().day(day)
        assert daily_sales(day, "UTC", counted) == daily_sales(day, "UTC", rows_of(recount(orders, tz), day))
    placed_day = daily_sales("2026-11-02", "UTC", sales_wiring.sales_store().day("2026-11-02"))
    (usd,) = placed_day.currencies
    assert (usd.totals.orders, usd.totals.gross_sales, usd.totals.discounts) == (
        1,
        Decimal("95.50"),
        Decimal("9.55"),
    )
    assert placed_day.orders_by_status == {"CONFIRMED": 1}  # shipped the next day
    cancel_day = daily_sales("2026-11-04", "UTC", sales_wiring.sales_store().day("2026-11-04"))
    assert cancel_day.currencies[0].totals.cancelled_orders == 1
    assert sales_wiring.sales_store().day("2026-12-06") == []  # nothing on the import's own day


def test_the_dry_run_check_names_unknown_skus_and_writes_nothing(
    aws: Any, imports: tuple[KindWriter, LiveCheck]
) -> None:
    writer, check = imports
    unknown = O1005.model_copy(
        update={"external_id": "#2000", "lines": [O1005.lines[0].model_copy(update={"sku": "GONE"})]}
    )
    calls = RequestCounter()

    assert check.check([entry(O1001), entry(unknown)]) == {
        "shopify##2000": ("lines[0].sku: unknown SKU 'GONE'",)
    }
    assert calls.calls == ["BatchGetItem"]
    (refused,) = writer.write([entry(unknown)], IMPORT)
    assert refused.outcome == "rejected" and refused.errors == ("lines[0].sku: unknown SKU 'GONE'",)
    assert store().get_by_external_id("shopify", "#2000") is None


def exported_order() -> Order:
    """An order as this OMS exports it: shipped in part, a return, a refund, staff attention, a customer."""
    return Order.model_validate(
        {
            "order_id": "7c0ffee0-0000-4000-8000-000000000001",
            "status": "PARTIALLY_SHIPPED",
            "channel": "web",
            "external_id": "W-77",
            "customer_id": "cust-77",
            "customer": MAREN,
            "shipping_address": BROOKLYN,
            "currency": "USD",
            "lines": [
                {
                    "sku": "TEE-M",
                    "quantity": 2,
                    "unit_price": "24.00",
                    "line_total": "48.00",
                    "discount": "4.00",
                },
                {"sku": "TOTE", "quantity": 3, "unit_price": "12.50", "line_total": "37.50"},
            ],
            "subtotal": "85.50",
            "discount_total": "4.00",
            "shipping_total": "5.00",
            "tax_total": "6.00",
            "total": "92.50",
            "placed_at": "2026-10-01T08:00:00.000000Z",
            "created_at": "2026-10-01T08:00:01.000000Z",
            "updated_at": "2026-10-09T12:00:00.000000Z",
            "channel_hash": "abc123",
            "history": [
                {"status": "CONFIRMED", "at": "2026-10-01T08:00:01.000000Z", "actor": "channel:k-web"},
                {"status": "PARTIALLY_SHIPPED", "at": "2026-10-02T09:00:00.000000Z", "actor": "staff:k-1"},
            ],
            "shipments": [
                {
                    "shipment_id": "s-1",
                    "carrier": "ups",
                    "tracking_number": "1Z999AA10123456784",
                    "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                    "lines": [{"sku": "TEE-M", "quantity": 2}, {"sku": "TOTE", "quantity": 1}],
                    "location": "main",
                    "shipped_at": "2026-10-02T09:00:00.000000Z",
                    "actor": "staff:k-1",
                }
            ],
            "returns": [
                {
                    "return_id": "r-1",
                    "lines": [{"sku": "TEE-M", "quantity": 1}],
                    "reason": "wrong size",
                    "restock": True,
                    "location": "main",
                    "returned_at": "2026-10-08T10:00:00.000000Z",
                    "actor": "staff:k-1",
                }
            ],
            "refunds": [
                {
                    "refund_id": "f-1",
                    "amount": "22.00",
                    "lines": [{"sku": "TEE-M", "quantity": 1}],
                    "refunded_at": "2026-10-09T12:00:00.000000Z",
                    "source": "staff:k-1",
                }
            ],
            "attention": [
                {
                    "attention_id": "a-1",
                    "kind": "total-mismatch",
                    "detail": "total 92.50 USD here, 92.00 on the channel",
                    "raised_at": "2026-10-01T08:00:01.000000Z",
                    "source": "channel:web",
                    "resolved_at": "2026-10-01T09:00:00.000000Z",
                    "resolved_by": "staff:k-1",
                    "resolution": "rounding on the channel",
                }
            ],
        }
    )


def test_an_exported_order_restores_as_it_was(aws: Any, writer: KindWriter) -> None:
    original = exported_order()
    stream = OrderStream()

    (written,) = writer.write([entry(original)], IMPORT)

    assert written.outcome == "created", written.errors
    assert written.money == (("USD", Decimal("92.50")),)
    restored = store().get(original.order_id)
    assert restored is not None
    assert restored.model_dump(exclude={"source", "import_id"}) == original.model_dump(
        exclude={"source", "import_id"}
    )
    assert (restored.source, restored.import_id) == ("import", "imp-1")
    assert levels(aws, "TOTE") == (10, 2, 8)  # the two units left to ship, reserved again
    assert levels(aws, "TEE-M") == (10, 0, 10)
    assert store().get_by_external_id("web", "W-77") == restored
    customer = aws.get_item(TableName=CUSTOMERS.local_name, Key=keys.profile_key("cust-77"))["Item"]
    assert customer["email"]["S"] == MAREN["email"]
    stream.drain()
    assert stream.published() == []

    assert outcomes(writer.write([entry(original)], AGAIN)) == ["unchanged"]
    delivered = original.model_copy(update={"status": "SHIPPED", "updated_at": "2026-10-10T00:00:00.000000Z"})
    assert outcomes(writer.write([entry(delivered)], AGAIN)) == ["updated"]
    assert levels(aws, "TOTE") == (10, 0, 10)


def test_a_restore_the_stock_cannot_hold_waits_for_stock_and_oversells_nothing(
    aws: Any, writer: KindWriter
) -> None:
    big = exported_order().model_copy(
        update={
            "order_id": "o-big",
            "external_id": "W-78",
            "status": "CONFIRMED",
            "shipments": [],
            "returns": [],
            "refunds": [],
            "lines": [
                exported_order().lines[1].model_copy(update={"quantity": 11, "line_total": Decimal("137.50")})
            ],
        }
    )

    (written,) = writer.write([entry(big)], IMPORT)

    assert (written.outcome, written.errors) == ("created", ())
    restored = store().get("o-big")
    assert restored is not None and restored.status == "BACKORDERED"
    assert [(b.sku, b.requested, b.available) for b in restored.backorder or []] == [("TOTE", 11, 10)]
    assert levels(aws, "TOTE") == (10, 0, 10)  # nothing reserved, nothing oversold
    waiting = aws.query(
        TableName=CATALOG.local_name,
        KeyConditionExpression="pk = :sku AND begins_with(sk, :wait)",
        ExpressionAttributeValues={":sku": {"S": "TOTE"}, ":wait": {"S": keys.WAIT_PREFIX}},
    )["Items"]
    assert len(waiting) == 1
    assert outcomes(writer.write([entry(big)], AGAIN)) == ["unchanged"]


def test_write_units_per_imported_order_are_no_more_than_a_live_orders(aws: Any, writer: KindWriter) -> None:
    live = ChannelOrderService(
        store(),
        store_catalog(),
        store_listings(),
        settings(),
    )
    for document in (O1001, O1003, O1005):
        calls = RequestCounter()
        (written,) = writer.write([entry(document)], IMPORT)
        assert written.outcome == "created"
        (imported,) = calls.transactions
        imported_units = transaction_write_units(aws, imported)

        calls.reset()
        twin = document.model_copy(update={"external_id": f"{document.external_id}-live"})
        assert isinstance(live.apply(twin), Applied)
        live_order = calls.transactions[-1]  # the one that committed (a first try may meet the customer)
        assert imported_units <= transaction_write_units(aws, live_order), document.external_id


def store_catalog() -> Any:
    from shared.dal.catalog import CatalogStore

    return CatalogStore(client("dynamodb"), CATALOG.local_name)


def store_listings() -> Any:
    from shared.dal.listings import ListingStore

    return ListingStore(client("dynamodb"), CATALOG.local_name)


def test_an_order_the_channel_sent_live_is_left_as_it_is(aws: Any, writer: KindWriter) -> None:
    live = ChannelOrderService(store(), store_catalog(), store_listings(), settings())
    assert isinstance(live.apply(O1005), Applied)
    before = store().get_by_external_id("shopify", "#1005")
    assert before is not None
    calls = RequestCounter()

    (written,) = writer.write([entry(O1005.model_copy(update={"status": "shipped"}))], IMPORT)

    assert (written.outcome, written.money) == ("unchanged", (("USD", Decimal("72.00")),))
    assert "TransactWriteItems" not in calls.calls
    assert store().get_by_external_id("shopify", "#1005") == before
    assert levels(aws, "TEE-M") == (10, 3, 7)


def fixture_entries() -> list[Entry]:
    """The fixture export read by the shopify-orders format, as the importer reads it."""
    from pathlib import Path

    from shared.transfer.files import rows
    from shared.transfer.records import ReadOptions
    from shared.transfer.shopify import ShopifyOrders

    path = Path(__file__).parents[1] / "fixtures" / "shopify" / "csv" / "orders.csv"
    with path.open("rb") as stream:
        parsed = list(
            ShopifyOrders().entries(
                rows(stream, "csv"), ReadOptions(channel=None, location="main", currency="USD")
            )
        )
    assert all(isinstance(p, Entry) for p in parsed), parsed
    return [p for p in parsed if isinstance(p, Entry)]


def test_the_shopify_fixture_export_imports_through_the_format(
    aws: Any, imports: tuple[KindWriter, LiveCheck]
) -> None:
    writer, check = imports
    entries = fixture_entries()
    # the Canvas Tote has no SKU in the export: the dry run says so, and the write refuses those orders
    unmapped = (
        "no SKU: listing 'canvas-tote' is not mapped to one (PUT /channels/shopify/listings/canvas-tote)"
    )
    assert check.check(entries) == {
        "shopify##1001": (f"lines[2]: {unmapped}",),
        "shopify##1003": (f"lines[1]: {unmapped}",),
    }
    store_listings().put(
        "shopify", "canvas-tote", "TOTE", at="2026-12-06T17:00:00.000000Z", actor="staff:test"
    )
    before = {sku: levels(aws, sku) for sku in PRODUCTS}

    written = writer.write(entries, IMPORT)

    assert outcomes(written) == ["created"] * 4, [w.errors for w in written]
    assert [w.money for w in written] == [w.entry.file_totals for w in written]  # to the cent, per currency
    assert [stored(w).status for w in written] == ["SHIPPED", "CANCELLED", "PARTIALLY_SHIPPED", "SHIPPED"]
    # history moved nothing; the partly fulfilled #1003 holds its two unshipped totes
    assert {sku: levels(aws, sku) for sku in PRODUCTS} == {**before, "TOTE": (10, 2, 8)}
    # again, from an environment that never saw them (another Lambda, the CLI run again): no write
    cold, _ = order_imports(
        client("dynamodb"),
        orders_table=ORDERS.local_name,
        catalog_table=CATALOG.local_name,
        customers_table=CUSTOMERS.local_name,
        settings=settings(),
    )
    calls = RequestCounter()
    assert outcomes(cold.write(entries, AGAIN)) == ["unchanged"] * 4
    assert calls.calls == ["BatchGetItem"] * 4  # listings, SKUs, claims, orders


def test_a_restore_costs_no_more_write_units_than_placing_the_order_live(
    aws: Any, writer: KindWriter, web: ApiClient
) -> None:
    calls = RequestCounter()
    body = {
        "external_id": "W-500",
        "customer": MAREN,
        "shipping_address": BROOKLYN,
        "lines": [{"sku": "TEE-M", "quantity": 2}, {"sku": "TOTE", "quantity": 1}],
    }
    reply = web.post("/orders", body)
    assert reply.status == 201, reply.body
    placed = calls.transactions[-1]
    live = store().get(reply.json()["order_id"])
    assert live is not None
    exported = live.model_copy(update={"order_id": "o-restored", "external_id": "W-501"})
    calls.reset()

    (written,) = writer.write([entry(exported)], IMPORT)

    assert written.outcome == "created", written.errors
    restored = calls.transactions[-1]
    # The order, its reservations, its claim, its customer's email checked: the customer (already here) is not
    # counted again, its order count comes from the customers file.
    assert len(restored) == len(placed) - 1
    assert transaction_write_units(aws, restored) <= transaction_write_units(aws, placed)

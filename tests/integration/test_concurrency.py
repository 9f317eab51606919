"""Many buyers, few units: conditional transactions never oversell.

moto in-process is not thread-safe, so the threads talk to the embedded endpoint the local stack
uses (moto's server, one request at a time). Each order is still a separate HTTP request racing
the others: an implementation that read stock and then wrote would oversell here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from infra.local.moto_server import EmbeddedAws
from infra.local.resources import ensure_tables
from infra.spec import CATALOG, ORDERS
from shared.config import settings
from shared.dal import keys
from shared.dal.catalog import CatalogStore
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderQuery, OrderStore
from shared.domain.auth import Principal
from shared.domain.inventory import StockChange
from shared.domain.moments import utc_text
from shared.models.orders import NewOrder
from shared.services.orders import OrderService, Placed
from shared.services.stock import Applied, StockService
from tests.support.ports import free_port

BUYERS = 32
UNITS = 5


@pytest.fixture
def endpoint() -> Iterator[str]:
    aws = EmbeddedAws("127.0.0.1", free_port()).start()
    try:
        yield aws.url
    finally:
        aws.stop()


def buy_one(endpoint: str, sku: str, n: int) -> object:
    """One unit, from a buyer that is its own execution environment: its own client, its own cold
    price cache."""
    db = boto3.client("dynamodb", endpoint_url=endpoint)
    service = OrderService(
        OrderStore(db, ORDERS.local_name, CATALOG.local_name),
        CatalogStore(db, CATALOG.local_name),
        settings(),
    )
    request = NewOrder.model_validate(
        {"customer": {"email": f"b{n}@example.com", "name": "B"}, "lines": [{"sku": sku, "quantity": 1}]}
    )
    return service.place(request, Principal("channel", f"k{n}", "web"), idempotency_key=None)


def test_32_buyers_racing_for_5_units_never_oversell(endpoint: str) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    ensure_tables(dynamodb)
    catalog = CatalogStore(dynamodb, CATALOG.local_name)
    catalog.put_product("LAST", "Last units", Decimal("5.00"), "now")
    inventory = InventoryStore(dynamodb, CATALOG.local_name)
    StockService(inventory).count("LAST", UNITS, location="default", actor="test", update_id=None)

    def buy(n: int) -> object:
        return buy_one(endpoint, "LAST", n)

    with ThreadPoolExecutor(BUYERS) as pool:
        results = list(pool.map(buy, range(BUYERS)))

    placed = [r for r in results if isinstance(r, Placed)]
    assert len(placed) == UNITS
    final = inventory.stock("LAST")
    assert final is not None
    assert (final.on_hand, final.reserved, final.available) == (UNITS, UNITS, 0)
    today = datetime.now(UTC).date()
    orders, _ = OrderStore(dynamodb, ORDERS.local_name, CATALOG.local_name).query(
        OrderQuery(channel="web", created_from=today.isoformat(), limit=100), None, today=today
    )
    assert len(orders) == UNITS
    assert os.environ.get("AWS_ENDPOINT_URL") is None  # nothing leaked into the process environment


BUYERS = 24
RECEIPTS = 12
COUNTS = 4


def test_orders_and_stock_updates_racing_on_one_sku_keep_every_number_in_agreement(endpoint: str) -> None:
    """Buyers, warehouse receipts (some delivered twice) and counts at another location, all at once.

    Throughout, available never drops below zero; at the end on_hand is what the ledger adds up to and
    what the locations hold, reserved is what the confirmed orders hold, and no receipt counted twice.
    """
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    ensure_tables(dynamodb)
    CatalogStore(dynamodb, CATALOG.local_name).put_product("RACE", "Raced", Decimal("2.00"), "now")
    inventory = InventoryStore(dynamodb, CATALOG.local_name)
    start = datetime.now(UTC)
    lowest: list[int] = []

    def buy(n: int) -> object:
        return buy_one(endpoint, "RACE", n)

    def receive(n: int) -> object:
        # Its own environment (client, level cache); every third receipt is delivered twice at once.
        service = StockService(
            InventoryStore(boto3.client("dynamodb", endpoint_url=endpoint), CATALOG.local_name)
        )
        receipt = StockChange(
            sku="RACE",
            location="default",
            kind="delta",
            as_of=utc_text(start + timedelta(milliseconds=n)),
            update_id=f"receipt-{n // 3 if n % 3 == 0 else n}",
            source="wms-eu-1",
            delta=1,
        )
        return service.apply_batch([receipt])

    def count(n: int) -> object:
        service = StockService(
            InventoryStore(boto3.client("dynamodb", endpoint_url=endpoint), CATALOG.local_name)
        )
        counted = StockChange(
            sku="RACE",
            location="wms-eu-1",
            kind="count",
            as_of=utc_text(start + timedelta(seconds=n)),
            update_id=f"count-{n}",
            source="wms-eu-1",
            on_hand=n + 1,  # the newest count (n = COUNTS - 1) says COUNTS units
        )
        return service.apply_batch([counted])

    def watch(_: int) -> None:
        db = boto3.client("dynamodb", endpoint_url=endpoint)
        for _ in range(40):
            item = db.get_item(TableName=CATALOG.local_name, Key=keys.sku_key("RACE"))["Item"]
            lowest.append(int(item["available"]["N"]))

    jobs = (
        [(buy, n) for n in range(BUYERS)]
        + [(receive, n) for n in range(RECEIPTS)]
        + [(count, n) for n in range(COUNTS)]
        + [(watch, 0)]
    )
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda job: job[0](job[1]), jobs))

    assert min(lowest) >= 0
    placed = [r for r in results[:BUYERS] if isinstance(r, Placed)]
    for outcome in results[BUYERS : BUYERS + RECEIPTS + COUNTS]:
        assert all(isinstance(group.result, Applied) for group in outcome)  # type: ignore[attr-defined]
    stock = inventory.stock("RACE")
    assert stock is not None
    receipts = len({f"receipt-{n // 3 if n % 3 == 0 else n}" for n in range(RECEIPTS)})
    levels = {loc.location: loc.on_hand for loc in stock.locations}
    assert levels == {"default": receipts, "wms-eu-1": COUNTS}
    assert stock.on_hand == receipts + COUNTS
    # What the table holds agrees with what the buyers were told: an order stored for every Placed (and
    # none for a buyer turned away), and the units reserved are the units those orders hold.
    listed, _ = OrderStore(dynamodb, ORDERS.local_name, CATALOG.local_name).query(
        OrderQuery(channel="web", limit=100), None, today=datetime.now(UTC).date()
    )
    stored = [o for o in listed if {line.sku for line in o.lines} == {"RACE"}]  # the other test's stay
    assert sorted(o.order_id for o in stored) == sorted(p.order.order_id for p in placed)
    assert all(o.status == "CONFIRMED" for o in stored)
    assert stock.reserved == sum(line.quantity for o in stored for line in o.lines) > 0
    assert stock.available == stock.on_hand - stock.reserved >= 0
    ledger, token = inventory.movements("RACE", None, 100)
    assert token is None
    assert sum(m.change for m in ledger) == stock.on_hand
    assert len([m for m in ledger if m.kind == "delta"]) == receipts

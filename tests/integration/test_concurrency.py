"""Many buyers, few units: conditional transactions never oversell.

moto in-process is not thread-safe, so the threads talk to the embedded endpoint the local stack
uses (moto's server, one request at a time). Each order is still a separate HTTP request racing
the others: an implementation that read stock and then wrote would oversell here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import pytest

from infra.local.moto_server import EmbeddedAws
from infra.local.resources import ensure_tables
from infra.spec import CATALOG, ORDERS
from shared.config import settings
from shared.dal.catalog import CatalogStore
from shared.dal.orders import OrderQuery, OrderStore
from shared.domain.auth import Principal
from shared.models.orders import NewOrder
from shared.services.orders import OrderService, Placed
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


def test_32_buyers_racing_for_5_units_never_oversell(endpoint: str) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    ensure_tables(dynamodb)
    catalog = CatalogStore(dynamodb, CATALOG.local_name)
    catalog.put_product("LAST", "Last units", Decimal("5.00"), "now")
    catalog.set_on_hand("LAST", UNITS, "now")

    def buy(n: int) -> object:
        # Each buyer is its own execution environment: its own client, its own cold price cache.
        db = boto3.client("dynamodb", endpoint_url=endpoint)
        service = OrderService(
            OrderStore(db, ORDERS.local_name, CATALOG.local_name),
            CatalogStore(db, CATALOG.local_name),
            settings(),
        )
        request = NewOrder.model_validate(
            {
                "customer": {"email": f"b{n}@example.com", "name": "B"},
                "lines": [{"sku": "LAST", "quantity": 1}],
            }
        )
        return service.place(request, Principal("channel", f"k{n}", "web"), idempotency_key=None)

    with ThreadPoolExecutor(BUYERS) as pool:
        results = list(pool.map(buy, range(BUYERS)))

    placed = [r for r in results if isinstance(r, Placed)]
    assert len(placed) == UNITS
    final = catalog.get_stock("LAST")
    assert final is not None
    assert (final.on_hand, final.reserved, final.available) == (UNITS, UNITS, 0)
    orders, _ = OrderStore(dynamodb, ORDERS.local_name, CATALOG.local_name).query(
        OrderQuery(channel="web", created_from=datetime.now(UTC).date().isoformat(), limit=100), None
    )
    assert len(orders) == UNITS
    assert os.environ.get("AWS_ENDPOINT_URL") is None  # nothing leaked into the process environment

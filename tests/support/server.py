"""An embedded moto server for tests that race threads against it (serialized, like the local stack)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3

from infra.local.moto_server import EmbeddedAws
from infra.local.resources import ensure_tables
from infra.spec import CATALOG, CUSTOMERS, ORDERS
from shared.config import settings
from shared.dal.catalog import CatalogStore
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderStore
from shared.services.orders import OrderService
from shared.services.stock import StockService
from tests.support.ports import free_port


@dataclass(frozen=True)
class Server:
    url: str
    dynamodb: Any  # a client for the test's own reads

    def order_service(self, *, link_customers: bool = False) -> OrderService:
        """A service with its own client, as each Lambda environment has (call it once per thread)."""
        db = boto3.client("dynamodb", endpoint_url=self.url)
        customers = CUSTOMERS.local_name if link_customers else None
        return OrderService(
            OrderStore(db, ORDERS.local_name, CATALOG.local_name, customers),
            CatalogStore(db, CATALOG.local_name),
            settings(),
        )

    @property
    def inventory(self) -> InventoryStore:
        return InventoryStore(self.dynamodb, CATALOG.local_name)

    @property
    def orders(self) -> OrderStore:
        return OrderStore(self.dynamodb, ORDERS.local_name, CATALOG.local_name)


@contextmanager
def moto_server(stock: dict[str, int]) -> Iterator[Server]:
    """Tables created, and each SKU a product at 5.00 with that many units counted."""
    aws = EmbeddedAws("127.0.0.1", free_port()).start()
    try:
        dynamodb = boto3.client("dynamodb", endpoint_url=aws.url)
        ensure_tables(dynamodb)
        server = Server(aws.url, dynamodb)
        for sku, units in stock.items():
            CatalogStore(dynamodb, CATALOG.local_name).put_product(sku, sku.title(), Decimal("5.00"), "now")
            StockService(server.inventory).count(sku, units, location="default", actor="test", update_id=None)
        yield server
    finally:
        aws.stop()

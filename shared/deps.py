"""The collaborators the functions share, each built once per execution environment (at init),
from the environment infra/spec.py gives the function. A function builds only what it uses."""

from __future__ import annotations

from functools import cache

from shared.aws import client
from shared.config import required, settings
from shared.dal.catalog import CatalogStore
from shared.dal.customers import CustomerStore
from shared.dal.events import EventPublisher
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderStore
from shared.models.events import INVENTORY_SOURCE, ORDERS_SOURCE
from shared.services.customers import CustomerService
from shared.services.inventory import BackorderFiller, InventoryEvents, StockService
from shared.services.order_events import OrderEvents
from shared.services.orders import OrderService


@cache
def catalog_store() -> CatalogStore:
    return CatalogStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@cache
def order_store() -> OrderStore:
    return OrderStore(client("dynamodb"), required("OMS_ORDERS_TABLE"), required("OMS_CATALOG_TABLE"))


@cache
def customer_service() -> CustomerService:
    return CustomerService(CustomerStore(client("dynamodb"), required("OMS_CUSTOMERS_TABLE")), order_store())


@cache
def order_service() -> OrderService:
    # Placing orders links them to customers: only the functions that place orders get the table.
    linking = OrderStore(
        client("dynamodb"),
        required("OMS_ORDERS_TABLE"),
        required("OMS_CATALOG_TABLE"),
        required("OMS_CUSTOMERS_TABLE"),
    )
    return OrderService(linking, catalog_store(), settings())


@cache
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@cache
def stock_service() -> StockService:
    return StockService(inventory_store())


@cache
def inventory_events() -> InventoryEvents:
    publisher = EventPublisher(client("events"), required("OMS_EVENT_BUS"), INVENTORY_SOURCE)
    return InventoryEvents(inventory_store(), BackorderFiller(inventory_store(), order_store()), publisher)


@cache
def order_events() -> OrderEvents:
    return OrderEvents(EventPublisher(client("events"), required("OMS_EVENT_BUS"), ORDERS_SOURCE))


def reset() -> None:
    """Forget every collaborator (tests switch AWS backends between cases)."""
    for built in (
        catalog_store,
        order_store,
        order_service,
        customer_service,
        inventory_store,
        stock_service,
        inventory_events,
        order_events,
        client,
        settings,
    ):
        built.cache_clear()

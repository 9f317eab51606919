"""The order collaborators every function that places orders shares, built once per execution
environment (at init), from the environment infra/spec.py gives it."""

from __future__ import annotations

from functools import cache

from shared.aws import client
from shared.config import required, settings
from shared.dal.catalog import CatalogStore
from shared.dal.orders import OrderStore
from shared.services.orders import OrderService


@cache
def catalog_store() -> CatalogStore:
    return CatalogStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@cache
def order_service() -> OrderService:
    orders = OrderStore(client("dynamodb"), required("OMS_ORDERS_TABLE"), required("OMS_CATALOG_TABLE"))
    return OrderService(orders, catalog_store(), settings())


def reset() -> None:
    """Forget every collaborator (tests switch AWS backends between cases)."""
    for built in (catalog_store, order_service, client, settings):
        built.cache_clear()

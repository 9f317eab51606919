"""The catalog stream consumer's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import (
    CATALOG_TABLE_ENV,
    EVENT_BUS_ENV,
    INVENTORY_STATS_TABLE_ENV,
    ORDERS_TABLE_ENV,
    required,
    settings,
)
from shared.dal.events import EventPublisher
from shared.dal.inventory import InventoryStore
from shared.dal.inventory_stats import InventoryStatsStore
from shared.dal.orders import OrderStore
from shared.models.events import INVENTORY_SOURCE
from shared.reports.days import zone
from shared.services.backorders import BackorderFiller
from shared.services.inventory_events import InventoryEvents
from shared.services.stock_stats import StockRecorder


@once
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@once
def inventory_events() -> InventoryEvents:
    """Stock changes: backorders filled (the orders waiting are confirmed) and StockLow published."""
    orders = OrderStore(client("dynamodb"), required(ORDERS_TABLE_ENV), required(CATALOG_TABLE_ENV))
    publisher = EventPublisher(client("events"), required(EVENT_BUS_ENV), INVENTORY_SOURCE)
    return InventoryEvents(inventory_store(), BackorderFiller(inventory_store(), orders), publisher)


@once
def stock_stats() -> StockRecorder:
    """Out-of-stock days and units shipped per location (issue 18: inventory performance)."""
    stats = InventoryStatsStore(client("dynamodb"), required(INVENTORY_STATS_TABLE_ENV))
    return StockRecorder(stats, zone(settings().timezone))

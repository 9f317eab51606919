"""The catalog stream consumer's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import required
from shared.dal.events import EventPublisher
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderStore
from shared.models.events import INVENTORY_SOURCE
from shared.services.inventory import BackorderFiller, InventoryEvents


@once
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@once
def inventory_events() -> InventoryEvents:
    """Stock changes: backorders filled (the orders waiting are confirmed) and StockLow published."""
    orders = OrderStore(client("dynamodb"), required("OMS_ORDERS_TABLE"), required("OMS_CATALOG_TABLE"))
    publisher = EventPublisher(client("events"), required("OMS_EVENT_BUS"), INVENTORY_SOURCE)
    return InventoryEvents(inventory_store(), BackorderFiller(inventory_store(), orders), publisher)

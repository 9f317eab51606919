"""The warehouse stock feed's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import CATALOG_TABLE_ENV, STOCK_UPDATES_DLQ_URL_ENV, required
from shared.dal.inventory import InventoryStore
from shared.dal.queues import DeadLetters
from shared.services.stock import StockService


@once
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@once
def stock_service() -> StockService:
    return StockService(inventory_store())


@once
def dead_letters() -> DeadLetters:
    return DeadLetters(lambda: client("sqs"), required(STOCK_UPDATES_DLQ_URL_ENV))

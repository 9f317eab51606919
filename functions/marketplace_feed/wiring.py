"""The marketplace feed's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import (
    CATALOG_TABLE_ENV,
    CUSTOMERS_TABLE_ENV,
    MARKETPLACE_DLQ_URL_ENV,
    ORDERS_TABLE_ENV,
    required,
    settings,
)
from shared.dal.catalog import CatalogStore
from shared.dal.listings import ListingStore
from shared.dal.orders import OrderStore
from shared.dal.queues import DeadLetters
from shared.services.channel_orders import ChannelOrderService
from shared.services.feeds import MarketplaceFeed


@once
def channel_order_service() -> ChannelOrderService:
    """Channel orders: placed and updated, linked to customers, listings resolved."""
    dynamodb, catalog = client("dynamodb"), required(CATALOG_TABLE_ENV)
    linking = OrderStore(dynamodb, required(ORDERS_TABLE_ENV), catalog, required(CUSTOMERS_TABLE_ENV))
    return ChannelOrderService(
        linking, CatalogStore(dynamodb, catalog), ListingStore(dynamodb, catalog), settings()
    )


@once
def feed() -> MarketplaceFeed:
    return MarketplaceFeed(channel_order_service())


@once
def dead_letters() -> DeadLetters:
    return DeadLetters(lambda: client("sqs"), required(MARKETPLACE_DLQ_URL_ENV))

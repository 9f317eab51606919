"""The marketplace feed's collaborators, built once per execution environment (``shared.aws.once``)."""

from __future__ import annotations

from shared.aws import client, once
from shared.config import required, settings
from shared.dal.catalog import CatalogStore
from shared.dal.listings import ListingStore
from shared.dal.orders import OrderStore
from shared.dal.queues import DeadLetters
from shared.services.channel_orders import ChannelOrderService
from shared.services.feeds import MarketplaceFeed


@once
def channel_order_service() -> ChannelOrderService:
    """Channel orders: placed and updated, linked to customers, listings resolved."""
    dynamodb, catalog = client("dynamodb"), required("OMS_CATALOG_TABLE")
    linking = OrderStore(dynamodb, required("OMS_ORDERS_TABLE"), catalog, required("OMS_CUSTOMERS_TABLE"))
    return ChannelOrderService(
        linking, CatalogStore(dynamodb, catalog), ListingStore(dynamodb, catalog), settings()
    )


@once
def feed() -> MarketplaceFeed:
    return MarketplaceFeed(channel_order_service())


@once
def dead_letters() -> DeadLetters:
    return DeadLetters(client("sqs"), required("OMS_MARKETPLACE_DLQ_URL"))

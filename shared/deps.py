"""The collaborators the functions share, each built once per execution environment (at init),
from the environment infra/spec.py gives the function. A function builds only what it uses."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from shared.aws import client, s3_client
from shared.config import (
    API_KEYS_TABLE_ENV,
    CATALOG_TABLE_ENV,
    CONNECTIONS_TABLE_ENV,
    CUSTOMERS_TABLE_ENV,
    DAILY_SALES_TABLE_ENV,
    DEAD_LETTERS_ENV,
    EVENT_BUS_ENV,
    ORDERS_TABLE_ENV,
    REPORTS_BUCKET_ENV,
    REPORTS_TABLE_ENV,
    SECRETS_KEY_ENV,
    required,
    settings,
)
from shared.dal.catalog import CatalogStore
from shared.dal.customers import CustomerStore
from shared.dal.events import EventPublisher
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderStore
from shared.models.events import INVENTORY_SOURCE, ORDERS_SOURCE
from shared.services.backorders import BackorderFiller
from shared.services.customers import CustomerService
from shared.services.inventory_events import InventoryEvents
from shared.services.order_events import OrderEvents
from shared.services.orders import OrderService
from shared.services.stock import StockService

if TYPE_CHECKING:  # modules only some functions use are imported by those functions alone
    from shared.dal.listings import ListingStore
    from shared.dal.report_files import ReportFiles
    from shared.dal.reports import ReportStore
    from shared.dal.sales import SalesStore
    from shared.services.channel_orders import ChannelOrderService
    from shared.services.connections import ConnectionService
    from shared.services.dead_letters import DeadLetterService
    from shared.services.reports import ReportBuilder, ReportService
    from shared.services.sales import SalesAggregator


@cache
def catalog_store() -> CatalogStore:
    return CatalogStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@cache
def order_store() -> OrderStore:
    return OrderStore(client("dynamodb"), required(ORDERS_TABLE_ENV), required(CATALOG_TABLE_ENV))


@cache
def customer_service() -> CustomerService:
    return CustomerService(CustomerStore(client("dynamodb"), required(CUSTOMERS_TABLE_ENV)), order_store())


@cache
def order_service() -> OrderService:
    # Placing orders links them to customers: only the functions that place orders get the table.
    linking = OrderStore(
        client("dynamodb"),
        required(ORDERS_TABLE_ENV),
        required(CATALOG_TABLE_ENV),
        required(CUSTOMERS_TABLE_ENV),
    )
    return OrderService(linking, catalog_store(), settings())


@cache
def channel_order_service() -> ChannelOrderService:
    """Channel orders (the feed): placed and updated, linked to customers, listings resolved."""
    from shared.dal.listings import ListingStore
    from shared.services.channel_orders import ChannelOrderService

    catalog = required(CATALOG_TABLE_ENV)
    linking = OrderStore(
        client("dynamodb"), required(ORDERS_TABLE_ENV), catalog, required(CUSTOMERS_TABLE_ENV)
    )
    return ChannelOrderService(
        linking, catalog_store(), ListingStore(client("dynamodb"), catalog), settings()
    )


@cache
def listing_store() -> ListingStore:
    from shared.dal.listings import ListingStore

    return ListingStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@cache
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@cache
def stock_service() -> StockService:
    return StockService(inventory_store())


@cache
def inventory_events() -> InventoryEvents:
    publisher = EventPublisher(client("events"), required(EVENT_BUS_ENV), INVENTORY_SOURCE)
    return InventoryEvents(inventory_store(), BackorderFiller(inventory_store(), order_store()), publisher)


@cache
def order_events() -> OrderEvents:
    return OrderEvents(EventPublisher(client("events"), required(EVENT_BUS_ENV), ORDERS_SOURCE))


@cache
def sales_store() -> SalesStore:
    from shared.dal.sales import SalesStore

    return SalesStore(client("dynamodb"), required(DAILY_SALES_TABLE_ENV))


@cache
def sales_aggregator() -> SalesAggregator:
    from shared.reports.days import zone
    from shared.services.sales import SalesAggregator

    return SalesAggregator(sales_store(), zone(settings().timezone))


@cache
def report_store() -> ReportStore:
    from shared.dal.reports import ReportStore

    return ReportStore(client("dynamodb"), required(REPORTS_TABLE_ENV))


@cache
def report_files() -> ReportFiles:
    from shared.dal.report_files import ReportFiles

    return ReportFiles(s3_client(), required(REPORTS_BUCKET_ENV))


@cache
def report_service() -> ReportService:
    from shared.services.reports import ReportService

    return ReportService(report_store(), report_files(), settings().timezone)


@cache
def report_builder() -> ReportBuilder:
    from shared.dal.report_sources import OrderPeriods, Products
    from shared.services.reports import ReportBuilder

    dynamodb = client("dynamodb")
    orders, catalog = required(ORDERS_TABLE_ENV), required(CATALOG_TABLE_ENV)
    return ReportBuilder(
        report_store(),
        report_files(),
        sales_store(),
        orders=lambda: OrderPeriods(dynamodb, orders),
        products=lambda: Products(dynamodb, catalog),
    )


@cache
def connection_service() -> ConnectionService:
    from shared.dal.api_keys import ChannelKeys
    from shared.dal.connections import ConnectionStore
    from shared.dal.secrets import SecretCipher
    from shared.services.connections import ConnectionService

    dynamodb = client("dynamodb")
    return ConnectionService(
        ConnectionStore(dynamodb, required(CONNECTIONS_TABLE_ENV)),
        SecretCipher(client("kms"), required(SECRETS_KEY_ENV)),
        ChannelKeys(dynamodb, required(API_KEYS_TABLE_ENV)),
    )


@cache
def dead_letter_service() -> DeadLetterService:
    from shared.dal.dead_letters import SqsQueues
    from shared.services.dead_letters import DeadLetterService, configured_queues

    return DeadLetterService(configured_queues(required(DEAD_LETTERS_ENV)), SqsQueues(client("sqs")))


def reset() -> None:
    """Forget every collaborator (tests switch AWS backends between cases)."""
    for built in (
        catalog_store,
        order_store,
        order_service,
        channel_order_service,
        listing_store,
        customer_service,
        inventory_store,
        stock_service,
        inventory_events,
        order_events,
        sales_store,
        sales_aggregator,
        report_store,
        report_files,
        report_service,
        report_builder,
        connection_service,
        dead_letter_service,
        client,
        s3_client,
        settings,
    ):
        built.cache_clear()

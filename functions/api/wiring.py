"""The API function's collaborators, each built once per execution environment (``shared.aws.once``)
from the environment infra/spec.py gives the function. The routes call these; nothing else does.

A module only a few routes need (connections, dead letters, report files) is imported by its builder,
on the first request that needs it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shared.aws import client, once, s3_client
from shared.config import (
    ALARM_PREFIX_ENV,
    API_KEYS_TABLE_ENV,
    CATALOG_TABLE_ENV,
    CONNECTIONS_TABLE_ENV,
    CUSTOMER_STATS_TABLE_ENV,
    CUSTOMERS_TABLE_ENV,
    DAILY_SALES_TABLE_ENV,
    DEAD_LETTERS_ENV,
    IMPORTS_BUCKET_ENV,
    IMPORTS_TABLE_ENV,
    INVENTORY_STATS_TABLE_ENV,
    LOCAL_STACK_ENV,
    NOTIFICATIONS_TABLE_ENV,
    ORDERS_TABLE_ENV,
    REPORTS_BUCKET_ENV,
    REPORTS_TABLE_ENV,
    SECRETS_KEY_ENV,
    WEBHOOKS_QUEUE_URL_ENV,
    WEBHOOKS_TABLE_ENV,
    local_stack,
    required,
    settings,
)
from shared.dal.catalog import CatalogStore
from shared.dal.customers import CustomerStore
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderStore
from shared.services.customers import CustomerService
from shared.services.orders import OrderService
from shared.services.stock import StockService

if TYPE_CHECKING:
    from shared.dal.alarms import AlarmSource
    from shared.dal.listings import ListingStore
    from shared.dal.notifications import NotificationStore
    from shared.services.connections import ConnectionService
    from shared.services.customer_stats import CustomerAnalytics
    from shared.services.dead_letters import DeadLetterService
    from shared.services.import_uploads import ImportUploads
    from shared.services.inventory_performance import InventoryAnalytics
    from shared.services.keys import KeyService
    from shared.services.reports import ReportService
    from shared.services.sessions import SessionService
    from shared.services.trends import TrendService
    from shared.services.webhooks import WebhookEndpoints


@once
def catalog_store() -> CatalogStore:
    return CatalogStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@once
def order_store() -> OrderStore:
    return OrderStore(client("dynamodb"), required(ORDERS_TABLE_ENV), required(CATALOG_TABLE_ENV))


@once
def order_service() -> OrderService:
    # Placing orders links them to customers: the store that places them gets the customers table.
    linking = OrderStore(
        client("dynamodb"),
        required(ORDERS_TABLE_ENV),
        required(CATALOG_TABLE_ENV),
        required(CUSTOMERS_TABLE_ENV),
    )
    return OrderService(linking, catalog_store(), settings())


@once
def customer_service() -> CustomerService:
    return CustomerService(CustomerStore(client("dynamodb"), required(CUSTOMERS_TABLE_ENV)), order_store())


@once
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@once
def stock_service() -> StockService:
    return StockService(inventory_store())


@once
def listing_store() -> ListingStore:
    from shared.dal.listings import ListingStore

    return ListingStore(client("dynamodb"), required(CATALOG_TABLE_ENV))


@once
def report_service() -> ReportService:
    from shared.dal.report_files import ReportFiles
    from shared.dal.reports import ReportStore
    from shared.services.reports import ReportService

    return ReportService(
        ReportStore(client("dynamodb"), required(REPORTS_TABLE_ENV)),
        ReportFiles(s3_client(), required(REPORTS_BUCKET_ENV)),
        settings().timezone,
    )


@once
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


@once
def dead_letter_service() -> DeadLetterService:
    from shared.dal.dead_letters import SqsQueues
    from shared.services.dead_letters import DeadLetterService, configured_queues

    return DeadLetterService(configured_queues(required(DEAD_LETTERS_ENV)), SqsQueues(client("sqs")))


@once
def import_uploads() -> ImportUploads:
    from shared.dal.import_files import ImportObjects
    from shared.dal.imports import ImportRunStore
    from shared.services.import_uploads import ImportUploads

    return ImportUploads(
        ImportRunStore(client("dynamodb"), required(IMPORTS_TABLE_ENV)),
        ImportObjects(s3_client(), required(IMPORTS_BUCKET_ENV)),
    )


@once
def session_service() -> SessionService:
    from shared.dal.api_keys import ApiKeyStore
    from shared.dal.sessions import SessionStore
    from shared.services.sessions import SessionService

    dynamodb = client("dynamodb")
    table = required(API_KEYS_TABLE_ENV)
    return SessionService(ApiKeyStore(dynamodb, table), SessionStore(dynamodb, table))


@once
def key_service() -> KeyService:
    import os

    from shared.dal.api_keys import ApiKeyStore
    from shared.services.keys import KeyService

    # In AWS a person's key needs the staff channel's API Gateway key; the local stack has none.
    local = os.environ.get(LOCAL_STACK_ENV) == "true"
    return KeyService(
        ApiKeyStore(client("dynamodb"), required(API_KEYS_TABLE_ENV)), usage_keys_required=not local
    )


@once
def alarm_source() -> AlarmSource | None:
    """The stack's CloudWatch alarms; None where the environment names no alarm prefix (the local stack)."""
    prefix = os.environ.get(ALARM_PREFIX_ENV, "").strip()
    if not prefix:
        return None
    from shared.dal.alarms import CloudWatchAlarms

    return CloudWatchAlarms(client("cloudwatch"), prefix)


@once
def webhook_endpoints() -> WebhookEndpoints:
    from shared.dal.secrets import SecretCipher
    from shared.dal.webhooks import DeliveryMessages, WebhookStore
    from shared.services.webhooks import CONTEXT_KEY, WebhookEndpoints

    return WebhookEndpoints(
        WebhookStore(client("dynamodb"), required(WEBHOOKS_TABLE_ENV)),
        SecretCipher(client("kms"), required(SECRETS_KEY_ENV), context_key=CONTEXT_KEY),
        DeliveryMessages(client("sqs"), required(WEBHOOKS_QUEUE_URL_ENV)),
        allow_loopback_http=local_stack(),
    )


@once
def notification_store() -> NotificationStore:
    from shared.dal.notifications import NotificationStore

    return NotificationStore(client("dynamodb"), required(NOTIFICATIONS_TABLE_ENV))


@once
def customer_analytics() -> CustomerAnalytics:
    """Customer behaviour (issue 18): the customer aggregates, and the customers table for live names."""
    from shared.dal.customer_stats import CustomerStatsStore
    from shared.services.customer_stats import CustomerAnalytics

    dynamodb = client("dynamodb")
    return CustomerAnalytics(
        CustomerStatsStore(dynamodb, required(CUSTOMER_STATS_TABLE_ENV)),
        CustomerStore(dynamodb, required(CUSTOMERS_TABLE_ENV)),
        settings().timezone,
    )


@once
def inventory_analytics() -> InventoryAnalytics:
    """GET /analytics/inventory: each answer reads through its own counting sources (its statistics)."""
    from shared.dal.inventory_stats import PerformanceSources
    from shared.reports.days import zone
    from shared.services.inventory_performance import InventoryAnalytics

    dynamodb = client("dynamodb")
    catalog, stats, sales = (
        required(CATALOG_TABLE_ENV),
        required(INVENTORY_STATS_TABLE_ENV),
        required(DAILY_SALES_TABLE_ENV),
    )
    return InventoryAnalytics(
        lambda: PerformanceSources(dynamodb, catalog, stats, sales), zone(settings().timezone)
    )


READ_WORKERS = 16  # a trend's queries (one per period and shard) run on this many threads


@once
def trend_service() -> TrendService:
    """GET /analytics/trends: each trend reads through a store of its own (its statistics are its own)."""
    from shared.dal.sales import SalesStore
    from shared.services.trends import TrendService

    dynamodb, table = client("dynamodb"), required(DAILY_SALES_TABLE_ENV)
    workers = 1 if local_stack() else READ_WORKERS  # the local stack's moto serves one request at a time
    return TrendService(lambda: SalesStore(dynamodb, table, workers=workers), settings().timezone)

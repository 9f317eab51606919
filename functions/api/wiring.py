"""The API function's collaborators, each built once per execution environment (``shared.aws.once``)
from the environment infra/spec.py gives the function. The routes call these; nothing else does.

A module only a few routes need (connections, dead letters, report files) is imported by its builder,
on the first request that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.aws import client, once, s3_client
from shared.config import required, settings
from shared.dal.catalog import CatalogStore
from shared.dal.customers import CustomerStore
from shared.dal.inventory import InventoryStore
from shared.dal.orders import OrderStore
from shared.services.customers import CustomerService
from shared.services.inventory import StockService
from shared.services.orders import OrderService

if TYPE_CHECKING:
    from shared.dal.listings import ListingStore
    from shared.services.connections import ConnectionService
    from shared.services.dead_letters import DeadLetterService
    from shared.services.reports import ReportService


@once
def catalog_store() -> CatalogStore:
    return CatalogStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@once
def order_store() -> OrderStore:
    return OrderStore(client("dynamodb"), required("OMS_ORDERS_TABLE"), required("OMS_CATALOG_TABLE"))


@once
def order_service() -> OrderService:
    # Placing orders links them to customers: the store that places them gets the customers table.
    linking = OrderStore(
        client("dynamodb"),
        required("OMS_ORDERS_TABLE"),
        required("OMS_CATALOG_TABLE"),
        required("OMS_CUSTOMERS_TABLE"),
    )
    return OrderService(linking, catalog_store(), settings())


@once
def customer_service() -> CustomerService:
    return CustomerService(CustomerStore(client("dynamodb"), required("OMS_CUSTOMERS_TABLE")), order_store())


@once
def inventory_store() -> InventoryStore:
    return InventoryStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@once
def stock_service() -> StockService:
    return StockService(inventory_store())


@once
def listing_store() -> ListingStore:
    from shared.dal.listings import ListingStore

    return ListingStore(client("dynamodb"), required("OMS_CATALOG_TABLE"))


@once
def report_service() -> ReportService:
    from shared.dal.report_files import ReportFiles
    from shared.dal.reports import ReportStore
    from shared.services.reports import ReportService

    return ReportService(
        ReportStore(client("dynamodb"), required("OMS_REPORTS_TABLE")),
        ReportFiles(s3_client(), required("OMS_REPORTS_BUCKET")),
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
        ConnectionStore(dynamodb, required("OMS_CONNECTIONS_TABLE")),
        SecretCipher(client("kms"), required("OMS_SECRETS_KEY")),
        ChannelKeys(dynamodb, required("OMS_API_KEYS_TABLE")),
    )


@once
def dead_letter_service() -> DeadLetterService:
    from shared.dal.dead_letters import SqsQueues
    from shared.models.dead_letters import DEAD_LETTERS_ENV
    from shared.services.dead_letters import DeadLetterService, configured_queues

    return DeadLetterService(configured_queues(required(DEAD_LETTERS_ENV)), SqsQueues(client("sqs")))

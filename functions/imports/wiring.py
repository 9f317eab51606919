"""The import worker's collaborators, built once per execution environment (``shared.aws.once``).

Every message needs the whole engine (a plan checks every entry against the live data; a chunk writes), so
it is built with the first message; the dead-letter queue is checked during init.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.aws import client, once, s3_client
from shared.config import (
    CATALOG_TABLE_ENV,
    CUSTOMERS_TABLE_ENV,
    EVENT_BUS_ENV,
    IMPORT_WORK_DLQ_URL_ENV,
    IMPORT_WORK_QUEUE_URL_ENV,
    IMPORTS_BUCKET_ENV,
    IMPORTS_TABLE_ENV,
    ORDERS_TABLE_ENV,
    required,
    settings,
)
from shared.dal.queues import DeadLetters

if TYPE_CHECKING:
    from shared.services.import_jobs import ImportJobs
    from shared.services.imports import ImportService


@once
def dead_letters() -> DeadLetters:
    return DeadLetters(lambda: client("sqs"), required(IMPORT_WORK_DLQ_URL_ENV))


@once
def import_service() -> ImportService:
    """The engine ``oms import`` drives too: the runs, every kind's writer and live check, ImportFinished."""
    from shared.dal.events import EventPublisher
    from shared.dal.imports import ImportRunStore
    from shared.models.events import IMPORTS_SOURCE
    from shared.services.import_writers import standard_writers
    from shared.services.imports import ImportService
    from shared.services.order_imports import order_imports

    dynamodb = client("dynamodb")
    catalog, customers = required(CATALOG_TABLE_ENV), required(CUSTOMERS_TABLE_ENV)
    writers, checks = standard_writers(dynamodb, catalog_table=catalog, customers_table=customers)
    writers["orders"], checks["orders"] = order_imports(
        dynamodb,
        orders_table=required(ORDERS_TABLE_ENV),
        catalog_table=catalog,
        customers_table=customers,
        settings=settings(),
    )
    return ImportService(
        ImportRunStore(dynamodb, required(IMPORTS_TABLE_ENV)),
        writers,
        checks,
        EventPublisher(client("events"), required(EVENT_BUS_ENV), IMPORTS_SOURCE),
    )


@once
def jobs() -> ImportJobs:
    from shared.dal.import_files import ImportObjects, ImportWorkQueue
    from shared.dal.imports import ImportRunStore
    from shared.services.import_jobs import ImportJobs

    return ImportJobs(
        ImportRunStore(client("dynamodb"), required(IMPORTS_TABLE_ENV)),
        import_service(),
        ImportObjects(s3_client(), required(IMPORTS_BUCKET_ENV)),
        ImportWorkQueue(client("sqs"), required(IMPORT_WORK_QUEUE_URL_ENV)),
        settings().currency,
    )

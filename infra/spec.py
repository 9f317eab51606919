"""The one description of the system's resources and functions (their types: ``infra/description.py``).

Both runtimes read this module and nothing else to decide what exists and what is wired to what:

* ``infra/stack.py`` (CDK) turns it into tables, Lambda functions, API Gateway routes, the
  authorizer and least-privilege grants;
* ``infra/local`` (``make run``) turns it into tables on the embedded AWS endpoint, the HTTP
  gateway on port 3000 and one worker process per function with that function's environment.

Adding a route or a function is one entry here plus its handler; the two runtimes cannot
disagree about the wiring. Keep this module free of CDK and boto3 imports: it is pure data. The names of
the environment variables it sets are ``shared.config``'s, which the functions read them by; what the
gateways answer themselves is ``shared.problems``'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from infra.description import (
    SCHEDULED_TIME,
    AnalyticsCatalog,
    Bucket,
    BucketNotification,
    Bus,
    DeadLetterQueue,
    EventRule,
    Function,
    Index,
    Key,
    Queue,
    QueueTrigger,
    Route,
    ScheduleTrigger,
    StreamTrigger,
    Table,
    Throttle,
    UsagePlan,
    Uses,
    UsesBucket,
    UsesKey,
)
from shared import config
from shared.analytics.layout import EXPORT_PREFIX, REEXPORT_DAYS_AGO
from shared.config import (
    CURRENCY_ENV,
    DEAD_LETTERS_ENV,
    DEFAULT_CURRENCY,
    DEFAULT_TIMEZONE,
    FUNCTION_ENV,
    TIMEZONE_ENV,
)
from shared.dal import keys
from shared.domain import webhooks as _webhooks
from shared.domain.notifications import NOTIFIED_DETAIL_TYPES
from shared.models import events as _events
from shared.models.dead_letters import DeadLetterQueueConfig

SERVICE_NAME = "oms"
METRICS_NAMESPACE = "OMS"

# --- stages -------------------------------------------------------------------------------
# A stage is one copy of the stack (CDK context ``stage``): prod, staging, ... side by side in one account
# and region. Every name the stack chooses itself (the bus, the key aliases, the API's name) goes through
# ``stage_name``; the alarms' names start with the stage's stack name (``alarm_prefix``); every other name
# is CloudFormation's, which starts with the stage's stack name too.
PROD_STAGE = "prod"
_STAGE = re.compile(r"^[a-z][a-z0-9]{0,11}$")


def check_stage(stage: str) -> str:
    """``stage`` if it is a stage name (1-12 lowercase letters and digits, a letter first)."""
    if not _STAGE.match(stage):
        raise ValueError(f"stage {stage!r}: lowercase letters and digits, at most 12, starting with a letter")
    return stage


def stage_name(name: str, stage: str = PROD_STAGE) -> str:
    """The physical name of ``name`` (``oms-...``, or a KMS alias ``alias/oms-...``) in ``stage``. prod keeps
    the name as written (renaming the bus or an alias replaces it, and other systems find the bus by name);
    another stage follows the service prefix: oms-events -> oms-staging-events, alias/oms-secrets ->
    alias/oms-staging-secrets. The local stack uses the names as written."""
    check_stage(stage)
    alias = "alias/" if name.startswith("alias/") else ""
    bare = name[len(alias) :]
    prefix = f"{SERVICE_NAME}-"
    if not bare.startswith(prefix):
        raise ValueError(f"{name!r}: a name the stack chooses starts with {prefix!r}")
    if stage == PROD_STAGE:
        return name
    return f"{alias}{prefix}{stage}-{bare[len(prefix) :]}"


def alarm_prefix(stack_name: str) -> str:
    """What the name of every alarm of a stack starts with (``infra/constructs/alarms.py`` names them so):
    the stack's name and a dot. No stage's prefix starts another's (a stack name has no dot), so
    DescribeAlarms granted on ``alarm:<prefix>*`` reads this stage's alarms and no other's."""
    return f"{stack_name}."


def metrics_namespace(stage: str = PROD_STAGE) -> str:
    """Where the functions of ``stage`` put their metrics: one stage's alarms never see another's."""
    check_stage(stage)
    return METRICS_NAMESPACE if stage == PROD_STAGE else f"{METRICS_NAMESPACE}/{stage}"


RUNTIME = "python3.13"
# The AWS-managed Powertools layer the functions run with; pyproject.toml pins the same version.
POWERTOOLS_VERSION = "3.37.0"

# --- tables -------------------------------------------------------------------------------

ORDERS = Table(
    id="Orders",
    env_var=config.ORDERS_TABLE_ENV,
    local_name="oms-orders",
    indexes=(
        # All are sparse: only order items carry these attributes, never dedup records.
        Index("by_channel", "channel", "created_key"),
        Index("by_status", "status", "created_key"),
        Index("by_channel_status", "channel_status", "created_key"),
        Index("by_day", "created_day", "created_key"),
        # When orders were placed on their channel (placed_at's UTC date; created_at without one):
        # orders_export lists the orders placed in a period, a late-arriving marketplace order too.
        Index("by_placed_day", "placed_day", "placed_key"),
        Index("by_customer", "customer_id", "created_key"),
        # Orders with attention items staff have not resolved (GET /orders?attention=true).
        Index("needs_attention", "needs_attention", "created_key"),
        # The tracking page's lookup by the id a customer knows (their shop's order number), any channel:
        # the order item's own external_id (no claim record carries one), so every order, old ones too,
        # is in it and an order item is no larger. Keys only: the page then reads the order itself.
        Index("by_external_id", "external_id", "pk", projection="KEYS_ONLY"),
    ),
    ttl_attribute="expires_at",  # idempotency-key records expire; orders never carry it
    personal_data=True,  # each order holds its customer and shipping address
    stream=True,  # order changes become order events (order_events)
)

CATALOG = Table(
    id="Catalog",
    env_var=config.CATALOG_TABLE_ENV,
    local_name="oms-catalog",
    # Sparse: only a product whose available stock is at or under its threshold carries low_stock.
    indexes=(
        Index("low_stock", "low_stock", "pk"),
        # Every product (``listed`` is set on each product item): the inventory report lists them here,
        # never by a Scan. Keys only, so stock moving never writes this index.
        Index("products", "listed", "pk", projection="KEYS_ONLY"),
        # GET /products?name_prefix=: products by name_key (shared.dal.catalog.name_key), set when a
        # product is PUT; one written before it existed joins on its next PUT. Keys only, as above.
        Index("products_by_name", "listed", "name_key", projection="KEYS_ONLY"),
    ),
    ttl_attribute="expires_at",  # update-id claims and finished waiting entries expire; nothing else
    stream=True,  # stock changes drive backorder confirmation and low-stock events
)

CUSTOMERS = Table(
    id="Customers",
    env_var=config.CUSTOMERS_TABLE_ENV,
    local_name="oms-customers",
    personal_data=True,  # the people behind the orders
    # CUSTOMER#{id} PROFILE (the person), EMAIL#{sha256} EMAIL (which customer an email belongs to)
)

API_KEYS = Table(
    id="ApiKeys",
    env_var=config.API_KEYS_TABLE_ENV,
    local_name="oms-api-keys",
    sort_key=None,
    # Sparse (staff keys have no channel), keys only: whether a channel has keys, never the keys' records.
    indexes=(Index("by_channel", "channel", "pk", projection="KEYS_ONLY"),),
    # session#{sha256(token)}: a person's console session (shared/dal/sessions.py); it expires, keys never.
    ttl_attribute="expires_at",
)

CONNECTIONS = Table(
    id="Connections",
    env_var=config.CONNECTIONS_TABLE_ENV,
    local_name="oms-connections",
    sort_key=None,
    # CHANNEL#{channel}: who owns the channel name, API keys or a platform connection (infra.keys writes
    # the claim with each channel key, in one transaction); a connection's item also holds its platform and
    # its webhook secrets, each encrypted with SECRETS_KEY (encryption context: the channel).
)

HOOK_DELIVERIES = Table(
    id="HookDeliveries",
    env_var=config.HOOK_DELIVERIES_TABLE_ENV,
    local_name="oms-hook-deliveries",
    sort_key=None,
    # {platform}#{channel}#{delivery}: a webhook delivery already put on the feed (expires after 2 days).
    ttl_attribute="expires_at",
)

REPORTS = Table(
    id="Reports",
    env_var=config.REPORTS_TABLE_ENV,
    local_name="oms-reports",
    indexes=(
        # Newest period first: every report, and the reports of one type.
        Index("by_period", "listed", "listing_key"),
        Index("by_type_period", "report_type", "listing_key"),
    ),
    stream=True,  # a report requested (a PENDING record inserted) is built by the reports function
)

DAILY_SALES = Table(
    id="DailySales",
    env_var=config.DAILY_SALES_TABLE_ENV,
    local_name="oms-daily-sales",
    # DAY#{date} TOTAL#{currency} | CHANNEL#{channel}#{currency} | SKU#{sku}#{currency} | STATUS#{status}:
    # counters kept from the orders stream ({sku} escaped, see shared/dal/keys.py); ORDER#{order_id}
    # APPLIED: the last change applied (expires).
    ttl_attribute="expires_at",
)

IMPORTS = Table(
    id="Imports",
    env_var=config.IMPORTS_TABLE_ENV,
    local_name="oms-imports",
    # IMPORT#{import_id} RUN: an import run's record; IMPORT#{import_id} CHUNK#{n}: a chunk counted
    # (shared/dal/keys.py). No personal data: counts, a file name, where the error report is.
    indexes=(Index("by_started", "listed", "started_key"),),  # newest run first
)

# --- webhooks (issue 17: signed webhooks to other systems) ----------------------------------------------

WEBHOOKS = Table(
    id="Webhooks",
    env_var=config.WEBHOOKS_TABLE_ENV,
    local_name="oms-webhooks",
    # WEBHOOK#{id} ENDPOINT: an endpoint (its secrets sealed with SECRETS_KEY, context {"webhook": id});
    # WEBHOOK#{id} DELIVERY#{delivery_id}: a delivery and its attempts (expires after 30 days).
    # shared/dal/webhooks.py.
    indexes=(
        Index("endpoints", "listed", "created_key"),  # every endpoint (one Query per event, cached)
        Index("deliveries", "delivery_of", "created_key"),  # one endpoint's deliveries, newest first
    ),
    ttl_attribute="expires_at",
    # A delivery keeps its payload, and an order's is the order as the API returns it: its customer and
    # address. Encrypted with the personal-data key, as the orders are.
    personal_data=True,
)
# --- notifications (issue 17: customer and staff email) ---------------------------------------
NOTIFICATIONS_TABLE = Table(
    id="Notifications",
    env_var=config.NOTIFICATIONS_TABLE_ENV,
    local_name="oms-notifications",
    # NOTICE#... CLAIM: one email's claim (pending with a lease, or sent; expires); SETTINGS;
    # TEMPLATE#{channel} {kind}; SUPPRESSED#{sha256(address)} (shared/dal/keys.py). The staff list holds
    # addresses: encrypted with the personal-data key.
    ttl_attribute="expires_at",
    personal_data=True,
)
# --- end notifications ---------------------------------------------------------------------------

# --- customer analytics (issue 18) ---------------------------------------------------------------
CUSTOMER_STATS = Table(
    id="CustomerStats",
    env_var=config.CUSTOMER_STATS_TABLE_ENV,
    local_name="oms-customer-stats",
    # CUSTOMER#{id} STATS (counted orders per day, money per currency, version); CUSTOMER#{id} LTV#{currency}
    # (lifetime value); MONTH#{YYYY-MM}#{shard} CUSTOMERS (a month's counters); ORDER#{order_id} APPLIED
    # (expires). shared/dal/customer_stats.py.
    # Sparse: only an LTV item worth more than 0 carries top_pk (LTV#{currency}#{shard}) and top_sk
    # ({cents:015d}#{customer_id}): the top customers by lifetime value, N from each shard, merged.
    indexes=(Index("top_customers", "top_pk", "top_sk"),),
    ttl_attribute="expires_at",
    # Not personal data: opaque customer ids (the ones an erased customer's orders keep too), counts, days
    # and money; never a name, an email, a phone or an address (names are read live from the customers
    # table when the top list is asked for).
    personal_data=False,
)
# --- end customer analytics ----------------------------------------------------------------------
# --- inventory analytics (issue 18) ---------------------------------------------------------------
INVENTORY_STATS = Table(
    id="InventoryStats",
    env_var=config.INVENTORY_STATS_TABLE_ENV,
    local_name="oms-inventory-stats",
    # SKU#{sku} MONTH#{yyyy-mm}: sold_{dd}, oos_{dd}, shipped_{dd}@{location}; SKU#{sku} SHIPPED#{ledger sk}:
    # a shipment added (expires); STOCKOUT#{day} SKU#{sku}: sku, day, locations; OUT SKU#{sku}: out of stock
    # now (shared/dal/inventory_stats.py). No personal data: SKUs, days, locations, units.
    ttl_attribute="expires_at",
)
# --- end inventory analytics ----------------------------------------------------------------------

TABLES: tuple[Table, ...] = (
    NOTIFICATIONS_TABLE,
    ORDERS,
    CATALOG,
    CUSTOMERS,
    API_KEYS,
    REPORTS,
    DAILY_SALES,
    CONNECTIONS,
    HOOK_DELIVERIES,
    IMPORTS,
    WEBHOOKS,
    CUSTOMER_STATS,
    INVENTORY_STATS,
)

# --- KMS keys -----------------------------------------------------------------------------

SECRETS_KEY = Key(
    id="Secrets",
    env_var=config.SECRETS_KEY_ENV,
    alias="alias/oms-secrets",
    description="OMS: encrypts the webhook secrets of the platform connections (context: the channel)",
)

# Issue 17, tracking: signs the customers' tracking links (/track/{token}). HMAC_256: MACs only, never
# rotated by KMS (HMAC keys cannot be); notifications make links, the tracking function verifies them.
TRACKING_KEY = Key(
    id="Tracking",
    env_var=config.TRACKING_KEY_ENV,
    alias="alias/oms-tracking",
    description="OMS: signs the customers' order tracking links (HMAC of the order id)",
    spec="HMAC_256",
)

KEYS: tuple[Key, ...] = (SECRETS_KEY, TRACKING_KEY)

# --- queues -------------------------------------------------------------------------------

MARKETPLACE_FEED_TIMEOUT_S = 30
MARKETPLACE_FEED_BATCH_WINDOW_S = 1

MARKETPLACE_ORDERS_DLQ = Queue(
    id="MarketplaceOrdersDlq",
    env_var=config.MARKETPLACE_DLQ_URL_ENV,
    local_name="oms-marketplace-orders-dlq",
    retention_days=14,  # SQS counts age from the first send: the DLQ keeps longer than its source
    personal_data=True,  # the marketplace orders it keeps, with their customers
)

MARKETPLACE_ORDERS = Queue(
    id="MarketplaceOrders",
    env_var=config.MARKETPLACE_QUEUE_URL_ENV,
    local_name="oms-marketplace-orders",
    # Lambda's advice: six times the consumer's timeout plus the batching window.
    visibility_timeout_s=6 * MARKETPLACE_FEED_TIMEOUT_S + MARKETPLACE_FEED_BATCH_WINDOW_S,
    retention_days=4,
    dead_letter=MARKETPLACE_ORDERS_DLQ,
    max_receive_count=5,
    personal_data=True,  # a marketplace order names its customer: email, name, addresses
)

STOCK_UPDATES_TIMEOUT_S = 30
STOCK_UPDATES_BATCH_WINDOW_S = 1

STOCK_UPDATES_DLQ = Queue(
    id="StockUpdatesDlq",
    env_var=config.STOCK_UPDATES_DLQ_URL_ENV,
    local_name="oms-stock-updates-dlq",
    retention_days=14,
)

STOCK_UPDATES = Queue(
    id="StockUpdates",
    env_var=config.STOCK_UPDATES_QUEUE_URL_ENV,
    local_name="oms-stock-updates",
    visibility_timeout_s=6 * STOCK_UPDATES_TIMEOUT_S + STOCK_UPDATES_BATCH_WINDOW_S,
    retention_days=4,
    dead_letter=STOCK_UPDATES_DLQ,
    max_receive_count=5,
)

# Where the inventory-events stream mapping records a batch it gave up on (Lambda sends a pointer to
# the stream records, not the records: they stay readable in the stream for 24 hours).
INVENTORY_EVENTS_FAILURES = Queue(
    id="InventoryEventsFailures",
    env_var=config.INVENTORY_EVENTS_FAILURES_URL_ENV,
    local_name="oms-inventory-events-failures",
    retention_days=14,
)

# Where the order-events stream mapping records a batch it gave up on (pointers, as above).
ORDER_EVENTS_FAILURES = Queue(
    id="OrderEventsFailures",
    env_var=config.ORDER_EVENTS_FAILURES_URL_ENV,
    local_name="oms-order-events-failures",
    retention_days=14,
)

# Where the sales-aggregates stream mapping records a batch it gave up on (pointers, as above).
SALES_AGGREGATES_FAILURES = Queue(
    id="SalesAggregatesFailures",
    env_var=config.SALES_AGGREGATES_FAILURES_URL_ENV,
    local_name="oms-sales-aggregates-failures",
    retention_days=14,
)

# Where the reports stream mapping records a report request it gave up on (pointers, as above).
REPORTS_FAILURES = Queue(
    id="ReportsFailures",
    env_var=config.REPORTS_FAILURES_URL_ENV,
    local_name="oms-reports-failures",
    retention_days=14,
)

# Where EventBridge Scheduler puts a scheduled run it could not deliver after its retries.
SCHEDULE_FAILURES = Queue(
    id="ScheduleFailures",
    env_var=config.SCHEDULE_FAILURES_URL_ENV,
    local_name="oms-schedule-failures",
    retention_days=14,
)

IMPORT_WORK_TIMEOUT_S = 900  # a chunk of rows, or a whole file read once to plan its chunks

IMPORT_WORK_DLQ = Queue(
    id="ImportWorkDlq",
    env_var=config.IMPORT_WORK_DLQ_URL_ENV,
    local_name="oms-import-work-dlq",
    retention_days=14,
)

# An upload's S3 event (the imports bucket notifies it), then one message per chunk of rows.
IMPORT_WORK = Queue(
    id="ImportWork",
    env_var=config.IMPORT_WORK_QUEUE_URL_ENV,
    local_name="oms-import-work",
    visibility_timeout_s=6 * IMPORT_WORK_TIMEOUT_S,
    retention_days=4,
    dead_letter=IMPORT_WORK_DLQ,
    max_receive_count=3,
)

# --- webhooks (issue 17) ---
WEBHOOKS_TIMEOUT_S = 60  # a batch of WEBHOOKS_BATCH deliveries, each at most 10 s (shared/outbound.py)
WEBHOOKS_BATCH = 5
WEBHOOKS_BATCH_WINDOW_S = 1

WEBHOOKS_DLQ = Queue(
    id="WebhooksDlq",
    env_var=config.WEBHOOKS_DLQ_URL_ENV,
    local_name="oms-webhooks-dlq",
    retention_days=14,
)

# Bus events (the WEBHOOK_EVENTS rule) and the function's own delivery messages (one per delivery and
# attempt; a retry is the same message made visible again later: ChangeMessageVisibility).
WEBHOOKS_QUEUE = Queue(
    id="Webhooks",
    env_var=config.WEBHOOKS_QUEUE_URL_ENV,
    local_name="oms-webhooks",
    visibility_timeout_s=6 * WEBHOOKS_TIMEOUT_S + WEBHOOKS_BATCH_WINDOW_S,  # Lambda's advice
    # Longer than the whole retry schedule (at most ~66 hours: shared/domain/webhooks.py): SQS counts a
    # message's age from its first send, and a retried delivery is the same message.
    retention_days=5,
    dead_letter=WEBHOOKS_DLQ,
    # Above the schedule's attempts (11): the function moves an exhausted delivery to the DLQ itself, with
    # its reason; SQS's count only catches a message that keeps crashing the function.
    max_receive_count=20,
    scheduled_retries_s=int(_webhooks.max_total().total_seconds()),
)
# --- notifications (issue 17) --------------------------------------------------------------------
NOTIFICATIONS_TIMEOUT_S = 30  # a batch of 10 events: a few reads and one SES call each
NOTIFICATIONS_DLQ = Queue(
    id="NotificationsDlq",
    env_var=config.NOTIFICATIONS_DLQ_URL_ENV,
    local_name="oms-notifications-dlq",
    retention_days=14,
)
# The bus's order and stock events (an EventRule) and SES's bounces and complaints (an SNS topic, raw
# delivery). Visibility timeout: 6 x the function's timeout (Lambda's advice for an SQS source), and
# longer than an email's lease (shared.services.notifications.LEASE_S), so a redelivery finds it expired.
NOTIFICATIONS_QUEUE = Queue(
    id="Notifications",
    env_var=config.NOTIFICATIONS_QUEUE_URL_ENV,
    local_name="oms-notifications",
    visibility_timeout_s=6 * NOTIFICATIONS_TIMEOUT_S,
    retention_days=4,
    dead_letter=NOTIFICATIONS_DLQ,
    max_receive_count=5,
)
# --- end notifications ---------------------------------------------------------------------------

# Dead-letter queues first: a queue's redrive policy names its DLQ.
QUEUES: tuple[Queue, ...] = (
    MARKETPLACE_ORDERS_DLQ,
    MARKETPLACE_ORDERS,
    STOCK_UPDATES_DLQ,
    STOCK_UPDATES,
    INVENTORY_EVENTS_FAILURES,
    ORDER_EVENTS_FAILURES,
    SALES_AGGREGATES_FAILURES,
    REPORTS_FAILURES,
    SCHEDULE_FAILURES,
    IMPORT_WORK_DLQ,
    IMPORT_WORK,
    WEBHOOKS_DLQ,
    WEBHOOKS_QUEUE,
    NOTIFICATIONS_DLQ,
    NOTIFICATIONS_QUEUE,
)

# What staff may list, redrive and delete, by public name (GET /dead-letters, ``oms redrive``). Only the
# two dead-letter queues hold messages that can be sent again to a queue. A stream mapping's failures
# queue holds pointers to stream records (shard and sequence numbers), not the records: repair the items
# by hand, then delete the pointer. A schedule's failed run is an event for the reports function, not a
# queue message: run the function again with it (``make invoke``), then delete it.
DEAD_LETTER_QUEUES: tuple[DeadLetterQueue, ...] = (
    DeadLetterQueue("marketplace-orders", MARKETPLACE_ORDERS_DLQ, redrive_to=MARKETPLACE_ORDERS),
    DeadLetterQueue("stock-updates", STOCK_UPDATES_DLQ, redrive_to=STOCK_UPDATES),
    DeadLetterQueue("inventory-events", INVENTORY_EVENTS_FAILURES),
    DeadLetterQueue("order-events", ORDER_EVENTS_FAILURES),
    DeadLetterQueue("sales-aggregates", SALES_AGGREGATES_FAILURES),
    DeadLetterQueue("reports", REPORTS_FAILURES),
    DeadLetterQueue("schedules", SCHEDULE_FAILURES),
    DeadLetterQueue("import-work", IMPORT_WORK_DLQ, redrive_to=IMPORT_WORK),
    DeadLetterQueue("webhooks", WEBHOOKS_DLQ, redrive_to=WEBHOOKS_QUEUE),
    DeadLetterQueue("notifications", NOTIFICATIONS_DLQ, redrive_to=NOTIFICATIONS_QUEUE),
)


def dead_letter_queue(name: str) -> DeadLetterQueue:
    for dead_letter in DEAD_LETTER_QUEUES:
        if dead_letter.name == name:
            return dead_letter
    raise KeyError(
        f"no dead-letter queue named {name!r}: one of {', '.join(d.name for d in DEAD_LETTER_QUEUES)}"
    )


# --- buckets ------------------------------------------------------------------------------

REPORTS_BUCKET = Bucket(id="Reports", env_var=config.REPORTS_BUCKET_ENV, local_name="oms-reports")
REPORTS_PREFIX = "reports/"  # reports/{type}/{period}/{report_id}.{ext}

IMPORTS_BUCKET = Bucket(id="Imports", env_var=config.IMPORTS_BUCKET_ENV, local_name="oms-imports")
IMPORT_UPLOADS_PREFIX = keys.IMPORT_UPLOADS_PREFIX  # uploads/{import_id}/{file_name}: starts its run
IMPORT_PLANS_PREFIX = (
    keys.IMPORT_PLANS_PREFIX
)  # plans/{import_id}.json: a plan, read back by a redelivered plan
IMPORT_ERRORS_PREFIX = keys.IMPORT_ERRORS_PREFIX  # errors/{import_id}.{csv|jsonl}: rows refused, with _errors

# Issue 18: the nightly analytics export (analytics/{table}/day={day}/part-00000.json.gz, no personal data)
# and Athena's query results (athena-results/, expired after ATHENA_RESULTS_DAYS: they are worth no more).
ANALYTICS_RESULTS_PREFIX = "athena-results/"
ATHENA_RESULTS_DAYS = 30
ANALYTICS_BUCKET = Bucket(
    id="Analytics",
    env_var=config.ANALYTICS_BUCKET_ENV,
    local_name="oms-analytics",
    expire=((ANALYTICS_RESULTS_PREFIX, ATHENA_RESULTS_DAYS),),
)
ANALYTICS_EXPORT_PREFIX = EXPORT_PREFIX  # analytics/: shared.analytics.export's tables, one folder each

BUCKETS: tuple[Bucket, ...] = (REPORTS_BUCKET, IMPORTS_BUCKET, ANALYTICS_BUCKET)

# Athena over the export (infra/constructs/analytics.py). 50 GB scanned at most per query ($0.25 at
# $5/TB): a year of orders at 100k a day is about 3 GB of gzipped JSON, at 1M a day about 30 GB; a query
# that would read more is cancelled. The named queries: infra/analytics_queries.py.
ANALYTICS_CATALOG = AnalyticsCatalog(
    bucket=ANALYTICS_BUCKET,
    export_prefix=ANALYTICS_EXPORT_PREFIX,
    results_prefix=ANALYTICS_RESULTS_PREFIX,
    database="oms_analytics",
    workgroup="oms-analytics",
    bytes_scanned_cutoff=50 * 1024**3,
    projection_start="2024-01-01",
)

# An upload starts its run: S3 puts the upload's event on the import work queue (the imports function).
BUCKET_NOTIFICATIONS: tuple[BucketNotification, ...] = (
    BucketNotification(IMPORTS_BUCKET, IMPORT_UPLOADS_PREFIX, IMPORT_WORK),
)


def glue_database_name(stage: str = PROD_STAGE) -> str:
    """The Glue database of ``stage`` (``oms_analytics``, ``oms_staging_analytics``): Glue names take
    lowercase letters, digits and underscores."""
    return stage_name(ANALYTICS_CATALOG.database.replace("_", "-"), stage).replace("-", "_")


# --- the catalog's currency ---------------------------------------------------------------

# Every catalog price is in it, and an order that names no currency is in it: set in every function's
# environment (OMS_CURRENCY) by both runtimes. Change it here, before the catalog holds prices.
CURRENCY = DEFAULT_CURRENCY

# --- the business day ---------------------------------------------------------------------

# The business time zone comes from the CDK context ``timezone`` or make run's $OMS_TIMEZONE
# (shared.config.TIMEZONE_ENV), DEFAULT_TIMEZONE when neither is set.

# --- event buses --------------------------------------------------------------------------

EVENTS_TAP = Queue(
    id="EventsTap",
    env_var=config.EVENTS_TAP_URL_ENV,
    local_name="oms-events-tap",
    retention_days=1,
)

EVENTS = Bus(id="Events", env_var=config.EVENT_BUS_ENV, name="oms-events", local_tap=EVENTS_TAP)

BUSES: tuple[Bus, ...] = (EVENTS,)
EVENT_SOURCES = _events.EVENT_SOURCES  # the sources of every event the functions publish

# Which events reach which consumer's queue (each queue is a function's QueueTrigger).
# Notifications (issue 17): order and stock events to the notifications queue (what each means:
# shared.domain.notifications; OrderCreated, OrderStatusChanged, OrderShipped, StockLow).
NOTIFICATIONS_RULE = EventRule(
    "Notifications",
    EVENTS,
    NOTIFICATIONS_QUEUE,
    detail_types=NOTIFIED_DETAIL_TYPES,
    sources=(_events.ORDERS_SOURCE, _events.INVENTORY_SOURCE),
    description="Order and stock events for customer and staff emails",
)

# Webhooks (issue 17): every event a webhook type maps to (shared/domain/webhooks.py).
WEBHOOKS_RULE = EventRule(
    id="WebhookEvents",
    bus=EVENTS,
    queue=WEBHOOKS_QUEUE,
    detail_types=_webhooks.RULE_DETAIL_TYPES,
    sources=_webhooks.RULE_SOURCES,
    description="OMS: the events webhook endpoints subscribe to, for the webhooks function",
)

EVENT_RULES: tuple[EventRule, ...] = (NOTIFICATIONS_RULE, WEBHOOKS_RULE)

# --- functions ----------------------------------------------------------------------------

AUTHORIZER = Function(
    name="authorizer",
    description="API Gateway request authorizer: X-Api-Key or session cookie -> role, channel and name",
    # Reads a key, or a session with its key (BatchGetItem); moves a session's idle expiry on.
    uses=(Uses(API_KEYS, "read_update"),),
    memory_mb=256,
    timeout_s=5,
)

# POST /session's own limit, under the stage's, so that sign-ins cannot starve the API. It is one limit for
# every caller, not per caller: set low, anyone could keep staff from signing in, and a key (32 random
# bytes) cannot be guessed at any rate. A per-IP limit needs AWS WAF in front of the stage.
SIGN_IN_THROTTLE = Throttle(rate_limit=20, burst_limit=40)

API = Function(
    name="api",
    description="The HTTP API: catalog, stock and orders",
    routes=(
        Route("GET", "/health", authorized=False),
        Route("GET", "/openapi.json"),
        Route("GET", "/swagger", authorized=False),  # a redirect to the console's Swagger page
        Route("POST", "/session", authorized=False, throttle=SIGN_IN_THROTTLE),
        Route("GET", "/session"),
        Route("DELETE", "/session"),
        Route("GET", "/keys"),
        Route("POST", "/keys"),
        Route("DELETE", "/keys/{key_id}"),
        Route("GET", "/products"),
        Route("GET", "/products/{sku}"),
        Route("PUT", "/products/{sku}"),
        Route("GET", "/inventory"),
        Route("GET", "/inventory/{sku}"),
        Route("PUT", "/inventory/{sku}"),
        Route("POST", "/inventory/{sku}/adjustments"),
        Route("GET", "/inventory/{sku}/movements"),
        Route("GET", "/orders"),
        Route("POST", "/orders"),
        Route("GET", "/orders/{order_id}"),
        Route("POST", "/orders/{order_id}/cancel"),
        Route("POST", "/orders/{order_id}/shipments"),
        Route("POST", "/orders/{order_id}/delivery"),
        Route("POST", "/orders/{order_id}/returns"),
        Route("POST", "/orders/{order_id}/attention/{attention_id}/resolution"),
        Route("PUT", "/channels/{channel}/listings/{listing_id}"),
        Route("PUT", "/channels/{channel}/listings/{listing_id}/{variation_id}"),
        Route("GET", "/customers"),
        Route("GET", "/customers/{customer_id}"),
        Route("PATCH", "/customers/{customer_id}"),
        Route("DELETE", "/customers/{customer_id}"),
        Route("GET", "/customers/{customer_id}/orders"),
        Route("GET", "/reports"),
        Route("POST", "/reports"),
        Route("GET", "/reports/{report_id}"),
        Route("GET", "/channels/{channel}/connection"),
        Route("PUT", "/channels/{channel}/connection"),
        Route("GET", "/dead-letters"),
        Route("GET", "/dead-letters/{queue}"),
        Route("POST", "/dead-letters/{queue}/redrive"),
        Route("POST", "/dead-letters/{queue}/delete"),
        Route("GET", "/imports"),
        Route("POST", "/imports"),
        Route("GET", "/imports/{import_id}"),
        Route("GET", "/alarms"),
        # webhooks (issue 17), admin only
        Route("GET", "/webhooks"),
        Route("POST", "/webhooks"),
        Route("GET", "/webhooks/{endpoint_id}"),
        Route("PATCH", "/webhooks/{endpoint_id}"),
        Route("DELETE", "/webhooks/{endpoint_id}"),
        Route("POST", "/webhooks/{endpoint_id}/secret/rotate"),
        Route("GET", "/webhooks/{endpoint_id}/deliveries"),
        Route("POST", "/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"),
        # notifications (issue 17): settings and templates, admin
        Route("GET", "/notifications/settings"),
        Route("PUT", "/notifications/settings"),
        Route("GET", "/notifications/templates/{channel}/{kind}"),
        Route("PUT", "/notifications/templates/{channel}/{kind}"),
        Route("DELETE", "/notifications/templates/{channel}/{kind}"),
        # customer analytics (issue 18): viewer; the top customers staff
        Route("GET", "/analytics/customers"),
        Route("GET", "/analytics/customers/top"),
        # inventory analytics (issue 18), viewer
        Route("GET", "/analytics/inventory"),
        # analytics (issue 18)
        Route("GET", "/analytics/trends"),
    ),
    uses=(
        Uses(ORDERS, "read_write"),
        Uses(CATALOG, "read_write"),
        Uses(CUSTOMERS, "read_write_delete"),
        Uses(REPORTS, "read_write"),
        Uses(CONNECTIONS, "read_write"),  # connections, and the channel claims they make
        # Sessions (sign in and out) and people's keys (admin): a connection never takes a keys' channel.
        Uses(API_KEYS, "manage"),
        Uses(IMPORTS, "read_write"),  # POST /imports records the run; GET /imports lists them
        Uses(WEBHOOKS, "read_write_delete"),  # webhook endpoints (admin); reads the delivery log
        # notifications (issue 17): settings and templates (a template removed: its parts removed, an update)
        Uses(NOTIFICATIONS_TABLE, "read_write"),
        Uses(CUSTOMER_STATS, "read"),  # customer analytics (issue 18)
        # inventory analytics (issue 18): the aggregates, and today's units sold from the daily counters;
        # GET /analytics/trends (issue 18): the sales counters and their roll-ups
        Uses(INVENTORY_STATS, "read"),
        Uses(DAILY_SALES, "read"),
    ),
    # It seals the secrets staff send and the webhook secrets it makes; it never reads one back.
    keys=(UsesKey(SECRETS_KEY, "encrypt"), UsesKey(SECRETS_KEY, "encrypt", context_key="webhook")),
    sends=(WEBHOOKS_QUEUE,),  # a replayed webhook delivery
    # Download links are presigned by the API: its role must be allowed to GET the files.
    # POST /imports presigns the upload's PUT (under uploads/ only); GET /imports/{id} presigns the error
    # report's GET (under errors/ only): never an upload read back, never a report written.
    buckets=(
        UsesBucket(REPORTS_BUCKET, "read", REPORTS_PREFIX),
        UsesBucket(IMPORTS_BUCKET, "upload", IMPORT_UPLOADS_PREFIX),
        UsesBucket(IMPORTS_BUCKET, "read", IMPORT_ERRORS_PREFIX),
    ),
    # People list dead letters; admins redrive and delete them (functions/api/routes/dead_letters.py).
    dead_letters=DEAD_LETTER_QUEUES,
    alarms=True,  # GET /alarms: the states of the stack's alarms
    memory_mb=1024,
    timeout_s=10,
    snap_start=True,  # the heaviest init of the stack (the resolver, every route's models), waited on
)

MARKETPLACE_FEED = Function(
    name="marketplace_feed",
    description="Marketplace orders from SQS: exactly once, backordered when stock is short",
    triggers=(
        QueueTrigger(
            MARKETPLACE_ORDERS,
            batch_size=10,
            max_batching_window_s=MARKETPLACE_FEED_BATCH_WINDOW_S,
            max_concurrency=5,  # a marketplace backlog drains at most 5 wide, leaving the API its capacity
        ),
    ),
    uses=(Uses(ORDERS, "read_write"), Uses(CATALOG, "read_write"), Uses(CUSTOMERS, "read_write")),
    sends=(MARKETPLACE_ORDERS_DLQ,),  # poison goes straight to the DLQ, with its reason
    # The channels a "generic" connector may name are FEED_CHANNELS in shared/domain/channels.py: one fact
    # the feed, the API (keys' orders, connections) and infra.keys read, never only this environment.
    memory_mb=512,
    timeout_s=MARKETPLACE_FEED_TIMEOUT_S,
    reserved_concurrency=10,  # at least its queue's max_concurrency: the queue's pollers are never throttled
)

STOCK_UPDATES_FUNCTION = Function(
    name="stock_updates",
    description="Warehouse stock counts and movements from SQS: in order, once, coalesced per SKU",
    triggers=(
        QueueTrigger(
            STOCK_UPDATES,
            batch_size=10,
            max_batching_window_s=STOCK_UPDATES_BATCH_WINDOW_S,
            max_concurrency=5,  # a warehouse's full recount drains 5 wide
        ),
    ),
    uses=(Uses(CATALOG, "read_write"),),
    sends=(STOCK_UPDATES_DLQ,),  # poison goes straight to the DLQ, with its reason
    memory_mb=512,
    timeout_s=STOCK_UPDATES_TIMEOUT_S,
    reserved_concurrency=5,
)

INVENTORY_EVENTS = Function(
    name="inventory_events",
    description="Stock changes (catalog stream): confirm backorders, publish StockLow, record stock-outs",
    triggers=(
        StreamTrigger(
            CATALOG,
            failures=INVENTORY_EVENTS_FAILURES,
            # product totals (stock moved), backorders starting to wait, and the ledger's movements
            # (issue 18: shipments per location)
            sort_key_prefixes=(keys.SKU_SK, keys.WAIT_PREFIX, keys.MOVE_PREFIX),
            batch_size=100,
        ),
    ),
    uses=(
        Uses(ORDERS, "read_write"),
        Uses(CATALOG, "read_write"),
        Uses(INVENTORY_STATS, "read_write"),  # out-of-stock days, units shipped per location
    ),
    publishes=(EVENTS,),
    memory_mb=512,
    timeout_s=60,
)

ORDER_EVENTS = Function(
    name="order_events",
    description="Order changes (orders stream): publish OrderCreated, OrderStatusChanged, OrderShipped",
    triggers=(
        StreamTrigger(
            ORDERS,
            failures=ORDER_EVENTS_FAILURES,
            # the order items only: never idempotency or external-id claims (the handler checks the exact
            # sort key too)
            sort_key_prefixes=(keys.ORDER_SK,),
            batch_size=100,
        ),
    ),
    # No table: the stream records carry both images of the order; it only publishes.
    publishes=(EVENTS,),
    memory_mb=512,
    timeout_s=60,
)

SALES_AGGREGATES = Function(
    name="sales_aggregates",
    description="Order changes (orders stream): keep the daily sales counters and the customer aggregates",
    triggers=(
        StreamTrigger(
            ORDERS,
            failures=SALES_AGGREGATES_FAILURES,
            sort_key_prefixes=(keys.ORDER_SK,),  # order items only (the handler checks the exact sort key)
            batch_size=100,
        ),
    ),
    # The stream records carry both images of the order: it never reads the orders table.
    # customer analytics (issue 18): the customer aggregates, after the sales counters
    uses=(Uses(DAILY_SALES, "read_write"), Uses(CUSTOMER_STATS, "read_write")),
    memory_mb=512,
    timeout_s=60,
)

REPORTS_FUNCTION = Function(
    name="reports",
    description="Builds reports (daily_sales, inventory, orders_export) to S3: on request and on schedule",
    triggers=(
        # One report per invocation: a long export never holds up the next request.
        StreamTrigger(
            REPORTS,
            failures=REPORTS_FAILURES,
            sort_key_prefixes=(keys.REPORT_SK,),
            batch_size=1,
            retry_attempts=2,
        ),
        # Yesterday's daily_sales and today's inventory, at 01:00 in the business time zone.
        ScheduleTrigger(
            id="DailyReports",
            hour=1,
            minute=0,
            event={"schedule": "daily-reports", "scheduled_time": SCHEDULED_TIME},
            failures=SCHEDULE_FAILURES,
        ),
    ),
    uses=(
        Uses(ORDERS, "read"),  # orders_export, through the by_placed_day (and by_day) indexes
        Uses(CATALOG, "read"),  # inventory, through the products index
        Uses(DAILY_SALES, "read"),
        Uses(REPORTS, "read_write"),
        Uses(CUSTOMER_STATS, "read"),  # customer_behaviour (issue 18): the month counters
        Uses(INVENTORY_STATS, "read"),  # inventory_performance (issue 18)
    ),
    buckets=(UsesBucket(REPORTS_BUCKET, "write", REPORTS_PREFIX),),
    memory_mb=1024,
    timeout_s=900,
    reserved_concurrency=2,  # long exports at 1 GB each: never more than two at once
)

# Issue 18: yesterday's orders, lines and stock-out days (and the two days before it, so late changes land)
# to the analytics bucket after the daily reports; an admin exports a range with {"from", "to"}.
ANALYTICS_EXPORT = Function(
    name="analytics_export",
    description="Nightly analytics export: orders, lines and stock-out days to S3 for Athena and oms sql",
    # One run per day exported, 20 minutes apart: yesterday at 02:00, the day before at 02:20, the day before
    # that at 02:40 (a run reads one day's orders: minutes at a million orders a day).
    triggers=tuple(
        ScheduleTrigger(
            id=f"AnalyticsExport{days_ago}",
            hour=2,
            minute=20 * (days_ago - 1),
            event={
                "schedule": "analytics-export",
                "scheduled_time": SCHEDULED_TIME,
                "days_ago": str(days_ago),
            },
            failures=SCHEDULE_FAILURES,
        )
        for days_ago in REEXPORT_DAYS_AGO
    ),
    uses=(
        Uses(ORDERS, "read"),  # the orders placed on a day, through the by_placed_day (and by_day) indexes
        Uses(INVENTORY_STATS, "read"),  # a day's STOCKOUT#{day} partition (a Query)
    ),
    buckets=(UsesBucket(ANALYTICS_BUCKET, "write", ANALYTICS_EXPORT_PREFIX),),
    memory_mb=1024,
    timeout_s=900,
    reserved_concurrency=1,  # one export at a time: two would write the same days' objects
)

# Each hook route's own limit, under the stage's: a flood of forged deliveries cannot starve the API.
HOOK_THROTTLE = Throttle(rate_limit=50, burst_limit=100)

HOOKS = Function(
    name="hooks",
    description="Shopify and WooCommerce webhooks: verify the signature, put the order on the feed",
    routes=(
        Route("POST", "/hooks/shopify/{channel}", authorized=False, throttle=HOOK_THROTTLE),
        Route("POST", "/hooks/woocommerce/{channel}", authorized=False, throttle=HOOK_THROTTLE),
    ),
    uses=(Uses(CONNECTIONS, "read"), Uses(HOOK_DELIVERIES, "read_write")),
    keys=(UsesKey(SECRETS_KEY, "decrypt"),),
    sends=(MARKETPLACE_ORDERS,),  # the feed processes what the hooks verified
    memory_mb=512,
    timeout_s=5,  # Shopify gives up on an answer after 5 s and retries
    reserved_concurrency=20,  # a flood of (forged) deliveries cannot take the API's capacity
)

IMPORTS_FUNCTION = Function(
    name="imports",
    description="Imports uploads: plans chunks of whole entries from an upload's S3 event, then applies each",
    triggers=(
        # One message per invocation: a planning pass reads a whole file, a chunk writes ~1,000 rows;
        # neither should wait behind another, and a failure returns exactly one message.
        QueueTrigger(IMPORT_WORK, batch_size=1, max_concurrency=5),
    ),
    uses=(
        Uses(IMPORTS, "read_write"),
        # The writers read in BatchGetItem and write in TransactWriteItems (its items' PutItem, UpdateItem,
        # ConditionCheckItem): shared/services/import_writers.py's "DynamoDB actions". No BatchWriteItem.
        Uses(CATALOG, "read_write"),
        Uses(CUSTOMERS, "read_write"),
        Uses(ORDERS, "read_write"),  # imported orders, one transaction each (reserving open orders' stock)
    ),
    buckets=(
        UsesBucket(IMPORTS_BUCKET, "read", IMPORT_UPLOADS_PREFIX),  # the upload, whole or by byte range
        UsesBucket(IMPORTS_BUCKET, "write", IMPORT_ERRORS_PREFIX),  # the error report, streamed in parts
        UsesBucket(IMPORTS_BUCKET, "read_write", IMPORT_PLANS_PREFIX),  # its plans (ETag, refused lines)
    ),
    # Its own chunk messages; poison (a message that is no S3 event and no chunk) straight to the DLQ.
    sends=(IMPORT_WORK, IMPORT_WORK_DLQ),
    publishes=(EVENTS,),  # ImportFinished
    # Streaming: memory holds one CSV record, one chunk's entries and one S3 part of the error report
    # (8 MiB), whatever the file's size; 1 GB for the CPU share (checksum and parsing), not the memory.
    memory_mb=1024,
    timeout_s=IMPORT_WORK_TIMEOUT_S,
    reserved_concurrency=5,  # an import drains 5 chunks wide: the API and the feeds keep their share
)

# The staff console (issue 16): static files under /console on the same origin as the API, so the
# session cookie reaches the API and no CORS is needed (README, "The staff console"). No authorizer and no
# table, queue or bucket: every datum on a page comes from the API, called by the browser.
CONSOLE = Function(
    name="console",
    description="The staff console: its page shell, scripts and style, and Swagger UI's page (static)",
    routes=(
        Route("GET", "/console", authorized=False),
        Route("GET", "/console/{page}", authorized=False),
        Route("GET", "/console/{page}/{item}", authorized=False),
    ),
    memory_mb=256,
    timeout_s=5,
)

# --- webhooks (issue 17): signed deliveries to staff's endpoints -----------------------------------------
# No VPC: it must reach the internet. The SSRF check before every send (shared/outbound.py) keeps it off
# internal addresses; its role allows only its table, the orders it puts in deliveries, its queue and DLQ,
# the decryption of webhook secrets and the bus.
WEBHOOKS_FUNCTION = Function(
    name="webhooks",
    description="Signed webhook deliveries (Standard Webhooks): bus events to endpoints, retried, logged",
    triggers=(
        QueueTrigger(
            WEBHOOKS_QUEUE,
            batch_size=WEBHOOKS_BATCH,
            max_batching_window_s=WEBHOOKS_BATCH_WINDOW_S,
            max_concurrency=5,
        ),
    ),
    uses=(
        Uses(WEBHOOKS, "read_write"),
        Uses(ORDERS, "read"),  # order.* data: the order as GET /orders/{id} returns it, read once per event
    ),
    keys=(UsesKey(SECRETS_KEY, "decrypt", context_key="webhook"),),
    sends=(WEBHOOKS_QUEUE, WEBHOOKS_DLQ),  # one message per delivery; exhausted ones with their reason
    publishes=(EVENTS,),  # WebhookEndpointDisabled
    memory_mb=512,
    timeout_s=WEBHOOKS_TIMEOUT_S,
    reserved_concurrency=5,
)

# --- issue 17: the customers' tracking page -------------------------------------------------
# Public (no key): one limit for every caller of the two routes, low, under the stage's; per address the
# stack's WAF rate rule (infra/constructs/waf.py). A customer opens the page a few times a day.
TRACK_THROTTLE = Throttle(rate_limit=10, burst_limit=20)

TRACKING = Function(
    name="tracking",
    description="The customers' tracking page and its JSON twin: a signed link, or an order and its email",
    routes=(
        Route("GET", "/track", authorized=False, throttle=TRACK_THROTTLE),
        Route("GET", "/track/{token}", authorized=False, throttle=TRACK_THROTTLE),
    ),
    # GetItem of an order, and Query of the keys-only by_external_id index: reads only.
    uses=(Uses(ORDERS, "read"),),
    keys=(UsesKey(TRACKING_KEY, "verify_mac"),),  # checks links; never makes one
    memory_mb=256,
    timeout_s=5,
    reserved_concurrency=10,  # a flood of lookups cannot take the API's capacity
)

# --- notifications (issue 17): customer and staff email through SES --------------------------------
NOTIFICATIONS_FUNCTION = Function(
    name="notifications",
    description="Customer and staff emails through SES: once per event, never lost; SES bounces suppress",
    triggers=(QueueTrigger(NOTIFICATIONS_QUEUE, batch_size=10, max_concurrency=2),),
    uses=(
        Uses(NOTIFICATIONS_TABLE, "read_write"),  # claims, settings, templates, the suppression list
        Uses(ORDERS, "read"),  # the order's customer (GetItem): events carry no personal data
        Uses(CONNECTIONS, "read"),  # whether a channel is a connected Shopify or WooCommerce store
    ),
    sends_email=True,  # ses:SendEmail from the sender identity only (infra/constructs/email.py)
    keys=(UsesKey(TRACKING_KEY, "generate_mac"),),  # signs each email's tracking link; never checks one
    public_url=True,  # OMS_PUBLIC_URL: the links' base
    memory_mb=512,
    timeout_s=NOTIFICATIONS_TIMEOUT_S,
    reserved_concurrency=2,
)
# --- end notifications ---------------------------------------------------------------------------

# --- inventory analytics (issue 18) ---------------------------------------------------------------
# The nightly roll-up: the units sold of the last days from the daily sales counters into the SKUs' month
# items (SET: idempotent), and every SKU still out of stock marked out today. Before the reports' 01:00.
INVENTORY_ROLLUP = Function(
    name="inventory_rollup",
    description="Nightly: units sold per SKU and day into the inventory stats; SKUs still out marked out",
    triggers=(
        ScheduleTrigger(
            id="InventoryRollup",
            hour=0,
            minute=20,
            event={"schedule": "inventory-rollup", "scheduled_time": SCHEDULED_TIME},
            failures=SCHEDULE_FAILURES,
        ),
    ),
    uses=(Uses(DAILY_SALES, "read"), Uses(INVENTORY_STATS, "read_write")),
    memory_mb=512,
    timeout_s=300,
    reserved_concurrency=1,
)
# --- end inventory analytics ----------------------------------------------------------------------

FUNCTIONS: tuple[Function, ...] = (
    AUTHORIZER,
    API,
    HOOKS,
    MARKETPLACE_FEED,
    STOCK_UPDATES_FUNCTION,
    INVENTORY_EVENTS,
    ORDER_EVENTS,
    SALES_AGGREGATES,
    REPORTS_FUNCTION,
    ANALYTICS_EXPORT,
    IMPORTS_FUNCTION,
    CONSOLE,
    WEBHOOKS_FUNCTION,
    TRACKING,
    NOTIFICATIONS_FUNCTION,
    INVENTORY_ROLLUP,
)


# --- per-channel limits (usage plans) ------------------------------------------------------

# Every channel's own limits, unless CHANNEL_PLANS names another plan for it: half the stage's
# (infra/constructs/api.py), so no one channel can use up the API. No quota: a busy day is no reason to
# refuse a channel's orders.
CHANNELS_PLAN = UsagePlan(id="Channels", throttle=Throttle(rate_limit=50, burst_limit=100))
# Staff keys (consoles, imports, scripts) share one budget of their own, the "staff" channel's: a runaway
# script is capped like a channel, and a busy channel never slows staff down. Staff keys need a plan:
# every authorized method requires an API Gateway key, which only a plan's key satisfies.
STAFF_PLAN = UsagePlan(id="Staff", throttle=Throttle(rate_limit=50, burst_limit=100))
USAGE_PLANS: tuple[UsagePlan, ...] = (CHANNELS_PLAN, STAFF_PLAN)
# A channel with limits of its own: add a plan to USAGE_PLANS and name it here ({"pos": POS_PLAN}). Its
# keys made after the next deploy go on that plan.
CHANNEL_PLANS: dict[str, UsagePlan] = {}


def usage_plan(channel: str | None) -> UsagePlan:
    """The plan of a channel's keys (``None``: staff keys)."""
    if channel is None:
        return STAFF_PLAN
    return CHANNEL_PLANS.get(channel, CHANNELS_PLAN)


def function(name: str) -> Function:
    for fn in FUNCTIONS:
        if fn.name == name:
            return fn
    raise KeyError(f"no function named {name!r} in infra/spec.py")


def base_environment(fn: Function, stage: str = PROD_STAGE) -> dict[str, str]:
    """Environment shared by both runtimes; each adds only physical table names."""
    return {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace(stage),
        "POWERTOOLS_LOG_LEVEL": "INFO",
        FUNCTION_ENV: fn.name,
        # Personal data stays out of logs and traces (shared/observability.py): X-Ray keeps no response
        # and no exception object as metadata, and no event is logged whole.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        CURRENCY_ENV: CURRENCY,
        **fn.environment,
    }


def function_environment(
    fn: Function,
    table_name: Callable[[Table], str],
    queue_url: Callable[[Queue], str] | None = None,
    *,
    bucket_name: Callable[[Bucket], str] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    stage: str = PROD_STAGE,
    currency: str = CURRENCY,
    sender_email: str = config.DEFAULT_SENDER_EMAIL,
) -> dict[str, str]:
    """The whole environment of a function: the base, the business time zone, one name per table and
    bucket it uses, one URL per queue it sends to, one name per bus it publishes on and one alias per KMS
    key it uses, and no other. Bus names, key aliases and the metrics namespace are ``stage``'s."""
    env = {**base_environment(fn, stage), **{use.table.env_var: table_name(use.table) for use in fn.uses}}
    env[TIMEZONE_ENV] = timezone
    env[CURRENCY_ENV] = currency  # the deployment's (CDK context ``currency``, make run's $OMS_CURRENCY)
    env.update({bus.env_var: stage_name(bus.name, stage) for bus in fn.publishes})
    env.update({use.key.env_var: stage_name(use.key.alias, stage) for use in fn.keys})
    if fn.sends_email:
        env[config.SENDER_EMAIL_ENV] = sender_email  # CDK: the context's senderEmail
    if fn.buckets:
        if bucket_name is None:
            raise ValueError(f"{fn.name} uses buckets: pass bucket_name")
        env.update({use.bucket.env_var: bucket_name(use.bucket) for use in fn.buckets})
    if fn.sends:
        if queue_url is None:
            raise ValueError(f"{fn.name} sends to queues: pass queue_url")
        env.update({queue.env_var: queue_url(queue) for queue in fn.sends})
    if fn.dead_letters:
        if queue_url is None:
            raise ValueError(f"{fn.name} handles dead letters: pass queue_url")
        env.update(dead_letters_environment(fn.dead_letters, queue_url))
    return env


def dead_letters_config(
    dead_letters: tuple[DeadLetterQueue, ...], queue_url: Callable[[Queue], str]
) -> dict[str, DeadLetterQueueConfig]:
    """Each dead-letter queue by public name: its URL and the URL of the queue it redrives to."""
    return {
        d.name: DeadLetterQueueConfig(
            url=queue_url(d.queue), redrive_to=queue_url(d.redrive_to) if d.redrive_to else None
        )
        for d in dead_letters
    }


def dead_letters_environment(
    dead_letters: tuple[DeadLetterQueue, ...], queue_url: Callable[[Queue], str]
) -> dict[str, str]:
    """``DEAD_LETTERS_ENV``: the queues as JSON, the one variable a function handling dead letters reads
    (CDK resolves the URL tokens inside it)."""
    config = dead_letters_config(dead_letters, queue_url)
    return {
        DEAD_LETTERS_ENV: json.dumps(
            {name: c.model_dump() for name, c in config.items()}, separators=(",", ":")
        )
    }

"""The one description of the system's resources and functions.

Both runtimes read this module and nothing else to decide what exists and what is wired to what:

* ``infra/stack.py`` (CDK) turns it into tables, Lambda functions, API Gateway routes, the
  authorizer and least-privilege grants;
* ``infra/local`` (``make run``) turns it into tables on the embedded AWS endpoint, the HTTP
  gateway on port 3000 and one worker process per function with that function's environment.

Adding a route or a function is one entry here plus its handler; the two runtimes cannot
disagree about the wiring. Keep this module free of CDK and boto3 imports: it is pure data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from shared.config import CURRENCY_ENV, DEFAULT_CURRENCY
from shared.models import events as _events
from shared.models.dead_letters import DEAD_LETTERS_ENV, DeadLetterQueueConfig

SERVICE_NAME = "oms"
METRICS_NAMESPACE = "OMS"

# --- stages -------------------------------------------------------------------------------
# A stage is one copy of the stack (CDK context ``stage``): prod, staging, ... side by side in one account
# and region. Every name the stack chooses itself (the bus, the key aliases, the API's name) goes through
# ``stage_name``; every other name is CloudFormation's, which starts with the stage's stack name.
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


def metrics_namespace(stage: str = PROD_STAGE) -> str:
    """Where the functions of ``stage`` put their metrics: one stage's alarms never see another's."""
    check_stage(stage)
    return METRICS_NAMESPACE if stage == PROD_STAGE else f"{METRICS_NAMESPACE}/{stage}"


RUNTIME = "python3.13"
# The AWS-managed Powertools layer the functions run with; pyproject.toml pins the same version.
POWERTOOLS_VERSION = "3.37.0"

Access = Literal["read", "write", "read_write", "read_write_delete", "query_index"]

# Exactly the DynamoDB actions each access grants (on the table and its indexes). No Scan, no
# batch writes, no deletes, no streams: add one here, with the feature that needs it.
_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem")
TABLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": _READ,
    "write": _WRITE,
    "read_write": tuple(dict.fromkeys(_READ + _WRITE)),
    # Customers: an email's claim moves when staff correct it, and goes when the person is erased.
    "read_write_delete": tuple(dict.fromkeys((*_READ, *_WRITE, "dynamodb:DeleteItem"))),
    # Query on one index only (``Uses.index``), nothing on the table itself: the API asks the api keys
    # table's channel index whether a channel has keys, and may never read a key's item.
    "query_index": ("dynamodb:Query",),
}


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None
    # ALL: the index holds whole items. KEYS_ONLY: only keys, so an update of any other attribute never
    # writes the index (a list of every product stays cold however often stock moves).
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class Table:
    """A DynamoDB table. String keys only."""

    id: str  # logical id: used for CDK construct ids and as the reference in `Uses`
    env_var: str  # the environment variable that carries the table's name to a function
    local_name: str  # the physical name on the local stack (CDK lets CloudFormation name it)
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False  # a DynamoDB stream with old and new images (for StreamTrigger)
    # Holds personal data (customers' emails, names, phones, addresses): encrypted at rest with the
    # stack's customer-managed KMS key (one key for every such table) instead of an AWS-managed one.
    personal_data: bool = False


@dataclass(frozen=True)
class Queue:
    """An SQS queue (TLS only). ``env_var`` carries its URL to a function."""

    id: str
    env_var: str
    local_name: str
    visibility_timeout_s: int = 30
    retention_days: int = 14
    dead_letter: Queue | None = None
    max_receive_count: int = 5  # receives before SQS moves a message to ``dead_letter``
    # Carries personal data (a marketplace order: emails, names, addresses): encrypted with the same
    # customer-managed KMS key as the personal-data tables, not SQS-managed encryption; the functions that
    # send or receive may use that key only through SQS (kms:ViaService). The local stack ignores it.
    personal_data: bool = False


MIN_QUEUE_CONCURRENCY = 2  # what Lambda accepts for an SQS event source's MaximumConcurrency
MAX_QUEUE_CONCURRENCY = 1000


@dataclass(frozen=True)
class DeadLetterQueue:
    """A queue of messages set aside after failing, which staff list, redrive and delete (the API's
    ``/dead-letters`` routes, ``oms dead-letters`` and ``oms redrive``). ``name`` is its public name there:
    the name of what its messages failed in. ``redrive_to``: the queue a message goes back to once the
    cause is fixed (the source queue whose redrive policy names this one); None where a message is no
    queue message to send again (a stream mapping's pointer to stream records, a schedule's failed run):
    those are listed and deleted, never redriven."""

    name: str
    queue: Queue
    redrive_to: Queue | None = None

    def __post_init__(self) -> None:
        if self.redrive_to is not None and self.redrive_to.dead_letter != self.queue:
            raise ValueError(
                f"{self.name}: {self.queue.id} is not the dead-letter queue of {self.redrive_to.id}"
            )


@dataclass(frozen=True)
class QueueTrigger:
    """An event source mapping: batches from ``queue``, partial batch responses."""

    queue: Queue
    batch_size: int = 10
    max_batching_window_s: int = 0
    # The event source mapping's MaximumConcurrency: at most this many concurrent invocations from this
    # queue, whatever its backlog (Lambda's minimum is 2). The local stack polls with one worker.
    max_concurrency: int = 5

    def __post_init__(self) -> None:
        if not MIN_QUEUE_CONCURRENCY <= self.max_concurrency <= MAX_QUEUE_CONCURRENCY:
            raise ValueError(
                f"{self.queue.id}: max_concurrency must be {MIN_QUEUE_CONCURRENCY}..{MAX_QUEUE_CONCURRENCY}"
            )


@dataclass(frozen=True)
class StreamTrigger:
    """An event source mapping on a table's stream: changes in order per item, partial batch
    responses. Only items whose sort key starts with one of ``sort_key_prefixes`` reach the function
    (an event filter in AWS, the same test on the local stack). A batch that still fails after
    ``retry_attempts`` is recorded (as a pointer to the stream records) in ``failures``."""

    table: Table
    failures: Queue
    sort_key_prefixes: tuple[str, ...] = ()
    batch_size: int = 100
    retry_attempts: int = 10
    max_batching_window_s: int = 0


@dataclass(frozen=True)
class ScheduleTrigger:
    """A schedule that invokes the function with ``event`` every day at ``hour``:``minute`` in the business
    time zone (``OMS_TIMEZONE``): EventBridge Scheduler in AWS, a timer on the local clock in ``make run``.
    In ``event``, the value ``SCHEDULED_TIME`` becomes the time the run was scheduled for (the same for
    every retry of one run, so a retried run can tell it is one). A run that still fails after
    ``retry_attempts`` lands in ``failures``."""

    id: str
    hour: int
    minute: int
    event: dict[str, str]
    failures: Queue
    retry_attempts: int = 3

    @property
    def cron(self) -> str:
        """EventBridge Scheduler's cron expression (minutes hours day-of-month month day-of-week year)."""
        return f"cron({self.minute} {self.hour} * * ? *)"


SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"  # EventBridge Scheduler's context attribute

Trigger = QueueTrigger | StreamTrigger | ScheduleTrigger


@dataclass(frozen=True)
class Bus:
    """An EventBridge bus the functions publish domain events on. ``name`` is the same on AWS and
    locally (other systems subscribe to it by name). Locally every event on it is also copied to
    ``local_tap``, a queue people and tests read to see what was published."""

    id: str
    env_var: str
    name: str
    local_tap: Queue | None = None


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket: encrypted, TLS only, no public access, versioned, with a lifecycle."""

    id: str
    env_var: str
    local_name: str


@dataclass(frozen=True)
class Uses:
    table: Table
    access: Access
    index: str | None = None  # with access "query_index": the one index that may be queried

    def __post_init__(self) -> None:
        if (self.access == "query_index") != (self.index is not None):
            raise ValueError(f"{self.table.id}: an index goes with access 'query_index', and only with it")
        if self.index is not None and self.index not in {i.name for i in self.table.indexes}:
            raise ValueError(f"{self.table.id} has no index {self.index!r}")


@dataclass(frozen=True)
class Key:
    """A customer-managed KMS key the functions encrypt or decrypt application data with (not a table's
    encryption at rest: that is ``Table.personal_data``). Rotated yearly, kept when the stack goes. The
    functions get ``alias`` in ``env_var`` (KMS takes an alias wherever it takes a key id); the local stack
    creates the key and the alias on the embedded endpoint."""

    id: str
    env_var: str
    alias: str
    description: str


@dataclass(frozen=True)
class UsesKey:
    """``encrypt``: kms:Encrypt only; ``decrypt``: kms:Decrypt only. Either only with an encryption context
    naming ``context_key`` (what the data is bound to: a secret encrypted for one channel never decrypts
    as another's)."""

    key: Key
    access: Literal["encrypt", "decrypt"]
    context_key: str = "channel"


@dataclass(frozen=True)
class UsesBucket:
    """``read``: GetObject (and presigning GETs); ``write``: PutObject, multipart upload and its abort.
    Only under ``prefix``."""

    bucket: Bucket
    access: Literal["read", "write"]
    prefix: str = ""


@dataclass(frozen=True)
class Throttle:
    """Requests per second (steady) and the burst above it. On a route: API Gateway method-level
    throttling, under the stage's own limits (infra/constructs/api.py); the local gateway does not apply a
    route's. On a usage plan: the limits of each caller on the plan, which both runtimes apply."""

    rate_limit: int
    burst_limit: int


@dataclass(frozen=True)
class UsagePlan:
    """Per-caller limits: an API Gateway usage plan on the stage. A usage plan's throttle and quota apply
    to each API Gateway API key on it, not to the plan as a whole: every channel on the plan gets its own
    ``throttle`` (and ``quota_per_day``, if any), and one channel over its limit gets 429 while the others
    go on. The authorizer names the caller's API Gateway key (``usageIdentifierKey``); each channel has one,
    shared by the channel's API keys (``infra.keys`` makes it with the channel's first key and removes it
    with the last), so the limits are per channel whatever the number of keys. The local gateway applies
    the same limits per channel (infra/local/throttle.py)."""

    id: str  # CDK construct id; the stack output ``{id}UsagePlanId`` carries the plan's id to infra.keys
    throttle: Throttle
    # Requests per UTC day per channel; None: no quota. A quota refuses a channel's orders until midnight:
    # set one only for a channel whose volume is known.
    quota_per_day: int | None = None

    @property
    def output(self) -> str:
        """The stack output that holds this plan's id."""
        return f"{self.id}UsagePlanId"


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str  # API Gateway syntax: /orders/{order_id}
    # False: no X-Api-Key needed: /health, and the platforms' webhooks (their signature is the credential)
    authorized: bool = True
    throttle: Throttle | None = None  # a limit of this route's own, under the stage's


@dataclass(frozen=True)
class Function:
    name: str  # folder under functions/; also the Lambda function's logical id
    description: str
    routes: tuple[Route, ...] = ()
    uses: tuple[Uses, ...] = ()
    memory_mb: int = 512
    timeout_s: int = 10
    environment: dict[str, str] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    sends: tuple[Queue, ...] = ()  # queues it may send to (e.g. a dead-letter queue for poison)
    # Dead-letter queues it may peek into, receive from and delete from (never as an event source), and
    # the queue each redrives to, which it may send to: their URLs reach it in DEAD_LETTERS_ENV.
    dead_letters: tuple[DeadLetterQueue, ...] = ()
    publishes: tuple[Bus, ...] = ()  # buses it may put events on
    buckets: tuple[UsesBucket, ...] = ()
    keys: tuple[UsesKey, ...] = ()  # KMS keys it may use, and how
    # Reserved concurrency, applied only when the CDK context ``reserved_concurrency`` is true: at most this
    # many instances (so a flood here cannot starve the others), and that many kept for it. None: none.
    reserved_concurrency: int | None = None
    # Lambda SnapStart (AWS only; the local stack ignores it): Lambda runs the init once per published
    # version and every new environment resumes from that snapshot instead of running it again. The
    # function's triggers invoke its ``live`` alias (the version published on each deploy), never the
    # unqualified function, and its handler imports ``shared.snapstart`` (what is refreshed after a
    # restore). On where init is heavy and a cold start is waited on: the API (checkout waits on it). Off
    # where a restore would not pay: the authorizer (init near the floor, and the client it would keep is
    # rebuilt after a restore anyway; API Gateway caches its answers), the queue, stream and schedule
    # consumers (nobody waits on their cold start; a batch amortises it) and the hooks (well inside
    # Shopify's 5 s). Python pays per version cached and per restore: see the README, "SnapStart".
    snap_start: bool = False

    @property
    def handler(self) -> str:
        """The Lambda handler string, relative to the repository root (the asset root)."""
        return f"functions.{self.name}.handler.lambda_handler"


@dataclass(frozen=True)
class GatewayProblem:
    """What API Gateway answers itself (no route, no key, throttled, a failed function), as RFC 9457."""

    status: int
    slug: str
    title: str
    detail: str
    with_request_id: bool = False  # 5xx: quote it when reporting, as the functions' own 500s do

    def body(self, request_id: str | None = None) -> str:
        problem: dict[str, str | int] = {
            "type": f"urn:oms:problem:{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.with_request_id and request_id:
            problem["request_id"] = request_id
        return json.dumps(problem, separators=(",", ":"))


# --- tables -------------------------------------------------------------------------------

ORDERS = Table(
    id="Orders",
    env_var="OMS_ORDERS_TABLE",
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
    ),
    ttl_attribute="expires_at",  # idempotency-key records expire; orders never carry it
    personal_data=True,  # each order holds its customer and shipping address
    stream=True,  # order changes become order events (order_events)
)

CATALOG = Table(
    id="Catalog",
    env_var="OMS_CATALOG_TABLE",
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
    env_var="OMS_CUSTOMERS_TABLE",
    local_name="oms-customers",
    personal_data=True,  # the people behind the orders
    # CUSTOMER#{id} PROFILE (the person), EMAIL#{sha256} EMAIL (which customer an email belongs to)
)

API_KEYS = Table(
    id="ApiKeys",
    env_var="OMS_API_KEYS_TABLE",
    local_name="oms-api-keys",
    sort_key=None,
    # Sparse (staff keys have no channel), keys only: whether a channel has keys, never the keys' records.
    indexes=(Index("by_channel", "channel", "pk", projection="KEYS_ONLY"),),
)

CONNECTIONS = Table(
    id="Connections",
    env_var="OMS_CONNECTIONS_TABLE",
    local_name="oms-connections",
    sort_key=None,
    # CHANNEL#{channel}: who owns the channel name, API keys or a platform connection (infra.keys writes
    # the claim with each channel key, in one transaction); a connection's item also holds its platform and
    # its webhook secrets, each encrypted with SECRETS_KEY (encryption context: the channel).
)

HOOK_DELIVERIES = Table(
    id="HookDeliveries",
    env_var="OMS_HOOK_DELIVERIES_TABLE",
    local_name="oms-hook-deliveries",
    sort_key=None,
    # {platform}#{channel}#{delivery}: a webhook delivery already put on the feed (expires after 2 days).
    ttl_attribute="expires_at",
)

REPORTS = Table(
    id="Reports",
    env_var="OMS_REPORTS_TABLE",
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
    env_var="OMS_DAILY_SALES_TABLE",
    local_name="oms-daily-sales",
    # DAY#{date} TOTAL#{currency} | CHANNEL#{channel}#{currency} | SKU#{sku}#{currency} | STATUS#{status}:
    # counters kept from the orders stream ({sku} escaped, see shared/dal/keys.py); ORDER#{order_id}
    # APPLIED: the last change applied (expires).
    ttl_attribute="expires_at",
)

TABLES: tuple[Table, ...] = (
    ORDERS,
    CATALOG,
    CUSTOMERS,
    API_KEYS,
    REPORTS,
    DAILY_SALES,
    CONNECTIONS,
    HOOK_DELIVERIES,
)

# --- KMS keys -----------------------------------------------------------------------------

SECRETS_KEY = Key(
    id="Secrets",
    env_var="OMS_SECRETS_KEY",
    alias="alias/oms-secrets",
    description="OMS: encrypts the webhook secrets of the platform connections (context: the channel)",
)

KEYS: tuple[Key, ...] = (SECRETS_KEY,)

# --- queues -------------------------------------------------------------------------------

MARKETPLACE_FEED_TIMEOUT_S = 30
MARKETPLACE_FEED_BATCH_WINDOW_S = 1

MARKETPLACE_ORDERS_DLQ = Queue(
    id="MarketplaceOrdersDlq",
    env_var="OMS_MARKETPLACE_DLQ_URL",
    local_name="oms-marketplace-orders-dlq",
    retention_days=14,  # SQS counts age from the first send: the DLQ keeps longer than its source
    personal_data=True,  # the marketplace orders it keeps, with their customers
)

MARKETPLACE_ORDERS = Queue(
    id="MarketplaceOrders",
    env_var="OMS_MARKETPLACE_QUEUE_URL",
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
    env_var="OMS_STOCK_UPDATES_DLQ_URL",
    local_name="oms-stock-updates-dlq",
    retention_days=14,
)

STOCK_UPDATES = Queue(
    id="StockUpdates",
    env_var="OMS_STOCK_UPDATES_QUEUE_URL",
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
    env_var="OMS_INVENTORY_EVENTS_FAILURES_URL",
    local_name="oms-inventory-events-failures",
    retention_days=14,
)

# Where the order-events stream mapping records a batch it gave up on (pointers, as above).
ORDER_EVENTS_FAILURES = Queue(
    id="OrderEventsFailures",
    env_var="OMS_ORDER_EVENTS_FAILURES_URL",
    local_name="oms-order-events-failures",
    retention_days=14,
)

# Where the sales-aggregates stream mapping records a batch it gave up on (pointers, as above).
SALES_AGGREGATES_FAILURES = Queue(
    id="SalesAggregatesFailures",
    env_var="OMS_SALES_AGGREGATES_FAILURES_URL",
    local_name="oms-sales-aggregates-failures",
    retention_days=14,
)

# Where the reports stream mapping records a report request it gave up on (pointers, as above).
REPORTS_FAILURES = Queue(
    id="ReportsFailures",
    env_var="OMS_REPORTS_FAILURES_URL",
    local_name="oms-reports-failures",
    retention_days=14,
)

# Where EventBridge Scheduler puts a scheduled run it could not deliver after its retries.
SCHEDULE_FAILURES = Queue(
    id="ScheduleFailures",
    env_var="OMS_SCHEDULE_FAILURES_URL",
    local_name="oms-schedule-failures",
    retention_days=14,
)

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
)


def queue_url_output(queue: Queue) -> str:
    """The stack output holding a queue's URL (``infra/stack.py``; ``oms --aws`` reads it)."""
    return f"{queue.id}QueueUrl"


def dead_letter_queue(name: str) -> DeadLetterQueue:
    for dead_letter in DEAD_LETTER_QUEUES:
        if dead_letter.name == name:
            return dead_letter
    raise KeyError(
        f"no dead-letter queue named {name!r}: one of {', '.join(d.name for d in DEAD_LETTER_QUEUES)}"
    )


# --- buckets ------------------------------------------------------------------------------

REPORTS_BUCKET = Bucket(id="Reports", env_var="OMS_REPORTS_BUCKET", local_name="oms-reports")
REPORTS_PREFIX = "reports/"  # reports/{type}/{period}/{report_id}.{ext}

BUCKETS: tuple[Bucket, ...] = (REPORTS_BUCKET,)

# --- the catalog's currency ---------------------------------------------------------------

# Every catalog price is in it, and an order that names no currency is in it: set in every function's
# environment (OMS_CURRENCY) by both runtimes. Change it here, before the catalog holds prices.
CURRENCY = DEFAULT_CURRENCY

# --- the business day ---------------------------------------------------------------------

TIMEZONE_ENV = "OMS_TIMEZONE"  # an IANA zone; what a business day is, for reports and their schedules
DEFAULT_TIMEZONE = "UTC"

# --- event buses --------------------------------------------------------------------------

EVENTS_TAP = Queue(
    id="EventsTap",
    env_var="OMS_EVENTS_TAP_URL",
    local_name="oms-events-tap",
    retention_days=1,
)

EVENTS = Bus(id="Events", env_var="OMS_EVENT_BUS", name="oms-events", local_tap=EVENTS_TAP)

BUSES: tuple[Bus, ...] = (EVENTS,)
EVENT_SOURCES = _events.EVENT_SOURCES  # the sources of every event the functions publish

# --- functions ----------------------------------------------------------------------------

AUTHORIZER = Function(
    name="authorizer",
    description="API Gateway request authorizer: X-Api-Key -> role and channel",
    uses=(Uses(API_KEYS, "read"),),
    memory_mb=256,
    timeout_s=5,
)

API = Function(
    name="api",
    description="The HTTP API: catalog, stock and orders",
    routes=(
        Route("GET", "/health", authorized=False),
        Route("GET", "/openapi.json"),
        Route("GET", "/swagger"),
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
    ),
    uses=(
        Uses(ORDERS, "read_write"),
        Uses(CATALOG, "read_write"),
        Uses(CUSTOMERS, "read_write_delete"),
        Uses(REPORTS, "read_write"),
        Uses(CONNECTIONS, "read_write"),  # connections, and the channel claims they make
        Uses(API_KEYS, "query_index", index="by_channel"),  # a connection never takes a keys' channel
    ),
    keys=(UsesKey(SECRETS_KEY, "encrypt"),),  # it seals the secrets staff send; it never reads one back
    # Download links are presigned by the API: its role must be allowed to GET the files.
    buckets=(UsesBucket(REPORTS_BUCKET, "read", REPORTS_PREFIX),),
    # Staff list, redrive and delete dead letters (functions/api/routes/dead_letters.py).
    dead_letters=DEAD_LETTER_QUEUES,
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
    description="Stock changes (catalog stream): confirm backorders, publish StockLow",
    triggers=(
        StreamTrigger(
            CATALOG,
            failures=INVENTORY_EVENTS_FAILURES,
            # product totals (stock moved) and backorders starting to wait
            sort_key_prefixes=("SKU", "WAIT#"),
            batch_size=100,
        ),
    ),
    uses=(Uses(ORDERS, "read_write"), Uses(CATALOG, "read_write")),
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
            sort_key_prefixes=("ORDER",),
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
    description="Order changes (orders stream): keep the daily sales counters the daily_sales report reads",
    triggers=(
        StreamTrigger(
            ORDERS,
            failures=SALES_AGGREGATES_FAILURES,
            sort_key_prefixes=("ORDER",),  # order items only (the handler checks the exact sort key)
            batch_size=100,
        ),
    ),
    # The stream records carry both images of the order: it never reads the orders table.
    uses=(Uses(DAILY_SALES, "read_write"),),
    memory_mb=512,
    timeout_s=60,
)

REPORTS_FUNCTION = Function(
    name="reports",
    description="Builds reports (daily_sales, inventory, orders_export) to S3: on request and on schedule",
    triggers=(
        # One report per invocation: a long export never holds up the next request.
        StreamTrigger(
            REPORTS, failures=REPORTS_FAILURES, sort_key_prefixes=("REPORT",), batch_size=1, retry_attempts=2
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
    ),
    buckets=(UsesBucket(REPORTS_BUCKET, "write", REPORTS_PREFIX),),
    memory_mb=1024,
    timeout_s=900,
    reserved_concurrency=2,  # long exports at 1 GB each: never more than two at once
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


# --- what the gateway itself answers ----------------------------------------------------------

_BAD_REQUEST = GatewayProblem(400, "bad-request", "Bad Request", "The request is not valid.")
_INTERNAL = GatewayProblem(
    500, "internal", "Internal Server Error", "Gateway error. Quote the request_id when you report it.", True
)
_TIMEOUT = GatewayProblem(
    504, "gateway-timeout", "Gateway Timeout", "The function did not answer in time. Retry later.", True
)
_THROTTLED = GatewayProblem(
    429, "too-many-requests", "Too Many Requests", "Too many requests. Slow down and retry later."
)
_NOT_FOUND = GatewayProblem(404, "not-found", "Not Found", "No such route.")

# Keyed by API Gateway's gateway response types. The DEFAULT_* types set the status of every type
# not listed, so each one with another status is listed. CDK configures all of them; the local
# gateway answers the ones it can meet (see LOCAL_GATEWAY_PROBLEMS) with the same bodies.
GATEWAY_PROBLEMS: dict[str, GatewayProblem] = {
    "UNAUTHORIZED": GatewayProblem(
        401, "unauthorized", "Unauthorized", "A valid X-Api-Key header is required."
    ),
    "ACCESS_DENIED": GatewayProblem(403, "forbidden", "Forbidden", "This API key may not call this API."),
    # A REST API answers an unknown path (or a method a path lacks) with 403 "Missing
    # Authentication Token"; to the caller that is a route that does not exist.
    "MISSING_AUTHENTICATION_TOKEN": _NOT_FOUND,
    "RESOURCE_NOT_FOUND": _NOT_FOUND,
    "REQUEST_TOO_LARGE": GatewayProblem(
        413, "payload-too-large", "Content Too Large", "The request body is too large."
    ),
    "UNSUPPORTED_MEDIA_TYPE": GatewayProblem(
        415, "unsupported-media-type", "Unsupported Media Type", "Send the body as application/json."
    ),
    "THROTTLED": _THROTTLED,
    "QUOTA_EXCEEDED": _THROTTLED,
    # The authorizer named no API Gateway key of a usage plan: a key made before the plans existed.
    "INVALID_API_KEY": GatewayProblem(
        403, "forbidden", "Forbidden", "This API key has no usage plan. Ask for a new key."
    ),
    "WAF_FILTERED": GatewayProblem(403, "forbidden", "Forbidden", "The request was blocked."),
    "BAD_REQUEST_PARAMETERS": _BAD_REQUEST,
    "BAD_REQUEST_BODY": _BAD_REQUEST,
    "DEFAULT_4XX": _BAD_REQUEST,
    "AUTHORIZER_FAILURE": _INTERNAL,
    "AUTHORIZER_CONFIGURATION_ERROR": _INTERNAL,
    "API_CONFIGURATION_ERROR": _INTERNAL,
    "INTEGRATION_FAILURE": _TIMEOUT,
    "INTEGRATION_TIMEOUT": _TIMEOUT,
    # What is left is a function that failed or answered something that is not a proxy response.
    "DEFAULT_5XX": GatewayProblem(
        502, "bad-gateway", "Bad Gateway", "The function failed; the logs have the details.", True
    ),
}

# What the local gateway meets: no key or an unknown one, a Deny, no such route, a body over
# API Gateway's limit, a channel over its limits, an authorizer that failed, a function that failed.
LOCAL_GATEWAY_PROBLEMS = {
    problem.status: problem
    for problem in (
        GATEWAY_PROBLEMS[name]
        for name in (
            "UNAUTHORIZED",
            "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN",
            "REQUEST_TOO_LARGE",
            "THROTTLED",
            "AUTHORIZER_FAILURE",
            "DEFAULT_5XX",
        )
    )
}


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
        "OMS_FUNCTION": fn.name,
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
) -> dict[str, str]:
    """The whole environment of a function: the base, the business time zone, one name per table and
    bucket it uses, one URL per queue it sends to, one name per bus it publishes on and one alias per KMS
    key it uses, and no other. Bus names, key aliases and the metrics namespace are ``stage``'s."""
    env = {**base_environment(fn, stage), **{use.table.env_var: table_name(use.table) for use in fn.uses}}
    env[TIMEZONE_ENV] = timezone
    env[CURRENCY_ENV] = currency  # the deployment's (CDK context ``currency``, make run's $OMS_CURRENCY)
    env.update({bus.env_var: stage_name(bus.name, stage) for bus in fn.publishes})
    env.update({use.key.env_var: stage_name(use.key.alias, stage) for use in fn.keys})
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

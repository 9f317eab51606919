"""The types of the system's description: what a table, a queue, a function, a trigger, a route, a usage
plan ... is, and the pure rules over them (which DynamoDB actions an access grants, what a trigger accepts,
what a stack output is called).

``infra/spec.py`` uses them to describe the resources and functions that exist; both runtimes read that
description (CDK in ``infra/stack.py`` and ``infra/constructs``, the local stack in ``infra/local``). Keep
this module pure data: no CDK, no boto3, no pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write", "read_write", "read_write_delete", "query_index", "read_update", "manage"]

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
    # The authorizer: reads keys and sessions, and moves a session's idle expiry on (never a new item).
    "read_update": (*_READ, "dynamodb:UpdateItem"),
    # The API keys table for the API: sessions made and ended, people's keys made, listed (a Scan: a
    # handful of keys and their sessions) and revoked.
    "manage": tuple(dict.fromkeys((*_READ, *_WRITE, "dynamodb:DeleteItem", "dynamodb:Scan"))),
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
    # The longest its consumer keeps a message out of sight on purpose, in all (retries scheduled with
    # ChangeMessageVisibility: the webhooks'): the age-of-oldest-message alarm allows for it.
    scheduled_retries_s: int = 0


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
class EventRule:
    """An EventBridge rule on ``bus`` that puts every event it matches (``detail_types``, and ``sources``
    when given) on ``queue``, whose ``QueueTrigger`` runs the function that consumes them. The message body
    is the EventBridge event (``version``, ``id``, ``detail-type``, ``source``, ``time``, ``detail``...).
    In AWS: ``AWS::Events::Rule`` with an SQS target, its queue policy, and the queue's dead-letter queue
    for what EventBridge cannot deliver. Locally the same rule and target on the embedded endpoint, so
    the queue's poller runs the function exactly as Lambda's event source mapping would."""

    id: str
    bus: Bus
    queue: Queue
    detail_types: tuple[str, ...]
    sources: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not self.detail_types:
            raise ValueError(f"rule {self.id}: name the detail types it matches")

    @property
    def local_name(self) -> str:
        """The rule's name on the local stack's bus (CloudFormation names it in AWS)."""
        return f"local-{self.id}"

    def pattern(self) -> dict[str, list[str]]:
        """The event pattern, as EventBridge takes it."""
        pattern = {"detail-type": list(self.detail_types)}
        if self.sources:
            pattern["source"] = list(self.sources)
        return pattern


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket: encrypted, TLS only, no public access, versioned, with a lifecycle."""

    id: str
    env_var: str
    local_name: str
    # Objects under a prefix that expire (current versions) after some days: (prefix, days). Reports and
    # uploads are kept; query results (Athena's) are not worth keeping.
    expire: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class AnalyticsCatalog:
    """The nightly analytics export's tables for Athena (``infra/constructs/analytics.py``): a Glue database
    with one table per export table (``shared.analytics.export.TABLES``) over ``bucket``/``export_prefix``,
    the JSON SerDe and partition projection on the business day (no crawler, no partitions to add), and an
    Athena workgroup that enforces its configuration: results encrypted under ``results_prefix`` of the
    same bucket, at most ``bytes_scanned_cutoff`` bytes scanned per query. ``database`` and ``workgroup``
    are prod's names (another stage's follow ``stage_name``); ``projection_start`` is the first day the
    projection knows (days before it are never queried)."""

    bucket: Bucket
    export_prefix: str
    results_prefix: str
    database: str
    workgroup: str
    bytes_scanned_cutoff: int
    projection_start: str

    def __post_init__(self) -> None:
        for prefix in (self.export_prefix, self.results_prefix):
            if not prefix.endswith("/"):
                raise ValueError(f"{self.bucket.id}: prefix {prefix!r} must end with '/'")
        if self.bytes_scanned_cutoff < 10_000_000:
            raise ValueError("Athena's bytes-scanned cutoff is at least 10 MB")


@dataclass(frozen=True)
class BucketNotification:
    """S3 tells ``queue`` of every object created under ``prefix`` in ``bucket`` (the S3 event's JSON as
    the message body). In AWS an S3 event notification (CDK adds the queue policy that lets S3 send);
    on the local stack ``put_bucket_notification_configuration`` on the embedded endpoint, which delivers
    the same event itself. Either sends one ``s3:TestEvent`` when the configuration is set: consumers
    ignore it."""

    bucket: Bucket
    prefix: str
    queue: Queue

    def __post_init__(self) -> None:
        if not self.prefix.endswith("/"):
            raise ValueError(f"{self.bucket.id}: a notification prefix ends with '/'")


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
    # SYMMETRIC_DEFAULT: encrypts and decrypts (rotated yearly). HMAC_256: makes and verifies MACs only
    # (key usage GENERATE_VERIFY_MAC); KMS does not rotate HMAC keys, so neither runtime asks it to.
    spec: Literal["SYMMETRIC_DEFAULT", "HMAC_256"] = "SYMMETRIC_DEFAULT"

    @property
    def is_hmac(self) -> bool:
        return self.spec == "HMAC_256"


KeyAccess = Literal["encrypt", "decrypt", "generate_mac", "verify_mac"]
MAC_ACCESS: tuple[KeyAccess, ...] = ("generate_mac", "verify_mac")


@dataclass(frozen=True)
class UsesKey:
    """``encrypt``: kms:Encrypt only; ``decrypt``: kms:Decrypt only. Either only with an encryption context
    naming ``context_key`` (what the data is bound to: a secret encrypted for one channel never decrypts
    as another's). On an HMAC key: ``generate_mac`` (kms:GenerateMac only) or ``verify_mac``
    (kms:VerifyMac only); a MAC has no encryption context."""

    key: Key
    access: KeyAccess
    context_key: str = "channel"

    def __post_init__(self) -> None:
        if (self.access in MAC_ACCESS) != self.key.is_hmac:
            raise ValueError(f"{self.key.id}: {self.access} does not go with a {self.key.spec} key")


@dataclass(frozen=True)
class UsesBucket:
    """``read``: GetObject (and presigning GETs); ``write``: PutObject, multipart upload and its abort;
    ``upload``: PutObject alone (presigning a PUT for someone else's upload). Only under ``prefix``."""

    bucket: Bucket
    access: Literal["read", "write", "read_write", "upload"]
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
    # the queue each redrives to, which it may send to: their URLs reach it in OMS_DEAD_LETTERS
    # (shared.config.DEAD_LETTERS_ENV).
    dead_letters: tuple[DeadLetterQueue, ...] = ()
    publishes: tuple[Bus, ...] = ()  # buses it may put events on
    buckets: tuple[UsesBucket, ...] = ()
    keys: tuple[UsesKey, ...] = ()  # KMS keys it may use, and how
    # Reads the states of the stack's own CloudWatch alarms (GET /alarms): in AWS, their name prefix in
    # OMS_ALARM_PREFIX (``shared.config.ALARM_PREFIX_ENV``) and cloudwatch:DescribeAlarms on those alarms
    # only. The local stack has no alarms and sets nothing: the function then says there are none.
    alarms: bool = False
    # Sends email through SES (issue 17's notifications): in AWS ses:SendEmail and ses:SendRawEmail on the
    # stack's sender identity and configuration set only, with a ses:FromAddress condition, and the sender
    # and configuration set in OMS_SENDER_EMAIL and OMS_SES_CONFIGURATION_SET; on the local stack the sender
    # is verified on moto's SES.
    sends_email: bool = False
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
    # The API's public base URL in OMS_PUBLIC_URL (``shared.config.PUBLIC_URL_ENV``), for links a function
    # writes for people (a tracking link in an email): the stage's invoke URL in CDK, the local gateway's
    # URL locally. Not for an API integration: the stage's deployment depends on its integrations'
    # functions, so one of them naming the stage's URL would be a dependency cycle.
    public_url: bool = False

    def __post_init__(self) -> None:
        if self.public_url and self.routes:
            raise ValueError(f"{self.name}: a function with routes cannot have public_url (a cycle in CDK)")

    @property
    def handler(self) -> str:
        """The Lambda handler string, relative to the repository root (the asset root)."""
        return f"functions.{self.name}.handler.lambda_handler"


def queue_url_output(queue: Queue) -> str:
    """The stack output holding a queue's URL (``infra/stack.py``; ``oms --aws`` reads it)."""
    return f"{queue.id}QueueUrl"


def table_name_output(table: Table) -> str:
    """The stack output holding a table's physical name (``infra/stack.py``; ``oms --aws`` reads it)."""
    return f"{table.id}TableName"


def bucket_name_output(bucket: Bucket) -> str:
    """The stack output holding a bucket's name (``infra/stack.py``; ``oms --aws`` reads it)."""
    return f"{bucket.id}BucketName"

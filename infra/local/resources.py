"""Create the stack's resources on any AWS endpoint (embedded moto, LocalStack) from infra/spec.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from infra.description import Bucket, BucketNotification, Bus, EventRule, Function, Key, Queue, Table
from infra.spec import (
    BUCKET_NOTIFICATIONS,
    BUCKETS,
    BUSES,
    CURRENCY,
    EVENT_RULES,
    KEYS,
    QUEUES,
    TABLES,
    function_environment,
)
from shared.config import DEFAULT_SENDER_EMAIL, PUBLIC_URL_ENV

TAP_RULE = "local-tap"  # the rule on each bus that copies every event to the bus's tap queue
EVERY_EVENT = {"source": [{"prefix": ""}]}


def table_definition(table: Table) -> dict[str, Any]:
    attributes = {table.partition_key}
    schema = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        attributes.add(table.sort_key)
        schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    indexes = []
    for index in table.indexes:
        key = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
        attributes.add(index.partition_key)
        if index.sort_key:
            attributes.add(index.sort_key)
            key.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
        indexes.append(
            {"IndexName": index.name, "KeySchema": key, "Projection": {"ProjectionType": index.projection}}
        )
    definition: dict[str, Any] = {
        "TableName": table.local_name,
        "KeySchema": schema,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    if table.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return definition


def ensure_tables(dynamodb: Any, tables: tuple[Table, ...] = TABLES) -> list[str]:
    """Create the tables that are missing; returns the names created."""
    existing = set(dynamodb.list_tables().get("TableNames", []))
    created = []
    for table in tables:
        if table.local_name in existing:
            continue
        dynamodb.create_table(**table_definition(table))
        dynamodb.get_waiter("table_exists").wait(TableName=table.local_name)
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.local_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
        created.append(table.local_name)
    return created


def ensure_queues(sqs: Any, queues: tuple[Queue, ...] = QUEUES) -> dict[str, str]:
    """Create the queues that are missing (dead-letter queues first); returns every queue's URL by name."""
    urls: dict[str, str] = {}
    for queue in queues:
        urls[queue.local_name] = _ensure_queue(sqs, queue, urls)
    return urls


def _ensure_queue(sqs: Any, queue: Queue, urls: dict[str, str]) -> str:
    """Create one queue (its dead-letter queue's URL must be in ``urls``); returns its URL."""
    attributes = {
        "VisibilityTimeout": str(queue.visibility_timeout_s),
        "MessageRetentionPeriod": str(queue.retention_days * 24 * 3600),
    }
    if queue.dead_letter:
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": queue_arn(sqs, urls[queue.dead_letter.local_name]),
                "maxReceiveCount": str(queue.max_receive_count),
            }
        )
    # CreateQueue is idempotent for the same attributes and returns the existing queue's URL.
    return str(sqs.create_queue(QueueName=queue.local_name, Attributes=attributes)["QueueUrl"])


def queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def ensure_buses(events: Any, sqs: Any, buses: tuple[Bus, ...] = BUSES) -> dict[str, str]:
    """Create the buses that are missing and, for a bus with a ``local_tap``, its tap queue and a rule that
    copies every event on the bus to it. Returns the tap queues' URLs by queue name."""
    existing = {bus["Name"] for bus in events.list_event_buses().get("EventBuses", [])}
    taps: dict[str, str] = {}
    for bus in buses:
        if bus.name not in existing:
            events.create_event_bus(Name=bus.name)
        if bus.local_tap is None:
            continue
        url = _ensure_queue(sqs, bus.local_tap, taps)
        taps[bus.local_tap.local_name] = url
        # PutRule and PutTargets replace what is there: running this again changes nothing.
        events.put_rule(
            Name=TAP_RULE,
            EventBusName=bus.name,
            EventPattern=json.dumps(EVERY_EVENT),
            State="ENABLED",
            Description=f"Every event on {bus.name}, copied to {bus.local_tap.local_name} (local stack only)",
        )
        events.put_targets(
            Rule=TAP_RULE, EventBusName=bus.name, Targets=[{"Id": "tap", "Arn": queue_arn(sqs, url)}]
        )
    return taps


def ensure_event_rules(
    events: Any, sqs: Any, queue_urls: dict[str, str], rules: tuple[EventRule, ...] = EVENT_RULES
) -> list[str]:
    """Each rule of the spec on its bus, with its queue as the target (the buses and queues exist).
    PutRule and PutTargets replace what is there: running this again changes nothing. Returns the
    rules' names."""
    for rule in rules:
        events.put_rule(
            Name=rule.local_name,
            EventBusName=rule.bus.name,
            EventPattern=json.dumps(rule.pattern()),
            State="ENABLED",
            Description=rule.description or f"{', '.join(rule.detail_types)} to {rule.queue.local_name}",
        )
        events.put_targets(
            Rule=rule.local_name,
            EventBusName=rule.bus.name,
            Targets=[{"Id": "queue", "Arn": queue_arn(sqs, queue_urls[rule.queue.local_name])}],
        )
    return [rule.local_name for rule in rules]


def ensure_buckets(s3: Any, buckets: tuple[Bucket, ...] = BUCKETS) -> list[str]:
    """Create the buckets that are missing, versioned as in AWS; returns every bucket's name."""
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for bucket in buckets:
        if bucket.local_name not in existing:
            s3.create_bucket(Bucket=bucket.local_name)  # us-east-1: no location constraint
        s3.put_bucket_versioning(Bucket=bucket.local_name, VersioningConfiguration={"Status": "Enabled"})
    return [bucket.local_name for bucket in buckets]


def ensure_notifications(
    s3: Any,
    sqs: Any,
    queue_urls: dict[str, str],
    notifications: tuple[BucketNotification, ...] = BUCKET_NOTIFICATIONS,
) -> list[str]:
    """Each bucket's notifications, as CDK configures them in AWS: ObjectCreated under the prefix, to the
    queue (``queue_urls`` by queue name, from ``ensure_queues``). Moto delivers the S3 events itself (and
    one s3:TestEvent per configuration set, as S3 does). The configuration replaces the bucket's whole one:
    running this again changes nothing. Returns "bucket/prefix -> queue" per notification."""
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for notification in notifications:
        arn = queue_arn(sqs, queue_urls[notification.queue.local_name])
        by_bucket.setdefault(notification.bucket.local_name, []).append(
            {
                "Id": f"{notification.queue.id}-{notification.prefix.rstrip('/')}",
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": notification.prefix}]}},
            }
        )
    for bucket, queues in by_bucket.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
        )
    return [f"{n.bucket.local_name}/{n.prefix} -> {n.queue.local_name}" for n in notifications]


def ensure_keys(kms: Any, keys: tuple[Key, ...] = KEYS) -> list[str]:
    """Create the KMS keys whose alias is missing, as in AWS: a symmetric key rotated, an HMAC_256 key for
    MACs only and not rotated (KMS cannot rotate HMAC keys); returns every alias."""
    existing = {alias["AliasName"] for alias in kms.list_aliases().get("Aliases", [])}
    for key in keys:
        if key.alias in existing:
            continue
        if key.is_hmac:
            key_id = kms.create_key(
                Description=key.description, KeySpec=key.spec, KeyUsage="GENERATE_VERIFY_MAC"
            )["KeyMetadata"]["KeyId"]
        else:
            key_id = kms.create_key(Description=key.description)["KeyMetadata"]["KeyId"]
            kms.enable_key_rotation(KeyId=key_id)
        kms.create_alias(AliasName=key.alias, TargetKeyId=key_id)
    return [key.alias for key in keys]


def ensure_email_sender(ses: Any, sender: str = DEFAULT_SENDER_EMAIL) -> str:
    """Verify the notifications' sender on moto's SES (moto, like SES, refuses an unverified sender)."""
    ses.verify_email_identity(EmailAddress=sender)
    return sender


def sent_emails() -> list[dict[str, Any]]:
    """What the in-process moto SES sent (the embedded endpoint's backend), oldest first: the local
    gateway's ``GET /_local/emails``. moto keeps one body per email: the HTML part when there is one."""
    from moto.ses.models import ses_backends

    emails: list[dict[str, Any]] = []
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            for message in list(backend.sent_messages):
                destinations = getattr(message, "destinations", {}) or {}
                emails.append(
                    {
                        "message_id": message.id,
                        "from": message.source,
                        "to": list(destinations.get("ToAddresses", [])),
                        "subject": getattr(message, "subject", None),
                        "body": getattr(message, "body", None),
                    }
                )
    return emails


DEFAULT_PUBLIC_URL = "http://127.0.0.1:3000"  # make run's gateway on its default port


def local_function_environment(
    fn: Function,
    queue_url: Callable[[Queue], str],
    timezone: str,
    currency: str = CURRENCY,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> dict[str, str]:
    """A function's environment on the local stack (``make run`` and ``make invoke``): the spec's, with the
    local table and bucket names, and the local gateway's URL for a function whose spec says
    ``public_url``."""
    env = function_environment(
        fn,
        lambda table: table.local_name,
        queue_url,
        bucket_name=lambda bucket: bucket.local_name,
        timezone=timezone,
        currency=currency,
    )
    if fn.public_url:
        env[PUBLIC_URL_ENV] = public_url.rstrip("/")
    return env

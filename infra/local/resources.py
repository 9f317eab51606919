"""Create the stack's resources on any AWS endpoint (embedded moto, LocalStack) from infra/spec.py."""

from __future__ import annotations

import json
from typing import Any

from infra.spec import QUEUES, TABLES, Queue, Table


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
        indexes.append({"IndexName": index.name, "KeySchema": key, "Projection": {"ProjectionType": "ALL"}})
    definition: dict[str, Any] = {
        "TableName": table.local_name,
        "KeySchema": schema,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
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
        attributes = {
            "VisibilityTimeout": str(queue.visibility_timeout_s),
            "MessageRetentionPeriod": str(queue.retention_days * 24 * 3600),
        }
        if queue.dead_letter:
            dlq_arn = sqs.get_queue_attributes(
                QueueUrl=urls[queue.dead_letter.local_name], AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
            )
        # CreateQueue is idempotent for the same attributes and returns the existing queue's URL.
        urls[queue.local_name] = sqs.create_queue(QueueName=queue.local_name, Attributes=attributes)[
            "QueueUrl"
        ]
    return urls


def local_environment() -> dict[str, str]:
    """The table-name variables every function gets on the local stack."""
    return {table.env_var: table.local_name for table in TABLES}

"""The local stack's resource definitions and stream events, from infra/spec.py, without any AWS calls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from infra.description import StreamTrigger, Table
from infra.local.pollers import stream_event, stream_record
from infra.local.resources import EVERY_EVENT, ensure_buckets, ensure_notifications, table_definition
from infra.spec import (
    BUCKETS,
    BUSES,
    CATALOG,
    EVENTS,
    FUNCTIONS,
    KEYS,
    ORDERS,
    REPORTS,
    REPORTS_BUCKET,
    TABLES,
)
from shared.config import LOCAL_STACK_ENV
from tests.support.environment import local_environment


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.id)
def test_a_table_with_a_stream_is_created_with_old_and_new_images(table: Table) -> None:
    definition = table_definition(table)
    if table.stream:
        assert definition["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    else:
        assert "StreamSpecification" not in definition


def test_the_catalog_has_its_stream_its_low_stock_index_and_a_keys_only_products_index() -> None:
    definition = table_definition(CATALOG)
    assert "StreamSpecification" in definition
    indexes = {i["IndexName"]: i for i in definition["GlobalSecondaryIndexes"]}
    assert list(indexes) == ["low_stock", "products", "products_by_name"]
    assert indexes["low_stock"]["Projection"] == {"ProjectionType": "ALL"}
    assert indexes["products"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes["products"]["KeySchema"] == [
        {"AttributeName": "listed", "KeyType": "HASH"},
        {"AttributeName": "pk", "KeyType": "RANGE"},
    ]
    assert indexes["products_by_name"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes["products_by_name"]["KeySchema"] == [
        {"AttributeName": "listed", "KeyType": "HASH"},
        {"AttributeName": "name_key", "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"] for a in definition["AttributeDefinitions"]} == {
        "pk",
        "sk",
        "low_stock",
        "listed",
        "name_key",
    }


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.id)
def test_every_index_is_created_with_its_projection(table: Table) -> None:
    created = table_definition(table).get("GlobalSecondaryIndexes", [])
    assert [(i["IndexName"], i["Projection"]["ProjectionType"]) for i in created] == [
        (i.name, i.projection) for i in table.indexes
    ]


def test_the_orders_and_reports_tables_have_their_streams() -> None:
    for table in (ORDERS, REPORTS):
        assert table_definition(table)["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert [(fn.name, t.table) for fn in FUNCTIONS for t in fn.triggers if isinstance(t, StreamTrigger)] == [
        ("inventory_events", CATALOG),
        ("order_events", ORDERS),
        ("sales_aggregates", ORDERS),
        ("reports", REPORTS),
    ]


def test_local_environment_names_every_table_bucket_and_bus() -> None:
    env = local_environment()
    assert {t.env_var: t.local_name for t in TABLES}.items() <= env.items()
    assert env[EVENTS.env_var] == "oms-events"
    assert env[REPORTS_BUCKET.env_var] == "oms-reports"
    assert env["OMS_SECRETS_KEY"] == "alias/oms-secrets"
    assert set(env) == {t.env_var for t in TABLES} | {b.env_var for b in BUCKETS} | {
        b.env_var for b in BUSES
    } | {k.env_var for k in KEYS} | {LOCAL_STACK_ENV}


class FakeS3:
    def __init__(self, existing: list[str]) -> None:
        self.buckets = list(existing)
        self.versioned: list[str] = []

    def list_buckets(self) -> dict[str, object]:
        return {"Buckets": [{"Name": name} for name in self.buckets]}

    def create_bucket(self, Bucket: str) -> None:
        self.buckets.append(Bucket)

    def put_bucket_versioning(self, Bucket: str, VersioningConfiguration: dict[str, str]) -> None:
        assert VersioningConfiguration == {"Status": "Enabled"}
        self.versioned.append(Bucket)


def test_buckets_are_created_when_missing_and_versioned() -> None:
    s3 = FakeS3(existing=["someone-elses"])
    ours = ["oms-reports", "oms-imports", "oms-analytics"]
    assert ensure_buckets(s3) == ours
    assert s3.buckets == ["someone-elses", *ours]
    assert s3.versioned == ours
    # Again: nothing new is created, and versioning stays on.
    assert ensure_buckets(s3) == ours
    assert s3.buckets == ["someone-elses", *ours]


class FakeNotifications:
    """S3's notification configuration and SQS's queue attributes, as ensure_notifications uses them."""

    def __init__(self) -> None:
        self.configured: dict[str, Any] = {}

    def put_bucket_notification_configuration(self, Bucket: str, NotificationConfiguration: Any) -> None:
        self.configured[Bucket] = NotificationConfiguration  # replaces the bucket's whole configuration

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        name = QueueUrl.rsplit("/", 1)[-1]
        return {"Attributes": {"QueueArn": f"arn:aws:sqs:us-east-1:123456789012:{name}"}}


def test_uploads_notify_the_import_work_queue_locally_as_in_aws() -> None:
    fake = FakeNotifications()
    urls = {"oms-import-work": "http://local/123456789012/oms-import-work"}
    assert ensure_notifications(fake, fake, urls) == ["oms-imports/uploads/ -> oms-import-work"]
    expected = {
        "QueueConfigurations": [
            {
                "Id": "ImportWork-uploads",
                "QueueArn": "arn:aws:sqs:us-east-1:123456789012:oms-import-work",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
            }
        ]
    }
    assert fake.configured == {"oms-imports": expected}
    ensure_notifications(fake, fake, urls)  # again: the same configuration, nothing added
    assert fake.configured == {"oms-imports": expected}


def test_the_tap_rule_matches_every_event() -> None:
    # EventBridge patterns need a field to match on: every event has a source, any prefix of it.
    assert EVERY_EVENT == {"source": [{"prefix": ""}]}


STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/oms-catalog/stream/2026-01-01T00:00:00.000"


def get_records_record(**change: object) -> dict[str, object]:
    """A record as boto3's GetRecords returns it (timestamps parsed, binary values as bytes)."""
    return {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "Keys": {"pk": {"S": "P1"}, "sk": {"S": "SKU"}},
            "NewImage": {"pk": {"S": "P1"}, "sk": {"S": "SKU"}, "on_hand": {"N": "2"}, "b": {"B": b"\x00"}},
            "OldImage": {
                "pk": {"S": "P1"},
                "sk": {"S": "SKU"},
                "on_hand": {"N": "3"},
                "bs": {"BS": [b"\x01"]},
            },
            "SequenceNumber": "100",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            **change,
        },
    }


def test_a_stream_record_is_shaped_as_lambda_delivers_it() -> None:
    record = stream_record(get_records_record(), STREAM_ARN)
    assert record == {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()),
            "Keys": {"pk": {"S": "P1"}, "sk": {"S": "SKU"}},
            "NewImage": {"pk": {"S": "P1"}, "sk": {"S": "SKU"}, "on_hand": {"N": "2"}, "b": {"B": "AA=="}},
            "OldImage": {
                "pk": {"S": "P1"},
                "sk": {"S": "SKU"},
                "on_hand": {"N": "3"},
                "bs": {"BS": ["AQ=="]},
            },
            "SequenceNumber": "100",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM_ARN,
    }


def test_a_ttl_deletion_keeps_its_user_identity() -> None:
    identity = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    raw = {**get_records_record(), "eventName": "REMOVE", "userIdentity": identity}
    assert stream_record(raw, STREAM_ARN)["userIdentity"] == identity


def test_a_stream_event_keeps_the_records_in_order() -> None:
    records = [get_records_record(SequenceNumber=str(n)) for n in (7, 8, 9)]
    event = stream_event(records, STREAM_ARN)
    assert [r["dynamodb"]["SequenceNumber"] for r in event["Records"]] == ["7", "8", "9"]


def test_every_function_has_a_local_environment() -> None:
    """What `make run` and `make invoke` give each function: the spec's environment with local names."""
    from infra.local.resources import local_function_environment
    from infra.spec import FUNCTIONS

    for fn in FUNCTIONS:
        env = local_function_environment(
            fn, lambda queue: f"http://local/{queue.local_name}", "Europe/Berlin"
        )
        assert env["OMS_TIMEZONE"] == "Europe/Berlin"
        assert {use.bucket.env_var: use.bucket.local_name for use in fn.buckets}.items() <= env.items()
        assert {use.table.env_var: use.table.local_name for use in fn.uses}.items() <= env.items()

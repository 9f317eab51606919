"""The local stack's resource definitions and stream events, from infra/spec.py, without any AWS calls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.local.pollers import stream_event, stream_record
from infra.local.resources import EVERY_EVENT, local_environment, table_definition
from infra.spec import BUSES, CATALOG, EVENTS, FUNCTIONS, ORDERS, TABLES, StreamTrigger, Table


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


def test_the_catalog_has_its_stream_and_low_stock_index() -> None:
    definition = table_definition(CATALOG)
    assert "StreamSpecification" in definition
    assert [i["IndexName"] for i in definition["GlobalSecondaryIndexes"]] == ["low_stock"]
    assert {a["AttributeName"] for a in definition["AttributeDefinitions"]} == {"pk", "sk", "low_stock"}


def test_the_orders_table_has_its_stream_for_order_events() -> None:
    definition = table_definition(ORDERS)
    assert definition["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert [t.table for fn in FUNCTIONS for t in fn.triggers if isinstance(t, StreamTrigger)] == [
        CATALOG,
        ORDERS,
    ]


def test_local_environment_names_every_table_and_bus() -> None:
    env = local_environment()
    assert {t.env_var: t.local_name for t in TABLES}.items() <= env.items()
    assert env[EVENTS.env_var] == "oms-events"
    assert set(env) == {t.env_var for t in TABLES} | {b.env_var for b in BUSES}


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

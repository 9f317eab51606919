"""The local stack's and the tests' moto rolls a cancelled TransactWriteItems back item by item
(infra/local/moto_transactions.py) instead of copying whole tables: all or nothing still, the stream
included, and the cost of a transaction no longer grows with its table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.spec import CATALOG, ORDERS
from tests.support.local_aws import local_aws


@pytest.fixture
def aws() -> Iterator[Any]:
    with local_aws() as dynamodb:
        yield dynamodb


def item(pk: str, **values: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "ORDER"}, **{k: {"S": v} for k, v in values.items()}}


def stream_length(table: str) -> int:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends["123456789012"]["us-east-1"]
    shard = backend.tables[table].stream_shard
    return len(shard.items) if shard is not None else 0


def test_a_cancelled_transaction_leaves_nothing_behind(aws: Any) -> None:
    table = ORDERS.local_name
    aws.put_item(TableName=table, Item=item("ORDER#a", status="CONFIRMED"))
    aws.put_item(TableName=table, Item=item("ORDER#gone", status="CONFIRMED"))
    before = stream_length(table)
    with pytest.raises(ClientError) as caught:
        aws.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": item("ORDER#new", status="NEW")}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": item("ORDER#a"),
                        "UpdateExpression": "SET #s = :s",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":s": {"S": "SHIPPED"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": item("ORDER#gone")}},
                {
                    "ConditionCheck": {
                        "TableName": CATALOG.local_name,
                        "Key": {"pk": {"S": "NO-SUCH-SKU"}, "sk": {"S": "PRODUCT"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in aws.get_item(TableName=table, Key=item("ORDER#new"))
    assert aws.get_item(TableName=table, Key=item("ORDER#a"))["Item"]["status"] == {"S": "CONFIRMED"}
    assert aws.get_item(TableName=table, Key=item("ORDER#gone"))["Item"]["status"] == {"S": "CONFIRMED"}
    assert stream_length(table) == before  # no record of writes that never happened


def test_a_committed_transaction_writes_everything(aws: Any) -> None:
    table = ORDERS.local_name
    before = stream_length(table)
    aws.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": item(f"ORDER#{n}", status="NEW")}} for n in range(3)
        ]
    )
    assert all("Item" in aws.get_item(TableName=table, Key=item(f"ORDER#{n}")) for n in range(3))
    assert stream_length(table) == before + 3


def test_a_transaction_costs_the_same_in_a_big_table(aws: Any) -> None:
    table = ORDERS.local_name

    def timed() -> float:
        start = time.perf_counter()
        for n in range(20):
            aws.transact_write_items(
                TransactItems=[{"Put": {"TableName": table, "Item": item(f"ORDER#t{n}-{time.time()}")}}]
            )
        return time.perf_counter() - start

    small = timed()
    for start in range(0, 3000, 25):
        aws.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": item(f"ORDER#b{n}", status="X" * 200)}}
                    for n in range(start, start + 25)
                ]
            }
        )
    big = timed()
    assert big < small * 5 + 0.5, (small, big)  # a whole-table copy made it ~100 times slower here

"""The local stack's DynamoDB stream mapping (StreamPoller) and event buses (ensure_buses) against moto.

A dummy function stands in for the handler: it records every event and answers what the test tells
it to, so these tests pin the mapping's own behaviour: order, images, the sort-key filter, partial
batch responses, splitting, retries, the on-failure record, and the cancelled-transaction quirk.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.description import StreamTrigger
from infra.local.moto_server import EmbeddedAws
from infra.local.pollers import StreamPoller
from infra.local.resources import TAP_RULE, ensure_buses, ensure_queues, ensure_tables
from infra.local.workers import InvocationError
from infra.spec import CATALOG, EVENTS, EVENTS_TAP, INVENTORY_EVENTS
from shared.models.events import INVENTORY_SOURCE
from tests.support.ports import free_port
from tests.support.waiting import wait_until

(TRIGGER,) = INVENTORY_EVENTS.triggers
assert isinstance(TRIGGER, StreamTrigger)
Answer = Callable[[dict[str, Any]], Any]


class Function:
    """Records every event; answers with ``answer(event)`` (default: every record done)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer: Answer = lambda event: {"batchItemFailures": []}

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(json.loads(json.dumps(event)))  # what crosses the process boundary: JSON
        return self.answer(event)

    def sort_keys(self) -> list[list[str]]:
        return [[r["dynamodb"]["Keys"]["sk"]["S"] for r in e["Records"]] for e in self.events]


class Catalog:
    """The catalog table on moto, a stream poller on it and the poller's failures queue."""

    def __init__(
        self, endpoint: str | None = None, trigger: StreamTrigger = TRIGGER, bisect: bool = True
    ) -> None:
        self.dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
        self.sqs = boto3.client("sqs", endpoint_url=endpoint)
        ensure_tables(self.dynamodb)
        urls = ensure_queues(self.sqs)
        self.failures_url = urls[trigger.failures.local_name]
        self.function = Function()
        self.poller = StreamPoller(
            self.dynamodb,
            boto3.client("dynamodbstreams", endpoint_url=endpoint),
            self.sqs,
            trigger,
            self.function,
            self.failures_url,
            function_name=INVENTORY_EVENTS.name,
            bisect=bisect,
        )

    def put(self, sk: str, pk: str = "P1", **attributes: int) -> None:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"N": str(v)} for k, v in attributes.items()}}
        self.dynamodb.put_item(TableName=CATALOG.local_name, Item=item)

    def drain(self, polls: int = 50) -> None:
        """Poll until nothing moves any more (or ``polls`` polls), as the mapping's thread would."""
        for _ in range(polls):
            if not self.poller.poll_once() and not self.poller.retrying:
                return

    def failures(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.failures_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def catalog() -> Iterator[Catalog]:
    with mock_aws():
        yield Catalog()


def fail(*sort_keys: str) -> Answer:
    """Report these records (by sort key) as batch item failures."""
    return lambda event: {
        "batchItemFailures": [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
            for r in event["Records"]
            if r["dynamodb"]["Keys"]["sk"]["S"] in sort_keys
        ]
    }


def raise_on(sort_key: str) -> Answer:
    def answer(event: dict[str, Any]) -> Any:
        if any(r["dynamodb"]["Keys"]["sk"]["S"] == sort_key for r in event["Records"]):
            raise InvocationError("RuntimeError", f"cannot handle {sort_key}")
        return None

    return answer


# --- events ---------------------------------------------------------------------------------


def test_changes_arrive_in_order_as_lambda_delivers_them(catalog: Catalog) -> None:
    catalog.put("SKU", on_hand=5)
    catalog.put("SKU", on_hand=3)
    catalog.dynamodb.delete_item(TableName=CATALOG.local_name, Key={"pk": {"S": "P1"}, "sk": {"S": "SKU"}})

    assert catalog.poller.poll_once() == 3
    (event,) = catalog.function.events
    inserted, modified, removed = event["Records"]
    assert [r["eventName"] for r in event["Records"]] == ["INSERT", "MODIFY", "REMOVE"]
    for record in event["Records"]:
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventSourceARN"] == catalog.poller.stream_arn
        assert ":table/oms-catalog/stream/" in record["eventSourceARN"]
        change = record["dynamodb"]
        assert change["Keys"] == {"pk": {"S": "P1"}, "sk": {"S": "SKU"}}
        assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(change["ApproximateCreationDateTime"], int)
        assert change["SizeBytes"] > 0
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3

    assert "OldImage" not in inserted["dynamodb"]
    assert inserted["dynamodb"]["NewImage"]["on_hand"] == {"N": "5"}
    assert modified["dynamodb"]["OldImage"]["on_hand"] == {"N": "5"}
    assert modified["dynamodb"]["NewImage"]["on_hand"] == {"N": "3"}
    assert removed["dynamodb"]["OldImage"]["on_hand"] == {"N": "3"}
    assert "NewImage" not in removed["dynamodb"]

    assert catalog.poller.poll_once() == 0, "a checkpointed record is never delivered again"
    assert len(catalog.function.events) == 1


def test_binary_attributes_arrive_base64_encoded(catalog: Catalog) -> None:
    catalog.dynamodb.put_item(
        TableName=CATALOG.local_name, Item={"pk": {"S": "P1"}, "sk": {"S": "SKU"}, "blob": {"B": b"\x00\x01"}}
    )
    catalog.poller.poll_once()
    (record,) = catalog.function.events[0]["Records"]
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}


def test_batches_are_at_most_batch_size_and_keep_stream_order(catalog: Catalog) -> None:
    small = Catalog(trigger=dataclasses.replace(TRIGGER, batch_size=2))
    for n in range(5):
        small.put(f"SKU{n}")
    small.drain()
    assert small.function.sort_keys() == [["SKU0", "SKU1"], ["SKU2", "SKU3"], ["SKU4"]]


def test_only_records_whose_sort_key_starts_with_a_prefix_reach_the_function(catalog: Catalog) -> None:
    assert TRIGGER.sort_key_prefixes == ("SKU", "WAIT#", "MOVE#")
    catalog.put("UPDATE#1")  # filtered out ahead of the batch
    catalog.put("SKU")
    catalog.put("DEDUP#abc")  # filtered out inside the batch
    catalog.put("WAIT#2026#o1")
    catalog.put("UPDATE#2")  # filtered out after the batch

    catalog.drain()
    assert catalog.function.sort_keys() == [["SKU", "WAIT#2026#o1"]]
    assert catalog.poller.poll_once() == 0, "filtered-out records are passed over once, like a filter"

    catalog.put("SKU", on_hand=1)
    catalog.drain()
    assert catalog.function.sort_keys() == [["SKU", "WAIT#2026#o1"], ["SKU"]]


def test_a_stream_of_filtered_out_records_never_invokes(catalog: Catalog) -> None:
    catalog.put("UPDATE#1")
    catalog.put("DEDUP#1")
    assert catalog.poller.poll_once() == 2
    assert catalog.function.events == []


def test_no_prefixes_delivers_everything() -> None:
    with mock_aws():
        everything = Catalog(trigger=dataclasses.replace(TRIGGER, sort_key_prefixes=()))
        everything.put("MOVE#1")
        everything.put("SKU")
        everything.drain()
        assert everything.function.sort_keys() == [["MOVE#1", "SKU"]]


# --- partial batch responses ----------------------------------------------------------------


def test_a_reported_record_is_retried_with_everything_after_it(catalog: Catalog) -> None:
    for sku in ("SKU#1", "SKU#2", "SKU#3", "SKU#4"):
        catalog.put(sku)
    catalog.function.answer = fail("SKU#2", "SKU#4")
    catalog.poller.poll_once()
    assert catalog.poller.retrying
    catalog.function.answer = lambda event: None
    catalog.drain()
    # Records before the lowest reported one are done; the retry starts with it.
    assert catalog.function.sort_keys() == [["SKU#1", "SKU#2", "SKU#3", "SKU#4"], ["SKU#2", "SKU#3", "SKU#4"]]
    assert not catalog.poller.retrying
    assert catalog.failures() == []


def test_an_identifier_that_is_not_in_the_batch_fails_the_whole_batch(catalog: Catalog) -> None:
    catalog.put("SKU")
    catalog.function.answer = lambda event: {
        "batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]
    }
    catalog.poller.poll_once()
    catalog.function.answer = lambda event: {"batchItemFailures": [{"itemIdentifier": None}]}
    catalog.poller.poll_once()
    catalog.function.answer = lambda event: None
    catalog.drain()
    assert catalog.function.sort_keys() == [["SKU"], ["SKU"], ["SKU"]]


def test_a_record_reported_every_time_is_given_up_after_the_retries(catalog: Catalog) -> None:
    catalog.put("SKU#1")
    catalog.put("SKU#2")
    catalog.put("SKU#3")
    catalog.function.answer = fail("SKU#2")
    catalog.drain(polls=100)

    invocations = catalog.function.sort_keys()
    assert invocations[0] == ["SKU#1", "SKU#2", "SKU#3"]
    # The first failure plus retry_attempts retries from SKU#2; then the batch being retried (SKU#3 with
    # it, as on Lambda) is recorded as skipped and the mapping moves on.
    assert invocations[1:] == [["SKU#2", "SKU#3"]] * TRIGGER.retry_attempts
    (failure,) = catalog.failures()
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 2
    assert info["startSequenceNumber"] < info["endSequenceNumber"]
    assert "functionError" not in failure["responseContext"], "a partial batch response is not an error"
    catalog.function.answer = lambda event: None
    catalog.put("SKU#4")
    catalog.drain()
    assert catalog.function.sort_keys()[-1] == ["SKU#4"]


# --- errors: split, retry, give up ----------------------------------------------------------


def test_an_error_splits_the_batch_until_the_failing_record_is_alone(catalog: Catalog) -> None:
    for n in range(4):
        catalog.put(f"SKU#{n}")
    catalog.put("SKU#bad")
    for n in range(4, 6):
        catalog.put(f"SKU#{n}")
    catalog.function.answer = raise_on("SKU#bad")
    catalog.drain(polls=100)

    invocations = catalog.function.sort_keys()
    assert invocations[:4] == [
        ["SKU#0", "SKU#1", "SKU#2", "SKU#3", "SKU#bad", "SKU#4", "SKU#5"],
        ["SKU#0", "SKU#1", "SKU#2", "SKU#3"],  # the first half: done
        ["SKU#bad", "SKU#4", "SKU#5"],  # then the second half, split again
        ["SKU#bad", "SKU#4"],
    ]
    alone = [i for i in invocations if i == ["SKU#bad"]]
    assert len(alone) == 1 + TRIGGER.retry_attempts
    # After giving up on it, the rest of the split batch follows, each record once.
    after = invocations[len(invocations) - invocations[::-1].index(["SKU#bad"]) :]
    assert [sku for batch in after for sku in batch] == ["SKU#4", "SKU#5"]
    assert catalog.poller.poll_once() == 0

    (failure,) = catalog.failures()
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert failure["responseContext"]["functionError"] == "Unhandled"


def test_exhausted_retries_record_the_batch_as_lambda_does() -> None:
    with mock_aws():
        catalog = Catalog(trigger=dataclasses.replace(TRIGGER, retry_attempts=2), bisect=False)
        catalog.put("SKU#1")
        catalog.put("WAIT#1")
        catalog.function.answer = raise_on("SKU#1")
        catalog.drain()
        assert catalog.function.sort_keys() == [["SKU#1", "WAIT#1"]] * 3  # the first attempt and 2 retries

        (failure,) = catalog.failures()
        assert failure["version"] == "1.0"
        assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert failure["requestContext"]["functionArn"].endswith(":function:inventory_events")
        assert failure["requestContext"]["approximateInvokeCount"] == 3
        assert failure["responseContext"]["functionError"] == "Unhandled"
        info = failure["DDBStreamBatchInfo"]
        assert info["streamArn"] == catalog.poller.stream_arn
        assert info["batchSize"] == 2
        assert info["shardId"].startswith("shardId-")
        assert info["approximateArrivalOfFirstRecord"].endswith("Z")
        # The two sequence numbers point at the records, which stay readable in the stream.
        streams = boto3.client("dynamodbstreams")
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=2)["Records"]
        assert [r["dynamodb"]["SequenceNumber"] for r in records] == [
            info["startSequenceNumber"],
            info["endSequenceNumber"],
        ]

        catalog.function.answer = lambda event: None
        catalog.put("SKU#2")
        catalog.drain()
        assert catalog.function.sort_keys()[-1] == ["SKU#2"], "the mapping moved past the skipped batch"


def test_a_transient_error_is_retried_and_then_succeeds(catalog: Catalog) -> None:
    catalog.put("SKU")
    answers = iter([InvocationError("Timeout", "timed out"), None])

    def flaky(event: dict[str, Any]) -> Any:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    catalog.function.answer = flaky
    catalog.drain()
    assert catalog.function.sort_keys() == [["SKU"], ["SKU"]]
    assert catalog.failures() == []


# --- moto: a cancelled transaction replaces the stream shard ---------------------------------


def cancelled_transaction(catalog: Catalog) -> None:
    with pytest.raises(ClientError, match="TransactionCanceled"):
        catalog.dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": CATALOG.local_name,
                        "Key": {"pk": {"S": "P1"}, "sk": {"S": "SKU"}},
                        "UpdateExpression": "SET on_hand = :n",
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ExpressionAttributeValues": {":n": {"N": "0"}},
                    }
                }
            ]
        )


def test_records_after_a_cancelled_transaction_are_still_seen(catalog: Catalog) -> None:
    catalog.put("SKU", on_hand=1)
    catalog.drain()
    cancelled_transaction(catalog)
    catalog.put("SKU", on_hand=2)
    catalog.drain()
    assert catalog.function.sort_keys() == [["SKU"], ["SKU"]]
    (_, event) = catalog.function.events
    assert event["Records"][0]["dynamodb"]["NewImage"]["on_hand"] == {"N": "2"}


def test_why_every_poll_takes_a_new_iterator(catalog: Catalog) -> None:
    """moto 5 rolled a cancelled transaction back by restoring a copy of the table, stream shard included,
    so an iterator taken before it never saw later records: the pollers take a new iterator every poll.
    The local stack's moto now rolls back item by item and cuts the stream back instead
    (infra/local/moto_transactions.py): a kept iterator sees the next real record and never the
    cancelled ones. The pollers keep taking a new iterator (right whatever moto does)."""
    streams = boto3.client("dynamodbstreams")
    catalog.put("SKU", on_hand=1)
    shard = streams.describe_stream(StreamArn=catalog.poller.stream_arn)["StreamDescription"]["Shards"][0]
    kept = streams.get_shard_iterator(
        StreamArn=catalog.poller.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    cancelled_transaction(catalog)
    catalog.put("SKU", on_hand=2)
    records = streams.get_records(ShardIterator=kept)["Records"]
    assert [r["dynamodb"]["NewImage"]["on_hand"] for r in records] == [{"N": "2"}]
    catalog.drain()
    assert catalog.function.sort_keys() == [["SKU", "SKU"]]


def test_a_transaction_rolled_back_between_iterator_and_read_is_never_delivered(catalog: Catalog) -> None:
    """A rollback between get_shard_iterator and get_records would hand over the cancelled write (a
    ghost record) and then skip the real write that reuses its sequence number."""
    streams = catalog.poller._streams
    ghosts = [1]

    class RollbackBeforeRead:
        def __getattr__(self, name: str) -> Any:
            return getattr(streams, name)

        def get_records(self, **kw: Any) -> Any:
            if ghosts:  # once: the iterator is already taken
                ghosts.pop()
                ghost_transaction(catalog)
            return streams.get_records(**kw)

    catalog.poller._streams = RollbackBeforeRead()
    catalog.put("SKU", on_hand=1)
    catalog.drain()
    catalog.put("SKU", on_hand=2)
    catalog.drain()

    assert not ghosts  # the rollback did happen between an iterator and its read
    delivered = [
        r["dynamodb"]["NewImage"]["on_hand"]["N"] for e in catalog.function.events for r in e["Records"]
    ]
    assert delivered == ["1", "2"]  # never the ghost's 99, and the write after it is not skipped


def ghost_transaction(catalog: Catalog) -> None:
    """A transaction whose first write is applied (a stream record) before the second one fails."""
    with pytest.raises(ClientError, match="TransactionCanceled"):
        catalog.dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": CATALOG.local_name,
                        "Item": {"pk": {"S": "P1"}, "sk": {"S": "SKU"}, "on_hand": {"N": "99"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": CATALOG.local_name,
                        "Key": {"pk": {"S": "P1"}, "sk": {"S": "NOPE"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )


# --- the thread, on the embedded endpoint ---------------------------------------------------


def test_the_poller_thread_delivers_and_stops_on_the_embedded_endpoint() -> None:
    aws = EmbeddedAws("127.0.0.1", free_port()).start()
    try:
        catalog = Catalog(endpoint=aws.url)
        poller = catalog.poller.start()
        try:
            catalog.put("SKU", on_hand=1)
            assert wait_until(lambda: catalog.function.sort_keys() == [["SKU"]], timeout=10)
            cancelled_transaction(catalog)
            catalog.put("WAIT#o1")
            assert wait_until(lambda: catalog.function.sort_keys() == [["SKU"], ["WAIT#o1"]], timeout=10)
        finally:
            poller.stop()
        assert not poller._thread.is_alive()
    finally:
        aws.stop()


# --- buses ----------------------------------------------------------------------------------


def test_an_event_put_on_the_bus_appears_on_the_tap_queue() -> None:
    with mock_aws():
        events, sqs = boto3.client("events"), boto3.client("sqs")
        taps = ensure_buses(events, sqs)
        assert set(taps) == {EVENTS_TAP.local_name}
        assert ensure_buses(events, sqs) == taps, "running it again changes nothing"
        assert [r["Name"] for r in events.list_rules(EventBusName=EVENTS.name)["Rules"]] == [TAP_RULE]
        assert len(events.list_targets_by_rule(Rule=TAP_RULE, EventBusName=EVENTS.name)["Targets"]) == 1

        detail = {"sku": "TSHIRT", "available": 2}
        put = events.put_events(
            Entries=[
                {
                    "EventBusName": EVENTS.name,
                    "Source": INVENTORY_SOURCE,
                    "DetailType": "StockLow",
                    "Detail": json.dumps(detail),
                }
            ]
        )
        assert put["FailedEntryCount"] == 0
        messages = sqs.receive_message(QueueUrl=taps[EVENTS_TAP.local_name], MaxNumberOfMessages=10)[
            "Messages"
        ]
        (message,) = messages
        event = json.loads(message["Body"])
        assert event["source"] == INVENTORY_SOURCE
        assert event["detail-type"] == "StockLow"
        assert event["detail"] == detail


def test_an_event_on_the_default_bus_does_not_reach_the_tap() -> None:
    with mock_aws():
        events, sqs = boto3.client("events"), boto3.client("sqs")
        taps = ensure_buses(events, sqs)
        events.put_events(Entries=[{"Source": INVENTORY_SOURCE, "DetailType": "StockLow", "Detail": "{}"}])
        assert "Messages" not in sqs.receive_message(QueueUrl=taps[EVENTS_TAP.local_name])

"""Lambda's event source mappings on a laptop.

``QueuePoller`` (SQS): poll, invoke with a batch, delete what succeeded. Like the real mapping: batches
of up to ``batch_size``; the function's ``batchItemFailures`` stay on the queue and come back after the
visibility timeout; a failed invocation leaves the whole batch; the queue's own redrive policy moves a
message to its DLQ after ``max_receive_count`` receives.

``StreamPoller`` (DynamoDB stream): read the table's stream in order, hand batches of matching records
to the function, checkpoint what succeeded, retry what failed and record what it gave up on in the
trigger's ``failures`` queue; see its docstring.

Polls are short (moto serves one request at a time, so a long poll would stall every other call).
Neither poller waits for a batching window: a batch is whatever is there when it polls.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from infra.description import QueueTrigger, StreamTrigger
from infra.local.workers import InvocationError

IDLE_WAIT_S = 0.2
REGION = "us-east-1"


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS mapping delivers for these ReceiveMessage messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class DaemonLoop:
    """``_run`` on a daemon thread from ``start()`` until ``stop()`` sets ``_stop`` (and joins it)."""

    def __init__(self, thread_name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        raise NotImplementedError


class Poller(DaemonLoop):
    """A poll loop on a daemon thread, as an event source mapping runs: poll, and when nothing moved
    (or the poll failed: the endpoint hiccuped), wait a moment before the next poll."""

    _name = "poller"

    def __init__(self) -> None:
        super().__init__(f"poll-{self._name}")

    def poll_once(self) -> int:
        raise NotImplementedError

    def _after_error(self) -> None:
        """Forget what a failed poll may have left stale."""

    def _pause(self, moved: int) -> bool:
        return not moved

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                moved = self.poll_once()
            except Exception as exc:  # the endpoint went away or hiccuped: keep polling, like Lambda
                print(f"[poller {self._name}] {type(exc).__name__}: {exc}", flush=True)
                self._after_error()
                moved = 0
            if self._pause(moved):
                self._stop.wait(IDLE_WAIT_S)


class QueuePoller(Poller):
    def __init__(
        self, sqs: Any, queue_url: str, trigger: QueueTrigger, invoke: Callable[[dict[str, Any]], Any]
    ) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._trigger = trigger
        self._invoke = invoke
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._name = trigger.queue.local_name
        super().__init__()

    def poll_once(self) -> int:
        """One receive and one invocation; returns how many messages were handed to the function."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self._trigger.batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            response = self._invoke(sqs_event(messages, self._arn)) or {}
        except InvocationError as exc:
            print(f"[poller {self._name}] batch failed ({exc.error_type}); SQS retries it")
            return len(messages)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        print(
            f"[poller {self._name}] {len(messages)} messages: "
            f"{len(done)} done, {len(failed)} back to the queue",
            flush=True,
        )
        return len(messages)


# --- DynamoDB streams ---------------------------------------------------------------------------

MAX_RECORDS_PER_READ = 1000  # GetRecords' own limit


def _lambda_json(value: Any) -> Any:
    """Attribute values as Lambda sends them: binary (B, BS) base64 text, as on the wire."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _lambda_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lambda_json(v) for v in value]
    return value


def stream_record(record: dict[str, Any], stream_arn: str, region: str = REGION) -> dict[str, Any]:
    """One record of the event Lambda's DynamoDB stream mapping delivers, from a GetRecords record."""
    change = record["dynamodb"]
    created = change.get("ApproximateCreationDateTime")
    dynamodb: dict[str, Any] = {
        # GetRecords gives a timestamp (botocore parses it); Lambda events carry epoch seconds.
        "ApproximateCreationDateTime": int(created.timestamp()) if isinstance(created, datetime) else created,
        "Keys": _lambda_json(change["Keys"]),
    }
    for image in ("NewImage", "OldImage"):
        if image in change:
            dynamodb[image] = _lambda_json(change[image])
    dynamodb.update(
        SequenceNumber=change["SequenceNumber"],
        SizeBytes=change.get("SizeBytes", 0),
        StreamViewType=change.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
    )
    lambda_record: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # a TTL deletion: {"type": "Service", "principalId": "dynamodb..."}
        lambda_record["userIdentity"] = record["userIdentity"]
    return lambda_record


def stream_event(records: list[dict[str, Any]], stream_arn: str, region: str = REGION) -> dict[str, Any]:
    """The event Lambda's DynamoDB stream mapping delivers for these GetRecords records."""
    return {"Records": [stream_record(r, stream_arn, region) for r in records]}


def _records(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


def _sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _arrival(record: dict[str, Any]) -> str:
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    when = created if isinstance(created, datetime) else datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Outcome:
    """What one invocation said: done (``failed_at`` None, ``error`` None), failed from a record on
    (``failed_at``, a partial batch response), or failed altogether (``error``)."""

    failed_at: int | None = None
    error: str | None = None


class StreamPoller(Poller):
    """A DynamoDB stream event source mapping against any endpoint (embedded moto, LocalStack).

    As CDK configures it (infra/constructs/functions.py): starts at TRIM_HORIZON; only records whose sort
    key starts with one of the trigger's ``sort_key_prefixes`` reach the function (the others are passed
    over, as an event filter does); batches of up to ``batch_size``, one at a time, in stream order.
    The answer is read as ReportBatchItemFailures: ``{"batchItemFailures": [{"itemIdentifier": <sequence
    number>}]}`` checkpoints the records before the lowest one reported and retries from it; an error
    (or an item identifier that is not in the batch) fails the whole batch, which is split in two
    (``bisect``) until it is one record; after ``retry_attempts`` retries of the same record the batch is
    skipped and described in the ``failures`` queue, as Lambda's on-failure destination record
    (``DDBStreamBatchInfo``: stream, shard, first and last sequence numbers, batch size).

    Every poll takes a new shard iterator (TRIM_HORIZON, then AT/AFTER the checkpoint): moto replaces a
    table, stream shard included, when it rolls back a cancelled transaction, so an iterator kept from an
    earlier poll would stop seeing new records. One shard is read (moto has one per table).
    """

    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        sqs: Any,
        trigger: StreamTrigger,
        invoke: Callable[[dict[str, Any]], Any],
        failures_url: str,
        *,
        function_name: str = "local",
        bisect: bool = True,
        region: str = REGION,
    ) -> None:
        self._streams = streams
        self._sqs = sqs
        self._trigger = trigger
        self._invoke = invoke
        self._failures_url = failures_url
        self._function_arn = f"arn:aws:lambda:{region}:000000000000:function:{function_name}"
        self._bisect = bisect
        self._region = region
        table = dynamodb.describe_table(TableName=trigger.table.local_name)["Table"]
        if "LatestStreamArn" not in table:
            raise ValueError(f"{trigger.table.local_name} has no stream (Table.stream)")
        self.stream_arn: str = table["LatestStreamArn"]
        self._shard_id: str | None = None
        self._name = f"stream {trigger.table.local_name}"
        # Where the next read starts: the checkpoint.
        self._start: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        self._failing: str | None = None  # first sequence number of the batch that keeps failing
        self._attempts = 0  # failed invocations of the batch starting at _failing (splits not counted)
        self._limit = trigger.batch_size  # less than batch_size while a failing batch is being split
        self._split_end: str | None = None  # last sequence number of the batch being split
        super().__init__()

    def _after_error(self) -> None:
        self._shard_id = None  # look the shard up again

    def _pause(self, moved: int) -> bool:
        return not moved or self.retrying  # nothing new, or a failed batch: wait before the retry

    def matches(self, record: dict[str, Any]) -> bool:
        """The trigger's event filter: the sort key starts with one of its prefixes (none: everything)."""
        prefixes = self._trigger.sort_key_prefixes
        if not prefixes:
            return True
        sort_key = self._trigger.table.sort_key
        value = record["dynamodb"].get("Keys", {}).get(sort_key or "", {}).get("S")
        return isinstance(value, str) and value.startswith(prefixes)

    @property
    def retrying(self) -> bool:
        """A batch failed and is being retried (or split)."""
        return self._failing is not None

    def poll_once(self) -> int:
        """One read and at most one invocation; returns how many stream records the checkpoint moved past
        (handed to the function and done, filtered out, or given up on)."""
        records = self._read()
        if not records:
            return 0
        batch: list[dict[str, Any]] = []
        for record in records:
            if self.matches(record):
                batch.append(record)
                if len(batch) == self._limit:
                    break
            elif not batch:
                self._checkpoint_after(record)  # filtered out: done with, as Lambda's filter drops it
        if not batch:
            return len(records)
        first = _sequence(batch[0])
        if first != self._failing:
            self._failing, self._attempts = first, 0
        outcome = self._call(batch)
        if outcome.error is None and outcome.failed_at is None:
            self._checkpoint_after(batch[-1])
            print(f"[poller {self._name}] {_records(len(batch))} done", flush=True)
            return records.index(batch[-1]) + 1
        return self._failed(records, batch, outcome)

    def _failed(self, records: list[dict[str, Any]], batch: list[dict[str, Any]], outcome: _Outcome) -> int:
        """Checkpoint a failed batch: retry from the reported record, split it, retry it, or give up."""
        passed_over = records.index(batch[0])
        if outcome.failed_at:  # the records before the reported one are done; retry from it
            retry_from = batch[outcome.failed_at]
            self._checkpoint_at(retry_from)
            self._failing, self._attempts = _sequence(retry_from), 1
            print(
                f"[poller {self._name}] {outcome.failed_at} of {_records(len(batch))} done; "
                f"retrying from {_sequence(retry_from)}",
                flush=True,
            )
            return records.index(retry_from)
        self._checkpoint_at(batch[0])
        if outcome.error is not None and self._bisect and len(batch) > 1:
            # Split in two (not a retry); the second half follows the first before batches grow again.
            self._limit = (len(batch) + 1) // 2
            self._split_end = self._split_end or _sequence(batch[-1])
            print(f"[poller {self._name}] {_records(len(batch))} failed ({outcome.error}); split", flush=True)
            return passed_over
        self._attempts += 1
        if self._attempts <= self._trigger.retry_attempts:
            print(
                f"[poller {self._name}] {_records(len(batch))} failed ({outcome.error or 'first record'}); "
                f"retry {self._attempts} of {self._trigger.retry_attempts}",
                flush=True,
            )
            return passed_over
        self._give_up(batch, outcome)
        self._checkpoint_after(batch[-1])
        return records.index(batch[-1]) + 1

    def _read(self) -> list[dict[str, Any]]:
        """The records after the checkpoint, as the shard holds them now.

        An iterator points at the table object of its moment: a transaction rolled back between
        get_shard_iterator and get_records leaves it reading the discarded table, whose shard holds
        the cancelled writes ("ghost" records, whose sequence numbers the next real writes reuse).
        So the records are read twice, each through its own iterator, and taken only when the two
        reads agree; otherwise this poll reads nothing and the next one tries again.
        """
        records = self._read_once()
        if records and self._read_once()[: len(records)] != records:
            return []
        return records

    def _read_once(self) -> list[dict[str, Any]]:
        if self._shard_id is None:
            shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
            if not shards:
                return []
            # The open shard (no ending sequence number); moto has exactly one.
            open_shards = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
            self._shard_id = (open_shards or shards)[-1]["ShardId"]
        iterator = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=self._shard_id, **self._start
        )["ShardIterator"]
        records: list[dict[str, Any]] = self._streams.get_records(
            ShardIterator=iterator, Limit=MAX_RECORDS_PER_READ
        ).get("Records", [])
        return records

    def _checkpoint_after(self, record: dict[str, Any]) -> None:
        """Done with ``record`` and everything before it."""
        sequence = _sequence(record)
        self._start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sequence}
        self._failing, self._attempts = None, 0
        if self._split_end is None or int(sequence) >= int(self._split_end):
            self._split_end = None
            self._limit = self._trigger.batch_size

    def _checkpoint_at(self, record: dict[str, Any]) -> None:
        """Done with everything before ``record``; the next read starts with it."""
        self._start = {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": _sequence(record)}

    def _call(self, batch: list[dict[str, Any]]) -> _Outcome:
        try:
            response = self._invoke(stream_event(batch, self.stream_arn, self._region))
        except InvocationError as exc:
            return _Outcome(error=exc.error_type)
        except Exception as exc:  # whatever the invoker raises is a function error to the mapping
            return _Outcome(error=type(exc).__name__)
        if not isinstance(response, dict):
            return _Outcome()
        failures = response.get("batchItemFailures") or []
        if not failures:
            return _Outcome()
        positions = {_sequence(r): i for i, r in enumerate(batch)}
        try:
            failed = [positions[item["itemIdentifier"]] for item in failures]
        except (KeyError, TypeError):  # Lambda treats a malformed partial response as a failed batch
            return _Outcome(error="InvalidBatchItemFailures")
        return _Outcome(failed_at=min(failed))

    def _give_up(self, batch: list[dict[str, Any]], outcome: _Outcome) -> None:
        """Lambda's on-failure record for a DynamoDB stream: a pointer to the records, not the records."""
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if outcome.error is not None:
            response["functionError"] = "Unhandled"
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self._attempts,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": self._shard_id,
                "startSequenceNumber": _sequence(batch[0]),
                "endSequenceNumber": _sequence(batch[-1]),
                "approximateArrivalOfFirstRecord": _arrival(batch[0]),
                "approximateArrivalOfLastRecord": _arrival(batch[-1]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._failures_url, MessageBody=json.dumps(record))
        print(
            f"[poller {self._name}] gave up on {_records(len(batch))} ({_sequence(batch[0])}.."
            f"{_sequence(batch[-1])}) after {self._attempts} attempts; recorded in the failures queue",
            flush=True,
        )

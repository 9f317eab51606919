"""The stack's resources on in-process moto, with every cached client and store forgotten before
and after, so handlers imported once can be run against a fresh backend each time."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from infra.local import moto_transactions
from infra.local.keys import DEFAULT_KEYS, parse_keys
from infra.local.resources import (
    ensure_buckets,
    ensure_buses,
    ensure_email_sender,
    ensure_event_rules,
    ensure_keys,
    ensure_notifications,
    ensure_queues,
    ensure_tables,
)
from infra.spec import API, API_KEYS, BUSES, CONNECTIONS, FUNCTIONS, dead_letters_environment
from shared.aws import client, reset
from shared.dal.api_keys import ApiKeyStore
from tests.support.environment import local_environment


@contextmanager
def local_aws() -> Iterator[Any]:
    """Tables, queues, event buses (each with its tap queue) and the local API keys; yields a DynamoDB
    client. The environment names every table and bus, the URL of every queue a function sends to and of
    every tap queue (``OMS_EVENTS_TAP_URL``: what was published)."""
    moto_transactions.install()  # as the local stack's endpoint: a transaction costs what it touches
    with mock_aws():
        os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"  # moto routes the regional endpoints only
        os.environ.update(local_environment())
        reset()  # every client, setting and collaborator a handler built: the next test builds them anew
        dynamodb = boto3.client("dynamodb")
        ensure_tables(dynamodb)
        sqs = boto3.client("sqs")
        queue_urls = ensure_queues(sqs)
        tap_urls = ensure_buses(boto3.client("events"), sqs)
        ensure_event_rules(boto3.client("events"), sqs, queue_urls)  # events reach their consumers' queues
        s3 = boto3.client("s3")
        ensure_buckets(s3)
        ensure_notifications(s3, sqs, queue_urls)  # an upload's S3 event lands on the import work queue
        ensure_keys(boto3.client("kms"))
        ensure_email_sender(boto3.client("ses"))  # the notifications' sender, verified as on the local stack
        for queue in {q for fn in FUNCTIONS for q in fn.sends}:
            os.environ[queue.env_var] = queue_urls[queue.local_name]
        os.environ.update(dead_letters_environment(API.dead_letters, lambda q: queue_urls[q.local_name]))
        for bus in BUSES:
            if bus.local_tap is not None:
                os.environ[bus.local_tap.env_var] = tap_urls[bus.local_tap.local_name]
        keys = ApiKeyStore(dynamodb, API_KEYS.local_name, CONNECTIONS.local_name)
        for key in parse_keys(DEFAULT_KEYS):
            keys.put(key.key, key.role, key.channel, name=key.stored_name)  # type: ignore[arg-type]
        try:
            yield dynamodb
        finally:
            reset()


class RequestCounter:
    """Counts the functions' DynamoDB calls (botocore events on the shared client), and keeps the
    TransactWriteItems requests so their write units can be priced (``write_units``).

    In-process the authorizer shares that client; its key lookup is another function's work (and
    cached by API Gateway), so calls to the API keys table are left out of the count.
    """

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.transactions: list[list[dict[str, Any]]] = []
        client("dynamodb").meta.events.register("before-parameter-build.dynamodb", self)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") != API_KEYS.local_name:
            self.calls.append(model.name)
        if model.name == "TransactWriteItems":
            self.transactions.append(list(params.get("TransactItems", [])))

    def reset(self) -> None:
        self.calls.clear()
        self.transactions.clear()

    def write_units(self, dynamodb: Any) -> int:
        """The write capacity units the recorded transactions cost (``transaction_write_units``), items
        read back through ``dynamodb`` (a client of its own, so the reads are not counted)."""
        return sum(transaction_write_units(dynamodb, actions) for actions in self.transactions)


def transaction_write_units(dynamodb: Any, actions: list[dict[str, Any]]) -> int:
    """What one committed TransactWriteItems costs in write capacity units, priced from its actions.

    DynamoDB's rule (Developer Guide, "Capacity unit consumption for write operations" and "Transactions:
    capacity management"): a transactional write costs 2 WCU per 1 KB, rounded up per item, of each item
    it touches; a ConditionCheck is priced the same way (2 WCU per KB of the item checked: it is part of
    the write, not a read). The size counted is the item's: a Put's item as sent; an Update's item as it is
    after the write (read back here: after an order is placed, each updated item is no smaller than
    before); a checked or deleted item as it is now (a deleted one, gone, counts its 1 KB minimum).
    """
    units = 0
    for action in actions:
        (kind, body), *_ = action.items()
        if kind == "Put":
            item = body["Item"]
        else:
            found = dynamodb.get_item(TableName=body["TableName"], Key=body["Key"]).get("Item")
            item = found or body["Key"]
        units += 2 * max(1, -(-item_size(item) // 1024))
    return units


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: each attribute's name plus its value (UTF-8 strings, binary
    bytes, numbers about one byte per two significant digits plus one, 1 byte for a boolean or null,
    3 bytes plus one per element and the elements for a list or a map)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return -(-len(digits) // 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def orders_placed(stdout: str) -> list[tuple[str, list[float]]]:
    """The ``OrderPlaced`` records (CloudWatch EMF, one JSON line each) a handler printed: (channel, values),
    each checked to carry exactly the service and channel dimensions."""
    placed = []
    for line in stdout.splitlines():
        if not line.startswith("{") or '"OrderPlaced"' not in line:
            continue
        record = json.loads(line)
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["service", "channel"]], directive
        placed.append((record["channel"], record["OrderPlaced"]))
    return placed

"""Small helpers over the low-level DynamoDB client: (de)serialising items, error codes, and the one
way a plan of writes is committed (``transact``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values (str, int, Decimal, bool, list, dict) to DynamoDB attribute values. None is dropped."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def to_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """ExpressionAttributeValues: keep the ':' names, serialise the values."""
    return {k: _serializer.serialize(v) for k, v in values.items()}


def from_item(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not item:
        return None
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_condition_failure(exc: ClientError) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


# Cancellation reasons that say "not now" rather than "no": the caller retries them with backoff.
RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}

W = TypeVar("W")


def cancelled_writes(
    writes: Sequence[W], exc: ClientError
) -> tuple[list[tuple[W, dict[str, Any] | None]], bool]:
    """A cancelled TransactWriteItems, write by write: the ones whose condition failed, each with the
    item as it was (when it asked for ALL_OLD), and whether any was only contended. Any other reason
    (validation and the like) is not an outcome a caller can act on: the error is raised again."""
    failed: list[tuple[W, dict[str, Any] | None]] = []
    contended = False
    for write, reason in zip(writes, exc.response.get("CancellationReasons") or [], strict=False):
        code = reason.get("Code", "None")
        if code == "ConditionalCheckFailed":
            failed.append((write, from_item(reason.get("Item"))))
        elif code in RETRYABLE_REASONS:
            contended = True
        elif code not in ("None", None):
            raise exc
    return failed, contended


@dataclass(frozen=True)
class Cancellation(Generic[W]):
    """A cancelled TransactWriteItems as the store that sent it decodes it: each write whose condition
    failed with the item as it was (when the write asked for ALL_OLD), and whether any was only contended."""

    failed: list[tuple[W, dict[str, Any] | None]]
    contended: bool


def transact(
    client: Any,
    writes: Sequence[W],
    render: Callable[[W], dict[str, Any]],
    *,
    token: str | None = None,
) -> Cancellation[W] | None:
    """Commit ``writes`` (each rendered as one TransactWriteItems entry) in one request; None when it
    committed, else the cancellation for the store to turn into its typed failures.

    ``token`` is the ClientRequestToken: the SDK's own retries of one request (after a timeout, say)
    are then idempotent on DynamoDB for ten minutes. Any error other than a cancellation is raised.
    """
    params: dict[str, Any] = {"TransactItems": [render(write) for write in writes]}
    if token is not None:
        params["ClientRequestToken"] = token
    try:
        client.transact_write_items(**params)
    except ClientError as exc:
        if error_code(exc) != "TransactionCanceledException":
            raise
        failed, contended = cancelled_writes(writes, exc)
        return Cancellation(failed, contended)
    return None


# DynamoDB's answers that say "too fast": the SDK retries them a few times; past that, the caller backs off.
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
BATCH_GET_LIMIT = 100  # keys per BatchGetItem request


class Throttled(RuntimeError):
    """DynamoDB kept throttling (past the SDK's retries and the caller's backoff): try again later."""


def is_throttling(exc: ClientError) -> bool:
    return error_code(exc) in THROTTLING_CODES


def batch_get(
    client: Any,
    table: str,
    item_keys: Sequence[dict[str, Any]],
    *,
    consistent: bool = False,
    projection: str | None = None,
    names: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The items of ``item_keys`` (deserialised; absent ones left out), one BatchGetItem per 100 keys.

    Unprocessed keys (throttling) and throttling errors are retried with backoff (``shared.retry``);
    ``Throttled`` when no progress was made in ``MAX_ATTEMPTS`` tries.
    """
    from shared import retry  # here: most functions import this module and never batch-read

    found: list[dict[str, Any]] = []
    for start in range(0, len(item_keys), BATCH_GET_LIMIT):
        request: dict[str, Any] = {"Keys": list(item_keys[start : start + BATCH_GET_LIMIT])}
        if consistent:
            request["ConsistentRead"] = True
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        pending: dict[str, Any] = {table: request}
        stalled = 0
        while pending:
            try:
                response = client.batch_get_item(RequestItems=pending)
            except ClientError as exc:
                if not is_throttling(exc):
                    raise
                response = {"UnprocessedKeys": pending}
            got = response.get("Responses", {}).get(table, [])
            found += [item for item in (from_item(raw) for raw in got) if item]
            pending = response.get("UnprocessedKeys") or {}
            if pending:
                stalled = 0 if got else stalled + 1
                if stalled >= retry.MAX_ATTEMPTS:
                    raise Throttled(f"BatchGetItem on {table} kept being throttled")
                retry.pause(stalled, sleep, attempts=retry.MAX_ATTEMPTS + 1)
    return found

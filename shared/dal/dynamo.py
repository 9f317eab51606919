"""Small helpers over the low-level DynamoDB client: (de)serialising items, error codes, and the one
way a plan of writes is committed (``transact``)."""

from __future__ import annotations

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

"""Opaque page cursors (next_token): a DynamoDB start key, url-safe base64 JSON, checked on return.

A cursor may only resume the query it came from: each reader checks the decoded key belongs to
its own partition before it is sent to DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


class InvalidCursor(ValueError):
    pass


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("next_token is not one this API issued") from exc
    if not isinstance(state, dict):
        raise InvalidCursor("next_token is not one this API issued")
    return state


def table_key(cursor: str | None, *, pk: str, sk_prefix: str) -> dict[str, str] | None:
    """The start key of a query on one partition of a table (pk, sk), from a cursor it issued."""
    if not cursor:
        return None
    key = decode(cursor).get("key")
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk"}
        or key.get("pk") != pk
        or not isinstance(key.get("sk"), str)
        or not key["sk"].startswith(sk_prefix)
    ):
        raise InvalidCursor("next_token does not belong to this query")
    return key


def index_key(cursor: str | None, *, partition: str, value: str, sort: str = "pk") -> dict[str, str] | None:
    """The start key of a query on one partition of an index (``partition`` = ``value``, sorted by
    ``sort``) of a (pk, sk) table, from a cursor it issued: the table's keys and the index's, all strings."""
    if not cursor:
        return None
    key = decode(cursor).get("key")
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", partition, sort}
        or key.get(partition) != value
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise InvalidCursor("next_token does not belong to this query")
    return key

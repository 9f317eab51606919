"""API keys, stored only as SHA-256 hashes. The plain key is shown once, when it is created.

A channel key claims its channel in the connections table (``shared.dal.connections``) in the same
transaction as the key: a channel that a platform connection holds gets no key, and one that has keys
gets no connection. A channel the marketplace feed owns gets neither (``shared.domain.channels``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.connections import claim_for_key
from shared.dal.dynamo import error_code, from_item, to_item
from shared.domain.auth import Principal, Role
from shared.domain.channels import ChannelOwned, check_key_channel

KEY_PREFIX = "oms_"


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def key_id(key_hash: str) -> str:
    """A short public handle for a key: safe to log and to show in listings."""
    return key_hash[:12]


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ChannelInUse(ChannelOwned):
    """The channel belongs to a platform connection: no API key may have it."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel, "a platform connection")


class ApiKeyStore:
    def __init__(self, client: Any, table_name: str, connections_table: str | None = None) -> None:
        self._db = client
        self._table = table_name
        self._connections = connections_table  # where channel keys claim their channel

    def lookup(self, api_key: str) -> Principal | None:
        digest = hash_key(api_key)
        item = from_item(self._db.get_item(TableName=self._table, Key={"pk": {"S": digest}}).get("Item"))
        if not item or item.get("revoked"):
            return None
        return Principal(role=item["role"], channel=item.get("channel"), key_id=key_id(digest))

    def put(self, api_key: str, role: Role, channel: str | None, name: str) -> str:
        if (role == "channel") != (channel is not None):
            raise ValueError("a channel key needs a channel, and only a channel key has one")
        if channel is not None:
            check_key_channel(channel)  # ChannelOwned: the marketplace feed's, before anything is written
        digest = hash_key(api_key)
        now = datetime.now(UTC).isoformat()
        item = to_item(
            {
                "pk": digest,
                "key_id": key_id(digest),
                "role": role,
                "channel": channel,
                "name": name,
                "created_at": now,
            }
        )
        if channel is None:
            self._db.put_item(TableName=self._table, Item=item)
            return key_id(digest)
        if self._connections is None:
            raise ValueError("a channel key claims its channel: pass the connections table")
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": item}},
                    claim_for_key(self._connections, channel, now),
                ]
            )
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            claim_refused = reasons[1:2] == ["ConditionalCheckFailed"]
            if error_code(exc) == "TransactionCanceledException" and claim_refused:
                raise ChannelInUse(channel) from exc
            raise
        return key_id(digest)

    def list(self) -> list[dict[str, Any]]:
        """Every key's public fields (never the hash)."""
        return [{k: v for k, v in item.items() if k != "pk"} for item in self._scan()]

    def revoke(self, key_id_to_revoke: str) -> int:
        """Delete the keys with this key_id. Returns how many were deleted."""
        doomed = [item["pk"] for item in self._scan() if item.get("key_id") == key_id_to_revoke]
        for digest in doomed:
            self._db.delete_item(TableName=self._table, Key={"pk": {"S": digest}})
        return len(doomed)

    def _scan(self) -> Iterator[dict[str, Any]]:
        """A Scan is right here: this admin table holds a handful of items and only the CLI lists it."""
        params: dict[str, Any] = {"TableName": self._table}
        while True:
            response = self._db.scan(**params)
            for raw in response.get("Items", []):
                yield from_item(raw) or {}
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class ChannelKeys:
    """Whether a channel has API keys, from the keys-only ``by_channel`` index: keys made before channels
    were claimed have no claim item, and a connection must not take their channel either."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def any(self, channel: str) -> bool:
        response = self._db.query(
            TableName=self._table,
            IndexName="by_channel",
            KeyConditionExpression="channel = :channel",
            ExpressionAttributeValues={":channel": {"S": channel}},
            Limit=1,
        )
        return bool(response.get("Items"))

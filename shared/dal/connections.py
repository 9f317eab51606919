"""DynamoDB: platform connections and channel claims, one item per channel (``CHANNEL#{channel}``).

The item is the claim on the channel name: ``owner`` is ``api_key`` (written with every channel key, in
the key's own transaction: ``claim_for_key``) or ``connection`` (the connection itself, with its platform
and sealed secrets). A connection is written on condition that the channel is unclaimed or is this
connection at the version that was read, so a channel can never be both an API key's and a connection's,
and of two concurrent PUTs one wins and the other sees a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import from_item, is_condition_failure, to_item
from shared.dal.keys import channel_key, channel_pk
from shared.domain.connections import Connection, SealedSecret

OWNER_KEY = "api_key"
OWNER_CONNECTION = "connection"


def claim_for_key(table: str, channel: str, now: str) -> dict[str, Any]:
    """The TransactWriteItems entry that claims ``channel`` for API keys (any number of keys may share
    it), refused when a connection holds it."""
    return {
        "Update": {
            "TableName": table,
            "Key": channel_key(channel),
            "UpdateExpression": "SET #owner = :owner, claimed_at = if_not_exists(claimed_at, :now)",
            "ConditionExpression": "attribute_not_exists(pk) OR #owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": {"S": OWNER_KEY}, ":now": {"S": now}},
        }
    }


@dataclass(frozen=True)
class ChannelTaken:
    """The channel belongs to API keys."""


@dataclass(frozen=True)
class Conflict:
    """The connection changed since it was read."""


class ConnectionStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, channel: str) -> Connection | ChannelTaken | None:
        response = self._db.get_item(TableName=self._table, Key=channel_key(channel), ConsistentRead=True)
        item = from_item(response.get("Item"))
        if item is None:
            return None
        if item.get("owner") != OWNER_CONNECTION:
            return ChannelTaken()
        return _connection(item)

    def platform_of(self, channel: str) -> str | None:
        """The platform of the channel's connection (``shopify``, ``woocommerce``), None when it has none:
        the owner and platform attributes only (never the sealed secrets), eventually consistent."""
        item = self._db.get_item(
            TableName=self._table,
            Key=channel_key(channel),
            ProjectionExpression="#owner, platform",
            ExpressionAttributeNames={"#owner": "owner"},
        ).get("Item")
        if not item or item.get("owner", {}).get("S") != OWNER_CONNECTION:
            return None
        return str(item["platform"]["S"])

    def save(self, connection: Connection, *, previous_version: int | None) -> ChannelTaken | Conflict | None:
        """Write the connection: a new one on an unclaimed channel, or over ``previous_version``."""
        from shared.domain.moments import utc_text  # writers only: the hooks read connections

        item = to_item(
            {
                "pk": channel_pk(connection.channel),
                "owner": OWNER_CONNECTION,
                "claimed_at": utc_text(connection.created_at),
                "channel": connection.channel,
                "platform": connection.platform,
                "created_at": utc_text(connection.created_at),
                "rotated_at": utc_text(connection.rotated_at) if connection.rotated_at else None,
                "version": connection.version,
                "secrets": [_secret_item(s) for s in connection.secrets],
            }
        )
        if previous_version is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#owner = :connection AND version = :version",
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {
                    ":connection": {"S": OWNER_CONNECTION},
                    ":version": {"N": str(previous_version)},
                },
            }
        try:
            self._db.put_item(TableName=self._table, Item=item, **condition)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            return ChannelTaken() if isinstance(self.get(connection.channel), ChannelTaken) else Conflict()
        return None


def _secret_item(secret: SealedSecret) -> dict[str, Any]:
    from shared.domain.moments import utc_text

    return {
        "ciphertext": secret.ciphertext,
        "salt": secret.salt,
        "fingerprint": secret.fingerprint,
        "added_at": utc_text(secret.added_at),
        "expires_at": utc_text(secret.expires_at) if secret.expires_at else None,
    }


def _bytes(value: Any) -> bytes:
    return bytes(getattr(value, "value", value))  # boto3 deserialises B as Binary


def _connection(item: dict[str, Any]) -> Connection:
    return Connection(
        channel=item["channel"],
        platform=item["platform"],
        secrets=tuple(
            SealedSecret(
                ciphertext=_bytes(s["ciphertext"]),
                salt=_bytes(s["salt"]),
                fingerprint=_bytes(s["fingerprint"]),
                added_at=datetime.fromisoformat(s["added_at"]),
                expires_at=datetime.fromisoformat(s["expires_at"]) if s.get("expires_at") else None,
            )
            for s in item.get("secrets", [])
        ),
        created_at=datetime.fromisoformat(item["created_at"]),
        rotated_at=datetime.fromisoformat(item["rotated_at"]) if item.get("rotated_at") else None,
        version=int(item["version"]),
    )

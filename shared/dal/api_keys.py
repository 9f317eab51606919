"""API keys, stored only as SHA-256 hashes. The plain key is shown once, when it is created.

A channel key claims its channel in the connections table (``shared.dal.connections``) in the same
transaction as the key: a channel that a platform connection holds gets no key, and one that has keys
gets no connection. A channel the marketplace feed owns gets neither (``shared.domain.channels``).

In AWS every key also names the API Gateway API key of its channel (staff keys: of the "staff" channel)
on the channel's usage plan: ``usage_key`` on the key's item is what the authorizer returns as
``usageIdentifierKey``, from its one GetItem, so that API Gateway applies the channel's limits. The
channel's first key makes that API Gateway key (``UsageKeys``), the others share it, and it goes with the
channel's last key. It is no credential by itself (API Gateway takes it only from the authorizer), but it
stays out of logs and listings. On the local stack there is no API Gateway: no ``UsageKeys``, no
``usage_key``, and the local gateway applies the limits itself.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

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


class OrphanedUsageKey(ValueError):
    """Revoking the key would leave its channel's API Gateway key on no key: only ``infra.keys`` (with
    API Gateway permissions) may revoke it."""

    def __init__(self) -> None:
        super().__init__("the key's channel has an API Gateway key: revoke it with --endpoint aws")


def principal_of_key(item: dict[str, Any]) -> Principal:
    """Who a key's item says calls: a person's key carries its name (their actor), a channel's its
    channel."""
    role = item["role"]
    channel = item.get("channel")
    name = item.get("name") if role != "channel" else None
    return Principal(role=role, channel=channel, key_id=key_id(item["pk"]), name=name or None)


class NameInUse(Exception):
    """A live person's key already has this name: the audit trail's ``staff:{name}`` names one person."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a person's key named {name!r} exists")
        self.name = name


NAME_CLAIM_PREFIX = "name#"  # name#{name}: the claim a person's key holds on its name (kind "name")


def is_key(item: dict[str, Any]) -> bool:
    """A key's item: not a session, nor a person's name claim (both carry a ``kind``)."""
    return "kind" not in item


@dataclass(frozen=True)
class UsageKey:
    """An API Gateway API key on a usage plan: ``value`` is what the authorizer names the caller by."""

    id: str
    value: str = field(repr=False)  # never in a log line or a traceback's locals


class UsageKeys(Protocol):
    """Where channels' API Gateway keys are made and removed (only the operator's CLI has one)."""

    def create(self, channel: str | None) -> UsageKey:
        """A new API Gateway key on the usage plan of ``channel`` (None: staff)."""
        ...

    def delete(self, usage_key_id: str) -> None:
        """Remove the key (and so its place on its plan); one already gone is no error."""
        ...


@dataclass(frozen=True)
class Caller:
    """What the authorizer needs of a key: who calls, and the API Gateway key to name (None locally)."""

    principal: Principal
    usage_key: str | None = field(default=None, repr=False)


class ApiKeyStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        connections_table: str | None = None,
        usage_keys: UsageKeys | None = None,
    ) -> None:
        self._db = client
        self._table = table_name
        self._connections = connections_table  # where channel keys claim their channel
        self._usage_keys = usage_keys  # API Gateway's keys (AWS only)

    def caller(self, api_key: str) -> Caller | None:
        """The key's caller, from one GetItem; None for an unknown or revoked key."""
        item = self.item(api_key)
        return Caller(principal_of_key(item), item.get("usage_key")) if item else None

    def item(self, api_key: str) -> dict[str, Any] | None:
        """A live key's item as stored (its hash, role, name, usage key...): what a session is made from.
        None for an unknown or revoked key. Strongly consistent: a key revoked a moment ago is gone."""
        digest = hash_key(api_key)
        response = self._db.get_item(TableName=self._table, Key={"pk": {"S": digest}}, ConsistentRead=True)
        item = from_item(response.get("Item"))
        if not item or item.get("revoked") or not is_key(item):
            return None
        return item

    def lookup(self, api_key: str) -> Principal | None:
        caller = self.caller(api_key)
        return caller.principal if caller else None

    def put(
        self, api_key: str, role: Role, channel: str | None, name: str, usage_key: UsageKey | None = None
    ) -> str:
        """Store a new key (its hash); returns its key_id. ``usage_key``: the API Gateway key it shares
        (a person's key made over HTTP shares the staff channel's); without one, the channel's own, made
        when it has none yet (``UsageKeys``)."""
        if (role == "channel") != (channel is not None):
            raise ValueError("a channel key needs a channel, and only a channel key has one")
        if channel is not None:
            check_key_channel(channel)  # ChannelOwned: the marketplace feed's, before anything is written
        from shared.domain.moments import utc_text  # only keys' writers (not the authorizer) stamp times

        digest = hash_key(api_key)
        now = utc_text(datetime.now(UTC))
        made = False
        if usage_key is None:
            usage_key, made = self._usage_key_for(channel)
        item = to_item(
            {
                "pk": digest,
                "key_id": key_id(digest),
                "role": role,
                "channel": channel,
                "name": name,
                "created_at": now,
                "usage_key_id": usage_key.id if usage_key else None,
                "usage_key": usage_key.value if usage_key else None,
            }
        )
        try:
            self._write(item, channel, now)
        except BaseException:
            # The key was not stored: neither is the API Gateway key made for it.
            if made and usage_key is not None and self._usage_keys is not None:
                self._usage_keys.delete(usage_key.id)
            raise
        return key_id(digest)

    def _usage_key_for(self, channel: str | None) -> tuple[UsageKey | None, bool]:
        """The channel's API Gateway key, and whether it was just made: the one its other keys have, or
        a new one. None without ``UsageKeys`` (the local stack)."""
        if self._usage_keys is None:
            return None, False
        for item in self._keys():
            shared = item.get("channel") == channel and not item.get("revoked")
            if shared and item.get("usage_key_id") and item.get("usage_key"):
                return UsageKey(item["usage_key_id"], item["usage_key"]), False
        return self._usage_keys.create(channel), True

    def _write(self, item: dict[str, Any], channel: str | None, now: str) -> None:
        if channel is None:
            self._write_person(item, now)
            return
        if self._connections is None:
            raise ValueError("a channel key claims its channel: pass the connections table")
        # Only writing a key needs the connections' claim: the authorizer, which only reads, never loads it.
        from shared.dal.connections import claim_for_key

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

    def _write_person(self, item: dict[str, Any], now: str) -> None:
        """A person's key with the claim on its name, in one transaction: of two keys made with one name
        at once (two admins, a double click), one is refused (``NameInUse``)."""
        name = item["name"]["S"]
        claim = to_item(
            {"pk": NAME_CLAIM_PREFIX + name, "kind": "name", "key_pk": item["pk"]["S"], "created_at": now}
        )
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": item}},
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": claim,
                            # The same key stored again (the local stack's keys, at each start) holds it.
                            "ConditionExpression": "attribute_not_exists(pk) OR key_pk = :key",
                            "ExpressionAttributeValues": {":key": item["pk"]},
                        }
                    },
                ]
            )
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if error_code(exc) == "TransactionCanceledException" and reasons[1:2] == [
                "ConditionalCheckFailed"
            ]:
                raise NameInUse(name) from exc
            raise

    def list(self) -> list[dict[str, Any]]:
        """Every key's public fields (never the hash, nor its API Gateway key's value); never a session."""
        return [{k: v for k, v in item.items() if k not in ("pk", "usage_key")} for item in self._keys()]

    def staff_usage_key(self) -> UsageKey | None:
        """The staff channel's API Gateway key (its id and value) that the live person keys share, or
        None when no person key has one (the local stack, or no staff key made with ``infra.keys`` yet)."""
        for item in self._keys():
            person = item.get("channel") is None and not item.get("revoked")
            if person and item.get("usage_key_id") and item.get("usage_key"):
                return UsageKey(str(item["usage_key_id"]), str(item["usage_key"]))
        return None

    def revoke(self, key_id_to_revoke: str) -> int:
        """Delete the keys with this key_id and their sessions, and the API Gateway key of their channel
        when no other key has it (``OrphanedUsageKey`` without ``UsageKeys``: only the CLI may remove
        one). Returns how many keys were deleted."""
        items = list(self._scan())
        keys = [item for item in items if is_key(item)]
        doomed = [item for item in keys if item.get("key_id") == key_id_to_revoke]
        kept = {item.get("usage_key_id") for item in keys if item not in doomed and not item.get("revoked")}
        orphaned = {str(item["usage_key_id"]) for item in doomed if item.get("usage_key_id")} - kept
        usage_keys = self._usage_keys
        if orphaned and usage_keys is None:
            raise OrphanedUsageKey()
        doomed_pks = {item["pk"] for item in doomed}
        # Its sessions, and its claim on its name (the name is free again).
        held = [item for item in items if not is_key(item) and item.get("key_pk") in doomed_pks]
        # The keys first: the authorizer reads a session's key with the session, so its sessions end now.
        for item in [*doomed, *held]:
            self._db.delete_item(TableName=self._table, Key={"pk": {"S": item["pk"]}})
        for usage_key_id in sorted(orphaned):
            if usage_keys is not None:
                usage_keys.delete(usage_key_id)
        return len(doomed)

    def _keys(self) -> Iterator[dict[str, Any]]:
        """Every key's item, sessions and name claims left out."""
        return (item for item in self._scan() if is_key(item))

    def _scan(self) -> Iterator[dict[str, Any]]:
        """A Scan is right here: this admin table holds a handful of keys and their people's sessions (which
        expire), and only the CLI and the admin's key routes list it."""
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

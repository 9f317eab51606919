"""People's console sessions, in the API keys table beside the keys they were made from.

A session's item: ``pk = "session#" + sha256(token)`` (the token itself is never stored), ``kind =
"session"``, its key's hash (``key_pk``), ``key_id``, ``role`` and ``name``, the key's ``usage_key`` (in
AWS the authorizer names it, as it does for the key), ``csrf_token``, ``created_at`` and ``expires_at``
(epoch seconds: the table's TTL attribute, and checked on every read since TTL deletes late).

The authorizer reads a session and its key in one BatchGetItem (the token names the key's hash:
``shared.domain.sessions``): a revoked key ends its sessions at once, whether or not its sessions' items
are gone yet. ``ApiKeyStore.revoke`` deletes them too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import from_item, is_condition_failure, to_item
from shared.domain.auth import PERSON_ROLES, PersonRole, Principal
from shared.domain.sessions import expires_after, is_expired, make_token, should_slide, token_key_hash

SESSION_PREFIX = "session#"
SESSION_KIND = "session"


def session_pk(token: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def is_session(item: dict[str, Any]) -> bool:
    """Whether an item of the API keys table is a session (not a key)."""
    return item.get("kind") == SESSION_KIND or str(item.get("pk", "")).startswith(SESSION_PREFIX)


class NotAPersonKey(Exception):
    """Only a person's key (admin, staff, viewer) signs in: not a channel's."""


@dataclass(frozen=True)
class Session:
    """A live session: who it is, its CSRF token and when it expires (epoch seconds)."""

    role: PersonRole
    key_id: str
    name: str
    csrf_token: str = field(repr=False)
    created_at: int
    expires_at: int
    usage_key: str | None = field(default=None, repr=False)

    @property
    def principal(self) -> Principal:
        return Principal(role=self.role, key_id=self.key_id, name=self.name or None)


@dataclass(frozen=True)
class NewSession:
    token: str = field(repr=False)  # goes to the browser once, in the cookie; never stored
    session: Session


class SessionStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def create(self, key_item: dict[str, Any], now: int) -> NewSession:
        """A new session for the key whose item is ``key_item`` (as stored: ``pk``, ``role``...).
        ``NotAPersonKey`` for a channel's key. The write is conditional on a new item (a token is random:
        a clash is no session of someone else's taken over)."""
        role = key_item.get("role")
        if role not in PERSON_ROLES:
            raise NotAPersonKey()
        key_pk = str(key_item["pk"])
        token = make_token(key_pk, secrets.token_urlsafe(32))
        session = Session(
            role=role,
            key_id=str(key_item["key_id"]),
            name=str(key_item.get("name") or ""),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=expires_after(now),
            usage_key=key_item.get("usage_key"),
        )
        self._db.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": session_pk(token),
                    "kind": SESSION_KIND,
                    "key_pk": key_pk,
                    "key_id": session.key_id,
                    "role": session.role,
                    "name": session.name,
                    "usage_key": session.usage_key,
                    "csrf_token": session.csrf_token,
                    "created_at": session.created_at,
                    "expires_at": session.expires_at,
                }
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return NewSession(token, session)

    def find(self, token: str, now: int) -> Session | None:
        """The live session of ``token`` and its live key, from one BatchGetItem; None for an unknown,
        expired or malformed token, or a session whose key is revoked or gone."""
        key_hash = token_key_hash(token)
        if key_hash is None:
            return None
        pk = session_pk(token)
        response = self._db.batch_get_item(
            RequestItems={
                self._table: {
                    "Keys": [{"pk": {"S": pk}}, {"pk": {"S": key_hash}}],
                    # Strongly consistent: a session signed out or a key revoked a moment ago is gone.
                    "ConsistentRead": True,
                }
            }
        )
        # Two small items never exceed BatchGetItem's limits; a throttled key comes back unprocessed, and
        # the caller is then refused (a 401, and the console signs in again) rather than let in unchecked.
        items = {
            str(item["pk"]): item
            for item in (from_item(raw) for raw in response.get("Responses", {}).get(self._table, []))
            if item
        }
        found = items.get(pk)
        key = items.get(key_hash)
        if found is None or key is None or key.get("revoked") or found.get("key_pk") != key_hash:
            return None
        session = _session(found)
        if session is None or is_expired(session.expires_at, now) or key.get("role") != session.role:
            return None
        return session

    def slide(self, token: str, session: Session, now: int) -> None:
        """Move the idle expiry on, when the last move is old enough (``should_slide``). Conditional: a
        session deleted meanwhile stays deleted, and of two requests racing only one writes."""
        if not should_slide(session.expires_at, now):
            return
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": session_pk(token)}},
                UpdateExpression="SET expires_at = :new",
                ConditionExpression="attribute_exists(pk) AND expires_at = :old",
                ExpressionAttributeValues={
                    ":new": {"N": str(expires_after(now))},
                    ":old": {"N": str(session.expires_at)},
                },
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def delete(self, token: str) -> None:
        """End a session (sign-out). One already gone is no error."""
        self._db.delete_item(TableName=self._table, Key={"pk": {"S": session_pk(token)}})


def _session(item: dict[str, Any]) -> Session | None:
    role = item.get("role")
    if role not in PERSON_ROLES or item.get("kind") != SESSION_KIND:
        return None
    return Session(
        role=role,
        key_id=str(item.get("key_id", "")),
        name=str(item.get("name") or ""),
        csrf_token=str(item.get("csrf_token", "")),
        created_at=int(item.get("created_at", 0)),
        expires_at=int(item.get("expires_at", 0)),
        usage_key=item.get("usage_key"),
    )

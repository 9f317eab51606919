"""The rules of signing in and of people's keys (shared.services.sessions, shared.services.keys), against
typed fakes of their stores: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.dal.api_keys import OrphanedUsageKey, UsageKey
from shared.dal.sessions import NewSession, NotAPersonKey, Session
from shared.domain.auth import Role
from shared.services.keys import CreatedKey, Keys, KeyService, NameTaken, NoStaffUsageKey, RevokeRefused
from shared.services.sessions import (
    ChannelCannotSignIn,
    KeyItems,
    KeyNotValid,
    Sessions,
    SessionService,
)


@dataclass
class FakeKeys:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: UsageKey | None = None
    orphans: bool = False
    put_with: list[UsageKey | None] = field(default_factory=list)

    def item(self, api_key: str) -> dict[str, Any] | None:
        return self.items.get(api_key)

    def list(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in i.items() if k != "pk"} for i in self.items.values()]

    def staff_usage_key(self) -> UsageKey | None:
        return self.usage

    def put(
        self, api_key: str, role: Role, channel: str | None, name: str, usage_key: UsageKey | None = None
    ) -> str:
        self.put_with.append(usage_key)
        self.items[api_key] = {
            "pk": api_key,
            "key_id": f"id-{name}",
            "role": role,
            "channel": channel,
            "name": name,
        }
        return f"id-{name}"

    def revoke(self, key_id_to_revoke: str) -> int:
        if self.orphans:
            raise OrphanedUsageKey()
        doomed = [k for k, i in self.items.items() if i["key_id"] == key_id_to_revoke]
        for key in doomed:
            del self.items[key]
        return len(doomed)


@dataclass
class FakeSessions:
    made: list[dict[str, Any]] = field(default_factory=list)

    def create(self, key_item: dict[str, Any], now: int) -> NewSession:
        if key_item["role"] == "channel":
            raise NotAPersonKey()
        self.made.append(key_item)
        session = Session(key_item["role"], key_item["key_id"], key_item["name"], "csrf", now, now + 60)
        return NewSession("token", session)

    def find(self, token: str, now: int) -> Session | None:
        return None

    def delete(self, token: str) -> None:
        return None


def _typed(keys: FakeKeys, sessions: FakeSessions) -> tuple[Keys, KeyItems, Sessions]:
    return keys, keys, sessions  # mypy checks the fakes against the Protocols here


def people() -> FakeKeys:
    return FakeKeys(
        items={
            "k-admin": {"pk": "h1", "key_id": "a1", "role": "admin", "channel": None, "name": "alice"},
            "k-web": {"pk": "h2", "key_id": "w1", "role": "channel", "channel": "web", "name": "web"},
        }
    )


def test_a_persons_key_signs_in_and_a_channels_or_unknown_one_does_not() -> None:
    keys, sessions = people(), FakeSessions()
    service = SessionService(*_typed(keys, sessions)[1:])

    signed = service.sign_in("k-admin", 100)
    assert not isinstance(signed, KeyNotValid | ChannelCannotSignIn)
    assert (signed.session.name, signed.session.role) == ("alice", "admin")
    assert service.sign_in("k-web", 100) == ChannelCannotSignIn()
    assert service.sign_in("nope", 100) == KeyNotValid()
    assert [i["key_id"] for i in sessions.made] == ["a1"]


def test_a_name_is_one_live_persons() -> None:
    keys = people()
    service = KeyService(_typed(keys, FakeSessions())[0], usage_keys_required=False)

    assert service.create("alice", "viewer") == NameTaken("alice")
    assert isinstance(service.create("web", "staff"), CreatedKey)  # a channel's name is no person's
    with pytest.raises(ValueError, match="name"):
        service.create("Not A Name", "staff")


def test_in_aws_a_persons_key_needs_and_shares_the_staff_usage_key() -> None:
    keys = people()
    service = KeyService(keys, usage_keys_required=True)

    assert service.create("bob", "staff") == NoStaffUsageKey()
    keys.usage = UsageKey("gw", "gw-value")
    made = service.create("bob", "staff")

    assert isinstance(made, CreatedKey) and made.api_key.startswith("oms_")
    assert keys.put_with == [UsageKey("gw", "gw-value")]
    assert "oms_" not in repr(made)  # the key stays out of reprs and logs


def test_locally_a_persons_key_has_no_usage_key() -> None:
    keys = people()
    assert isinstance(KeyService(keys, usage_keys_required=False).create("bob", "viewer"), CreatedKey)
    assert keys.put_with == [None]


def test_revoking() -> None:
    keys = people()
    service = KeyService(keys, usage_keys_required=False)

    assert service.revoke("a1") is True
    assert service.revoke("a1") is False
    keys.orphans = True
    assert service.revoke("w1") == RevokeRefused("w1")


def test_the_list_is_oldest_first_and_never_a_session() -> None:
    keys = FakeKeys(
        items={
            "b": {"pk": "b", "key_id": "b", "role": "staff", "name": "b", "created_at": "2026-02-01"},
            "a": {"pk": "a", "key_id": "a", "role": "staff", "name": "a", "created_at": "2026-01-01"},
            "s": {"pk": "session#x", "kind": "session", "key_id": "a", "role": "staff"},
        }
    )
    assert [i["key_id"] for i in KeyService(keys, usage_keys_required=False).list()] == ["a", "b"]

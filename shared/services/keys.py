"""People's API keys over HTTP (admin): made, listed and revoked. Channel keys, and the API Gateway keys
of the usage plans, are the operator's (``python -m infra.keys``): the API function has no API Gateway
permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.dal.api_keys import NameInUse, OrphanedUsageKey, UsageKey, new_key
from shared.dal.sessions import is_session
from shared.domain.auth import PersonRole, Role, check_person_name


class Keys(Protocol):
    """The API keys' store (``shared.dal.api_keys.ApiKeyStore``), as the key routes use it."""

    def list(self) -> list[dict[str, Any]]:
        """Every key's public fields; never a session."""
        ...

    def staff_usage_key(self) -> UsageKey | None: ...

    def put(
        self, api_key: str, role: Role, channel: str | None, name: str, usage_key: UsageKey | None = None
    ) -> str: ...

    def revoke(self, key_id_to_revoke: str) -> int:
        """How many keys were revoked (their sessions with them); ``OrphanedUsageKey`` when only the
        CLI may."""
        ...


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    name: str
    role: PersonRole
    api_key: str = field(repr=False)  # shown once, in the answer


@dataclass(frozen=True)
class NameTaken:
    """A live person's key already has this name: the audit trail must name one person."""

    name: str


@dataclass(frozen=True)
class NoStaffUsageKey:
    """In AWS a person's key shares the staff channel's API Gateway key, made with the first staff key by
    ``infra.keys``: there is none yet."""


@dataclass(frozen=True)
class RevokeRefused:
    """Revoking would orphan the channel's API Gateway key: the CLI must revoke it."""

    key_id: str


class KeyService:
    def __init__(self, keys: Keys, *, usage_keys_required: bool) -> None:
        self._keys = keys
        # AWS: API Gateway needs every caller's usage key; the local stack has none (its gateway limits).
        self._usage_keys_required = usage_keys_required

    def list(self) -> list[dict[str, Any]]:
        """Every key (people's and channels'), oldest first; never a session, a hash or a usage key."""
        items = [item for item in self._keys.list() if not is_session(item)]
        return sorted(items, key=lambda item: (str(item.get("created_at", "")), str(item.get("key_id"))))

    def create(self, name: str, role: PersonRole) -> CreatedKey | NameTaken | NoStaffUsageKey:
        check_person_name(name)
        live = self._keys.list()
        person = (item for item in live if item.get("role") != "channel" and not item.get("revoked"))
        if any(item.get("name") == name for item in person):
            return NameTaken(name)
        usage_key = self._keys.staff_usage_key()
        if usage_key is None and self._usage_keys_required:
            return NoStaffUsageKey()
        api_key = new_key()
        try:
            key_id = self._keys.put(api_key, role, None, name, usage_key=usage_key)
        except NameInUse:  # made at the same moment as another key with this name
            return NameTaken(name)
        return CreatedKey(key_id, name, role, api_key)

    def revoke(self, key_id: str) -> bool | RevokeRefused:
        """Whether a key was revoked (and its sessions ended)."""
        try:
            return self._keys.revoke(key_id) > 0
        except OrphanedUsageKey:
            return RevokeRefused(key_id)

"""The local stack's API keys: known, printed at start, replaceable with OMS_LOCAL_KEYS."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.auth import check_channel

DEFAULT_KEYS = "dev-staff-key=staff,dev-web-key=channel:web,dev-pos-key=channel:pos"


@dataclass(frozen=True)
class LocalKey:
    key: str
    role: str
    channel: str | None

    def describe(self) -> str:
        return f"{self.key}  ({self.role}{' ' + self.channel if self.channel else ''})"


def parse_keys(spec: str) -> list[LocalKey]:
    """``key=staff,key2=channel:web`` -> keys. Raises ValueError with the offending entry."""
    keys = []
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, grant = entry.partition("=")
        role, _, channel = grant.partition(":")
        if not sep or not key or role not in ("staff", "channel") or (role == "channel") != bool(channel):
            raise ValueError(f"OMS_LOCAL_KEYS entry {entry!r}: use key=staff or key=channel:<name>")
        if channel:
            check_channel(channel)
        keys.append(LocalKey(key, role, channel or None))
    return keys

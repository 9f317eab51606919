"""The local stack's API keys: known, printed at start, replaceable with OMS_LOCAL_KEYS.

``key=<role>:<name>`` for a person (admin, staff or viewer; the name is theirs in the audit trail:
``staff:<name>``, and may be left out), ``key=channel:<channel>`` for a channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.auth import PERSON_ROLES, check_channel, check_person_name

DEFAULT_KEYS = (
    "dev-admin-key=admin:dev-admin,dev-staff-key=staff:dev-staff,dev-viewer-key=viewer:dev-viewer,"
    "dev-web-key=channel:web,dev-pos-key=channel:pos"
)


@dataclass(frozen=True)
class LocalKey:
    key: str
    role: str
    channel: str | None
    name: str | None = None  # a person's key: their name

    def describe(self) -> str:
        detail = self.channel or self.name
        return f"{self.key}  ({self.role}{' ' + detail if detail else ''})"

    @property
    def stored_name(self) -> str:
        """The name the key is stored with: the person's, else the local stack's own."""
        return self.name or f"local-{self.role}"


def parse_keys(spec: str) -> list[LocalKey]:
    """``key=admin:alice,key2=channel:web`` -> keys. Raises ValueError with the offending entry."""
    keys = []
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, grant = entry.partition("=")
        role, colon, detail = grant.partition(":")
        person = role in PERSON_ROLES
        well_formed = sep and key and (person or (role == "channel" and detail))
        if not well_formed or (colon and not detail):
            raise ValueError(
                f"OMS_LOCAL_KEYS entry {entry!r}: use key=admin|staff|viewer[:<name>] or key=channel:<name>"
            )
        try:
            if person and detail:
                check_person_name(detail)
            elif not person:
                check_channel(detail)
        except ValueError as exc:
            raise ValueError(f"OMS_LOCAL_KEYS entry {entry!r}: {exc}") from exc
        keys.append(LocalKey(key, role, None if person else detail, (detail or None) if person else None))
    return keys

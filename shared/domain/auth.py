"""Who is calling, and what they may see. Pure: the authorizer decides who, this decides what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shared.patterns import CHANNEL_PATTERN, PERSON_NAME_PATTERN, pattern_phrase

Role = Literal["admin", "staff", "viewer", "channel"]
# The roles of people (members of staff), weakest first: each may do all that the ones before it may.
#   viewer: reads everything;
#   staff: also works orders, stock, customers' details, imports and reports;
#   admin: also erases customers, manages keys and connections, and redrives and deletes dead letters.
# A channel key is a system's, not a person's: it places and reads its own channel's orders, and never
# signs in to the console.
PersonRole = Literal["viewer", "staff", "admin"]
PERSON_ROLES: tuple[PersonRole, ...] = ("viewer", "staff", "admin")
ROLES: tuple[Role, ...] = (*PERSON_ROLES, "channel")
STAFF_CHANNEL = "staff"  # the channel of orders entered by staff (phone orders, corrections)
# A person's name as it appears in the audit trail (``staff:alice``): the name of their key or user
# (``PERSON_NAME_PATTERN``, from ``shared.patterns`` with the words a person is told).


def check_channel(name: str) -> str:
    """A channel name a key may be bound to; it becomes part of dedup keys, so it is strict."""
    if not re.fullmatch(CHANNEL_PATTERN, name):
        raise ValueError(f"channel {name!r} {pattern_phrase(CHANNEL_PATTERN)}")
    return name


def check_person_name(name: str) -> str:
    """A person's name for the audit trail: lowercase letters, digits, '.', '_' and '-', at most 40."""
    if not re.fullmatch(PERSON_NAME_PATTERN, name):
        raise ValueError(f"name {name!r} {pattern_phrase(PERSON_NAME_PATTERN)}")
    return name


@dataclass(frozen=True)
class Principal:
    role: Role
    key_id: str
    channel: str | None = None
    # The person's name (their key's name) for a person's key; None for a channel key, or a key made
    # before keys were named for people (its actor is then its key id).
    name: str | None = None

    @property
    def is_staff(self) -> bool:
        """A member of staff, whatever their role: sees every channel's orders."""
        return self.role != "channel"

    def can(self, needed: PersonRole) -> bool:
        """Whether this caller's role includes ``needed`` (admin includes staff, staff includes viewer)."""
        if self.role == "channel":
            return False
        return PERSON_ROLES.index(self.role) >= PERSON_ROLES.index(needed)

    @property
    def order_channel(self) -> str:
        """The channel an order placed by this caller belongs to. Never taken from the body."""
        return self.channel or STAFF_CHANNEL

    def can_see(self, channel: str) -> bool:
        """A channel key sees only its own channel's orders; staff sees every channel."""
        return self.is_staff or channel == self.channel

    @property
    def actor(self) -> str:
        """Who made a change, in the audit trail: ``staff:alice`` for a person (whatever their role), else
        ``{role}:{key_id}``."""
        if self.is_staff and self.name and re.fullmatch(PERSON_NAME_PATTERN, self.name):
            return f"staff:{self.name}"
        return f"{self.role}:{self.key_id}"

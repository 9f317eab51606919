"""Who is calling, and what they may see. Pure: the authorizer decides who, this decides what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shared.patterns import CHANNEL_PATTERN, pattern_phrase

Role = Literal["staff", "channel"]
STAFF_CHANNEL = "staff"  # the channel of orders entered by staff (phone orders, corrections)


def check_channel(name: str) -> str:
    """A channel name a key may be bound to; it becomes part of dedup keys, so it is strict."""
    if not re.fullmatch(CHANNEL_PATTERN, name):
        raise ValueError(f"channel {name!r} {pattern_phrase(CHANNEL_PATTERN)}")
    return name


@dataclass(frozen=True)
class Principal:
    role: Role
    key_id: str
    channel: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def order_channel(self) -> str:
        """The channel an order placed by this caller belongs to. Never taken from the body."""
        return self.channel or STAFF_CHANNEL

    def can_see(self, channel: str) -> bool:
        """A channel key sees only its own channel's orders; staff sees every channel."""
        return self.is_staff or channel == self.channel

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.key_id}"

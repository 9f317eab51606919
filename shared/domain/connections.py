"""A platform connection: the channel a Shopify or WooCommerce store's webhooks land in, and the secrets
they are signed with. Pure: the clock and the sealing (KMS) are passed in.

Rotation. A PUT with a new secret makes it the current one and keeps the one it replaces valid for
``ROTATION_GRACE`` (24 hours), so deliveries signed before the store switched still verify; a later
PUT ends that at once (never more than two secrets). The same secret again changes nothing. Secrets
are only ever stored sealed (KMS, bound to the channel) with a salted scrypt fingerprint that tells
"the same secret again" without anyone being able to decrypt: the API may encrypt, never decrypt.

A channel name belongs to API keys or to one connection, never both (``shared.dal.connections``
enforces it with a claim item); the channels the marketplace feed owns (``shared.domain.channels``)
are never a connection's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from shared.domain.auth import check_channel
from shared.domain.channels import feed_owner
from shared.domain.hooks import Platform

ROTATION_GRACE = timedelta(hours=24)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class SealedSecret:
    """A secret as stored: the KMS ciphertext, its fingerprint, when it was added and, for the one a
    rotation replaced, when it stops being accepted."""

    ciphertext: bytes
    salt: bytes
    fingerprint: bytes
    added_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at

    def is_secret(self, secret: str) -> bool:
        return hmac.compare_digest(fingerprint(secret, self.salt), self.fingerprint)


@dataclass(frozen=True)
class Connection:
    channel: str
    platform: Platform
    secrets: tuple[SealedSecret, ...]  # the current secret first
    created_at: datetime
    rotated_at: datetime | None = None
    version: int = 1

    def active_secrets(self, now: datetime) -> tuple[SealedSecret, ...]:
        return tuple(s for s in self.secrets if s.active(now))

    def previous_expires_at(self, now: datetime) -> datetime | None:
        return next((s.expires_at for s in self.active_secrets(now) if s.expires_at is not None), None)


Change = Literal["created", "rotated", "unchanged"]


@dataclass(frozen=True)
class PlatformMismatch:
    """The channel is connected to another platform: its orders' ids are that platform's."""

    platform: Platform


def check_connection_channel(channel: str) -> str:
    """A channel name a connection may take: an API key's rules, and none the marketplace feed owns."""
    check_channel(channel)
    owner = feed_owner(channel)
    if owner is not None:
        raise ValueError(f"channel {channel!r} belongs to {owner}: pick another channel")
    return channel


def fingerprint(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)


def new_salt() -> bytes:
    return _random.token_bytes(16)


def connect(
    existing: Connection | None,
    channel: str,
    platform: Platform,
    secret: str,
    now: datetime,
    seal: Callable[[str], SealedSecret],
) -> tuple[Connection, Change] | PlatformMismatch:
    """The connection after staff send ``platform`` and ``secret`` for ``channel``."""
    if existing is None:
        return Connection(channel, platform, (seal(secret),), created_at=now), "created"
    if existing.platform != platform:
        return PlatformMismatch(existing.platform)
    current = existing.secrets[0]
    if current.is_secret(secret):
        return existing, "unchanged"
    previous = replace(current, expires_at=now + ROTATION_GRACE)
    rotated = replace(
        existing, secrets=(seal(secret), previous), rotated_at=now, version=existing.version + 1
    )
    return rotated, "rotated"

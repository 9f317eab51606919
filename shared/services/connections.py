"""Connecting a channel to a Shopify or WooCommerce store: seal the secret, rotate, keep channels apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.dal.connections import ChannelTaken, Conflict
from shared.domain.connections import (
    Change,
    Connection,
    PlatformMismatch,
    SealedSecret,
    connect,
    fingerprint,
    new_salt,
)
from shared.domain.hooks import Platform

ATTEMPTS = 3  # a PUT that loses a race reads the connection again and decides anew


class Connections(Protocol):
    def get(self, channel: str) -> Connection | ChannelTaken | None: ...

    def save(
        self, connection: Connection, *, previous_version: int | None
    ) -> ChannelTaken | Conflict | None: ...


class Sealer(Protocol):
    def encrypt(self, secret: str, channel: str) -> bytes: ...


class KeyChannels(Protocol):
    def any(self, channel: str) -> bool: ...


@dataclass(frozen=True)
class Connected:
    connection: Connection
    change: Change


@dataclass(frozen=True)
class ChannelHasKeys:
    """The channel belongs to API keys: a connection would let a store write that channel's orders."""


PutOutcome = Connected | ChannelHasKeys | PlatformMismatch


class ConnectionService:
    def __init__(self, connections: Connections, sealer: Sealer, key_channels: KeyChannels) -> None:
        self._connections = connections
        self._sealer = sealer
        self._keys = key_channels

    def get(self, channel: str) -> Connection | None:
        found = self._connections.get(channel)
        return found if isinstance(found, Connection) else None

    def put(self, channel: str, platform: Platform, secret: str, now: datetime) -> PutOutcome:
        for _ in range(ATTEMPTS):
            existing = self._connections.get(channel)
            if isinstance(existing, ChannelTaken):
                return ChannelHasKeys()
            # Keys made before channels were claimed have no claim: the channel index knows them.
            if existing is None and self._keys.any(channel):
                return ChannelHasKeys()
            decided = connect(existing, channel, platform, secret, now, lambda s: self._seal(s, channel, now))
            if isinstance(decided, PlatformMismatch):
                return decided
            connection, change = decided
            if change == "unchanged":
                return Connected(connection, change)
            saved = self._connections.save(
                connection, previous_version=None if existing is None else existing.version
            )
            if saved is None:
                return Connected(connection, change)
            if isinstance(saved, ChannelTaken):
                return ChannelHasKeys()
        raise RuntimeError(f"the connection of {channel} kept changing; retry")

    def _seal(self, secret: str, channel: str, now: datetime) -> SealedSecret:
        salt = new_salt()
        return SealedSecret(
            ciphertext=self._sealer.encrypt(secret, channel),
            salt=salt,
            fingerprint=fingerprint(secret, salt),
            added_at=now,
        )

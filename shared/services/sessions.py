"""Signing in and out: a person's key exchanged for a session, and the session read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from shared.dal.sessions import NewSession, NotAPersonKey, Session


class KeyItems(Protocol):
    def item(self, api_key: str) -> dict[str, Any] | None:
        """A live key's item as stored; None for an unknown or revoked key."""
        ...


class Sessions(Protocol):
    def create(self, key_item: dict[str, Any], now: int) -> NewSession:
        """A new session of the key; ``NotAPersonKey`` for a channel's key."""
        ...

    def find(self, token: str, now: int) -> Session | None: ...

    def delete(self, token: str) -> None: ...


@dataclass(frozen=True)
class KeyNotValid:
    """An unknown or revoked key: 401."""


@dataclass(frozen=True)
class ChannelCannotSignIn:
    """A channel's key is a system's, not a person's: 403."""


class SessionService:
    def __init__(self, keys: KeyItems, sessions: Sessions) -> None:
        self._keys = keys
        self._sessions = sessions

    def sign_in(self, api_key: str, now: int) -> NewSession | KeyNotValid | ChannelCannotSignIn:
        item = self._keys.item(api_key)
        if item is None:
            return KeyNotValid()
        try:
            return self._sessions.create(item, now)
        except NotAPersonKey:
            return ChannelCannotSignIn()

    def current(self, token: str, now: int) -> Session | None:
        return self._sessions.find(token, now)

    def sign_out(self, token: str) -> None:
        self._sessions.delete(token)

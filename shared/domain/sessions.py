"""A person's session in the console: the cookie that carries it, its CSRF rule and its idle expiry. Pure.

A member of staff exchanges their API key for a session (``POST /session``): a random token in an
HttpOnly, Secure, SameSite=Strict cookie, and a CSRF token the console sends back in ``X-CSRF-Token`` on
every request that changes something. The session ends after ``IDLE_SECONDS`` without a request (the
authorizer slides it, at most once per ``SLIDE_EVERY_SECONDS``), on sign-out, and when its key is revoked.

The token is ``<key hash>.<secret>``: the hash names the key's item (the table's key, not a credential:
the authorizer hashes what it is sent), so the authorizer reads the session and its key in one
BatchGetItem; the secret makes the token unguessable, and only its SHA-256 is stored.

This module is on the authorizer's path: the standard library only, and nothing costly.
"""

from __future__ import annotations

import hmac

COOKIE_NAME = "oms_session"
CSRF_HEADER = "X-CSRF-Token"
IDLE_SECONDS = 8 * 60 * 60  # the "idle expiry at most 8 hours"
SLIDE_EVERY_SECONDS = 5 * 60  # the authorizer writes the new expiry at most this often per session
# The methods that change something: with the cookie, each needs the session's CSRF token.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SEPARATOR = "."


def session_cookie(token: str) -> str:
    """The Set-Cookie value that starts a session in the browser. No Max-Age: a browser-session cookie,
    so a person at work all day keeps it; the server ends the session after ``IDLE_SECONDS`` idle (the
    authorizer checks and slides ``expires_at``), on sign-out and on revocation."""
    return f"{COOKIE_NAME}={token}; HttpOnly; Secure; SameSite=Strict; Path=/"


def clearing_cookie() -> str:
    """The Set-Cookie value that removes the session's cookie."""
    return f"{COOKIE_NAME}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0"


def cookie_token(cookie_header: str | None) -> str | None:
    """The session token in a Cookie header, or None. Each ``name=value`` pair is read on its own (the
    first ``oms_session`` wins): ``http.cookies`` stops silently at the first pair it cannot parse, so
    another site's cookie with a space or JSON in it, sent before ours, would sign the person out."""
    if not cookie_header:
        return None
    for pair in cookie_header.split(";"):
        name, separator, value = pair.strip().partition("=")
        if separator and name == COOKIE_NAME:
            value = value.strip().strip('"')
            return value or None
    return None


def make_token(key_hash: str, secret: str) -> str:
    return f"{key_hash}{_SEPARATOR}{secret}"


def token_key_hash(token: str) -> str | None:
    """The key hash a session token names, or None when the token is not shaped as one."""
    key_hash, separator, secret = token.partition(_SEPARATOR)
    if not separator or not secret or len(key_hash) != 64:
        return None
    if any(c not in "0123456789abcdef" for c in key_hash):
        return None
    return key_hash


def needs_csrf(method: str) -> bool:
    return method.upper() in UNSAFE_METHODS


def csrf_ok(method: str, expected: str, given: str | None) -> bool:
    """Whether a request by cookie may go on: a safe method always, a change only with the session's
    CSRF token (compared in constant time)."""
    if not needs_csrf(method):
        return True
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def expires_after(now: int) -> int:
    """When a session used at ``now`` expires (epoch seconds)."""
    return now + IDLE_SECONDS


def is_expired(expires_at: int, now: int) -> bool:
    return expires_at <= now


def should_slide(expires_at: int, now: int) -> bool:
    """Whether a request at ``now`` moves the expiry: only when the last move is more than
    ``SLIDE_EVERY_SECONDS`` old, so a busy session is not one write per request."""
    return expires_at < expires_after(now) - SLIDE_EVERY_SECONDS

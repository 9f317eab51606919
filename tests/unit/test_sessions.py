"""A session's cookie, its CSRF rule and its idle expiry (shared.domain.sessions), and whom it names."""

from __future__ import annotations

import pytest

from shared.domain.auth import Principal
from shared.domain.sessions import (
    COOKIE_NAME,
    IDLE_SECONDS,
    SLIDE_EVERY_SECONDS,
    clearing_cookie,
    cookie_token,
    csrf_ok,
    expires_after,
    is_expired,
    make_token,
    should_slide,
    token_key_hash,
)

KEY_HASH = "ab" * 32
TOKEN = make_token(KEY_HASH, "s3cr3t-_Token")


def test_the_cookie_has_exactly_the_contracts_attributes() -> None:
    assert COOKIE_NAME == "oms_session"
    assert IDLE_SECONDS == 8 * 60 * 60
    from shared.domain.sessions import session_cookie

    attributes = "HttpOnly; Secure; SameSite=Strict; Path=/"
    # No Max-Age: a browser-session cookie; the server ends the session after 8 hours idle.
    assert session_cookie("tok") == f"oms_session=tok; {attributes}"
    assert clearing_cookie() == "oms_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (f"oms_session={TOKEN}", TOKEN),
        (f"theme=dark; oms_session={TOKEN}; lang=en", TOKEN),
        (f'oms_session="{TOKEN}"', TOKEN),  # a quoted value is the same value
        ("other_session=abc", None),
        ("xoms_session=abc", None),  # a name is matched whole, not as a suffix
        ("oms_session=", None),
        ("", None),
        (None, None),
    ],
)
def test_the_token_is_read_from_the_cookie_header(header: str | None, token: str | None) -> None:
    assert cookie_token(header) == token


@pytest.mark.parametrize(
    "before",
    ["x=y z", 'prefs={"a":1,"b":[2]}', 'a="unterminated', "=nameless", "flag"],
)
def test_another_cookie_the_stdlib_parser_refuses_does_not_hide_the_session(before: str) -> None:
    # http.cookies stops silently at such a pair: a site's other cookie sent first would sign staff out.
    assert cookie_token(f"{before}; oms_session={TOKEN}") == TOKEN


def test_the_token_names_its_keys_hash() -> None:
    assert token_key_hash(TOKEN) == KEY_HASH
    for malformed in ("", "abc", f"{KEY_HASH}.", f".{KEY_HASH}", f"{'AB' * 32}.x", f"{KEY_HASH[:-1]}.x"):
        assert token_key_hash(malformed) is None, malformed


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_a_safe_method_needs_no_csrf_token(method: str) -> None:
    assert csrf_ok(method, "expected", None)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "delete"])
def test_a_change_needs_the_sessions_csrf_token(method: str) -> None:
    assert csrf_ok(method, "expected", "expected")
    assert not csrf_ok(method, "expected", None)
    assert not csrf_ok(method, "expected", "")
    assert not csrf_ok(method, "expected", "expected-not")
    assert not csrf_ok(method, "expected", "EXPECTED")


def test_the_idle_expiry_slides_at_most_every_few_minutes() -> None:
    now = 1_800_000_000
    expires = expires_after(now)
    assert expires == now + IDLE_SECONDS
    assert not should_slide(expires, now)  # just made
    assert not should_slide(expires, now + SLIDE_EVERY_SECONDS)  # not yet: no write per request
    assert should_slide(expires, now + SLIDE_EVERY_SECONDS + 1)
    assert not is_expired(expires, expires - 1)
    assert is_expired(expires, expires)  # idle for the whole 8 hours: over
    assert is_expired(expires, expires + 1)


@pytest.mark.parametrize(
    ("principal", "actor"),
    [
        (Principal("admin", "k1", name="alice"), "staff:alice"),
        (Principal("staff", "k1", name="bob.smith"), "staff:bob.smith"),
        (Principal("viewer", "k1", name="carol"), "staff:carol"),
        (Principal("staff", "k1", name="local staff"), "staff:k1"),  # a name from before names had rules
        (Principal("staff", "k1"), "staff:k1"),
        (Principal("channel", "k2", channel="web", name="web"), "channel:k2"),  # a system, not a person
    ],
)
def test_a_sessions_changes_name_the_person(principal: Principal, actor: str) -> None:
    assert principal.actor == actor

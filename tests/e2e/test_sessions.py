"""Signing in to the console over real HTTP on the local stack: the cookie, CSRF, sign-out.

``requests`` keeps the cookie in its jar but will not send a ``Secure`` cookie over plain http (the local
stack is http://127.0.0.1; in AWS the API is https only), as a browser would not either. So these tests read
the token from ``Set-Cookie`` and send the ``Cookie`` header themselves: what a browser sends over https.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import requests

from tests.e2e.conftest import Stack


def sign_in(stack: Stack, http: requests.Session, key: str) -> tuple[str, str]:
    """The session's token and CSRF token."""
    reply = http.post(f"{stack.api}/session", json={"api_key": key})
    assert reply.status_code == 201, reply.text
    jar: SimpleCookie = SimpleCookie()
    jar.load(reply.headers["Set-Cookie"])
    morsel = jar["oms_session"]
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Strict"
    assert (morsel["path"], morsel["max-age"]) == ("/", "")  # a browser-session cookie: the server keeps time
    return morsel.value, reply.json()["csrf_token"]


def test_sign_in_use_the_cookie_and_sign_out(stack: Stack) -> None:
    with requests.Session() as http:
        token, csrf = sign_in(stack, http, "dev-staff-key")
        cookie = {"Cookie": f"oms_session={token}"}
        # The jar holds the cookie but sends it over https only: without the header, no session.
        assert "oms_session" in http.cookies.get_dict()
        assert http.get(f"{stack.api}/session").status_code == 401

        me = http.get(f"{stack.api}/session", headers=cookie)
        assert me.status_code == 200
        assert (me.json()["name"], me.json()["role"], me.json()["csrf_token"]) == ("dev-staff", "staff", csrf)
        assert me.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in me.headers["Content-Security-Policy"]
        assert http.get(f"{stack.api}/orders", headers=cookie).status_code == 200

        product = {"name": "Session mug", "price": "5.00"}
        without = http.put(f"{stack.api}/products/E2E-SESSION-MUG", json=product, headers=cookie)
        assert without.status_code == 403
        assert without.headers["Content-Type"] == "application/problem+json"
        with_token = http.put(
            f"{stack.api}/products/E2E-SESSION-MUG", json=product, headers={**cookie, "X-CSRF-Token": csrf}
        )
        assert with_token.status_code in (200, 201), with_token.text

        out = http.delete(f"{stack.api}/session", headers={**cookie, "X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert "Max-Age=0" in out.headers["Set-Cookie"]
        assert http.get(f"{stack.api}/session", headers=cookie).status_code == 401
        assert http.get(f"{stack.api}/orders", headers=cookie).status_code == 401


def test_a_channel_key_or_a_wrong_key_cannot_sign_in(stack: Stack) -> None:
    with requests.Session() as http:
        channel = http.post(f"{stack.api}/session", json={"api_key": "dev-web-key"})
        wrong = http.post(f"{stack.api}/session", json={"api_key": "dev-nobody-key"})
    assert (channel.status_code, channel.json()["detail"]) == (
        403,
        "Channel keys cannot sign in to the console.",
    )
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "That API key is not valid.")
    assert "Set-Cookie" not in channel.headers and "Set-Cookie" not in wrong.headers

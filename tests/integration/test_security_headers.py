"""Every answer of the API carries the security headers (shared.security_headers), whoever answers it:
a route, the router's own problems, the request guard before routing, and the local gateway itself."""

from __future__ import annotations

from typing import Any

import pytest

from shared.security_headers import API_HEADERS
from tests.support.http import ApiClient, Reply


def assert_secured(reply: Reply) -> None:
    for name, value in API_HEADERS.items():
        assert reply.header(name) == value, (reply.status, name)
    assert "unsafe-inline" not in (reply.header("Content-Security-Policy") or "")


@pytest.mark.parametrize(
    ("key", "method", "path", "body", "raw", "status"),
    [
        ("dev-staff-key", "GET", "/orders", None, None, 200),  # a route
        (None, "GET", "/health", None, None, 200),  # a public route
        (None, "GET", "/swagger", None, None, 302),  # a redirect
        ("dev-staff-key", "GET", "/products/NOPE", None, None, 404),  # a route's problem
        ("dev-staff-key", "POST", "/orders", None, b"{not json", 400),  # the resolver's problem
        ("dev-staff-key", "POST", "/orders", None, b"<xml/>", 415),  # the guard, before routing
        (None, "GET", "/orders", None, None, 401),  # the gateway: no key
        ("dev-staff-key", "GET", "/nope", None, None, 404),  # the gateway: no route
    ],
)
def test_every_answer_carries_the_security_headers(
    aws: Any, key: str | None, method: str, path: str, body: Any, raw: bytes | None, status: int
) -> None:
    headers = {"Content-Type": "application/xml" if raw == b"<xml/>" else "application/json"} if raw else None
    reply = ApiClient(key).request(method, path, body, raw=raw, headers=headers)

    assert reply.status == status, reply.body
    assert_secured(reply)


def test_the_functions_answers_are_secured_in_both_shapes(aws: Any) -> None:
    """Powertools answers in multiValueHeaders, the guard in headers: each gets the headers it lacks."""
    from functions.api.handler import secured

    multi = secured({"statusCode": 200, "multiValueHeaders": {"Content-Type": ["application/json"]}})
    single = secured({"statusCode": 415, "headers": {"Content-Type": "application/problem+json"}})

    assert multi["multiValueHeaders"] == {
        "Content-Type": ["application/json"],
        **{k: [v] for k, v in API_HEADERS.items()},
    }
    assert "headers" not in multi
    assert single["headers"] == {"Content-Type": "application/problem+json", **API_HEADERS}
    stricter = secured({"statusCode": 200, "multiValueHeaders": {"content-security-policy": ["sandbox"]}})
    assert stricter["multiValueHeaders"]["content-security-policy"] == ["sandbox"]  # its own is kept
    assert "Content-Security-Policy" not in stricter["multiValueHeaders"]

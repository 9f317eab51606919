"""The local API Gateway: route matching, REST v1 proxy events, the authorizer flow (fake pools)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from infra.description import Function, Route
from infra.local.gateway import (
    MAX_PAYLOAD_BYTES,
    STAGE,
    CompiledRoute,
    Gateway,
    _http_response,
    authorizer_event,
    proxy_event,
)
from infra.local.workers import InvocationError
from infra.spec import FUNCTIONS
from shared.security_headers import API_HEADERS

API = Function(
    name="api",
    description="test",
    routes=(
        Route("GET", "/health", authorized=False),
        Route("GET", "/orders"),
        Route("POST", "/orders"),
        Route("GET", "/orders/{order_id}"),
        Route("PUT", "/products/{sku}/price"),
        Route("GET", "/inventory/{sku}"),
        Route("GET", "/inventory/{sku}/movements"),
        Route("GET", "/openapi.json"),
    ),
)
AUTH = Function(name="authorizer", description="test")


class FakePool:
    """FunctionPool.invoke: records events, answers with a canned result or raises."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


OK = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}
ALLOW = {
    "principalId": "key-1",
    "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]},
    "context": {"role": "channel", "channel": "web", "key_id": "key-1"},
}
DENY = {**ALLOW, "policyDocument": {"Statement": [{"Effect": "Deny"}]}}


def gateway(api: FakePool | None = None, authorizer: FakePool | None = None) -> Gateway:
    pools = {"api": api or FakePool(OK), "authorizer": authorizer or FakePool(ALLOW)}
    return Gateway(pools, (API, AUTH), "authorizer")  # type: ignore[arg-type]


# --- matching --------------------------------------------------------------------------------


def test_compiled_route_extracts_path_parameters() -> None:
    compiled = CompiledRoute.compile(Route("GET", "/orders/{order_id}/lines/{line}"), API)

    found = compiled.pattern.match("/orders/o-1/lines/3")
    assert found is not None
    assert found.groupdict() == {"order_id": "o-1", "line": "3"}
    assert compiled.pattern.match("/orders/o-1/lines") is None
    assert compiled.pattern.match("/orders/a/b/lines/3") is None


def test_literal_dots_are_not_wildcards() -> None:
    compiled = CompiledRoute.compile(Route("GET", "/openapi.json"), API)

    assert compiled.pattern.match("/openapi.json")
    assert compiled.pattern.match("/openapiXjson") is None


def test_match_finds_route_and_parameters() -> None:
    matched = gateway().match("PUT", "/products/TEE-RED-M/price")

    assert matched is not None
    compiled, params = matched
    assert (compiled.route.method, compiled.route.path, compiled.function.name) == (
        "PUT",
        "/products/{sku}/price",
        "api",
    )
    assert params == {"sku": "TEE-RED-M"}


@pytest.mark.parametrize(
    ("segment", "sku"),
    [
        ("A%231", "A#1"),
        ("KIT%3ARED%2BBLUE", "KIT:RED+BLUE"),
        ("KIT:RED+BLUE", "KIT:RED+BLUE"),  # '+' in a path is a '+'
        ("TEE%2FRED%2FM", "TEE/RED/M"),
        ("MUG%20WHITE%2011oz", "MUG WHITE 11oz"),
        ("50%2525", "50%25"),
    ],
)
def test_an_encoded_segment_is_one_parameter_decoded(segment: str, sku: str) -> None:
    gw = gateway()

    for path, template in (
        (f"/inventory/{segment}", "/inventory/{sku}"),
        (f"/inventory/{segment}/movements", "/inventory/{sku}/movements"),
    ):
        matched = gw.match("GET", path)
        assert matched is not None, path
        assert (matched[0].route.path, matched[1]) == (template, {"sku": sku})


def test_a_raw_slash_is_a_segment_boundary() -> None:
    gw = gateway()

    assert gw.match("GET", "/inventory/TEE/RED/M") is None
    matched = gw.match("GET", "/inventory/TEE/movements")  # the SKU "TEE"'s ledger, not "TEE/movements"
    assert matched is not None
    assert (matched[0].route.path, matched[1]) == ("/inventory/{sku}/movements", {"sku": "TEE"})


def test_match_picks_the_route_with_the_method() -> None:
    gw = gateway()

    get = gw.match("GET", "/orders")
    post = gw.match("POST", "/orders")
    assert get is not None
    assert post is not None
    assert (get[0].route.method, post[0].route.method) == ("GET", "POST")
    assert get[1] == {}
    assert gw.match("DELETE", "/orders") is None
    assert gw.match("POST", "/orders/o-1") is None


@pytest.mark.parametrize("path", ["/nope", "/orders/o-1/extra", "/health/x", "/", "/products/x"])
def test_no_match_is_none(path: str) -> None:
    assert gateway().match("GET", path) is None


def test_every_spec_route_matches_itself() -> None:
    gw = Gateway({}, FUNCTIONS, "authorizer")

    for fn in FUNCTIONS:
        for route in fn.routes:
            concrete = route.path.replace("{sku}", "SKU-1").replace("{order_id}", "o-1")
            matched = gw.match(route.method, concrete)
            assert matched is not None, route
            assert matched[0].route == route


# --- proxy and authorizer events -------------------------------------------------------------


def test_proxy_event_has_the_rest_v1_shape() -> None:
    event = proxy_event(
        "GET",
        "/orders/{order_id}",
        "/orders/o-1",
        {"Host": "localhost:3000", "User-Agent": "pytest", "X-Api-Key": "k"},
        {"limit": ["5"], "status": ["NEW", "CONFIRMED"]},
        b"",
        {"order_id": "o-1"},
        source_ip="10.0.0.7",
    )

    assert event["resource"] == "/orders/{order_id}"
    assert event["path"] == "/orders/o-1"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["X-Api-Key"] == "k"
    assert event["multiValueHeaders"]["X-Api-Key"] == ["k"]
    assert event["queryStringParameters"] == {"limit": "5", "status": "CONFIRMED"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "status": ["NEW", "CONFIRMED"]}
    assert event["pathParameters"] == {"order_id": "o-1"}
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/orders/{order_id}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/orders/o-1"  # served at the root, as behind a custom domain
    assert context["stage"] == STAGE
    assert context["domainName"] == "localhost:3000"
    assert context["identity"] == {"sourceIp": "10.0.0.7", "userAgent": "pytest"}
    assert context["requestId"]
    assert "authorizer" not in context


def test_proxy_event_without_headers_query_or_parameters_uses_none() -> None:
    event = proxy_event("GET", "/health", "/health", {})

    assert event["headers"] is None
    assert event["multiValueHeaders"] is None
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["requestContext"]["domainName"] == "localhost"


def test_text_bodies_are_sent_as_text() -> None:
    event = proxy_event("POST", "/orders", "/orders", {}, body='{"name": "Müller"}'.encode())

    assert event["body"] == '{"name": "Müller"}'
    assert event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    raw = b"\x89PNG\r\n\x1a\n\xff\x00"

    event = proxy_event("POST", "/orders", "/orders", {}, body=raw)

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_proxy_event_carries_an_authorizer_context() -> None:
    event = proxy_event("GET", "/orders", "/orders", {}, authorizer={"role": "staff"})

    assert event["requestContext"]["authorizer"] == {"role": "staff"}


def test_authorizer_event_method_arn() -> None:
    proxy = proxy_event(
        "GET", "/orders/{order_id}", "/orders/o-1", {"x-api-key": "k"}, {"a": ["1"]}, b"", {"order_id": "o-1"}
    )

    event = authorizer_event(proxy)

    assert event["type"] == "REQUEST"
    assert event["methodArn"] == f"arn:aws:execute-api:us-east-1:000000000000:local/{STAGE}/GET/orders/o-1"
    assert event["resource"] == "/orders/{order_id}"
    assert event["headers"] == {"x-api-key": "k"}
    assert event["queryStringParameters"] == {"a": "1"}
    assert event["pathParameters"] == {"order_id": "o-1"}
    assert event["requestContext"] is proxy["requestContext"]


def test_authorizer_event_replaces_missing_maps_with_empty_ones() -> None:
    event = authorizer_event(proxy_event("POST", "/orders", "/orders", {}))

    assert (event["headers"], event["queryStringParameters"], event["pathParameters"]) == ({}, {}, {})
    assert event["stageVariables"] == {}


# --- responses -------------------------------------------------------------------------------


def test_http_response_joins_multi_value_headers() -> None:
    status, headers, body = _http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-Count": 3},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": '{"id": "é"}',
        }
    )

    assert status == 201
    assert headers == {"Content-Type": "application/json", "X-Count": "3", "Set-Cookie": "a=1, b=2"}
    assert body == '{"id": "é"}'.encode()


def test_http_response_decodes_base64_bodies() -> None:
    raw = b"\x00\x01\xfe"

    assert _http_response(
        {"statusCode": 200, "body": base64.b64encode(raw).decode(), "isBase64Encoded": True}
    ) == (
        200,
        {},
        raw,
    )


def test_http_response_defaults() -> None:
    assert _http_response({}) == (502, {}, b"")


# --- the whole flow with fake pools ----------------------------------------------------------


def test_unknown_route_is_a_404_problem_without_any_call() -> None:
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, headers, body = gateway(api, auth).handle("GET", "/nope", {"X-Api-Key": "k"}, b"", "1.2.3.4")

    assert status == 404
    # API Gateway's own answers carry the security headers too (the CDK stack's gateway responses).
    assert headers == {"Content-Type": "application/problem+json", **API_HEADERS}
    assert json.loads(body)["type"] == "urn:oms:problem:not-found"
    assert (api.events, auth.events) == ([], [])


def test_unauthorized_route_skips_the_authorizer() -> None:
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, _, body = gateway(api, auth).handle("GET", "/health/", {}, b"", "1.2.3.4")

    assert (status, body) == (200, b'{"ok": true}')
    assert auth.events == []
    assert api.events[0]["path"] == "/health"
    assert "authorizer" not in api.events[0]["requestContext"]


def test_missing_key_is_401_without_calling_the_authorizer() -> None:
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, _, body = gateway(api, auth).handle("GET", "/orders", {"X-Api-Key": ""}, b"", "1.2.3.4")

    assert status == 401
    assert json.loads(body)["status"] == 401
    assert (api.events, auth.events) == ([], [])


def test_a_cookie_alone_reaches_the_authorizer() -> None:
    """A signed-in browser sends its session cookie and no key: the authorizer decides (issue 16)."""
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, _, _ = gateway(api, auth).handle("GET", "/orders", {"Cookie": "oms_session=t"}, b"", "1.2.3.4")

    assert status == 200
    assert auth.events[0]["headers"] == {"Cookie": "oms_session=t"}
    assert len(api.events) == 1


def test_neither_a_key_nor_a_cookie_is_401_without_calling_the_authorizer() -> None:
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, headers, _ = gateway(api, auth).handle("POST", "/orders", {"Cookie": ""}, b"", "1.2.3.4")

    assert status == 401
    assert headers == {"Content-Type": "application/problem+json", **API_HEADERS}
    assert (api.events, auth.events) == ([], [])


def test_a_deny_is_a_403_problem_without_calling_the_function() -> None:
    """The authorizer denies a change made with a session but without its CSRF token."""
    api, auth = FakePool(OK), FakePool(DENY)

    status, headers, body = gateway(api, auth).handle(
        "POST", "/orders", {"Cookie": "oms_session=t"}, b"", "1.2.3.4"
    )

    assert status == 403
    assert headers == {"Content-Type": "application/problem+json", **API_HEADERS}
    assert "X-CSRF-Token" in json.loads(body)["detail"]
    assert api.events == []


def test_allowed_call_reaches_the_function_with_the_authorizer_context() -> None:
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, headers, _ = gateway(api, auth).handle(
        "GET", "/orders/o-9?limit=2&limit=3", {"x-api-key": "k"}, b"", "1.2.3.4"
    )

    assert status == 200
    assert headers == {"Content-Type": "application/json"}
    assert auth.events[0]["methodArn"].endswith(f"/{STAGE}/GET/orders/o-9")
    [event] = api.events
    assert event["pathParameters"] == {"order_id": "o-9"}
    assert event["queryStringParameters"] == {"limit": "3"}
    assert event["requestContext"]["authorizer"] == {
        "role": "channel",
        "channel": "web",
        "key_id": "key-1",
        "principalId": "key-1",
    }
    assert event["requestContext"]["identity"]["sourceIp"] == "1.2.3.4"


def test_the_event_carries_the_path_as_sent_and_the_parameters_decoded() -> None:
    api, auth = FakePool(OK), FakePool(ALLOW)

    status, _, _ = gateway(api, auth).handle(
        "GET", "/inventory/TEE%2FRED%2FM%20%23%3A%2B/movements?limit=2", {"x-api-key": "k"}, b"", "1.2.3.4"
    )

    assert status == 200
    [event] = api.events
    # As API Gateway REST sends it: resource the template, path still percent-encoded (a %2F is
    # inside its segment), pathParameters decoded.
    assert event["resource"] == "/inventory/{sku}/movements"
    assert event["path"] == "/inventory/TEE%2FRED%2FM%20%23%3A%2B/movements"
    assert event["requestContext"]["path"] == event["path"]
    assert event["requestContext"]["resourcePath"] == "/inventory/{sku}/movements"
    assert event["pathParameters"] == {"sku": "TEE/RED/M #:+"}
    assert auth.events[0]["pathParameters"] == {"sku": "TEE/RED/M #:+"}
    assert auth.events[0]["methodArn"].endswith(f"/{STAGE}/GET/inventory/TEE%2FRED%2FM%20%23%3A%2B/movements")


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (DENY, 403),
        (InvocationError("Exception", "Unauthorized"), 401),
        (InvocationError("KeyError", "boom"), 500),
    ],
)
def test_authorizer_outcomes(answer: Any, status: int) -> None:
    api = FakePool(OK)

    result_status, headers, body = gateway(api, FakePool(answer)).handle(
        "GET", "/orders", {"X-Api-Key": "k"}, b"", "1.2.3.4"
    )

    assert result_status == status
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == status
    assert api.events == []


def test_function_error_is_a_502_problem() -> None:
    status, _, body = gateway(FakePool(InvocationError("Exception", "boom"))).handle(
        "POST", "/orders", {"X-Api-Key": "k"}, b"{}", "1.2.3.4"
    )

    assert status == 502
    assert json.loads(body)["type"] == "urn:oms:problem:bad-gateway"


def test_oversized_payload_is_413_before_routing() -> None:
    api = FakePool(OK)

    status, _, _ = gateway(api).handle("POST", "/nope", {}, b"x" * (MAX_PAYLOAD_BYTES + 1), "1.2.3.4")

    assert status == 413
    assert api.events == []


@pytest.mark.parametrize(
    ("status", "response_type"),
    [
        (401, "UNAUTHORIZED"),
        (403, "ACCESS_DENIED"),
        (404, "MISSING_AUTHENTICATION_TOKEN"),
        (413, "REQUEST_TOO_LARGE"),
    ],
)
def test_the_local_gateway_answers_what_the_cdk_stack_configures(status: int, response_type: str) -> None:
    from infra.local.gateway import _problem
    from shared.problems import GATEWAY_PROBLEMS

    code, headers, body = _problem(status)
    assert code == status == GATEWAY_PROBLEMS[response_type].status
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body) == json.loads(GATEWAY_PROBLEMS[response_type].body())


def test_a_hook_route_reaches_its_function_without_the_authorizer_with_the_exact_body() -> None:
    """The spec's hook routes, as API Gateway passes them: no X-Api-Key, the body as sent (text), the
    platform's headers as sent."""
    from infra.spec import HOOKS
    from shared.hook_http import delivery_from_event

    hooks, auth = FakePool(OK), FakePool(ALLOW)
    body = b'{"admin_graphql_api_id":"gid:\\/\\/shopify\\/Order\\/1","note":"caf\xc3\xa9"}'
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": "c2ln",
        "X-Shopify-Topic": "orders/create",
    }
    pools = {"hooks": hooks, "authorizer": auth}
    status, _, _ = Gateway(pools, (HOOKS, AUTH), "authorizer").handle(  # type: ignore[arg-type]
        "POST", "/hooks/shopify/shop-us", headers, body, "1.2.3.4"
    )

    assert status == 200
    assert auth.events == []
    [event] = hooks.events
    assert (event["resource"], event["pathParameters"]) == (
        "/hooks/shopify/{channel}",
        {"channel": "shop-us"},
    )
    assert event["isBase64Encoded"] is False
    delivery = delivery_from_event(event)
    assert delivery is not None
    assert delivery.body == body  # byte for byte: escapes and UTF-8 untouched
    assert (delivery.platform, delivery.channel, delivery.signature, delivery.topic) == (
        "shopify",
        "shop-us",
        "c2ln",
        "orders/create",
    )


def test_a_body_that_is_not_utf8_reaches_a_hook_base64_encoded_and_decodes_to_the_same_bytes() -> None:
    from shared.hook_http import delivery_from_event

    body = b"\xff\xfe{}"
    event = proxy_event(
        "POST", "/hooks/woocommerce/{channel}", "/hooks/woocommerce/w", {}, None, body, {"channel": "w"}
    )
    assert event["isBase64Encoded"] is True
    delivery = delivery_from_event(event)
    assert delivery is not None and delivery.body == body


def test_local_emails_are_the_local_gateways_own_route() -> None:
    """GET /_local/emails lists what moto's SES sent; a gateway given no mail box (an external endpoint)
    and every other method answer as for an unknown route. Never a route of infra/spec.py (not in CDK)."""
    from infra.local.gateway import LOCAL_EMAILS_PATH

    sent = [
        {"message_id": "m-1", "from": "a@example.com", "to": ["b@example.com"], "subject": "s", "body": "b"}
    ]
    gw = Gateway({}, FUNCTIONS, "authorizer", emails=lambda: sent)
    status, headers, body = gw.handle("GET", LOCAL_EMAILS_PATH, {}, b"", "127.0.0.1")
    assert status == 200 and json.loads(body) == {"emails": sent}
    assert headers["Content-Type"] == "application/json"
    assert gw.handle("POST", LOCAL_EMAILS_PATH, {}, b"", "127.0.0.1")[0] == 404
    assert (
        Gateway({}, FUNCTIONS, "authorizer").handle("GET", LOCAL_EMAILS_PATH, {}, b"", "127.0.0.1")[0] == 404
    )
    assert all(not route.path.startswith("/_local") for fn in FUNCTIONS for route in fn.routes)


def test_the_local_clock_hook_sets_shows_and_resets_the_functions_time() -> None:
    from infra.local.clock import LOCAL_CLOCK_PATH, LocalClock

    clock = LocalClock()
    fired: list[dt.datetime] = []
    gw = Gateway(
        {}, FUNCTIONS, "authorizer", clock=clock, schedules={"DailyReports": lambda at: not fired.append(at)}
    )

    status, _, body = gw.handle("PUT", LOCAL_CLOCK_PATH, {}, b'{"now": "2026-03-02T10:00:00Z"}', "127.0.0.1")
    assert status == 200 and json.loads(body)["now"].startswith("2026-03-02T10:00:0")
    assert json.loads(gw.handle("GET", LOCAL_CLOCK_PATH, {}, b"", "127.0.0.1")[2])["moved"] is True
    assert gw.handle("PUT", LOCAL_CLOCK_PATH, {}, b'{"now": "2026-03-02T10:00:00"}', "127.0.0.1")[0] == 400
    assert gw.handle("PUT", LOCAL_CLOCK_PATH, {}, b"{}", "127.0.0.1")[0] == 400

    status, _, body = gw.handle("POST", "/_local/schedules/DailyReports/run", {}, b"", "127.0.0.1")
    assert status == 200 and json.loads(body) == {"schedule": "DailyReports", "succeeded": True}
    assert fired[0].date() == dt.date(2026, 3, 2)  # the schedule runs at the clock's time
    assert gw.handle("POST", "/_local/schedules/Unknown/run", {}, b"", "127.0.0.1")[0] == 404

    status, _, body = gw.handle("DELETE", LOCAL_CLOCK_PATH, {}, b"", "127.0.0.1")
    assert status == 200 and json.loads(body)["moved"] is False
    # A gateway without a clock (the hook is the local stack's alone) knows no such route.
    assert (
        Gateway({}, FUNCTIONS, "authorizer").handle("GET", LOCAL_CLOCK_PATH, {}, b"", "127.0.0.1")[0] == 404
    )

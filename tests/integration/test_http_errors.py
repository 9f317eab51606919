"""Every 4xx and 5xx is RFC 9457 problem JSON, and none of them leaks internals."""

from __future__ import annotations

from typing import Any

import pytest

from functions.api import wiring
from shared.models.common import SKU_PATTERN
from shared.retry import MAX_ATTEMPTS
from tests.support.http import ApiClient, Reply

ORDER = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 1}]}


def assert_problem(reply: Reply, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == status
    assert problem["type"].startswith("urn:oms:problem:")
    assert problem["title"]
    return problem


def test_health_needs_no_key(aws: Any) -> None:
    reply = ApiClient(key=None).get("/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_a_missing_or_unknown_key_is_401(aws: Any, key: str | None) -> None:
    assert_problem(ApiClient(key=key).get("/orders"), 401)


def test_a_revoked_key_is_401(aws: Any) -> None:
    from infra.spec import API_KEYS
    from shared.dal.api_keys import ApiKeyStore, hash_key, key_id

    ApiKeyStore(aws, API_KEYS.local_name).revoke(key_id(hash_key("dev-pos-key")))
    assert_problem(ApiClient("dev-pos-key").get("/orders"), 401)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/products/MUG", {"name": "Mug", "price": "1.00"}),
        ("GET", "/products/MUG", None),
        ("PUT", "/inventory/MUG", {"on_hand": 1}),
        ("GET", "/inventory/MUG", None),
        ("GET", "/openapi.json", None),
    ],
)
def test_a_channel_key_on_a_staff_route_is_403(web: ApiClient, method: str, path: str, body: Any) -> None:
    assert_problem(web.request(method, path, body), 403)


def test_an_unknown_route_is_404(staff: ApiClient) -> None:
    assert_problem(staff.get("/nope"), 404)
    assert_problem(staff.request("DELETE", "/orders"), 404)


def test_invalid_json_is_400(stocked: ApiClient) -> None:
    problem = assert_problem(
        stocked.post("/orders", raw=b"{not json", headers={"Content-Type": "application/json"}), 400
    )
    assert "JSON" in problem["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415(stocked: ApiClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert_problem(stocked.post("/orders", raw=b"sku=MUG", headers=headers), 415)


def test_json_with_a_charset_is_fine(stocked: ApiClient) -> None:
    import json

    raw = json.dumps(ORDER).encode()
    assert (
        stocked.post("/orders", raw=raw, headers={"Content-Type": "application/json; charset=utf-8"}).status
        == 201
    )


def test_a_body_over_256_kib_is_413(stocked: ApiClient) -> None:
    huge = b'{"customer": {"email": "a@example.com", "name": "' + b"x" * (256 * 1024) + b'"}, "lines": []}'
    problem = assert_problem(
        stocked.post("/orders", raw=huge, headers={"Content-Type": "application/json"}), 413
    )
    assert "262144" in problem["detail"]


def test_validation_errors_name_each_field(stocked: ApiClient) -> None:
    problem = assert_problem(stocked.put("/products/MUG", {"name": "", "price": "1.999"}), 422)
    assert {e["field"] for e in problem["errors"]} == {"body.name", "body.price"}
    bad_sku = assert_problem(stocked.put("/products/bad%09sku", {"name": "x", "price": "1.00"}), 422)
    assert [e["field"] for e in bad_sku["errors"]] == ["path.sku"]  # a tab: a control character
    assert_problem(stocked.get("/orders", query={"limit": 0}), 422)
    assert_problem(stocked.get("/orders", query={"status": "LOST"}), 422)
    assert_problem(stocked.post("/orders", ORDER, headers={"Idempotency-Key": "x" * 256}), 422)


def test_an_internal_error_is_500_without_internals(
    stocked: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret-table-name arn:aws:dynamodb:us-east-1:123:table/x")

    monkeypatch.setattr(wiring.order_service(), "place", explode)
    problem = assert_problem(stocked.post("/orders", ORDER), 500)
    text = str(problem)
    assert "secret" not in text and "arn:aws" not in text and "Traceback" not in text
    assert problem["request_id"] == "test-request"


def test_a_crashing_function_is_a_502_problem_from_the_gateway(
    stocked: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.api import handler

    def crash(*_: Any, **__: Any) -> None:
        raise MemoryError("boom at 0xdeadbeef")

    monkeypatch.setattr(handler.app, "resolve", crash)
    problem = assert_problem(stocked.get("/orders"), 502)
    assert "deadbeef" not in str(problem)


def test_the_openapi_document_is_generated_from_the_code(staff: ApiClient) -> None:
    reply = staff.get("/openapi.json")
    assert reply.status == 200
    document = reply.json()
    assert document["openapi"].startswith("3.")
    assert {"/orders", "/orders/{order_id}", "/products/{sku}", "/inventory/{sku}", "/health"} <= set(
        document["paths"]
    )
    post = document["paths"]["/orders"]["post"]
    assert {"201", "409", "422"} <= set(post["responses"])
    assert any(p["name"].lower() == "idempotency-key" and p["in"] == "header" for p in post["parameters"])
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
    }
    money = document["components"]["schemas"]["OrderLineIn"]["properties"]["unit_price"]
    assert "string" in str(money)  # money is a decimal string in the contract, never a number
    for path in ("/products/{sku}", "/inventory/{sku}", "/inventory/{sku}/movements"):
        for operation in document["paths"][path].values():
            (sku,) = [p for p in operation["parameters"] if p["name"] == "sku"]
            assert sku["in"] == "path"
            assert "percent-encoded" in sku["description"] and "TEE%2FRED%2FM" in sku["description"]
            assert (sku["schema"]["minLength"], sku["schema"]["maxLength"]) == (1, 100)
            assert sku["schema"]["pattern"] == SKU_PATTERN
    line_sku = document["components"]["schemas"]["OrderLineIn"]["properties"]["sku"]
    assert (line_sku["maxLength"], line_sku["pattern"]) == (100, SKU_PATTERN)  # the same type in bodies


def test_swagger_sends_a_browser_to_the_consoles_swagger_page(aws: Any) -> None:
    """Swagger UI is the console's (static files under its CSP, the person signed in): /swagger answers
    anyone, key or not, with a redirect there."""
    for key in (None, "dev-web-key"):
        reply = ApiClient(key).get("/swagger")
        assert (reply.status, reply.header("Location")) == (302, "/console/swagger")
        assert reply.body == b""


def test_dynamodb_throttling_after_retries_is_a_503_with_retry_after(
    stocked: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    def throttled(*_: Any, **__: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "Query"
        )

    monkeypatch.setattr(wiring.order_service(), "list", throttled)
    reply = stocked.get("/orders")
    problem = assert_problem(reply, 503)
    assert reply.header("Retry-After") == "1"
    assert "slow down" not in str(problem)


def test_transactions_cancelled_by_throttling_are_retried_then_503(
    stocked: ApiClient, web: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    store = wiring.order_service()._orders
    attempts: list[int] = []

    def throttled(**_: Any) -> None:
        attempts.append(1)
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}],
            },
            "TransactWriteItems",
        )

    monkeypatch.setattr(store._db, "transact_write_items", throttled)
    monkeypatch.setattr(wiring.order_service(), "_sleep", lambda _: None)
    assert_problem(web.post("/orders", ORDER), 503)
    assert len(attempts) == MAX_ATTEMPTS  # then the caller is told to retry


def test_a_body_that_is_not_utf8_is_400(stocked: ApiClient) -> None:
    problem = assert_problem(
        stocked.post(
            "/orders", raw=b'{"customer": "\xff\xfe"}', headers={"Content-Type": "application/json"}
        ),
        400,
    )
    assert "UTF-8" in problem["detail"]

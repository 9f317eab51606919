"""What the OpenAPI document promises, over the whole request path (gateway, authorizer, handler).

Each test here is a finding of schemathesis (tests/e2e/test_api_schema.py) kept as a fast,
deterministic regression test.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.http import message
from tests.support.http import ApiClient

ORDER: dict[str, Any] = {
    "customer": {"email": "contract@example.com", "name": "C"},
    "lines": [{"sku": "MUG", "quantity": 1}],
}


def errors(reply: Any) -> dict[str, str]:
    assert reply.status == 422, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    return {e["field"]: e["message"] for e in reply.json()["errors"]}


def test_an_integral_number_is_an_integer(stocked: ApiClient) -> None:
    placed = stocked.post("/orders", {**ORDER, "lines": [{"sku": "MUG", "quantity": 2.0}]})
    assert placed.status == 201, placed.body
    assert placed.json()["lines"][0]["quantity"] == 2
    assert stocked.put("/inventory/MUG", {"on_hand": 7.0}).status == 200
    assert stocked.post("/inventory/MUG/adjustments", {"delta": -1.0, "reason": "x"}).status == 201
    assert (
        stocked.put("/products/MUG", {"name": "Mug", "price": "8.50", "low_stock_threshold": 3.0}).status
        == 200
    )


@pytest.mark.parametrize("quantity", [2.5, "2", True])
def test_what_is_not_an_integer_is_refused(stocked: ApiClient, quantity: Any) -> None:
    reply = stocked.post("/orders", {**ORDER, "lines": [{"sku": "MUG", "quantity": quantity}]})
    assert "body.lines.0.quantity" in errors(reply)


def test_messages_name_the_format_not_the_regular_expression(stocked: ApiClient) -> None:
    listed = errors(stocked.get("/orders", query={"created_from": "yesterday"}))
    counted = errors(stocked.put("/inventory/MUG", {"on_hand": 1, "location": "no spaces"}))
    ordered = errors(stocked.post("/orders", {**ORDER, "currency": "euro"}))

    assert listed == {
        "query.created_from": "must be a date like 2026-01-31, or a date and time like 2026-01-31T09:30:00Z"
    }
    assert counted["body.location"].startswith("must be a location name")
    assert ordered["body.currency"] == "must be a three-letter ISO 4217 currency code such as USD"
    for text in (*listed.values(), *counted.values(), *ordered.values()):
        assert "^" not in text and "\\" not in text and "[" not in text


def test_a_validators_own_sentence_loses_pydantics_prefix(stocked: ApiClient) -> None:
    found = errors(stocked.post("/inventory/MUG/adjustments", {"delta": 0, "reason": "x"}))
    assert found == {"body": "delta must not be 0"}
    assert message(
        {"type": "string_pattern_mismatch", "msg": "x", "ctx": {"pattern": "^never-declared$"}}
    ) == ("is not in the accepted format")


def test_a_date_is_text(staff: ApiClient) -> None:
    assert "query.to" in errors(staff.get("/reports", query={"to": "0"}))  # not 1970-01-01
    assert staff.get("/reports", query={"to": "2026-01-31"}).status == 200


def test_a_customer_email_is_corrected_never_removed(stocked: ApiClient, admin: ApiClient) -> None:
    """PATCH {"email": null} used to drop the email but keep its claim: after an erasure every order
    with that email was a 503 for ever (found by the stateful phase)."""
    customer = stocked.post("/orders", ORDER).json()["customer_id"]

    assert "body" in errors(stocked.patch(f"/customers/{customer}", {"email": None}))
    assert "body" in errors(stocked.patch(f"/customers/{customer}", {"name": None}))
    assert admin.delete(f"/customers/{customer}").status == 200
    again = stocked.post("/orders", ORDER)

    assert again.status == 201, again.body
    assert again.json()["customer_id"] != customer


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "OPTIONS"])
def test_an_undeclared_method_is_a_404_problem_not_a_501(stocked: ApiClient, method: str) -> None:
    """Over a real socket: http.server itself answers 501 to a method it has no do_ handler for."""
    import http.client
    import threading

    from infra.local.gateway import serve

    server = serve(stocked.gateway, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        connection.request(method, "/orders", headers={"X-Api-Key": "dev-staff-key"})
        reply = connection.getresponse()
        assert reply.status == 404
        assert reply.getheader("Content-Type") == "application/problem+json"
        connection.close()
    finally:
        server.shutdown()
        server.server_close()

"""The local stack as a platform, a staff member and a new developer would use it."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import requests

from tests.e2e.conftest import ADMIN, POS, STAFF, VIEWER, WEB, Stack, start_stack


def totals(stock: dict[str, Any]) -> dict[str, Any]:
    return {k: stock[k] for k in ("sku", "on_hand", "reserved", "available")}


def new_sku() -> str:
    return f"E2E-{uuid.uuid4().hex[:10]}"


def stock_product(stack: Stack, on_hand: int, price: str = "19.99") -> str:
    sku = new_sku()
    assert (
        requests.put(
            f"{stack.api}/products/{sku}", json={"name": "Thing", "price": price}, headers=STAFF
        ).status_code
        == 201
    )
    assert (
        requests.put(f"{stack.api}/inventory/{sku}", json={"on_hand": on_hand}, headers=STAFF).status_code
        == 200
    )
    return sku


def order(sku: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "customer": {"email": "e2e@example.com", "name": "E2E"},
        "lines": [{"sku": sku, "quantity": quantity}],
        **extra,
    }


def test_health_answers_without_a_key(stack: Stack) -> None:
    reply = requests.get(f"{stack.api}/health", timeout=5)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_keys_are_required_and_roles_enforced(stack: Stack) -> None:
    missing = requests.get(f"{stack.api}/orders", timeout=5)
    assert missing.status_code == 401
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{stack.api}/orders", headers={"X-Api-Key": "nope"}, timeout=5).status_code == 401
    assert requests.get(f"{stack.api}/inventory/X", headers=WEB, timeout=5).status_code == 403
    assert requests.get(f"{stack.api}/no/such/route", headers=STAFF, timeout=5).status_code == 404


def test_each_default_key_has_its_role(stack: Stack) -> None:
    """dev-viewer-key reads, dev-staff-key also works, dev-admin-key also erases and connects."""
    product = {"name": "Roles", "price": "1.00"}
    for headers in (VIEWER, STAFF, ADMIN):
        assert requests.get(f"{stack.api}/orders", headers=headers, timeout=5).status_code == 200
    refused = requests.put(f"{stack.api}/products/ROLES-1", json=product, headers=VIEWER, timeout=5)
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"] == "This operation needs the staff role (or a higher one)."
    assert requests.get(f"{stack.api}/products/ROLES-1", headers=VIEWER, timeout=5).status_code == 404
    assert (
        requests.put(f"{stack.api}/products/ROLES-1", json=product, headers=STAFF, timeout=5).status_code
        == 201
    )
    for headers, status in ((STAFF, 403), (ADMIN, 404)):
        erase = requests.delete(f"{stack.api}/customers/no-such-customer", headers=headers, timeout=5)
        assert erase.status_code == status, erase.text


def test_the_local_stack_has_no_alarms_and_says_so(stack: Stack) -> None:
    reply = requests.get(f"{stack.api}/alarms", headers=VIEWER, timeout=5)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"source": "none", "detail": "The local stack has no alarms.", "items": []}
    assert requests.get(f"{stack.api}/alarms", headers=WEB, timeout=5).status_code == 403


def test_an_order_from_intake_to_tracking(stack: Stack) -> None:
    sku = stock_product(stack, on_hand=5)

    created = requests.post(
        f"{stack.api}/orders", json=order(sku, 2), headers={**WEB, "Idempotency-Key": "e2e-1" + sku}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["channel"], body["total"]) == ("CONFIRMED", "web", "39.98")

    replay = requests.post(
        f"{stack.api}/orders", json=order(sku, 2), headers={**WEB, "Idempotency-Key": "e2e-1" + sku}
    )
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["order_id"] == body["order_id"]

    short = requests.post(f"{stack.api}/orders", json=order(sku, 4), headers=WEB)
    assert short.status_code == 409
    assert short.json()["shortages"] == [{"sku": sku, "requested": 4, "available": 3}]

    assert totals(requests.get(f"{stack.api}/inventory/{sku}", headers=STAFF).json()) == {
        "sku": sku,
        "on_hand": 5,
        "reserved": 2,
        "available": 3,
    }
    assert requests.get(f"{stack.api}/orders/{body['order_id']}", headers=WEB).json() == body
    assert requests.get(f"{stack.api}/orders/{body['order_id']}", headers=POS).status_code == 404
    listed = requests.get(
        f"{stack.api}/orders", params={"channel": "web", "limit": 100}, headers=STAFF
    ).json()
    assert body["order_id"] in [o["order_id"] for o in listed["items"]]


def test_the_same_external_id_is_one_order(stack: Stack) -> None:
    sku = stock_product(stack, on_hand=5)
    external = f"SHOP-{sku}"
    first = requests.post(f"{stack.api}/orders", json=order(sku, external_id=external), headers=POS)
    second = requests.post(f"{stack.api}/orders", json=order(sku, external_id=external), headers=POS)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["order_id"] == second.json()["order_id"]
    assert requests.get(f"{stack.api}/inventory/{sku}", headers=STAFF).json()["reserved"] == 1


def test_bad_requests_get_problem_json(stack: Stack) -> None:
    url = f"{stack.api}/orders"
    invalid_json = requests.post(url, data=b"{oops", headers={**WEB, "Content-Type": "application/json"})
    assert invalid_json.status_code == 400
    wrong_type = requests.post(url, data=b"a=b", headers={**WEB, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    too_large = requests.post(
        url, data=b"[" + b" " * 300_000 + b"]", headers={**WEB, "Content-Type": "application/json"}
    )
    assert too_large.status_code == 413
    invalid = requests.post(url, json={"customer": {"email": "x", "name": ""}, "lines": []}, headers=WEB)
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {
        "body.customer.email",
        "body.customer.name",
        "body.lines",
    }
    for reply in (invalid_json, wrong_type, too_large, invalid):
        assert reply.headers["Content-Type"] == "application/problem+json"


def test_32_concurrent_buyers_over_http_never_oversell(stack: Stack) -> None:
    sku = stock_product(stack, on_hand=4)

    def buy(n: int) -> int:
        return requests.post(f"{stack.api}/orders", json=order(sku), headers=WEB, timeout=60).status_code

    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(buy, range(32)))

    assert statuses.count(201) == 4
    assert statuses.count(409) == 28
    assert totals(requests.get(f"{stack.api}/inventory/{sku}", headers=STAFF).json()) == {
        "sku": sku,
        "on_hand": 4,
        "reserved": 4,
        "available": 0,
    }


def test_staff_can_read_the_openapi_document_and_swagger_is_the_consoles(stack: Stack) -> None:
    document = requests.get(f"{stack.api}/openapi.json", headers=STAFF).json()
    assert "/orders" in document["paths"]
    swagger = requests.get(f"{stack.api}/swagger", allow_redirects=False)  # no key: a browser's first visit
    assert (swagger.status_code, swagger.headers["Location"]) == (302, "/console/swagger")


def test_the_aws_endpoint_serves_the_stack_tables_to_plain_boto3(stack: Stack) -> None:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    assert {"oms-orders", "oms-catalog", "oms-api-keys"} <= set(dynamodb.list_tables()["TableNames"])


def test_an_existing_endpoint_is_used_instead_of_the_embedded_one(stack: Stack) -> None:
    """OMS_AWS_ENDPOINT: a second stack uses the first one's AWS endpoint (as it would LocalStack)."""
    for second in start_stack({"OMS_AWS_ENDPOINT": stack.aws, "OMS_LOCAL_KEYS": "other-key=staff"}):
        sku = new_sku()
        headers = {"X-Api-Key": "other-key"}
        assert (
            requests.put(
                f"{second.api}/products/{sku}", json={"name": "x", "price": "1.00"}, headers=headers
            ).status_code
            == 201
        )
        # Same data, seen through the first stack: one AWS endpoint behind both.
        assert requests.get(f"{stack.api}/products/{sku}", headers=STAFF).status_code == 200

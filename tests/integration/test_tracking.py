"""The tracking page through the local gateway, against moto (KMS's HMAC key included): a signed link, the
lookup by order id and by external id, and one answer for every order not shown (issue 17)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from infra.spec import ORDERS, TRACKING_KEY
from shared.dal.orders import OrderStore
from shared.services.tracking_links import TrackingLinks
from shared.tracking_html import NOT_FOUND
from tests.support.http import ApiClient, Reply

EMAIL = "Grace.Hopper@Example.com"
ORDER = {
    "external_id": "#1001",
    "customer": {"email": EMAIL, "name": "Grace Hopper", "phone": "+1 202 867 5309"},
    "shipping_address": {
        "name": "Grace Hopper",
        "line1": "1 Compiler Way",
        "city": "Arlington",
        "postal_code": "VA 22201",
        "country": "US",
    },
    "lines": [{"sku": "TSHIRT", "quantity": 2}],
}
JSON = {"Accept": "application/json"}
PUBLIC = ApiClient(None)  # a customer: no key


@pytest.fixture
def shipped(stocked: ApiClient, web: ApiClient) -> str:
    order_id: str = web.post("/orders", ORDER).json()["order_id"]
    shipment = {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}
    assert stocked.post(f"/orders/{order_id}/shipments", shipment).status == 201
    return order_id


def links() -> TrackingLinks:
    return TrackingLinks(boto3.client("kms"), TRACKING_KEY.alias)


def track(query: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Reply:
    return PUBLIC.get("/track", key=None, query=query, headers=headers)


def test_moto_kms_makes_and_verifies_the_hmac_of_a_link(aws: Any) -> None:
    kms = boto3.client("kms")
    key = kms.describe_key(KeyId=TRACKING_KEY.alias)["KeyMetadata"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    order_id = "0b9c3a52-6f0e-4a43-9d5a-3d0b5f1f7e11"
    token = links().token(order_id)
    assert links().order_id_of(token) == order_id
    assert links().order_id_of(token[:-2] + ("AA" if token[-2:] != "AA" else "AQ")) is None


def test_a_signed_link_opens_the_order_as_html_and_as_json(shipped: str) -> None:
    token = links().token(shipped)
    page = PUBLIC.get(f"/track/{token}", key=None)
    assert page.status == 200, page.body
    html = page.body.decode()
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert "Shipped" in html and "Arlington" in html and "TSHIRT" in html
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    for hidden in ("Grace", "Hopper", "Example.com", "Compiler", "22201", "867 5309"):
        assert hidden not in html, hidden
    csp = page.header("Content-Security-Policy") or ""
    assert "default-src 'none'" in csp and "script-src" not in csp
    twin = PUBLIC.get(f"/track/{token}", key=None, headers=JSON)
    assert twin.status == 200 and twin.header("Content-Type") == "application/json"
    body = twin.json()
    assert body["order_id"] == shipped and body["status"] == "SHIPPED" and body["order_number"] == "#1001"
    assert body["shipments"][0]["carrier"] == "ups" and body["city"] == "Arlington"
    assert [e["status"] for e in body["timeline"]][-1] == "SHIPPED"


def test_the_lookup_by_order_id_or_external_id_with_email_or_postcode(shipped: str) -> None:
    for query in (
        {"order": shipped, "email": EMAIL.lower()},
        {"order": "#1001", "email": EMAIL.upper()},
        {"order": "#1001", "postcode": "va22201"},
    ):
        reply = track(query, JSON)
        assert reply.status == 200, (query, reply.body)
        assert reply.json()["order_id"] == shipped
    page = track({"order": "#1001", "email": EMAIL})
    assert page.status == 200 and "Shipped" in page.body.decode()


def test_the_index_holds_the_external_id_and_keys_only(shipped: str, aws: Any) -> None:
    store = OrderStore(aws, ORDERS.local_name, "")
    assert store.ids_by_external_id("#1001", 5) == [shipped]
    assert store.ids_by_external_id("#1002", 5) == []


def test_unknown_order_wrong_email_erased_customer_and_bad_link_get_one_answer(
    shipped: str, web: ApiClient, admin: ApiClient
) -> None:
    wrong_email = track({"order": "#1001", "email": "eve@example.com"}, JSON)
    probes = [
        track({"order": "#9999", "email": EMAIL}, JSON),  # no such order
        track({"order": "0b9c3a52-6f0e-4a43-9d5a-3d0b5f1f7e11", "email": EMAIL}, JSON),  # no such id
        track({"order": "#1001", "postcode": "00000"}, JSON),  # wrong postcode
        track({"order": "x" * 500, "email": EMAIL}, JSON),  # longer than any order number
        PUBLIC.get("/track/not-a-token", key=None, headers=JSON),
        PUBLIC.get(f"/track/{shipped}.{'A' * 43}", key=None, headers=JSON),  # a forged MAC
    ]
    assert wrong_email.status == 404
    assert wrong_email.json()["type"] == NOT_FOUND.type
    for probe in probes:
        assert (probe.status, probe.body) == (wrong_email.status, wrong_email.body)
    html_wrong = track({"order": "#1001", "email": "eve@example.com"})
    html_unknown = track({"order": "#9999", "email": EMAIL})
    assert html_wrong.status == html_unknown.status == 404
    assert html_wrong.body == html_unknown.body

    token = links().token(shipped)
    customer_id = web.get(f"/orders/{shipped}", key="dev-staff-key").json()["customer_id"]
    assert admin.delete(f"/customers/{customer_id}").status == 200
    erased = [
        PUBLIC.get(f"/track/{token}", key=None, headers=JSON),
        track({"order": "#1001", "email": EMAIL}, JSON),
        track({"order": shipped, "email": EMAIL}, JSON),
    ]
    for probe in erased:
        assert (probe.status, probe.body) == (wrong_email.status, wrong_email.body)


def test_a_query_with_both_or_neither_of_email_and_postcode_is_a_400(aws: Any) -> None:
    for query in (
        {"order": "#1001"},
        {"order": "#1001", "email": "a@b.c", "postcode": "X1"},
        {"email": "a@b.c"},
    ):
        reply = track(query, JSON)
        assert reply.status == 400 and reply.header("Content-Type") == "application/problem+json"
        page = track(query)
        assert page.status == 400 and '<form method="get"' in page.body.decode()


def test_the_form_is_served_without_a_query(aws: Any) -> None:
    page = track()
    assert page.status == 200
    html = page.body.decode()
    assert '<form method="get" action="">' in html and 'name="order"' in html and 'name="postcode"' in html
    assert "<script" not in html

"""The customers' tracking page on the running local stack, in real Chromium (issue 17): an order placed
and shipped over HTTP, its signed link made with the stack's KMS key, the page at 360 and 1280 px with the
shipment's tracking link, the JSON twin, and the enumeration probe answered like a wrong email."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from infra.spec import TRACKING_KEY
from shared.services.tracking_links import TrackingLinks
from tests.e2e.conftest import ROOT, STAFF, Stack
from tests.e2e.console_support import chromium

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "screenshots"  # where `make screenshots` puts the console's (git-ignored)
EMAIL = "Mary.Jackson@Example.org"
UPS = "https://www.ups.com/track?tracknum=1Z999AA10123456784"


@pytest.fixture(scope="module")
def shipped(stack: Stack) -> dict[str, str]:
    api = stack.api
    sku = f"TRK-{uuid.uuid4().hex[:8]}"
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Slide rule", "price": "12.00"}, headers=STAFF, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 5}, headers=STAFF, timeout=10).ok
    external_id = f"#T{uuid.uuid4().hex[:6]}"
    body = {
        "external_id": external_id,
        "customer": {"email": EMAIL, "name": "Mary Jackson"},
        "shipping_address": {
            "line1": "4 Wind Tunnel Road",
            "city": "Hampton",
            "postal_code": "VA 23681",
            "country": "US",
        },
        "lines": [{"sku": sku, "quantity": 2}],
    }
    placed = requests.post(f"{api}/orders", json=body, headers=STAFF, timeout=10)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    shipment = {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}
    shipped = requests.post(f"{api}/orders/{order_id}/shipments", json=shipment, headers=STAFF, timeout=10)
    assert shipped.status_code == 201, shipped.text
    kms = boto3.client(
        "kms",
        endpoint_url=stack.aws,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    token = TrackingLinks(kms, TRACKING_KEY.alias).token(order_id)
    return {"order_id": order_id, "external_id": external_id, "token": token, "sku": sku}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("width", [360, 1280])
def test_the_signed_link_opens_the_order_in_chromium(
    stack: Stack, shipped: dict[str, str], browser: Any, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        response = page.goto(f"{stack.api}/track/{shipped['token']}")
        assert response is not None and response.status == 200
        link = page.get_by_role("link", name="Track with ups")
        assert link.get_attribute("href") == UPS
        assert link.get_attribute("rel") == "noopener noreferrer"
        text = page.inner_text("main")
        assert "Shipped" in text and "Hampton" in text and shipped["sku"] in text
        assert "Mary" not in text and "Wind Tunnel" not in text and "23681" not in text
        # readable on a phone: nothing wider than the viewport
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # the inline style is allowed by its hash: the page is styled, and nothing was refused
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "640px"
        assert violations == []
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"tracking-{width}.png"), full_page=True)
    finally:
        context.close()


def test_the_lookup_form_finds_the_order_in_chromium(
    stack: Stack, shipped: dict[str, str], browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{stack.api}/track")
        page.get_by_label("Order number").fill(shipped["external_id"])
        page.get_by_label("Postcode of the delivery address").fill("va23681")
        page.get_by_role("button", name="Show my order").click()
        page.wait_for_load_state()
        assert page.get_by_role("link", name="Track with ups").get_attribute("href") == UPS
        SCREENSHOTS.mkdir(exist_ok=True)
        page.goto(f"{stack.api}/track")
        page.screenshot(path=str(SCREENSHOTS / "tracking-form-360.png"), full_page=True)
    finally:
        context.close()


def test_the_json_twin_and_the_enumeration_probe(stack: Stack, shipped: dict[str, str]) -> None:
    api = stack.api
    twin = requests.get(f"{api}/track/{shipped['token']}", headers={"Accept": "application/json"}, timeout=10)
    assert twin.status_code == 200 and twin.headers["Content-Type"] == "application/json"
    body = twin.json()
    assert (body["order_id"], body["status"]) == (shipped["order_id"], "SHIPPED")
    assert body["shipments"][0]["tracking_url"] == UPS

    def lookup(order: str, email: str) -> requests.Response:
        return requests.get(f"{api}/track", params={"order": order, "email": email}, timeout=10)

    wrong_email = lookup(shipped["external_id"], "someone.else@example.org")
    probe = lookup(f"#T{uuid.uuid4().hex[:6]}", EMAIL)  # an order that does not exist
    assert wrong_email.status_code == probe.status_code == 404
    assert wrong_email.content == probe.content
    assert lookup(shipped["external_id"], EMAIL.upper()).status_code == 200

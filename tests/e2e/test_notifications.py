"""Customer email on the running local stack: an order placed with the staff key and shipped over HTTP;
the bus's events reach the notifications queue through the rule, the poller runs the function, moto's
SES sends, and ``GET /_local/emails`` shows the confirmation and the shipment, each once, to the
customer, the shipment's with the signed tracking link.

Needs the tracking helper's pieces of issue 17 (``shared.services.tracking_links``,
``shared.domain.tracking_page``, ``OMS_PUBLIC_URL``): the links are theirs."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from tests.e2e.conftest import STAFF, Stack
from tests.e2e.test_marketplace_feed import ensure_stock
from tests.support.waiting import wait_until


def emails_to(stack: Stack, address: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{stack.api}/_local/emails", timeout=10)
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["emails"] if address in e["to"]]


def test_confirmation_and_shipment_each_once_with_the_tracking_link(stack: Stack) -> None:
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    ensure_stock(stack, sku, 5)
    address = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    external_id = f"N-{uuid.uuid4().hex[:8]}"
    order = {
        "external_id": external_id,
        "customer": {"email": address, "name": "Jane <b>Doe</b>"},
        "shipping_address": {"line1": "Hauptstrasse 5", "city": "Berlin", "country": "DE"},
        "lines": [{"sku": sku, "quantity": 1}],
    }
    placed = requests.post(f"{stack.api}/orders", json=order, headers=STAFF, timeout=10)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    tracking_number = f"1Z{uuid.uuid4().hex[:12].upper()}"
    shipped = requests.post(
        f"{stack.api}/orders/{order_id}/shipments",
        json={"carrier": "ups", "tracking_number": tracking_number},
        headers=STAFF,
        timeout=10,
    )
    assert shipped.status_code in (200, 201), shipped.text

    assert wait_until(lambda: len(emails_to(stack, address)) >= 2, timeout=60), emails_to(stack, address)
    time.sleep(3)  # anything more would be a duplicate
    emails = emails_to(stack, address)
    subjects = sorted(e["subject"] for e in emails)
    assert subjects == sorted([f"Order {external_id} confirmed", f"Order {external_id} has shipped"])
    (shipment,) = [e for e in emails if e["subject"].endswith("has shipped")]
    assert f'href="{stack.api}/track/' in shipment["body"]
    assert tracking_number in shipment["body"]
    assert "Jane &lt;b&gt;Doe&lt;/b&gt;" in shipment["body"]  # the name escaped in the HTML part
    assert all(e["to"] == [address] for e in emails)

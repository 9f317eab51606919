"""Issue 17's whole path on the running local stack, as a shop lives it: one order placed by the web store
and shipped by staff, then what the customer and the shop's other systems see of it.

* the customer's emails in moto's SES (``GET /_local/emails``): the confirmation and the shipment, each once;
* the signed link *taken from the shipment email*, opened in Chromium: the tracking page with the carrier's
  tracking link;
* a receiver on 127.0.0.1 registered by an admin: ``order.created`` and ``order.shipped``, each verified
  with ``standardwebhooks`` against the secret shown once;
* the enumeration probe (an order that does not exist) answered exactly like a wrong email.

Every hop is the deployed code: the orders stream, order_events, the bus, both event rules, the queues'
pollers, the notifications and webhooks functions, the tracking function behind the gateway."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ADMIN, ROOT, STAFF, WEB, Stack
from tests.e2e.console_support import chromium
from tests.e2e.test_marketplace_feed import ensure_stock
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import receiver

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "screenshots"
TRACKING_NUMBER = "1Z999AA10123456784"
UPS_LINK = f"https://www.ups.com/track?tracknum={TRACKING_NUMBER}"


def emails_to(stack: Stack, address: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{stack.api}/_local/emails", timeout=10)
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["emails"] if address in e["to"]]


def test_an_order_placed_and_shipped_keeps_the_customer_and_the_shop_informed(stack: Stack) -> None:
    with receiver() as hook:
        registered = requests.post(
            f"{stack.api}/webhooks",
            json={"url": hook.url, "events": ["order.created", "order.shipped"], "description": "ERP"},
            headers=ADMIN,
            timeout=10,
        )
        assert registered.status_code == 201, registered.text
        endpoint_id, secret = registered.json()["endpoint_id"], registered.json()["secret"]
        assert secret.startswith("whsec_")
        listed = requests.get(f"{stack.api}/webhooks/{endpoint_id}", headers=ADMIN, timeout=10).json()
        assert "secret" not in listed  # shown once, never again

        sku = f"INF-{uuid.uuid4().hex[:8]}"
        ensure_stock(stack, sku, 5)
        address = f"ada-{uuid.uuid4().hex[:8]}@example.com"
        external_id = f"W-{uuid.uuid4().hex[:8]}"
        placed = requests.post(
            f"{stack.api}/orders",
            json={
                "external_id": external_id,
                "customer": {"email": address, "name": "Ada Lovelace"},
                "shipping_address": {"line1": "12 St James's Square", "city": "London", "country": "GB"},
                "lines": [{"sku": sku, "quantity": 1}],
            },
            headers=WEB,
            timeout=10,
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        shipped = requests.post(
            f"{stack.api}/orders/{order_id}/shipments",
            json={"carrier": "ups", "tracking_number": TRACKING_NUMBER},
            headers=STAFF,
            timeout=10,
        )
        assert shipped.status_code == 201, shipped.text

        # The customer: a confirmation and a shipment email, each once.
        assert wait_until(lambda: len(emails_to(stack, address)) >= 2, timeout=90), emails_to(stack, address)
        time.sleep(3)  # a duplicate would have arrived by now: the same pollers sent both
        emails = emails_to(stack, address)
        assert sorted(e["subject"] for e in emails) == [
            f"Order {external_id} confirmed",
            f"Order {external_id} has shipped",
        ]
        (shipment_email,) = [e for e in emails if e["subject"].endswith("has shipped")]
        links = re.findall(rf'href="({re.escape(stack.api)}/track/[^"]+)"', shipment_email["body"])
        assert links, shipment_email["body"]

        # The signed link from the email, in Chromium: the page shows the carrier's tracking link.
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            response = page.goto(links[0])
            assert response is not None and response.status == 200
            assert page.get_by_role("link", name="Track with ups").get_attribute("href") == UPS_LINK
            text = page.inner_text("main")
            assert "London" in text and "Ada" not in text and address not in text
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "tracking-from-email-1280.png"), full_page=True)

        # The shop's other system: two deliveries, each verified with the secret shown at registration.
        verified: dict[str, Any] = {}

        def both_delivered() -> bool:
            with hook.lock:
                received = list(hook.received)
            for got in received:
                payload = got.verified(secret)  # raises on a bad signature or a stale timestamp
                if payload["data"].get("order_id") == order_id:
                    verified[payload["type"]] = payload
            return {"order.created", "order.shipped"} <= set(verified)

        assert wait_until(both_delivered, timeout=90), [r.headers for r in hook.received]
        assert verified["order.shipped"]["data"]["shipments"][0]["tracking_number"] == TRACKING_NUMBER
        assert verified["order.shipped"]["data"]["version"] >= verified["order.created"]["data"]["version"]
        requests.delete(f"{stack.api}/webhooks/{endpoint_id}", headers=ADMIN, timeout=10)

    # Enumeration: an order that does not exist is answered exactly as a wrong email for a real one.
    def lookup(order: str, email: str) -> requests.Response:
        return requests.get(f"{stack.api}/track", params={"order": order, "email": email}, timeout=10)

    wrong_email = lookup(external_id, "someone.else@example.com")
    probe = lookup(f"W-{uuid.uuid4().hex[:8]}", address)
    assert (wrong_email.status_code, wrong_email.content) == (probe.status_code, probe.content)
    assert wrong_email.status_code == 404
    assert lookup(external_id, address.upper()).status_code == 200

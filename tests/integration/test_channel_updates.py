"""An order's whole life over the feed queue: later versions from Amazon, eBay and Shopify update the
order the first version created (priced, cancelled, shipped, refunded), stale ones are ignored, what
the lifecycle refuses is raised for staff, and a line without a SKU waits in the DLQ for its listing.

The documents are the platforms' own (tests/fixtures/*/README.md says where each comes from); where a
later version is needed, it is the same document with only the fields that version changes changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_marketplace_feed import Feed, stock
from tests.support.http import ApiClient

FIXTURES = Path("tests/fixtures")
AMAZON_SKU = "NABetaASINB00551Q3CS"  # the SellerSKU of Amazon's published Orders v0 examples


def fixture(platform: str, name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / platform / f"{name}.json").read_text()))


def message(marketplace: str, order: dict[str, Any], **envelope: Any) -> str:
    return json.dumps({"marketplace": marketplace, "order": order, **envelope})


@pytest.fixture
def channels(staff: ApiClient) -> ApiClient:
    for sku, price in ((AMAZON_SKU, "10.00"), ("EBAY-LAMP", "30.00"), ("SKU2006-001", "199.00")):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": price}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": 10}).status == 200
    for sku in ("LENS-PROTECT-2YR", "CASE-LEATHER-PREM", "SKU2006-020", "SKU2006-035"):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": "10.00"}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": 10}).status == 200
    return staff


@pytest.fixture
def feed(channels: ApiClient) -> Feed:
    return Feed()


def the_order(staff: ApiClient, channel: str, external_id: str) -> dict[str, Any]:
    [order] = staff.get("/orders", query={"channel": channel, "external_id": external_id}).json()["items"]
    return dict(order)


def levels(staff: ApiClient, sku: str) -> tuple[int, int, int]:
    s = stock(staff, sku)
    return s["on_hand"], s["reserved"], s["available"]


def paid(pending: dict[str, Any]) -> dict[str, Any]:
    """Amazon's Pending example as it reads once paid: Unshipped, a later LastUpdateDate, and the
    item priced (ItemPrice, ItemTax), as in the published Unshipped example."""
    order = copy.deepcopy(pending)
    order["OrderStatus"] = "Unshipped"
    order["LastUpdateDate"] = "2017-01-20T20:15:02Z"
    order["OrderTotal"] = {"CurrencyCode": "USD", "Amount": "11.01"}
    for item in order["OrderItems"]:
        item["ItemPrice"] = {"CurrencyCode": "USD", "Amount": "10.00"}
        item["ItemTax"] = {"CurrencyCode": "USD", "Amount": "1.01"}
    return order


def test_a_pending_amazon_order_reserves_then_its_update_prices_and_confirms_it(
    feed: Feed, channels: ApiClient
) -> None:
    pending = fixture("amazon", "pending")
    feed.send(message("amazon", pending))
    feed.run()
    order = the_order(channels, "amazon", pending["AmazonOrderId"])
    assert (order["status"], order["version"]) == ("PENDING_PAYMENT", 1)
    assert order["lines"][0]["unit_price"] == "10.00"  # the catalog's, until Amazon prices it
    assert levels(channels, AMAZON_SKU) == (10, 1, 9)  # pending reserves

    feed.send(message("amazon", paid(pending)))
    feed.run()
    order = the_order(channels, "amazon", pending["AmazonOrderId"])
    assert (order["status"], order["version"]) == ("CONFIRMED", 2)  # the channel's update is a change
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("10.00", "1.01", "11.01")
    assert levels(channels, AMAZON_SKU) == (10, 1, 9)  # the same unit, reserved once
    assert [h["status"] for h in order["history"]] == ["PENDING_PAYMENT", "CONFIRMED"]
    assert feed.dead_letters() == []


def test_a_cancellation_releases_the_stock_exactly_once_and_a_stale_version_is_ignored(
    feed: Feed, channels: ApiClient
) -> None:
    unshipped, canceled = fixture("amazon", "unshipped_buyer_cancel"), fixture("amazon", "canceled")
    feed.send(message("amazon", unshipped))
    feed.run()
    assert levels(channels, AMAZON_SKU) == (10, 1, 9)

    feed.send(message("amazon", canceled), message("amazon", canceled))  # a resend too
    feed.run()
    order = the_order(channels, "amazon", unshipped["AmazonOrderId"])
    assert order["status"] == "CANCELLED"
    assert levels(channels, AMAZON_SKU) == (10, 0, 10)

    feed.send(message("amazon", unshipped))  # older LastUpdateDate: stale, ignored
    feed.run()
    again = the_order(channels, "amazon", unshipped["AmazonOrderId"])
    assert again["status"] == "CANCELLED" and again["updated_at"] == order["updated_at"]
    assert again["version"] == order["version"] == 2  # a stale version changes nothing
    assert levels(channels, AMAZON_SKU) == (10, 0, 10)
    assert len(channels.get("/orders", query={"channel": "amazon"}).json()["items"]) == 1
    assert feed.dead_letters() == []


def test_an_fba_order_is_recorded_and_reserves_nothing(feed: Feed, channels: ApiClient) -> None:
    afn = fixture("amazon", "afn_shipped_de")
    feed.send(message("amazon", afn))
    feed.run()
    order = the_order(channels, "amazon", afn["AmazonOrderId"])
    assert order["status"] == "FULFILLED_BY_CHANNEL" and order["fulfilled_by_channel"] is True
    assert (order["currency"], order["total"], order["taxes_included"]) == ("EUR", "100.00", True)
    assert levels(channels, AMAZON_SKU) == (10, 0, 10)
    assert order["shipments"] == []


def test_a_cancellation_after_shipment_is_raised_for_staff_and_resolved_by_them(
    feed: Feed, channels: ApiClient
) -> None:
    unshipped, canceled = fixture("amazon", "unshipped_buyer_cancel"), fixture("amazon", "canceled")
    feed.send(message("amazon", unshipped))
    feed.run()
    order = the_order(channels, "amazon", unshipped["AmazonOrderId"])
    shipped = channels.post(
        f"/orders/{order['order_id']}/shipments", {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}
    )
    assert shipped.status == 201
    assert levels(channels, AMAZON_SKU) == (9, 0, 9)

    feed.send(message("amazon", canceled))
    feed.run()
    order = the_order(channels, "amazon", unshipped["AmazonOrderId"])
    assert order["status"] == "SHIPPED"
    assert levels(channels, AMAZON_SKU) == (9, 0, 9)  # nothing released twice, nothing lost
    details = [a["detail"] for a in order["attention"] if a["kind"] == "update-refused"]
    assert details == ["cancelled on the channel after 1 unit(s) shipped"]
    # The buyer's cancel request in the first version was raised too
    assert any(a["kind"] == "channel" and "buyer requested" in a["detail"] for a in order["attention"])

    listed = channels.get("/orders", query={"attention": "true"}).json()["items"]
    assert [o["order_id"] for o in listed] == [order["order_id"]]
    for item in order["attention"]:
        reply = channels.post(
            f"/orders/{order['order_id']}/attention/{item['attention_id']}/resolution",
            {"resolution": "refunded on Amazon; the parcel is on its way back"},
        )
        assert reply.status == 200, reply.json()
    resolved = the_order(channels, "amazon", unshipped["AmazonOrderId"])
    assert all(
        a["resolved_by"] == "staff:" + a["resolved_by"].split(":", 1)[1] for a in resolved["attention"]
    )
    assert all(a["resolution"] for a in resolved["attention"])
    assert channels.get("/orders", query={"attention": "true"}).json()["items"] == []


def test_an_ebay_line_without_a_sku_waits_for_its_listing_then_the_resend_is_recorded(
    feed: Feed, channels: ApiClient
) -> None:
    document = fixture("ebay", "fulfilled_without_sku")
    listing = document["lineItems"][0]["legacyItemId"]
    feed.send(message("ebay", document))
    feed.run()
    [dead] = feed.dead_letters()
    reason = dead["MessageAttributes"]["oms_reason"]["StringValue"]
    assert listing in reason and f"PUT /channels/ebay/listings/{listing}" in reason
    assert channels.get("/orders", query={"channel": "ebay"}).json()["items"] == []

    mapped = channels.put(f"/channels/ebay/listings/{listing}", {"sku": "EBAY-LAMP"})
    assert mapped.status == 200 and mapped.json()["sku"] == "EBAY-LAMP"
    assert channels.put(f"/channels/ebay/listings/{listing}", {"sku": "NO-SUCH-SKU"}).status == 422

    feed.send(dead["Body"])  # as a redrive does
    feed.run()
    order = the_order(channels, "ebay", document["orderId"])
    assert order["status"] == "SHIPPED"  # FULFILLED on eBay: shipped outside the OMS
    assert order["lines"][0]["sku"] == "EBAY-LAMP"
    assert order["total"] == document["pricingSummary"]["total"]["value"]
    assert levels(channels, "EBAY-LAMP") == (9, 0, 9)  # the unit left the shelf


def test_a_shopify_order_and_its_cancellation_over_the_feed(feed: Feed, channels: ApiClient) -> None:
    created = fixture("shopify", "orders_create")
    feed.send(message("shopify", created, channel="myshop", topic="orders/create"))
    feed.run()
    order = the_order(channels, "myshop", str(created["id"]))
    assert order["status"] == "CONFIRMED"
    assert order["total"] == created["total_price"]
    assert levels(channels, "SKU2006-001") == (10, 1, 9)

    cancelled = copy.deepcopy(created)  # Shopify's orders/cancelled: the same order, cancelled
    cancelled.update(
        cancelled_at="2026-11-24T10:00:00-05:00",
        cancel_reason="customer",
        updated_at="2026-11-24T10:00:00-05:00",
        financial_status="voided",
    )
    feed.send(message("shopify", cancelled, channel="myshop", topic="orders/cancelled"))
    feed.run()
    assert the_order(channels, "myshop", str(created["id"]))["status"] == "CANCELLED"
    assert levels(channels, "SKU2006-001") == (10, 0, 10)
    assert feed.dead_letters() == []


def test_a_shopify_message_needs_its_connection_channel(feed: Feed) -> None:
    feed.send(message("shopify", fixture("shopify", "orders_create"), topic="orders/create"))
    feed.run()
    [dead] = feed.dead_letters()
    assert "channel is required" in dead["MessageAttributes"]["oms_reason"]["StringValue"]


def test_the_sample_events_create_then_cancel_and_take_a_shopify_hook_message(
    feed: Feed, staff: ApiClient
) -> None:
    from tests.integration.test_marketplace_feed import sample_bodies

    for sku, price in (("TSHIRT-RED-M", "19.99"), ("MUG-WHITE", "8.50")):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": price}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": 5}).status == 200
    feed.send(*sample_bodies("amazon"))
    feed.run()
    assert levels(staff, "TSHIRT-RED-M") == (5, 2, 3)
    feed.send(*sample_bodies("amazon_cancelled"))
    feed.run()
    [order] = staff.get("/orders", query={"channel": "amazon"}).json()["items"]
    assert order["status"] == "CANCELLED"
    assert levels(staff, "TSHIRT-RED-M") == (5, 0, 5)
    feed.send(*sample_bodies("shopify"))
    feed.run()
    [shop_order] = staff.get("/orders", query={"channel": "myshop"}).json()["items"]
    assert shop_order["status"] == "CONFIRMED" and shop_order["placed_at"]
    assert feed.dead_letters() == []


# --- over the hook route ------------------------------------------------------------------------------

SHOPIFY_SECRET = "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"


def shopify_delivery(
    client: ApiClient, document: dict[str, Any], topic: str, webhook_id: str, **headers: str
) -> Any:
    from shared.domain.hooks import sign

    body = json.dumps(document).encode()
    sent = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": sign(body, SHOPIFY_SECRET),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
        **headers,
    }
    return client.post("/hooks/shopify/myshop", key=None, raw=body, headers=sent)


def test_a_shopify_webhook_is_verified_applied_once_and_its_cancellation_releases_the_stock(
    feed: Feed, channels: ApiClient, admin: ApiClient
) -> None:
    assert (
        admin.put("/channels/myshop/connection", {"platform": "shopify", "secret": SHOPIFY_SECRET}).status
        == 201
    )
    created = fixture("shopify", "orders_create")

    forged = shopify_delivery(channels, created, "orders/create", "w-0", **{"X-Shopify-Hmac-Sha256": "AAAA"})
    assert forged.status == 401
    assert feed.run() == 0  # nothing was queued
    assert channels.get("/orders", query={"channel": "myshop"}).json()["items"] == []

    assert shopify_delivery(channels, created, "orders/create", "w-1").status == 200
    assert shopify_delivery(channels, created, "orders/create", "w-1").json() == {"status": "duplicate"}
    # Shopify may also send the same order again under another delivery id (orders/updated, same content)
    assert shopify_delivery(channels, created, "orders/updated", "w-2").status == 200
    feed.run()
    order = the_order(channels, "myshop", str(created["id"]))
    assert order["status"] == "CONFIRMED" and order["total"] == created["total_price"]
    assert len(channels.get("/orders", query={"channel": "myshop"}).json()["items"]) == 1
    assert levels(channels, "SKU2006-001") == (10, 1, 9)

    cancelled = copy.deepcopy(created)
    cancelled.update(
        cancelled_at="2026-11-24T10:00:00-05:00",
        cancel_reason="customer",
        updated_at="2026-11-24T10:00:00-05:00",
        financial_status="voided",
    )
    assert shopify_delivery(channels, cancelled, "orders/cancelled", "w-3").status == 200
    feed.run()
    assert the_order(channels, "myshop", str(created["id"]))["status"] == "CANCELLED"
    assert levels(channels, "SKU2006-001") == (10, 0, 10)
    assert feed.dead_letters() == []

"""The webhook routes and platform connections through the local gateway, against moto (KMS included)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.spec import API_KEYS, CONNECTIONS, HOOK_DELIVERIES, MARKETPLACE_ORDERS
from shared.dal.api_keys import ApiKeyStore, ChannelInUse, hash_key
from shared.domain.hooks import sign
from shared.models.feeds import FeedMessage
from tests.support.http import ApiClient, Reply
from tests.support.queues import take_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hooks"
SHOPIFY_ORDER = (FIXTURES / "shopify_orders_create.json").read_bytes()
WOO_ORDER = (FIXTURES / "woocommerce_order.json").read_bytes()
SECRET = "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"
WOO_SECRET = "wc-webhook-secret-9d8c7b6a"
WEBHOOK_ID = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def feed(aws: Any) -> list[dict[str, Any]]:
    return take_all(boto3.client("sqs"), os.environ[MARKETPLACE_ORDERS.env_var])


def connect(admin: ApiClient, channel: str, platform: str, secret: str) -> Reply:
    return admin.put(f"/channels/{channel}/connection", {"platform": platform, "secret": secret})


def shopify_hook(
    client: ApiClient,
    channel: str = "shop-us",
    *,
    body: bytes = SHOPIFY_ORDER,
    secret: str = SECRET,
    extra: dict[str, str] | None = None,
) -> Reply:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": WEBHOOK_ID,
        "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
        "X-Shopify-API-Version": "2025-10",
        **(extra or {}),
    }
    return client.post(f"/hooks/shopify/{channel}", key=None, raw=body, headers=headers)


def woo_hook(
    client: ApiClient, channel: str = "woo-eu", *, body: bytes = WOO_ORDER, secret: str = WOO_SECRET
) -> Reply:
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://example.com/",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Delivery-ID": "0f3b2ab8c2f14c0e9a4b5e6f7a8b9c0d",
    }
    return client.post(f"/hooks/woocommerce/{channel}", key=None, raw=body, headers=headers)


@pytest.fixture
def shop(admin: ApiClient) -> ApiClient:
    assert connect(admin, "shop-us", "shopify", SECRET).status == 201
    return admin


# --- connections ------------------------------------------------------------------------------------


def test_a_connection_is_shown_without_its_secret(admin: ApiClient, aws: Any) -> None:
    put = connect(admin, "shop-us", "shopify", SECRET)
    assert put.status == 201
    view = put.json()
    assert {k: v for k, v in view.items() if k != "created_at"} == {
        "channel": "shop-us",
        "platform": "shopify",
        "hook_path": "/hooks/shopify/shop-us",
        "rotated_at": None,
        "active_secrets": 1,
        "previous_secret_expires_at": None,
    }
    got = admin.get("/channels/shop-us/connection")
    assert (got.status, got.json()) == (200, view)
    assert SECRET.encode() not in put.body + got.body

    # stored sealed: the item holds KMS ciphertext, never the secret
    item = aws.get_item(TableName=CONNECTIONS.local_name, Key={"pk": {"S": "CHANNEL#shop-us"}})["Item"]
    assert item["owner"] == {"S": "connection"}
    assert len(item["secrets"]["L"][0]["M"]["ciphertext"]["B"]) > len(SECRET)
    # the seeded channel keys claimed theirs
    web = aws.get_item(TableName=CONNECTIONS.local_name, Key={"pk": {"S": "CHANNEL#web"}})["Item"]
    assert web["owner"] == {"S": "api_key"}
    assert SECRET.encode() not in json.dumps(item, default=lambda b: base64.b64encode(b).decode()).encode()
    assert SECRET not in str(item)


def test_rotation_keeps_both_secrets_and_the_same_secret_changes_nothing(shop: ApiClient) -> None:
    rotated = connect(shop, "shop-us", "shopify", "shpss_the_next_secret_0001")
    assert rotated.status == 200
    assert rotated.json()["active_secrets"] == 2
    assert (
        rotated.json()["rotated_at"] is not None and rotated.json()["previous_secret_expires_at"] is not None
    )

    again = connect(shop, "shop-us", "shopify", "shpss_the_next_secret_0001")
    assert (again.status, again.json()) == (200, rotated.json())

    assert shopify_hook(shop, secret=SECRET).status == 200
    assert (
        shopify_hook(shop, secret="shpss_the_next_secret_0001", extra={"X-Shopify-Webhook-Id": "2nd"}).status
        == 200
    )
    assert (
        shopify_hook(shop, secret="shpss_never_set_000", extra={"X-Shopify-Webhook-Id": "3rd"}).status == 401
    )


def test_connections_are_admin_only(
    shop: ApiClient, web: ApiClient, staff: ApiClient, viewer: ApiClient
) -> None:
    for caller in (web, staff, viewer):
        refused = caller.put("/channels/shop-us/connection", {"platform": "shopify", "secret": "shpss_other"})
        assert refused.status == 403, refused.body
        assert caller.get("/channels/shop-us/connection").status == 403
    assert shop.get("/channels/shop-us/connection").json()["rotated_at"] is None  # nothing changed


def test_a_channel_of_api_keys_gets_no_connection(admin: ApiClient, aws: Any) -> None:
    refused = connect(admin, "web", "shopify", SECRET)  # dev-web-key's channel (claimed with the key)
    assert refused.status == 409
    assert refused.json()["type"] == "urn:oms:problem:channel-in-use"
    assert admin.get("/channels/web/connection").status == 404

    # a key made before channels were claimed has no claim item: the channel index still finds it
    aws.put_item(
        TableName=API_KEYS.local_name,
        Item={
            "pk": {"S": hash_key("legacy-key")},
            "key_id": {"S": "legacy"},
            "role": {"S": "channel"},
            "channel": {"S": "legacy"},
        },
    )
    assert connect(admin, "legacy", "woocommerce", WOO_SECRET).status == 409


def test_a_connected_channel_gets_no_api_key(shop: ApiClient, aws: Any) -> None:
    keys = ApiKeyStore(aws, API_KEYS.local_name, CONNECTIONS.local_name)
    with pytest.raises(ChannelInUse):
        keys.put("oms_new-key-for-shop", "channel", "shop-us", name="would read the store's orders")
    assert keys.lookup("oms_new-key-for-shop") is None  # the key's own write was cancelled with the claim
    keys.put("oms_another-web-key", "channel", "web", name="a second key of a key channel is fine")
    assert keys.lookup("oms_another-web-key") is not None


def test_refusals_name_fields_not_secrets(shop: ApiClient) -> None:
    mismatch = connect(shop, "shop-us", "woocommerce", WOO_SECRET)
    assert (mismatch.status, mismatch.json()["type"]) == (409, "urn:oms:problem:platform-mismatch")
    reserved = connect(shop, "amazon", "shopify", SECRET)
    assert (reserved.status, reserved.json()["errors"][0]["field"]) == (422, "channel")
    short = connect(shop, "shop-eu", "shopify", "short")
    assert short.status == 422
    assert b"short" not in short.body.replace(b"too_short", b"").replace(b"string_too_short", b"")
    assert (
        shop.put("/channels/shop-eu/connection", {"platform": "bigcommerce", "secret": SECRET}).status == 422
    )
    assert SECRET.encode() not in mismatch.body + reserved.body


def test_the_connection_routes_are_in_the_openapi_document(staff: ApiClient) -> None:
    paths = staff.get("/openapi.json").json()["paths"]
    assert set(paths["/channels/{channel}/connection"]) == {"get", "put"}
    schema = json.dumps(paths["/channels/{channel}/connection"]["put"])
    # the platforms' hooks (/hooks/...) are not the API function's
    assert "ConnectionIn" in schema and not [p for p in paths if p.startswith("/hooks/")]


# --- the hooks --------------------------------------------------------------------------------------


def test_a_signed_shopify_order_lands_on_the_feed_once(
    shop: ApiClient, aws: Any, caplog: pytest.LogCaptureFixture
) -> None:
    first = shopify_hook(shop)
    assert (first.status, first.json()) == (200, {"status": "accepted"})
    (message,) = feed(aws)
    envelope = FeedMessage.model_validate(message)
    assert (envelope.marketplace, envelope.channel, envelope.topic, envelope.webhook_id) == (
        "shopify",
        "shop-us",
        "orders/create",
        WEBHOOK_ID,
    )
    assert envelope.order == json.loads(SHOPIFY_ORDER)
    assert envelope.order["line_items"][0]["sku"] == "IPOD2008PINK"

    resend = shopify_hook(shop)  # Shopify retries with the same X-Shopify-Webhook-Id
    assert (resend.status, resend.json()) == (200, {"status": "duplicate"})
    assert feed(aws) == []
    (claim,) = aws.scan(TableName=HOOK_DELIVERIES.local_name)["Items"]
    assert claim["pk"] == {"S": f"shopify#shop-us#{WEBHOOK_ID}"}

    # the log says what happened, with identifiers only: never the buyer, the address or the secret
    hook_lines = [r for r in caplog.records if r.getMessage().startswith("hook ")]
    assert [r.getMessage() for r in hook_lines] == ["hook accepted", "hook duplicate"]
    assert hook_lines[0].__dict__["shop_domain"] == "jsmith.myshopify.com"
    logs = " ".join(str(r.__dict__) for r in caplog.records)
    for personal in (
        "jon@example.com",
        "john@example.com",
        "Steve",
        "Shipping Street",
        "555-555-SHIP",
        SECRET,
    ):
        assert personal not in logs


def test_a_bad_signature_is_401_and_nothing_is_written(shop: ApiClient, aws: Any) -> None:
    for reply in (
        shopify_hook(shop, secret="not-the-secret-000"),
        shopify_hook(shop, extra={"X-Shopify-Hmac-Sha256": ""}),
        shopify_hook(shop, "nobody"),
        shopify_hook(shop, "web"),
    ):
        assert reply.status == 401
        assert reply.header("Content-Type") == "application/problem+json"
        assert reply.json() == {
            "type": "urn:oms:problem:unauthorized",
            "title": "Unauthorized",
            "status": 401,
            "detail": "The webhook signature is missing or does not match this channel's connection.",
            "instance": reply.json()["instance"],
        }
    assert feed(aws) == []
    assert aws.scan(TableName=HOOK_DELIVERIES.local_name)["Items"] == []


def test_the_woocommerce_ping_is_200_and_records_nothing(admin: ApiClient, aws: Any) -> None:
    assert connect(admin, "woo-eu", "woocommerce", WOO_SECRET).status == 201
    ping = admin.post(
        "/hooks/woocommerce/woo-eu",
        key=None,
        raw=b"webhook_id=17",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "WooCommerce/9.4 Hookshot",
        },
    )
    assert (ping.status, ping.json()) == (200, {"status": "ping"})
    assert feed(aws) == []
    assert aws.scan(TableName=HOOK_DELIVERIES.local_name)["Items"] == []

    order = woo_hook(admin)
    assert (order.status, order.json()) == (200, {"status": "accepted"})
    (message,) = feed(aws)
    assert (message["marketplace"], message["channel"], message["topic"]) == (
        "woocommerce",
        "woo-eu",
        "order.created",
    )
    assert message["order"]["id"] == 727 and message["order"]["total"] == "29.35"


def test_a_shopify_hook_on_a_woocommerce_channel_is_refused(admin: ApiClient, aws: Any) -> None:
    assert connect(admin, "woo-eu", "woocommerce", WOO_SECRET).status == 201
    assert shopify_hook(admin, "woo-eu", secret=WOO_SECRET).status == 401
    assert feed(aws) == []


def test_not_json_after_a_good_signature_is_400_and_a_huge_body_413(shop: ApiClient, aws: Any) -> None:
    bad = shopify_hook(shop, body=b"<order/>")
    assert (bad.status, bad.json()["detail"]) == (400, "The body is not a JSON object.")
    huge = shopify_hook(shop, body=b'{"a": "' + b"x" * 300_000 + b'"}')
    assert huge.status == 413
    assert feed(aws) == []


def test_a_sealed_secret_opens_only_for_its_own_channel(aws: Any) -> None:
    from botocore.exceptions import ClientError

    from shared.dal.secrets import SecretCipher

    cipher = SecretCipher(boto3.client("kms"), "alias/oms-secrets")
    sealed = cipher.encrypt(SECRET, "shop-us")
    assert cipher.decrypt(sealed, "shop-us") == SECRET
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        cipher.decrypt(sealed, "shop-eu")

"""Webhook signatures, the WooCommerce ping, and the receiver's steps, on the platforms' own payloads."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.dal.connections import ChannelTaken
from shared.domain import hooks
from shared.domain.connections import Connection, SealedSecret
from shared.domain.hooks import Delivery, is_woocommerce_ping, sign, signature_matches
from shared.models.feeds import FeedMessage
from shared.services.hooks import REFRESH_AFTER_S, HookReceiver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hooks"
SHOPIFY_ORDER = (FIXTURES / "shopify_orders_create.json").read_bytes()
WOO_ORDER = (FIXTURES / "woocommerce_order.json").read_bytes()
SECRET = "shpss_0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# --- signatures -----------------------------------------------------------------------------------


def test_sign_is_base64_of_hmac_sha256_of_the_body() -> None:
    # RFC 4231-style published vector (HMAC-SHA256, key "key"), as both platforms compute it.
    expected = bytes.fromhex("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    assert sign(b"The quick brown fox jumps over the lazy dog", "key") == base64.b64encode(expected).decode()


def test_a_good_signature_matches() -> None:
    assert signature_matches(SHOPIFY_ORDER, sign(SHOPIFY_ORDER, SECRET), [SECRET])


def test_a_bad_signature_does_not_match() -> None:
    forged = base64.b64encode(b"\x00" * 32).decode()
    assert not signature_matches(SHOPIFY_ORDER, forged, [SECRET])
    assert not signature_matches(SHOPIFY_ORDER, "not base64 at all", [SECRET])
    assert not signature_matches(SHOPIFY_ORDER, "", [SECRET])


def test_a_signature_made_with_another_secret_does_not_match() -> None:
    assert not signature_matches(SHOPIFY_ORDER, sign(SHOPIFY_ORDER, "another-secret"), [SECRET])


def test_no_secret_matches_nothing() -> None:
    assert not signature_matches(SHOPIFY_ORDER, sign(SHOPIFY_ORDER, SECRET), [])


def test_either_secret_matches_during_a_rotation() -> None:
    old, new = "old-secret-123", "new-secret-456"
    assert signature_matches(SHOPIFY_ORDER, sign(SHOPIFY_ORDER, old), [new, old])
    assert signature_matches(SHOPIFY_ORDER, sign(SHOPIFY_ORDER, new), [new, old])
    assert not signature_matches(SHOPIFY_ORDER, sign(SHOPIFY_ORDER, "third-secret"), [new, old])


def test_the_signature_is_checked_on_the_raw_bytes_not_on_json_written_again() -> None:
    """Shopify's sample escapes '/' as '\\/': parsed and serialised again, the bytes (and the HMAC) differ."""
    assert b"gid:\\/\\/shopify\\/Order\\/820982911946154508" in SHOPIFY_ORDER
    reserialised = json.dumps(json.loads(SHOPIFY_ORDER)).encode()
    assert reserialised != SHOPIFY_ORDER
    assert not signature_matches(SHOPIFY_ORDER, sign(reserialised, SECRET), [SECRET])
    assert not signature_matches(reserialised, sign(SHOPIFY_ORDER, SECRET), [SECRET])


def test_every_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hooks.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hooks.hmac, "compare_digest", spy)
    signature = sign(SHOPIFY_ORDER, "first-secret")
    assert signature_matches(SHOPIFY_ORDER, signature, ["first-secret", "second-secret"])
    # both secrets tried (no early exit when the first matches), each through compare_digest
    assert [sent for _, sent in calls] == [signature.encode()] * 2


# --- the WooCommerce ping ------------------------------------------------------------------------


def woo(body: bytes, headers: dict[str, str] | None = None) -> Delivery:
    return Delivery("woocommerce", "woo-eu", headers or {}, body)


def test_the_woocommerce_ping_is_recognised() -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert is_woocommerce_ping(woo(b"webhook_id=17", form))
    assert is_woocommerce_ping(woo(b"webhook_id=17"))  # no content type at all


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"webhook_id=17", {"x-wc-webhook-signature": "abc="}),  # signed: a delivery, verified as one
        (b"webhook_id=17", {"x-wc-webhook-topic": "order.created"}),
        (b"webhook_id=17", {"content-type": "application/json"}),
        (b"webhook_id=17&x=1", {}),
        (b"webhook_id=", {}),
        (b'{"webhook_id": 17}', {}),
    ],
)
def test_anything_else_is_no_ping(body: bytes, headers: dict[str, str]) -> None:
    assert not is_woocommerce_ping(woo(body, headers))


def test_a_shopify_request_is_never_a_woocommerce_ping() -> None:
    assert not is_woocommerce_ping(Delivery("shopify", "shop", {}, b"webhook_id=17"))


def test_woocommerce_deliveries_sharing_a_delivery_id_within_a_second_have_distinct_keys() -> None:
    """WooCommerce's delivery id is wp_hash(webhook id . time()): two orders in one second share it."""
    first, second = woo(WOO_ORDER), woo(WOO_ORDER.replace(b'"id": 727', b'"id": 728'))
    assert first.dedup_key("d41d8cd9") != second.dedup_key("d41d8cd9")
    assert first.dedup_key("d41d8cd9") == woo(WOO_ORDER).dedup_key("d41d8cd9")
    assert Delivery("shopify", "shop", {}, b"{}").dedup_key("b54557e4") == "shopify#shop#b54557e4"


# --- the receiver ----------------------------------------------------------------------------------


@dataclass
class FakeConnections:
    connections: dict[str, Connection | ChannelTaken] = field(default_factory=dict)
    reads: int = 0

    def get(self, channel: str) -> Connection | ChannelTaken | None:
        self.reads += 1
        return self.connections.get(channel)


class PlainOpener:
    """Stands in for KMS: the 'ciphertext' is the secret, bound to its channel."""

    def decrypt(self, ciphertext: bytes, channel: str) -> str:
        owner, _, secret = ciphertext.decode().partition(":")
        assert owner == channel, "a secret only opens for its own channel"
        return secret


@dataclass
class FakeDeliveries:
    claimed: dict[str, int] = field(default_factory=dict)
    fail_claim: bool = False

    def seen(self, key: str, now_epoch: int) -> bool:
        return self.claimed.get(key, 0) > now_epoch

    def claim(self, key: str, *, now_epoch: int, expires_at: int) -> bool:
        if self.fail_claim:
            raise RuntimeError("throttled")
        self.claimed[key] = expires_at
        return True


@dataclass
class FakeFeed:
    sent: list[str] = field(default_factory=list)
    fail: bool = False

    def send(self, body: str) -> None:
        if self.fail:
            raise RuntimeError("SQS unavailable")
        self.sent.append(body)


def sealed(channel: str, secret: str, expires_at: datetime | None = None) -> SealedSecret:
    return SealedSecret(f"{channel}:{secret}".encode(), b"salt", b"fp", NOW - timedelta(days=1), expires_at)


def connection(channel: str, platform: Any, *secrets: SealedSecret) -> Connection:
    return Connection(channel, platform, secrets, created_at=NOW - timedelta(days=1))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    connections: FakeConnections
    deliveries: FakeDeliveries
    feed: FakeFeed
    clock: Clock
    receiver: HookReceiver


@pytest.fixture
def rig() -> Rig:
    connections = FakeConnections(
        {
            "shop-us": connection("shop-us", "shopify", sealed("shop-us", SECRET)),
            "woo-eu": connection("woo-eu", "woocommerce", sealed("woo-eu", "woo-secret-1")),
            "web": ChannelTaken(),
        }
    )
    deliveries, feed, clock = FakeDeliveries(), FakeFeed(), Clock()
    return Rig(
        connections,
        deliveries,
        feed,
        clock,
        HookReceiver(connections, PlainOpener(), deliveries, feed, clock),
    )


def shopify(body: bytes = SHOPIFY_ORDER, *, secret: str = SECRET, **headers: str) -> Delivery:
    sent = {
        "x-shopify-hmac-sha256": sign(body, secret),
        "x-shopify-topic": "orders/create",
        "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "x-shopify-shop-domain": "jsmith.myshopify.com",
        "content-type": "application/json",
    }
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    return Delivery("shopify", "shop-us", {k: v for k, v in sent.items() if v}, body)


def test_a_signed_order_goes_on_the_feed_once_with_the_envelope(rig: Rig) -> None:
    outcome = rig.receiver.receive(shopify(), NOW)

    assert (outcome.kind, outcome.status) == ("accepted", 200)
    (sent,) = rig.feed.sent
    message = FeedMessage.model_validate_json(sent)
    assert (message.marketplace, message.channel, message.topic, message.webhook_id) == (
        "shopify",
        "shop-us",
        "orders/create",
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    )
    assert message.order == json.loads(SHOPIFY_ORDER)
    assert message.order["id"] == 820982911946154508 and message.order["total_price"] == "388.00"
    # the document is embedded as it was signed, escapes and all
    assert SHOPIFY_ORDER.decode().strip() in sent
    assert rig.deliveries.claimed == {
        "shopify#shop-us#b54557e4-bdd9-4b37-8a5f-bf7d70bcd043": int(NOW.timestamp()) + 2 * 24 * 3600
    }


def test_a_resend_of_the_same_webhook_id_sends_nothing_again(rig: Rig) -> None:
    assert rig.receiver.receive(shopify(), NOW).kind == "accepted"
    again = rig.receiver.receive(shopify(), NOW + timedelta(minutes=5))
    assert (again.kind, again.status) == ("duplicate", 200)
    assert len(rig.feed.sent) == 1
    # after the claim expires (2 days) it would be taken again
    assert rig.receiver.receive(shopify(), NOW + timedelta(days=2, seconds=1)).kind == "accepted"


def test_a_failed_send_raises_and_claims_nothing_so_the_retry_is_taken(rig: Rig) -> None:
    rig.feed.fail = True
    with pytest.raises(RuntimeError):
        rig.receiver.receive(shopify(), NOW)
    assert rig.deliveries.claimed == {}
    rig.feed.fail = False
    assert rig.receiver.receive(shopify(), NOW).kind == "accepted"
    assert len(rig.feed.sent) == 1


def test_a_failed_claim_after_the_send_still_accepts(rig: Rig) -> None:
    rig.deliveries.fail_claim = True
    assert rig.receiver.receive(shopify(), NOW).kind == "accepted"
    assert len(rig.feed.sent) == 1


@pytest.mark.parametrize(
    ("delivery", "reason"),
    [
        (shopify(secret="wrong-secret-000"), "bad_signature"),
        (shopify(x_shopify_hmac_sha256=""), "missing_signature"),
        # the body altered after it was signed
        (Delivery("shopify", "shop-us", shopify().headers, SHOPIFY_ORDER + b" "), "bad_signature"),
        (Delivery("shopify", "nobody", shopify().headers, SHOPIFY_ORDER), "unknown_connection"),
        (Delivery("shopify", "web", shopify().headers, SHOPIFY_ORDER), "unknown_connection"),  # keys' channel
        (Delivery("shopify", "Not A Channel", shopify().headers, SHOPIFY_ORDER), "unknown_connection"),
        (Delivery("shopify", "woo-eu", shopify().headers, SHOPIFY_ORDER), "platform_mismatch"),
    ],
)
def test_rejections_write_nothing(rig: Rig, delivery: Delivery, reason: str) -> None:
    outcome = rig.receiver.receive(delivery, NOW)
    assert (outcome.kind, outcome.reason, outcome.status) == ("rejected", reason, 401)
    assert rig.feed.sent == [] and rig.deliveries.claimed == {}


def test_an_oversized_body_is_413_before_anything_is_read(rig: Rig) -> None:
    body = b'{"x": "' + b"a" * hooks.MAX_BODY_BYTES + b'"}'
    outcome = rig.receiver.receive(shopify(body), NOW)
    assert (outcome.kind, outcome.status) == ("too_large", 413)
    assert rig.connections.reads == 0 and rig.feed.sent == []


def test_a_signed_body_that_is_not_a_json_object_is_400(rig: Rig) -> None:
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        outcome = rig.receiver.receive(shopify(body), NOW)
        assert (outcome.kind, outcome.status, outcome.detail) == (
            "invalid",
            400,
            "The body is not a JSON object.",
        )
    assert rig.feed.sent == []


def test_a_topic_the_feed_does_not_process_is_200_and_dropped(rig: Rig) -> None:
    outcome = rig.receiver.receive(shopify(x_shopify_topic="products/update"), NOW)
    assert (outcome.kind, outcome.status, outcome.topic) == ("ignored", 200, "products/update")
    assert rig.feed.sent == [] and rig.deliveries.claimed == {}


def test_every_order_topic_is_taken() -> None:
    assert {
        "orders/create",
        "orders/updated",
        "orders/edited",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/paid",
        "refunds/create",
    } == hooks.SHOPIFY_TOPICS
    assert {"order.created", "order.updated", "order.deleted", "order.restored"} == hooks.WOOCOMMERCE_TOPICS


def test_a_missing_topic_or_webhook_id_is_400_naming_the_header(rig: Rig) -> None:
    no_topic = rig.receiver.receive(shopify(x_shopify_topic=""), NOW)
    assert (no_topic.status, no_topic.detail) == (400, "The x-shopify-topic header is missing or too long.")
    no_id = rig.receiver.receive(shopify(x_shopify_webhook_id=""), NOW)
    assert (no_id.status, no_id.detail) == (400, "The x-shopify-webhook-id header is missing or not valid.")


def test_the_woocommerce_ping_is_200_and_records_nothing(rig: Rig) -> None:
    ping = woo(b"webhook_id=17", {"content-type": "application/x-www-form-urlencoded"})
    outcome = rig.receiver.receive(ping, NOW)
    assert (outcome.kind, outcome.status) == ("ping", 200)
    assert rig.feed.sent == [] and rig.deliveries.claimed == {}
    # to a channel that is not a WooCommerce connection, it is refused like any other request
    unknown = Delivery("woocommerce", "nobody", ping.headers, ping.body)
    assert rig.receiver.receive(unknown, NOW).status == 401


def test_a_signed_woocommerce_order_goes_on_the_feed(rig: Rig) -> None:
    delivery = woo(
        WOO_ORDER,
        {
            "x-wc-webhook-signature": sign(WOO_ORDER, "woo-secret-1"),
            "x-wc-webhook-topic": "order.created",
            "x-wc-webhook-delivery-id": "5c9a0d3b9e8f1a2b3c4d5e6f7a8b9c0d",
            "x-wc-webhook-id": "17",
        },
    )
    assert rig.receiver.receive(delivery, NOW).kind == "accepted"
    message = FeedMessage.model_validate_json(rig.feed.sent[0])
    assert (message.marketplace, message.channel, message.topic) == ("woocommerce", "woo-eu", "order.created")
    assert (message.order["id"], message.order["total"], message.order["status"]) == (
        727,
        "29.35",
        "processing",
    )


def test_during_a_rotation_both_secrets_verify_and_the_old_one_stops_at_its_expiry(rig: Rig) -> None:
    rig.connections.connections["shop-us"] = connection(
        "shop-us",
        "shopify",
        sealed("shop-us", "new-secret-1"),
        sealed("shop-us", SECRET, NOW + timedelta(hours=24)),
    )
    assert rig.receiver.receive(shopify(secret="new-secret-1"), NOW).kind == "accepted"
    old = shopify(secret=SECRET, x_shopify_webhook_id="second")
    assert rig.receiver.receive(old, NOW + timedelta(hours=23)).kind == "accepted"
    late = shopify(secret=SECRET, x_shopify_webhook_id="third")
    assert rig.receiver.receive(late, NOW + timedelta(hours=24)).reason == "bad_signature"


def test_a_rotated_secret_is_read_again_when_a_signature_matches_none_of_the_cached(rig: Rig) -> None:
    assert rig.receiver.receive(shopify(), NOW).kind == "accepted"
    reads = rig.connections.reads
    rig.connections.connections["shop-us"] = connection(
        "shop-us", "shopify", sealed("shop-us", "rotated-secret")
    )

    rotated = shopify(secret="rotated-secret", x_shopify_webhook_id="after-rotation")
    rig.clock.now += 1  # within REFRESH_AFTER_S of the last read: the cache answers (a flood reads nothing)
    assert rig.receiver.receive(rotated, NOW).reason == "bad_signature"
    assert rig.connections.reads == reads
    rig.clock.now += REFRESH_AFTER_S
    assert rig.receiver.receive(rotated, NOW).kind == "accepted"
    assert rig.connections.reads == reads + 1

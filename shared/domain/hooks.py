"""What a platform's webhook delivery is, and whether to believe it. Pure: no I/O, no clock.

Shopify and WooCommerce sign the raw body they send: base64(HMAC-SHA256(body bytes, secret)). The
signature is checked on those bytes, exactly as received (never on JSON parsed and serialised again:
Shopify escapes ``/`` as ``\\/``, and any re-serialisation changes the bytes), against each of the
connection's active secrets (two while a secret is being rotated), with ``hmac.compare_digest``.

Headers (lower-cased here; HTTP header names are case-insensitive):

* Shopify: ``X-Shopify-Hmac-Sha256``, ``X-Shopify-Topic``, ``X-Shopify-Webhook-Id`` (the same on every
  retry of one event: the deduplication id), ``X-Shopify-Shop-Domain``.
* WooCommerce (``WC_Webhook::deliver``): ``X-WC-Webhook-Signature``, ``X-WC-Webhook-Topic``,
  ``X-WC-Webhook-Delivery-ID``, ``X-WC-Webhook-ID``, ``X-WC-Webhook-Source``. The delivery id is
  ``wp_hash(webhook id . time in seconds)``: two deliveries of one webhook within a second share it, so
  the deduplication id is the delivery id together with a digest of the body.
* WooCommerce activates a webhook with a ping (``WC_Webhook::deliver_ping``): a POST whose form body is
  ``webhook_id=N``, with none of the headers above and no signature. It wants exactly 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Platform = Literal["shopify", "woocommerce"]
PLATFORMS: tuple[Platform, ...] = ("shopify", "woocommerce")

# The delivery's JSON is wrapped in the feed message (a few hundred bytes more) and must fit in one SQS
# message (256 KiB).
MAX_BODY_BYTES = 240 * 1024
DELIVERY_TTL_S = 2 * 24 * 3600  # how long a delivery id is remembered: Shopify retries for up to 48 hours

SHOPIFY_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/edited",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/paid",
        "refunds/create",
    }
)
WOOCOMMERCE_TOPICS = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})

_PRINTABLE = re.compile(r"^[\x21-\x7e]{1,128}$")
_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
_PING = re.compile(rb"^webhook_id=\d{1,20}$")


@dataclass(frozen=True)
class Headers:
    """The names of one platform's headers (lower case)."""

    signature: str
    topic: str
    delivery: str


HEADERS: dict[Platform, Headers] = {
    "shopify": Headers("x-shopify-hmac-sha256", "x-shopify-topic", "x-shopify-webhook-id"),
    "woocommerce": Headers("x-wc-webhook-signature", "x-wc-webhook-topic", "x-wc-webhook-delivery-id"),
}
TOPICS: dict[Platform, frozenset[str]] = {"shopify": SHOPIFY_TOPICS, "woocommerce": WOOCOMMERCE_TOPICS}


@dataclass(frozen=True)
class Delivery:
    """One webhook request as the hook route received it: the raw body and lower-cased headers."""

    platform: Platform
    channel: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value.strip() if value is not None and value.strip() else None

    @property
    def signature(self) -> str | None:
        return self.header(HEADERS[self.platform].signature)

    @property
    def topic(self) -> str | None:
        return self.header(HEADERS[self.platform].topic)

    @property
    def delivery_id(self) -> str | None:
        """The platform's id of this delivery, when it is one we can store (printable, at most 128)."""
        value = self.header(HEADERS[self.platform].delivery)
        return value if value is not None and _PRINTABLE.fullmatch(value) else None

    @property
    def shop_domain(self) -> str | None:
        """Shopify's ``X-Shopify-Shop-Domain``, when it looks like one (safe to log); else None."""
        value = (self.header("x-shopify-shop-domain") or "").lower()
        return value if _SHOP_DOMAIN.fullmatch(value) else None

    def dedup_key(self, delivery_id: str) -> str:
        """What identifies this delivery across retries. Shopify's webhook id is the event's; WooCommerce's
        delivery id repeats within a second, so the body's digest is part of it."""
        key = f"{self.platform}#{self.channel}#{delivery_id}"
        if self.platform == "woocommerce":
            key += "#" + hashlib.sha256(self.body).hexdigest()[:32]
        return key


def sign(body: bytes, secret: str) -> str:
    """The signature both platforms send: base64(HMAC-SHA256(body, secret))."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def signature_matches(body: bytes, signature: str, secrets: Iterable[str]) -> bool:
    """Whether ``signature`` is the body's under any of ``secrets``. Every secret is tried (no early
    exit) and each comparison is constant-time, so the time taken says nothing about the signature."""
    sent = signature.strip().encode("ascii", "replace")
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(sign(body, secret).encode("ascii"), sent)
    return matched


def is_woocommerce_ping(delivery: Delivery) -> bool:
    """WooCommerce's activation ping: form-encoded ``webhook_id=N``, no signature, no topic."""
    if delivery.platform != "woocommerce" or delivery.signature is not None or delivery.topic is not None:
        return False
    media_type = (delivery.header("content-type") or "").split(";")[0].strip().lower()
    return media_type in ("", "application/x-www-form-urlencoded") and bool(_PING.fullmatch(delivery.body))


def handled(platform: Platform, topic: str) -> bool:
    """Topics the feed processes; any other is answered 200 and dropped (the platform stops retrying)."""
    return topic in TOPICS[platform]

"""Receiving a platform's webhook: verify it, put it on the feed once, answer fast.

The steps, in order (each answers without the next):

1. a body over ``MAX_BODY_BYTES``: 413;
2. no connection on the channel, or one for the other platform: 401;
3. WooCommerce's activation ping (unsigned ``webhook_id=N``) to a WooCommerce connection: 200, nothing kept;
4. no signature, or one that matches none of the connection's active secrets: 401;
5. no topic or delivery id: 400; a topic the feed does not process: 200, dropped (so the platform stops);
6. a body nested more than ``MAX_DOCUMENT_DEPTH`` levels, or that is not a JSON object: 400;
7. a delivery id already put on the feed: 200, nothing sent again;
8. the feed message ``{"marketplace", "channel", "topic", "webhook_id", "order"}`` is sent, then the
   delivery is claimed. A failed send answers 503 and the platform retries (nothing was claimed); a
   failed claim after the send still answers 200: at worst a retry is sent twice, and the feed is
   idempotent on the platform's order id. Claim-then-send could lose a delivery; send-then-claim cannot.

The decrypted secrets are kept per environment for ``SECRETS_TTL_S``; a signature that matches none of
them reads the connection again first (at most every ``REFRESH_AFTER_S``), so a rotation takes effect on
the next delivery.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from shared.dal.connections import ChannelTaken
from shared.domain.auth import check_channel
from shared.domain.connections import Connection
from shared.domain.hooks import (
    DELIVERY_TTL_S,
    HEADERS,
    MAX_BODY_BYTES,
    Delivery,
    Platform,
    handled,
    is_woocommerce_ping,
    signature_matches,
)
from shared.json_depth import MAX_JSON_DEPTH, too_deep
from shared.observability import logger

SECRETS_TTL_S = 60.0
REFRESH_AFTER_S = 5.0
MAX_CACHED = 1024  # channels whose connection (or its absence) an environment keeps
MAX_MESSAGE_BYTES = 256 * 1024  # SQS
# The feed refuses a message nested deeper than MAX_JSON_DEPTH; the document sits one level inside it.
MAX_DOCUMENT_DEPTH = MAX_JSON_DEPTH - 1


class ConnectionSource(Protocol):
    def get(self, channel: str) -> Connection | ChannelTaken | None: ...


class Opener(Protocol):
    def decrypt(self, ciphertext: bytes, channel: str) -> str: ...


class Deliveries(Protocol):
    def seen(self, key: str, now_epoch: int) -> bool: ...

    def claim(self, key: str, *, now_epoch: int, expires_at: int) -> bool: ...


class Feed(Protocol):
    def send(self, body: str) -> None: ...


Kind = Literal["accepted", "duplicate", "ignored", "ping", "rejected", "too_large", "invalid"]
Reason = Literal["unknown_connection", "platform_mismatch", "missing_signature", "bad_signature"]


@dataclass(frozen=True)
class HookOutcome:
    kind: Kind
    reason: Reason | None = None  # why a delivery was rejected (401)
    detail: str | None = None  # what was wrong with an invalid one (names a header, never a value)
    topic: str | None = None
    delivery_id: str | None = None

    @property
    def status(self) -> int:
        return {"rejected": 401, "too_large": 413, "invalid": 400}.get(self.kind, 200)


@dataclass(frozen=True)
class _Known:
    platform: Platform | None  # None: no connection on the channel
    secrets: tuple[tuple[str, datetime | None], ...]  # each secret with the time it stops being accepted
    loaded_at: float


class HookReceiver:
    def __init__(
        self,
        connections: ConnectionSource,
        opener: Opener,
        deliveries: Deliveries,
        feed: Feed,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connections = connections
        self._opener = opener
        self._deliveries = deliveries
        self._feed = feed
        self._monotonic = monotonic
        self._known: dict[str, _Known] = {}

    def receive(self, delivery: Delivery, now: datetime) -> HookOutcome:  # noqa: PLR0911 - one per step
        if len(delivery.body) > MAX_BODY_BYTES:
            return HookOutcome("too_large", detail=f"The body is over {MAX_BODY_BYTES} bytes.")
        if not _valid_channel(delivery.channel):
            return HookOutcome("rejected", "unknown_connection")
        known = self._connection(delivery.channel)
        if known.platform is None and self._stale(known):
            known = self._connection(delivery.channel, fresh=True)
        if known.platform is None:
            return HookOutcome("rejected", "unknown_connection")
        if known.platform != delivery.platform:
            return HookOutcome("rejected", "platform_mismatch")
        if is_woocommerce_ping(delivery):
            return HookOutcome("ping")
        signature = delivery.signature
        if signature is None:
            return HookOutcome("rejected", "missing_signature")
        if not self._verified(delivery, signature, known, now):
            return HookOutcome("rejected", "bad_signature")
        return self._accept(delivery, now)

    def _accept(self, delivery: Delivery, now: datetime) -> HookOutcome:  # noqa: PLR0911 - one per step
        headers = HEADERS[delivery.platform]
        topic, delivery_id = delivery.topic, delivery.delivery_id
        if topic is None or len(topic) > 64:
            return HookOutcome("invalid", detail=f"The {headers.topic} header is missing or too long.")
        if delivery_id is None:
            return HookOutcome("invalid", detail=f"The {headers.delivery} header is missing or not valid.")
        if not handled(delivery.platform, topic):
            return HookOutcome("ignored", topic=topic, delivery_id=delivery_id)
        if too_deep(delivery.body, MAX_DOCUMENT_DEPTH):
            return HookOutcome(
                "invalid",
                detail=f"The body is nested more than {MAX_DOCUMENT_DEPTH} levels deep.",
                topic=topic,
            )
        document = _json_object(delivery.body)
        if document is None:
            return HookOutcome("invalid", detail="The body is not a JSON object.", topic=topic)
        message = _feed_message(delivery, topic, delivery_id, document)
        if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
            return HookOutcome("too_large", detail="The delivery does not fit in a feed message.")
        key, epoch = delivery.dedup_key(delivery_id), int(now.timestamp())
        if self._deliveries.seen(key, epoch):
            return HookOutcome("duplicate", topic=topic, delivery_id=delivery_id)
        self._feed.send(message)  # a failure here is a 503: the platform retries, nothing was claimed
        try:
            self._deliveries.claim(key, now_epoch=epoch, expires_at=epoch + DELIVERY_TTL_S)
        except Exception:  # the message is on the feed: a retry may send it again, the feed is idempotent
            logger.warning("delivery sent but not claimed", channel=delivery.channel, delivery_id=delivery_id)
        return HookOutcome("accepted", topic=topic, delivery_id=delivery_id)

    def _verified(self, delivery: Delivery, signature: str, known: _Known, now: datetime) -> bool:
        if signature_matches(delivery.body, signature, _active(known, now)):
            return True
        if not self._stale(known):
            return False
        fresh = self._connection(delivery.channel, fresh=True)  # perhaps rotated since it was cached
        return fresh.platform == delivery.platform and signature_matches(
            delivery.body, signature, _active(fresh, now)
        )

    def _stale(self, known: _Known) -> bool:
        return self._monotonic() - known.loaded_at >= REFRESH_AFTER_S

    def _connection(self, channel: str, *, fresh: bool = False) -> _Known:
        cached = self._known.get(channel)
        if cached is not None and not fresh and self._monotonic() - cached.loaded_at < SECRETS_TTL_S:
            return cached
        found = self._connections.get(channel)
        if isinstance(found, Connection):
            secrets = tuple(
                (self._opener.decrypt(s.ciphertext, channel), s.expires_at) for s in found.secrets
            )
            known = _Known(found.platform, secrets, self._monotonic())
        else:
            known = _Known(None, (), self._monotonic())
        if len(self._known) >= MAX_CACHED:
            self._known.clear()
        self._known[channel] = known
        return known


def _valid_channel(channel: str) -> bool:
    try:
        check_channel(channel)
    except ValueError:
        return False
    return True


def _active(known: _Known, now: datetime) -> list[str]:
    return [secret for secret, expires_at in known.secrets if expires_at is None or now < expires_at]


def _json_object(body: bytes) -> str | None:
    """The body as text when it is one JSON object (the platform's document), else None."""
    try:
        text = body.decode("utf-8")
        parsed = json.loads(text)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        return None
    return text if isinstance(parsed, dict) else None


def _feed_message(delivery: Delivery, topic: str, delivery_id: str, document: str) -> str:
    """The feed's ``FeedMessage`` with the platform's document embedded as it was signed: never parsed
    and written again (a float would lose digits, an escape would change)."""
    head = json.dumps(
        {
            "marketplace": delivery.platform,
            "channel": delivery.channel,
            "topic": topic,
            "webhook_id": delivery_id,
        },
        separators=(",", ":"),
    )
    return f'{head[:-1]},"order":{document.strip()}}}'

"""Signed webhooks to other systems (Standard Webhooks): the event types, the endpoints' secrets and their
rotation, the delivery id, the envelope, what an answer means and when to try again. Pure: the clock,
the randomness and every I/O are passed in.

Retries. An attempt that timed out, met a network error or was answered 5xx or 429 is tried again after
``retry_delay(n)``: the nominal ``RETRY_SCHEDULE`` with half of each step drawn at random ("equal
jitter"). Full jitter (anywhere in 0..d) could end all the retries within a few hours; half fixed, half
random keeps the total between ``min_total()`` (about 33 hours) and ``max_total()`` (about 66 hours): at
least the 24 hours the issue asks, and inside the queue's retention. No step exceeds SQS's 12-hour
visibility maximum (the delay is a ChangeMessageVisibility, never a sleep). After the last step the
delivery goes to the dead-letter queue with its reason. A 3xx (redirects are never followed: the next hop
would be a host nobody checked) and any other 4xx are recorded and not tried again.
"""

from __future__ import annotations

import base64
import hashlib
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.models import events as _events

# --- event types ------------------------------------------------------------------------------------

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
ORDER_SHIPPED = "order.shipped"
STOCK_LOW = "stock.low"
IMPORT_FINISHED = "import.finished"
ENDPOINT_DISABLED = "webhook.endpoint_disabled"

# The bus's detail-type behind each webhook type (the rule that feeds the queue matches these).
DETAIL_TYPES: dict[str, str] = {
    _events.ORDER_CREATED: ORDER_CREATED,
    _events.ORDER_STATUS_CHANGED: ORDER_STATUS_CHANGED,
    _events.ORDER_SHIPPED: ORDER_SHIPPED,
    _events.STOCK_LOW: STOCK_LOW,
    _events.IMPORT_FINISHED: IMPORT_FINISHED,
    _events.WEBHOOK_ENDPOINT_DISABLED: ENDPOINT_DISABLED,
}
EVENT_TYPES: tuple[str, ...] = tuple(DETAIL_TYPES.values())
ORDER_TYPES = frozenset({ORDER_CREATED, ORDER_STATUS_CHANGED, ORDER_SHIPPED})
# The sources of those detail types: what the EventBridge rule of the webhooks queue matches.
RULE_SOURCES: tuple[str, ...] = (
    _events.ORDERS_SOURCE,
    _events.INVENTORY_SOURCE,
    _events.IMPORTS_SOURCE,
    _events.WEBHOOKS_SOURCE,
)
RULE_DETAIL_TYPES: tuple[str, ...] = tuple(DETAIL_TYPES)


def webhook_type(detail_type: str) -> str | None:
    return DETAIL_TYPES.get(detail_type)


# --- secrets ------------------------------------------------------------------------------------------

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret(token_bytes: Callable[[int], bytes] = _random.token_bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


@dataclass(frozen=True)
class SealedSecret:
    """A secret as stored: KMS ciphertext (bound to the endpoint), and when it stops signing (the one a
    rotation replaced: 24 hours later)."""

    ciphertext: bytes
    added_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


# --- endpoints ----------------------------------------------------------------------------------------

DISABLE_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    url: str
    events: tuple[str, ...]
    description: str | None
    enabled: bool
    secrets: tuple[SealedSecret, ...]  # the current one first
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None = None  # the first failure since the last success
    disabled_reason: str | None = None

    def active_secrets(self, now: datetime) -> tuple[SealedSecret, ...]:
        return tuple(s for s in self.secrets if s.active(now))

    def subscribed(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events


MAX_SECRETS = 3  # the current one and what two rotations within a day keep signing


def rotate(endpoint: Endpoint, sealed: SealedSecret, now: datetime) -> Endpoint:
    """The endpoint with ``sealed`` signing from now, and its current secret still signing for 24 hours.
    A secret an earlier rotation kept keeps its own 24 hours (a receiver may not have switched yet); a
    third rotation within a day ends the oldest one (never more than ``MAX_SECRETS`` signatures)."""
    previous = replace(endpoint.secrets[0], expires_at=now + ROTATION_OVERLAP)
    kept = tuple(s for s in endpoint.secrets[1:] if s.active(now))
    return replace(endpoint, secrets=(sealed, previous, *kept)[:MAX_SECRETS], updated_at=now)


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER


# --- deliveries ---------------------------------------------------------------------------------------


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The same for one event and one endpoint, however often the event arrives: ``webhook-id``."""
    digest = hashlib.sha256(f"{event_id}\n{endpoint_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def envelope(event_type: str, timestamp: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": timestamp, "data": data}


def stock_low_data(detail: dict[str, Any]) -> dict[str, Any]:
    """The StockLow detail and a ``text`` a Slack incoming webhook shows as it is."""
    where = f" at {detail['location']}" if detail.get("location") else ""
    text = (
        f"Low stock: {detail.get('sku')} has {detail.get('available')} available{where} "
        f"(threshold {detail.get('low_stock_threshold')}, on hand {detail.get('on_hand')})"
    )
    return {**detail, "text": text}


def endpoint_disabled_detail(endpoint: Endpoint, host: str, reason: str, now: str) -> dict[str, Any]:
    return {"endpoint_id": endpoint.endpoint_id, "url_host": host, "reason": reason, "disabled_at": now}


# --- answers ------------------------------------------------------------------------------------------

RESPONSE_KEPT = 1024  # bytes of each answer kept in the delivery log
Verdict = Literal["succeeded", "retry", "failed"]


def verdict(status: int | None) -> Verdict:
    """None: no answer (timeout, network error). 2xx succeeded; 5xx, 429, none: retry; else failed."""
    if status is None or status == 429 or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "succeeded"
    return "failed"


# The nominal wait before each retry (the n-th retry waits about RETRY_SCHEDULE[n-1]).
MAX_VISIBILITY = timedelta(hours=12)  # SQS's ChangeMessageVisibility maximum
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
)
ATTEMPTS = len(RETRY_SCHEDULE) + 1  # the first and one per step


def retry_delay(retry: int, random: Callable[[], float]) -> timedelta | None:
    """How long to wait before the ``retry``-th retry (1-based); None when the schedule is spent.
    ``random`` returns a float in [0, 1)."""
    if retry < 1 or retry > len(RETRY_SCHEDULE):
        return None
    nominal = min(RETRY_SCHEDULE[retry - 1], MAX_VISIBILITY)
    return nominal / 2 + nominal / 2 * random()


def min_total() -> timedelta:
    return sum((d / 2 for d in RETRY_SCHEDULE), timedelta())


def max_total() -> timedelta:
    return sum(RETRY_SCHEDULE, timedelta())


@dataclass(frozen=True)
class Attempt:
    """One try of a delivery, as the delivery log keeps it (never the secret, never the sent body)."""

    at: datetime
    status: int | None  # the answer's status; None: none (timeout, network error, refused address)
    verdict: Verdict
    duration_ms: int
    response: str = ""  # the first RESPONSE_KEPT bytes of the answer, decoded leniently
    error: str | None = None
    replay: bool = False


@dataclass(frozen=True)
class Delivery:
    delivery_id: str  # the webhook-id
    endpoint_id: str
    event_type: str
    event_id: str
    body: str  # the envelope, serialised once: every attempt sends these bytes
    created_at: datetime
    status: Literal["pending", "succeeded", "failed", "dead"] = "pending"
    attempts: tuple[Attempt, ...] = ()


def kept_text(raw: bytes) -> str:
    return raw[:RESPONSE_KEPT].decode("utf-8", errors="replace")

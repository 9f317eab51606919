"""Signed webhooks: staff's endpoints (the API) and the deliveries (the webhooks function).

Endpoints. A new endpoint gets a ``whsec_`` secret, shown once and stored sealed (KMS, encryption context
``{"webhook": endpoint_id}``): the API encrypts, only the delivery function decrypts. A rotation keeps the
old secret signing for 24 hours; both signatures go in ``webhook-signature`` meanwhile.

Deliveries. A bus event becomes, for each enabled endpoint subscribed to its type, one delivery (its id is
derived from the event's and the endpoint's: a redelivered event puts nothing new) holding the envelope,
serialised once; each delivery is then one message on the webhooks queue. A delivery message is one attempt:
signed afresh (same ``webhook-id``, a new ``webhook-timestamp``), POSTed to the checked address, recorded.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from shared.dal.webhooks import Conflict
from shared.domain import webhooks as domain
from shared.domain.moments import utc_text
from shared.domain.webhooks import Attempt, Delivery, Endpoint, SealedSecret
from shared.outbound import Answer, Refused, Resolver, check_and_resolve, post, system_resolver

CONTEXT_KEY = "webhook"  # the KMS encryption context's key: {"webhook": endpoint_id}
# The endpoints' Query serves a batch, not longer: an endpoint registered (or disabled) now hears (or stops
# hearing) of what is published a second later. Longer would save one Query per event and miss the first
# events of a new endpoint.
ENDPOINTS_CACHE_S = 1.0
DELIVERY_MESSAGE = "webhook_delivery"


class Webhooks(Protocol):
    def create_endpoint(self, endpoint: Endpoint) -> None: ...
    def get_endpoint(self, endpoint_id: str) -> Endpoint | None: ...
    def save_endpoint(self, endpoint: Endpoint, *, previous: datetime) -> Conflict | None: ...
    def delete_endpoint(self, endpoint_id: str) -> bool: ...
    def list_endpoints(self, cursor: str | None, limit: int) -> tuple[list[Endpoint], str | None]: ...
    def enabled_endpoints(self) -> list[Endpoint]: ...
    def mark_failing(self, endpoint_id: str, now: datetime) -> datetime | None: ...
    def clear_failing(self, endpoint_id: str) -> None: ...
    def disable(self, endpoint_id: str, reason: str, now: datetime) -> bool: ...
    def create_delivery(self, delivery: Delivery) -> bool: ...
    def get_delivery(self, endpoint_id: str, delivery_id: str) -> Delivery | None: ...
    def record_attempt(self, delivery: Delivery, attempt: Attempt, status: str) -> None: ...
    def deliveries(
        self, endpoint_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Delivery], str | None]: ...


class Sealer(Protocol):
    def encrypt(self, secret: str, context: str) -> bytes: ...


class Opener(Protocol):
    def decrypt(self, ciphertext: bytes, context: str) -> str: ...


class DeliveryQueue(Protocol):
    def send_all(self, bodies: Sequence[str]) -> None: ...


class Publisher(Protocol):
    def publish(
        self, detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()
    ) -> str: ...


class OrderJson(Protocol):
    def __call__(self, order_id: str) -> dict[str, Any] | None: ...


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Answer: ...


def message(endpoint_id: str, delivery_id: str, *, base: int, replay: bool = False) -> str:
    """A delivery message: ``base`` is how many attempts the delivery had when it was queued (its retries
    count from there: a replay gets a whole schedule of its own)."""
    return json.dumps(
        {
            DELIVERY_MESSAGE: {
                "endpoint_id": endpoint_id,
                "delivery_id": delivery_id,
                "base": base,
                "replay": replay,
            }
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class DeliveryMessage:
    endpoint_id: str
    delivery_id: str
    base: int = 0
    replay: bool = False


def parse_message(body: str) -> DeliveryMessage | dict[str, Any] | None:
    """A delivery message, a bus event (a dict with ``detail-type``), or None (poison)."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    inner = value.get(DELIVERY_MESSAGE)
    if isinstance(inner, dict):
        try:
            return DeliveryMessage(
                endpoint_id=str(inner["endpoint_id"]),
                delivery_id=str(inner["delivery_id"]),
                base=int(inner.get("base", 0)),
                replay=bool(inner.get("replay", False)),
            )
        except (KeyError, TypeError, ValueError):
            return None
    if isinstance(value.get("detail-type"), str) and isinstance(value.get("detail"), dict):
        return value
    return None


def signature_headers(delivery_id: str, body: str, secrets: Sequence[str], now: datetime) -> dict[str, str]:
    """Standard Webhooks' headers: each active secret's signature, space-separated (current first)."""
    from standardwebhooks import Webhook

    signatures = " ".join(Webhook(secret).sign(delivery_id, now, body) for secret in secrets)
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "oms-webhooks/1",
    }


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# --- the API's side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    secret: str  # shown once


@dataclass(frozen=True)
class EndpointChanges:
    url: str | None = None
    events: tuple[str, ...] | None = None
    description: str | None = None
    enabled: bool | None = None
    description_set: bool = False  # a description given, perhaps null (clears it)


class EndpointConflict(RuntimeError):
    """The endpoint kept changing under a PATCH or a rotation: retry."""


class WebhookEndpoints:
    def __init__(
        self,
        store: Webhooks,
        sealer: Sealer,
        queue: DeliveryQueue,
        *,
        allow_loopback_http: bool,
        resolver: Resolver = system_resolver,
        new_id: Callable[[], str] = lambda: f"wh_{uuid.uuid4().hex}",
        new_secret: Callable[[], str] = domain.new_secret,
    ) -> None:
        self._store = store
        self._sealer = sealer
        self._queue = queue
        self._local = allow_loopback_http
        self._resolver = resolver
        self._new_id = new_id
        self._new_secret = new_secret

    def check(self, url: str) -> None:
        """``Refused`` for a URL that may not be called (checked again at every send)."""
        check_and_resolve(url, self._resolver, allow_loopback_http=self._local)

    def create(self, url: str, events: Sequence[str], description: str | None, now: datetime) -> Created:
        self.check(url)
        endpoint_id = self._new_id()
        secret = self._new_secret()
        endpoint = Endpoint(
            endpoint_id=endpoint_id,
            url=url,
            events=tuple(dict.fromkeys(events)),
            description=description,
            enabled=True,
            secrets=(self._seal(secret, endpoint_id, now),),
            created_at=now,
            updated_at=now,
        )
        self._store.create_endpoint(endpoint)
        return Created(endpoint, secret)

    def get(self, endpoint_id: str) -> Endpoint | None:
        return self._store.get_endpoint(endpoint_id)

    def page(self, cursor: str | None, limit: int) -> tuple[list[Endpoint], str | None]:
        return self._store.list_endpoints(cursor, limit)

    def update(self, endpoint_id: str, changes: EndpointChanges, now: datetime) -> Endpoint | None:
        if changes.url is not None:
            self.check(changes.url)
        for _ in range(3):
            endpoint = self._store.get_endpoint(endpoint_id)
            if endpoint is None:
                return None
            updated = replace(
                endpoint,
                url=changes.url if changes.url is not None else endpoint.url,
                events=tuple(dict.fromkeys(changes.events))
                if changes.events is not None
                else endpoint.events,
                description=changes.description if changes.description_set else endpoint.description,
                updated_at=max(now, endpoint.updated_at + timedelta(microseconds=1)),
            )
            if changes.enabled is not None and changes.enabled != endpoint.enabled:
                # Enabled again by staff: its failures start over.
                updated = replace(
                    updated,
                    enabled=changes.enabled,
                    failing_since=None,
                    disabled_reason=None if changes.enabled else "disabled by staff",
                )
            if self._store.save_endpoint(updated, previous=endpoint.updated_at) is None:
                return updated
        raise EndpointConflict(endpoint_id)

    def rotate(self, endpoint_id: str, now: datetime) -> Created | None:
        secret = self._new_secret()
        sealed = self._seal(secret, endpoint_id, now)
        for _ in range(3):
            endpoint = self._store.get_endpoint(endpoint_id)
            if endpoint is None:
                return None
            moment = max(now, endpoint.updated_at + timedelta(microseconds=1))
            rotated = domain.rotate(endpoint, replace(sealed, added_at=moment), moment)
            if self._store.save_endpoint(rotated, previous=endpoint.updated_at) is None:
                return Created(rotated, secret)
        raise EndpointConflict(endpoint_id)

    def delete(self, endpoint_id: str) -> bool:
        return self._store.delete_endpoint(endpoint_id)

    def deliveries(
        self, endpoint_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Delivery], str | None] | None:
        if self._store.get_endpoint(endpoint_id) is None:
            return None
        return self._store.deliveries(endpoint_id, cursor, limit)

    def replay(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        """A new attempt of the delivery (the same webhook-id), through the queue. ``ReplayRefused``: the
        endpoint is disabled (it would not be sent), or the delivery is still on its retry schedule (a
        second chain of attempts would run beside it)."""
        delivery = self._store.get_delivery(endpoint_id, delivery_id)
        if delivery is None:
            return None
        endpoint = self._store.get_endpoint(endpoint_id)
        if endpoint is None:
            return None
        if not endpoint.enabled:
            raise ReplayRefused("The endpoint is disabled: enable it first.")
        if delivery.status == "pending":
            raise ReplayRefused("The delivery is still being retried on its schedule: it is sent again then.")
        self._queue.send_all([message(endpoint_id, delivery_id, base=len(delivery.attempts), replay=True)])
        return delivery

    def _seal(self, secret: str, endpoint_id: str, now: datetime) -> SealedSecret:
        return SealedSecret(ciphertext=self._sealer.encrypt(secret, endpoint_id), added_at=now)


# --- the delivery function's side -------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """The attempt's verdict: ``retry_in`` when to try again (the schedule), ``dead`` why no more."""

    delivery_id: str
    verdict: domain.Verdict
    status: int | None
    retry_in: timedelta | None = None
    dead: str | None = None
    disabled: bool = False  # this attempt disabled the endpoint (3 days of failures)


@dataclass(frozen=True)
class Skipped:
    reason: str
    # Why the message goes to the dead-letter queue instead of being dropped (a copy of a dead delivery's
    # message that no one redrove; a pending delivery whose endpoint is disabled: redrive it once enabled).
    park: str | None = None


def change_id(event: dict[str, Any]) -> str:
    """What identifies the change a bus event tells of, the same on every copy of it: EventBridge gives a
    republished event a new envelope ``id`` (the publishers deliver at least once), so a delivery's id is
    derived from the detail's own id (an order change's ``event_id``, a stock change's ``change_id``, an
    import run's ``import_id``) and from the envelope's only for an event that carries none."""
    detail = event.get("detail") or {}
    kind = str(event.get("detail-type"))
    for field in ("event_id", "change_id", "import_id", "endpoint_id"):
        value = detail.get(field)
        if isinstance(value, str) and value:
            if field == "endpoint_id":
                return f"{kind}#{value}#{detail.get('disabled_at') or event.get('id')}"
            return f"{kind}#{value}"
    return str(event.get("id"))


class ReplayRefused(Exception):
    """A replay that would not be sent, or would run beside the delivery's own retries."""


class WebhookDeliveries:
    def __init__(
        self,
        store: Webhooks,
        opener: Opener,
        queue: DeliveryQueue,
        publisher: Publisher,
        order_json: OrderJson,
        sender: Sender,
        *,
        random: Callable[[], float],
        monotonic: Callable[[], float] = time.monotonic,
        cache_s: float = ENDPOINTS_CACHE_S,
    ) -> None:
        self._store = store
        self._opener = opener
        self._queue = queue
        self._publisher = publisher
        self._order_json = order_json
        self._send = sender
        self._random = random
        self._monotonic = monotonic
        self._cache_s = cache_s
        self._endpoints: tuple[float, list[Endpoint]] | None = None
        self._secrets: dict[tuple[str, bytes], str] = {}

    def subscribed(self, event_type: str) -> list[Endpoint]:
        """The enabled endpoints subscribed to ``event_type``: one Query, kept ``cache_s`` seconds."""
        now = self._monotonic()
        if self._endpoints is None or now - self._endpoints[0] >= self._cache_s:
            self._endpoints = (now, self._store.enabled_endpoints())
        return [e for e in self._endpoints[1] if e.subscribed(event_type)]

    def fan_out(self, event: dict[str, Any], now: datetime) -> int:
        """Deliveries for one bus event (EventBridge's shape); how many were queued."""
        event_type = domain.webhook_type(str(event.get("detail-type")))
        if event_type is None:
            return 0
        endpoints = self.subscribed(event_type)
        if not endpoints:
            return 0
        detail = event["detail"]
        event_id = change_id(event)
        body = json.dumps(
            domain.envelope(
                event_type, str(event.get("time") or utc_text(now)), self._data(event_type, detail)
            ),
            separators=(",", ":"),
            default=str,
        )
        bodies: list[str] = []
        for endpoint in endpoints:
            delivery = Delivery(
                delivery_id=domain.delivery_id(event_id, endpoint.endpoint_id),
                endpoint_id=endpoint.endpoint_id,
                event_type=event_type,
                event_id=event_id,
                body=body,
                created_at=now,
            )
            if not self._store.create_delivery(delivery):
                existing = self._store.get_delivery(endpoint.endpoint_id, delivery.delivery_id)
                # Queued before (a redelivered event): only one never attempted is queued again (the first
                # try may have stopped between the put and the send); a duplicate message is harmless.
                if existing is None or existing.attempts:
                    continue
            bodies.append(message(endpoint.endpoint_id, delivery.delivery_id, base=0))
        if bodies:
            self._queue.send_all(bodies)
        return len(bodies)

    def _data(self, event_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        if event_type in domain.ORDER_TYPES:
            order = self._order_json(str(detail.get("order_id")))
            # An order erased since (or not readable): the event's own detail, which holds no personal data.
            return order if order is not None else detail
        if event_type == domain.STOCK_LOW:
            return domain.stock_low_data(detail)
        return detail

    def deliver(self, request: DeliveryMessage, now: datetime, *, redriven: bool = False) -> Sent | Skipped:
        """One attempt of a delivery. ``redriven``: the message came back from the dead-letter queue
        through a redrive (it carries the reasons it was parked for)."""
        delivery = self._store.get_delivery(request.endpoint_id, request.delivery_id)
        if delivery is None:
            return Skipped("no such delivery")
        if delivery.status == "dead" and not request.replay and not redriven:
            # Recorded dead, but this copy is not a redrive: the parking failed after the record (or SQS
            # delivered a copy). It goes (back) to the dead-letter queue, never into a new schedule.
            return Skipped(
                "already dead",
                park="the delivery is dead (its schedule ran out): redrive it to send it again",
            )
        if delivery.status == "dead" and not request.replay:
            # Redriven from the dead-letter queue once the receiver is fixed: a new schedule from here.
            request = replace(request, base=len(delivery.attempts))
        elif delivery.status != "pending" and not request.replay:
            # A copy of a message already decided (SQS delivers at least once): only a replay sends again.
            return Skipped(f"already {delivery.status}")
        endpoint = self._store.get_endpoint(request.endpoint_id)
        if endpoint is None:
            return Skipped("the endpoint was deleted")
        if not endpoint.enabled:
            return Skipped(
                "the endpoint is disabled",
                park="the endpoint is disabled: enable it (PATCH enabled), then redrive this delivery",
            )
        secrets = [self._open(endpoint, s) for s in endpoint.active_secrets(now)]
        headers = signature_headers(delivery.delivery_id, delivery.body, secrets, now)
        started = self._monotonic()
        answer = self._send(endpoint.url, delivery.body.encode("utf-8"), headers)
        duration_ms = int((self._monotonic() - started) * 1000)
        verdict: domain.Verdict = "failed" if answer.refused else domain.verdict(answer.status)
        retry = len(delivery.attempts) + 1 - request.base  # this cycle's attempts so far
        retry_in = domain.retry_delay(retry, self._random) if verdict == "retry" else None
        dead = None
        if verdict == "retry" and retry_in is None:
            dead = f"no 2xx answer after {retry} attempts: {_what(answer)}"
        status = {"succeeded": "succeeded", "failed": "failed", "retry": "pending"}[verdict]
        attempt = Attempt(
            at=now,
            status=answer.status,
            verdict=verdict,
            duration_ms=duration_ms,
            response=domain.kept_text(answer.body),
            error=answer.error
            or (f"redirect to {url_host(answer.location)} not followed" if answer.location else None),
            replay=request.replay,
        )
        self._store.record_attempt(delivery, attempt, "dead" if dead else status)
        disabled = False
        if verdict == "succeeded":
            if endpoint.failing_since is not None:
                self._store.clear_failing(endpoint.endpoint_id)
        else:
            disabled = self._failed(endpoint, now)
        return Sent(delivery.delivery_id, verdict, answer.status, retry_in, dead, disabled)

    def _failed(self, endpoint: Endpoint, now: datetime) -> bool:
        since = endpoint.failing_since or self._store.mark_failing(endpoint.endpoint_id, now)
        if not domain.should_disable(since, now):
            return False
        reason = "deliveries failed for 3 days"
        if not self._store.disable(endpoint.endpoint_id, reason, now):
            return False
        self._endpoints = None  # the cache must not deliver to it any longer
        detail = domain.endpoint_disabled_detail(endpoint, url_host(endpoint.url), reason, utc_text(now))
        from shared.models.events import WEBHOOK_ENDPOINT_DISABLED

        self._publisher.publish(WEBHOOK_ENDPOINT_DISABLED, detail, resources=())
        return True

    def _open(self, endpoint: Endpoint, sealed: SealedSecret) -> str:
        key = (endpoint.endpoint_id, sealed.ciphertext)
        if key not in self._secrets:
            self._secrets[key] = self._opener.decrypt(sealed.ciphertext, endpoint.endpoint_id)
        return self._secrets[key]


def _what(answer: Answer) -> str:
    return f"status {answer.status}" if answer.status is not None else (answer.error or "no answer")


class OutboundSender:
    """``Sender``: the URL and its host's addresses checked again, then the POST to the checked address."""

    def __init__(
        self,
        *,
        allow_loopback_http: bool,
        resolver: Resolver = system_resolver,
        pool_factory: Callable[..., Any] | None = None,
    ) -> None:
        self._local = allow_loopback_http
        self._resolver = resolver
        self._pool_factory = pool_factory

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            target, address = check_and_resolve(url, self._resolver, allow_loopback_http=self._local)
        except Refused as exc:
            return Answer(status=None, error=f"refused: {exc}", refused="does not resolve" not in str(exc))
        return post(target, address, body, headers, pool_factory=self._pool_factory)

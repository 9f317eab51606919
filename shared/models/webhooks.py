"""Webhook shapes: what staff send to /webhooks, what they get back, and the envelope receivers get."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field

from shared.domain.webhooks import EVENT_TYPES
from shared.models.common import Model, StrictModel

EventType = Literal[
    "order.created",
    "order.status_changed",
    "order.shipped",
    "stock.low",
    "import.finished",
    "webhook.endpoint_disabled",
]
if set(get_args(EventType)) != set(EVENT_TYPES):  # one list: the domain's, checked at import
    raise RuntimeError("shared.models.webhooks.EventType differs from shared.domain.webhooks.EVENT_TYPES")

_URL = Field(
    min_length=8,
    max_length=2048,
    description="Where deliveries are POSTed: https, a host that resolves only to public addresses, port "
    "443 or 8443, no credentials (the local stack also allows http://127.0.0.1)",
)
_EVENTS = Field(min_length=1, max_length=len(EVENT_TYPES), description="The event types to deliver")


class WebhookIn(StrictModel):
    url: str = _URL
    events: list[EventType] = _EVENTS
    description: str | None = Field(default=None, max_length=256)


class WebhookPatch(StrictModel):
    url: str | None = Field(default=None, min_length=8, max_length=2048)
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=len(EVENT_TYPES))
    description: str | None = Field(default=None, max_length=256)
    enabled: bool | None = Field(
        default=None, description="false disables it; true enables it again (its failures start over)"
    )


class WebhookView(Model):
    endpoint_id: str
    url: str
    events: list[str]
    description: str | None = None
    enabled: bool
    disabled_reason: str | None = None
    failing_since: str | None = Field(
        default=None, description="The first failed delivery since the last success: 3 days of it disables"
    )
    created_at: str
    updated_at: str
    active_secrets: int = Field(description="1, or 2 while a rotated-out secret still signs (24 hours)")
    previous_secret_expires_at: str | None = None


class WebhookWithSecret(WebhookView):
    secret: str = Field(
        description="whsec_ and base64: verify deliveries with it (Standard Webhooks). Shown only this once."
    )


class WebhookPage(Model):
    items: list[WebhookView]
    next_token: str | None = None


class AttemptView(Model):
    at: str
    status: int | None = Field(description="The answer's HTTP status; null: none (timeout, network, refused)")
    verdict: Literal["succeeded", "retry", "failed"]
    duration_ms: int
    response: str = Field(description="The first 1 KB of the answer")
    error: str | None = None
    replay: bool = False


class DeliveryView(Model):
    delivery_id: str = Field(description="The webhook-id header of every attempt")
    event_type: str
    event_id: str
    status: Literal["pending", "succeeded", "failed", "dead"]
    created_at: str
    attempts: list[AttemptView] = Field(description="Oldest first")


class DeliveryPage(Model):
    items: list[DeliveryView]
    next_token: str | None = None


class ReplayView(Model):
    delivery_id: str
    queued: bool = True


class Envelope(Model):
    """What every delivery's body is (Standard Webhooks' recommended shape)."""

    type: EventType
    timestamp: str = Field(description="When the event happened (ISO 8601, UTC)")
    data: dict[str, Any] = Field(
        description="order.*: the order exactly as GET /orders/{order_id} returns it, with its integer "
        "version; stock.low: the StockLow event and a text Slack shows; import.finished: the ImportFinished "
        "event; webhook.endpoint_disabled: endpoint_id, url_host, reason, disabled_at"
    )

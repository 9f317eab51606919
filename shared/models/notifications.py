"""Notification settings and template overrides: what staff send to ``/notifications/...``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from shared.domain.notifications import Kind
from shared.models.common import Email, Model, StrictModel
from shared.patterns import CHANNEL_NAME_PATTERN

# A channel named in the settings (the API refuses "staff" and the like beyond the pattern).
ChannelKey = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=CHANNEL_NAME_PATTERN)]

MAX_STAFF_EMAILS = 20
MAX_CHANNELS = 100
MAX_SUBJECT = 200
MAX_BODY = 20_000


class NotificationSettings(StrictModel):
    """Which kinds each channel sends, and who hears of low stock. A channel or kind not named takes its
    default: on for the shop's own channels, off for marketplaces and connected Shopify or WooCommerce
    stores (they tell their customers themselves)."""

    channels: dict[ChannelKey, dict[Kind, StrictBool]] = Field(
        default_factory=dict,
        max_length=MAX_CHANNELS,
        examples=[{"amazon": {"shipment": True}, "web": {"delivery": False}}],
        description="Per channel, per kind: true sends it, false mutes it",
    )
    staff_emails: list[Email] = Field(
        default_factory=list,
        max_length=MAX_STAFF_EMAILS,
        description="Who receives the low-stock (stock_low) email",
    )


class TemplateIn(StrictModel):
    """A channel's own template for one kind. Placeholders (``$name`` or ``${name}``) are those of
    ``PLACEHOLDERS``; a template naming any other, or with a stray ``$``, is refused (422), and one that
    fails later falls back to the built-in default. ``$$`` is a literal dollar sign."""

    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    text: str = Field(min_length=1, max_length=MAX_BODY)
    html: str = Field(min_length=1, max_length=MAX_BODY)


class TemplateOut(Model):
    channel: str
    kind: Kind
    subject: str
    text: str
    html: str
    custom: bool = Field(description="false: the built-in default (no override stored)")
    placeholders: list[str]

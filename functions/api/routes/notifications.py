"""Notification settings and templates (admin): which kinds each channel emails its customers, who
hears of low stock, and a channel's own words for a kind (README, "Notifications")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.api import wiring
from shared.domain.auth import check_channel
from shared.domain.notifications import STAFF_CHANNEL, Kind
from shared.http import invalid_field, json_response, not_found, require
from shared.models.common import CHANNEL_NAME_PATTERN
from shared.models.notifications import NotificationSettings, TemplateIn, TemplateOut
from shared.observability import logger
from shared.openapi import problem_responses

if TYPE_CHECKING:
    from shared.notifications.templates import Source

router = Router()
ChannelPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=CHANNEL_NAME_PATTERN,
        description="The channel (``staff``: the staff emails' templates, stock_low)",
    ),
]
KindPath = Annotated[Kind, Path(description="The kind of email")]


@router.get(
    "/notifications/settings",
    summary="Which kinds each channel emails, and the staff low-stock list (admin)",
    description="A channel or kind not named takes its default: on for the shop's own channels, off for "
    "marketplaces (amazon, ebay, ...) and for channels connected to a Shopify or WooCommerce store, which "
    "tell their customers themselves.",
    tags=["notifications"],
    responses=problem_responses(503),
)
def get_settings() -> Response[NotificationSettings]:
    require(router, "admin")
    return json_response(200, wiring.notification_store().settings())


@router.put(
    "/notifications/settings",
    summary="Set which kinds each channel emails, and the staff low-stock list (admin)",
    description="Replaces the whole settings document.",
    tags=["notifications"],
    responses=problem_responses(503, body=True),
)
def put_settings(settings: Annotated[NotificationSettings, Body()]) -> Response[NotificationSettings]:
    caller = require(router, "admin")
    for channel in settings.channels:
        try:
            check_channel(channel)
        except ValueError as exc:
            raise invalid_field("channels", str(exc)) from exc
    wiring.notification_store().save_settings(settings, now=datetime.now(UTC))
    logger.info(
        "notification settings saved",
        channels=sorted(settings.channels),
        staff_emails=len(settings.staff_emails),
        key_id=caller.key_id,
    )
    return json_response(200, settings)


def _template_out(channel: str, kind: Kind, source: Source, *, custom: bool) -> TemplateOut:
    from shared.notifications.templates import PLACEHOLDERS

    return TemplateOut(
        channel=channel,
        kind=kind,
        subject=source.subject,
        text=source.text,
        html=source.html,
        custom=custom,
        placeholders=sorted(PLACEHOLDERS),
    )


def _checked_channel(channel: str) -> str:
    """A channel's name, or ``staff``: the staff emails' own templates (stock_low)."""
    if channel == STAFF_CHANNEL:
        return channel
    try:
        return check_channel(channel)
    except ValueError as exc:
        raise invalid_field("channel", str(exc)) from exc


@router.get(
    "/notifications/templates/<channel>/<kind>",
    summary="A channel's template of one kind, or the built-in default (admin)",
    tags=["notifications"],
    responses=problem_responses(
        404, 422, 503, notes={404: "Not answered today: a channel without its own template gets the default"}
    ),
)
def get_template(channel: ChannelPath, kind: KindPath) -> Response[TemplateOut]:
    require(router, "admin")
    from shared.notifications.templates import DEFAULTS

    _checked_channel(channel)
    stored = wiring.notification_store().template(channel, kind)
    source = stored or DEFAULTS[kind]
    return json_response(200, _template_out(channel, kind, source, custom=stored is not None))


@router.put(
    "/notifications/templates/<channel>/<kind>",
    summary="Set a channel's own template of one kind (admin)",
    description="Placeholders: $order_ref, $order_id, $customer_name, $status_text, $tracking_link, $lines, "
    "$waiting, $total, $carrier, $tracking_number, $carrier_link, $sku, $available, $threshold, $location "
    "($$ for a dollar sign). Values are HTML-escaped in the html part. A template naming another "
    "placeholder is refused (422).",
    tags=["notifications"],
    responses=problem_responses(503, body=True),
)
def put_template(
    channel: ChannelPath, kind: KindPath, template: Annotated[TemplateIn, Body()]
) -> Response[TemplateOut]:
    caller = require(router, "admin")
    from shared.notifications.templates import Source, TemplateError, check_template

    _checked_channel(channel)
    source = Source(subject=template.subject, text=template.text, html=template.html)
    try:
        check_template(source)
    except TemplateError as exc:
        raise invalid_field("template", str(exc)) from exc
    wiring.notification_store().put_template(channel, kind, source, now=datetime.now(UTC))
    logger.info("notification template saved", channel=channel, kind=kind, key_id=caller.key_id)
    return json_response(200, _template_out(channel, kind, source, custom=True))


@router.delete(
    "/notifications/templates/<channel>/<kind>",
    summary="Remove a channel's template of one kind: the built-in default applies again (admin)",
    tags=["notifications"],
    responses=problem_responses(404, 422, 503, success={204: "Removed"}, notes={404: "No such template"}),
)
def delete_template(channel: ChannelPath, kind: KindPath) -> Response[None]:
    caller = require(router, "admin")
    _checked_channel(channel)
    if not wiring.notification_store().delete_template(channel, kind, now=datetime.now(UTC)):
        raise not_found(f"A {kind} template of channel {channel}")
    logger.info("notification template removed", channel=channel, kind=kind, key_id=caller.key_id)
    return Response(status_code=204)

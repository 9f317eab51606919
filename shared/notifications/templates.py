"""The emails' words: a subject, a plain-text part and an HTML part per kind, in code, with
``string.Template`` placeholders. Pure.

A channel may override any kind (``PUT /notifications/templates/{channel}/{kind}``) without a deploy.
Overrides use the same placeholders, from the fixed set ``PLACEHOLDERS`` below. Every value put into an
HTML part is HTML-escaped, lists included; a customer's name or a SKU can never add markup. A subject is
one line: line breaks in values become spaces. An override that names an unknown placeholder or has a
stray ``$`` is refused when saved (``check_template``). If one still fails when rendered, the built-in
default is sent instead, and the caller logs the reason (never a value).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template

from shared.domain.notifications import Kind

# Every placeholder a template may name, and what it holds (README, "Notifications").
PLACEHOLDERS: Mapping[str, str] = {
    "order_ref": "the order's reference as the customer knows it (the channel's number, else the order id)",
    "order_id": "the OMS order id",
    "customer_name": "the customer's name",
    "status_text": "the order's status in plain words",
    "tracking_link": "the signed link to the order's tracking page",
    "lines": "the order's lines (quantity x name or SKU), one per line (a list in HTML)",
    "waiting": "backorder: what is waiting for stock, one per line (a list in HTML)",
    "total": "the order's total with its currency",
    "carrier": "shipment: the carrier",
    "tracking_number": "shipment: the carrier's tracking number",
    "carrier_link": "shipment: the carrier's own tracking URL (empty when unknown)",
    "sku": "stock_low: the SKU",
    "available": "stock_low: units available",
    "threshold": "stock_low: the SKU's low-stock threshold",
    "location": "stock_low: the location whose stock moved (empty: orders reserved it)",
}
_LISTS = frozenset({"lines", "waiting"})
MAX_SUBJECT_CHARS = 200


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Values:
    """What a template may show. Unset values render empty."""

    scalars: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """A template's three parts, unrendered."""

    subject: str
    text: str
    html: str


class TemplateError(ValueError):
    """An override that cannot render: unknown placeholder or a stray ``$``."""


def _footer_text() -> str:
    return "\n\nFollow your order: $tracking_link\n"


def _footer_html() -> str:
    return '<p><a href="$tracking_link">Follow your order</a></p>'


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><body style="font-family:sans-serif;max-width:600px">'
        f"{body}{_footer_html()}</body></html>"
    )


DEFAULTS: Mapping[Kind, Source] = {
    "confirmation": Source(
        subject="Order $order_ref confirmed",
        text="Hello $customer_name,\n\nthank you: your order $order_ref is confirmed.\n\n"
        "$lines\n\nTotal: $total" + _footer_text(),
        html=_page(
            "<p>Hello $customer_name,</p><p>thank you: your order <b>$order_ref</b> is confirmed.</p>"
            "$lines<p>Total: $total</p>"
        ),
    ),
    "backorder": Source(
        subject="Order $order_ref: some items are on backorder",
        text="Hello $customer_name,\n\nwe have your order $order_ref. These items are waiting for stock:\n\n"
        "$waiting\n\nWe will write again as soon as it is confirmed." + _footer_text(),
        html=_page(
            "<p>Hello $customer_name,</p><p>we have your order <b>$order_ref</b>. These items are waiting "
            "for stock:</p>$waiting<p>We will write again as soon as it is confirmed.</p>"
        ),
    ),
    "shipment": Source(
        subject="Order $order_ref has shipped",
        text="Hello $customer_name,\n\npart or all of your order $order_ref is on its way with $carrier.\n\n"
        "$lines\n\nTracking number: $tracking_number\n$carrier_link" + _footer_text(),
        html=_page(
            "<p>Hello $customer_name,</p><p>part or all of your order <b>$order_ref</b> is on its way "
            'with $carrier.</p>$lines<p>Tracking number: <a href="$carrier_link">$tracking_number</a></p>'
        ),
    ),
    "delivery": Source(
        subject="Order $order_ref was delivered",
        text="Hello $customer_name,\n\nyour order $order_ref was delivered. We hope you enjoy it."
        + _footer_text(),
        html=_page("<p>Hello $customer_name,</p><p>your order <b>$order_ref</b> was delivered.</p>"),
    ),
    "cancellation": Source(
        subject="Order $order_ref was cancelled",
        text="Hello $customer_name,\n\nyour order $order_ref was cancelled. If you paid for it, "
        "you will be refunded." + _footer_text(),
        html=_page(
            "<p>Hello $customer_name,</p><p>your order <b>$order_ref</b> was cancelled. If you paid for "
            "it, you will be refunded.</p>"
        ),
    ),
    "return": Source(
        subject="We received your return for order $order_ref",
        text="Hello $customer_name,\n\nwe received the items you returned from order $order_ref."
        + _footer_text(),
        html=_page(
            "<p>Hello $customer_name,</p><p>we received the items you returned from order "
            "<b>$order_ref</b>.</p>"
        ),
    ),
    "stock_low": Source(
        subject="Low stock: $sku ($available left)",
        text="$sku is low: $available available, threshold $threshold. Location: $location\n",
        html="<p><b>$sku</b> is low: $available available, threshold $threshold. Location: $location</p>",
    ),
}


def check_template(source: Source) -> None:
    """Refuse a template that names a placeholder outside ``PLACEHOLDERS`` or has a stray ``$``."""
    for part in (source.subject, source.text, source.html):
        template = Template(part)
        if not template.is_valid():
            raise TemplateError("a '$' that starts no placeholder (write $$ for a dollar sign)")
        unknown = sorted(set(template.get_identifiers()) - set(PLACEHOLDERS))
        if unknown:
            raise TemplateError(f"unknown placeholders: {', '.join(unknown)}")


def _text_values(values: Values) -> dict[str, str]:
    out = {name: "" for name in PLACEHOLDERS}
    out.update(values.scalars)
    for name in _LISTS:
        out[name] = "\n".join(f"- {item}" for item in values.lists.get(name, ()))
    return out


def _html_values(values: Values) -> dict[str, str]:
    out = {name: "" for name in PLACEHOLDERS}
    out.update({name: html.escape(value, quote=True) for name, value in values.scalars.items()})
    for name in _LISTS:
        items = values.lists.get(name, ())
        out[name] = (
            "<ul>" + "".join(f"<li>{html.escape(item, quote=True)}</li>" for item in items) + "</ul>"
            if items
            else ""
        )
    return out


def _subject(rendered: str) -> str:
    return " ".join(rendered.split())[:MAX_SUBJECT_CHARS]


def render_source(source: Source, values: Values) -> Email:
    """One template rendered; TemplateError when it cannot be."""
    check_template(source)
    text_values = _text_values(values)
    subject_values = {k: " ".join(v.split()) for k, v in text_values.items()}
    return Email(
        subject=_subject(Template(source.subject).substitute(subject_values)),
        text=Template(source.text).substitute(text_values),
        html=Template(source.html).substitute(_html_values(values)),
    )


def render(kind: Kind, values: Values, override: Source | None = None) -> tuple[Email, str | None]:
    """The email of ``kind``: the channel's override if it renders, else the default. The second value
    is why an override was not used (None: it was, or there was none), for the log: no value of it."""
    if override is not None:
        try:
            return render_source(override, values), None
        except (TemplateError, ValueError, KeyError) as exc:
            return render_source(DEFAULTS[kind], values), f"{type(exc).__name__}: {exc}"
    return render_source(DEFAULTS[kind], values), None

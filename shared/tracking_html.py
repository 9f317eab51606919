"""The tracking page's answers: HTML for people, JSON for storefronts (``Accept: application/json``).

Server-rendered, no script at all: every value from the order goes through ``html.escape``, and the
policy (``shared.security_headers.page_headers``) allows nothing but the one stylesheet below, by its
hash. The page is one column, readable at 360 px. Every way of not finding an order answers the same
``NOT_FOUND`` (404), in HTML or JSON: no enumeration.

Cheap to import: no Powertools; the models only for the problem bodies.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from typing import Any

from shared.domain.tracking_page import TrackingView, readable
from shared.problems import PROBLEM_JSON, StandardProblem
from shared.security_headers import page_headers

HTML = "text/html; charset=utf-8"
JSON = "application/json"
NOT_FOUND = StandardProblem(
    404,
    "tracking-not-found",
    "Not Found",
    "No order matches these details, or its tracking link has expired.",
)
MALFORMED = StandardProblem(
    400, "tracking-lookup", "Bad Request", "Send order with either email or postcode, not both."
)

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}"
    "main{max-width:40rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.1rem;margin:0 0 .5rem}"
    "section{background:#fff;border-radius:8px;padding:1rem;margin:0 0 1rem}"
    ".status{font-size:1.3rem;font-weight:600}"
    "ol,ul{padding-left:1.2rem;margin:.25rem 0}li{margin:.25rem 0;overflow-wrap:anywhere}"
    "label{display:block;margin:.75rem 0 .25rem}"
    "input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem;border:1px solid #888;"
    "border-radius:4px}"
    "button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:4px;background:#1f5fa8;"
    "color:#fff}a{color:#1f5fa8}.error{color:#a01010}.muted{color:#555;font-size:.9rem}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {**page_headers((STYLE_HASH,)), "Cache-Control": "no-store", "Vary": "Accept"}


def wants_json(accept: str | None) -> bool:
    """Whether ``Accept`` prefers application/json to text/html (q-values and wildcards counted; a tie or
    no header: HTML)."""
    ranges: list[tuple[str, float]] = []
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((media.lower(), q))

    def quality(wanted: str) -> float:
        kind = wanted.split("/", maxsplit=1)[0]
        best, specificity = 0.0, -1
        for media, q in ranges:
            rank = 2 if media == wanted else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
            if rank > specificity:
                best, specificity = q, rank
        return best if specificity >= 0 else 0.0

    return quality(JSON) > quality("text/html")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def form_html(message: str | None = None, action: str = "") -> str:
    """The lookup form. ``action`` empty: the form submits to the page's own URL (``/track``)."""
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return _page(
        "Track your order",
        "<h1>Track your order</h1><section>"
        f"{error}"
        f'<form method="get" action="{escape(action)}">'
        '<label for="order">Order number</label>'
        '<input id="order" name="order" required maxlength="128" autocomplete="off">'
        '<label for="email">Email used for the order</label>'
        '<input id="email" name="email" type="email" maxlength="254" autocomplete="email">'
        '<p class="muted">or</p>'
        '<label for="postcode">Postcode of the delivery address</label>'
        '<input id="postcode" name="postcode" maxlength="20" autocomplete="postal-code">'
        '<button type="submit">Show my order</button></form></section>',
    )


def _lines(lines: Any) -> str:
    return "".join(f"<li>{escape(line.name)} &times; {line.quantity}</li>" for line in lines)


def order_html(view: TrackingView) -> str:
    shipments = []
    for s in view.shipments:
        carrier = escape(s.carrier or "Carrier")
        number = escape(s.tracking_number or "")
        track = (
            f'<a href="{escape(s.tracking_url)}" rel="noopener noreferrer" target="_blank">'
            f"Track with {carrier}</a>"
            if s.tracking_url
            else ""
        )
        shipments.append(
            f"<li><strong>{carrier}</strong> {number}<br>"
            f'<span class="muted">shipped {escape(readable(s.shipped_at))}</span>'
            f"<ul>{_lines(s.lines)}</ul>{track}</li>"
        )
    timeline = "".join(
        f'<li>{escape(e.words)} <span class="muted">{escape(readable(e.at))}</span></li>'
        for e in view.timeline
    )
    city = f'<p class="muted">Delivering to {escape(view.city)}</p>' if view.city else ""
    return _page(
        f"Order {view.order_number}",
        f"<h1>Order {escape(view.order_number)}</h1>"
        f'<section><p class="status">{escape(view.status_words)}</p>'
        f"<p>{escape(view.next_step)}</p>{city}</section>"
        + (f"<section><h2>Shipments</h2><ul>{''.join(shipments)}</ul></section>" if shipments else "")
        + f"<section><h2>Items</h2><ul>{_lines(view.lines)}</ul></section>"
        f"<section><h2>History</h2><ol>{timeline}</ol></section>",
    )


def _answer(status: int, content_type: str, body: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**HEADERS, "Content-Type": content_type},
        "body": body,
        "isBase64Encoded": False,
    }


def order_response(view: TrackingView, as_json: bool) -> dict[str, Any]:
    if as_json:
        return _answer(200, JSON, json.dumps(view.as_json(), separators=(",", ":"), ensure_ascii=False))
    return _answer(200, HTML, order_html(view))


def form_response(as_json: bool) -> dict[str, Any]:
    if as_json:  # a storefront asks for an order, never for the form
        return _answer(MALFORMED.status, PROBLEM_JSON, MALFORMED.body())
    return _answer(200, HTML, form_html())


def malformed_response(message: str, as_json: bool) -> dict[str, Any]:
    if as_json:
        return _answer(MALFORMED.status, PROBLEM_JSON, MALFORMED.body())
    return _answer(MALFORMED.status, HTML, form_html(message))


def not_found_response(as_json: bool, form_action: str = "") -> dict[str, Any]:
    """One answer for every order not shown, whatever the reason."""
    if as_json:
        return _answer(NOT_FOUND.status, PROBLEM_JSON, NOT_FOUND.body())
    return _answer(NOT_FOUND.status, HTML, form_html(NOT_FOUND.detail, form_action))


def problem_answer(problem: StandardProblem, request_id: str | None = None) -> dict[str, Any]:
    return _answer(problem.status, PROBLEM_JSON, problem.body(request_id=request_id))

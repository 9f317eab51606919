"""What the console's browser tests, ``make screenshots`` and ``make bench`` share: Debian's Chromium under
Playwright, the data a busy shop's console shows (seeded over the API) and a watch for policy violations.

Playwright drives the system's ``/usr/bin/chromium`` (``make chromium`` installs it); Playwright's own
browser download is never used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_KEY = "dev-admin-key"
STAFF_KEY = "dev-staff-key"
VIEWER_KEY = "dev-viewer-key"
WEB_KEY = "dev-web-key"
XSS_PRODUCT = "<img src=x onerror=alert(1)>"
XSS_CUSTOMER = '"><script>'
WIDTHS = (1280, 768)


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Chromium browser: Debian's, headless."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """Console messages of a page: a Content-Security-Policy violation is reported there by Chromium (and
    by the ``securitypolicyviolation`` event, recorded by an init script), as is an uncaught error."""

    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "securitypolicyviolation" in m]


_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`securitypolicyviolation ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watch(page: Any) -> Watch:
    """Record ``page``'s console messages, uncaught errors and dialogs (any dialog is dismissed)."""
    found = Watch()
    page.add_init_script(_REPORT_VIOLATIONS)
    page.on("console", lambda message: found.messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: found.errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        found.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return found


def sign_in(page: Any, api: str, key: str, path: str = "/console") -> None:
    from playwright.sync_api import expect

    page.goto(f"{api}{path}")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def headers(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


@dataclass(frozen=True)
class Seeded:
    skus: list[str]
    xss_sku: str
    email: str
    xss_email: str
    open_order: str  # CONFIRMED, two lines: ship it partly, then fully
    shipped_order: str
    customer_id: str


def _ok(reply: requests.Response) -> dict[str, Any]:
    assert reply.status_code < 300, f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text}"
    return dict(reply.json()) if reply.content else {}


def seed(api: str, *, staff_key: str = STAFF_KEY, channel_key: str = WEB_KEY) -> Seeded:
    """Products with stock (one low, one named like markup), orders in several states from the web channel,
    a customer named like markup. Unique per call: tests may share a stack."""
    run = uuid.uuid4().hex[:6].upper()
    staff = headers(staff_key)
    catalog = [
        (f"TEE-RED-M-{run}", "Organic tee, red, M", "19.90", 40, 5),
        (f"TEE-BLU-L-{run}", "Organic tee, blue, L", "19.90", 3, 5),
        (f"MUG-{run}", "Enamel mug", "12.50", 120, 10),
        (f"CAP-{run}", "Canvas cap", "24.00", 15, None),
        (f"XSS-{run}", XSS_PRODUCT, "1.00", 9, None),
    ]
    for sku, name, price, on_hand, threshold in catalog:
        _ok(
            requests.put(
                f"{api}/products/{sku}",
                json={"name": name, "price": price, "low_stock_threshold": threshold},
                headers=staff,
                timeout=10,
            )
        )
        _ok(requests.put(f"{api}/inventory/{sku}", json={"on_hand": on_hand}, headers=staff, timeout=10))
    skus = [c[0] for c in catalog]
    email = f"sam.{run.lower()}@example.com"
    xss_email = f"markup.{run.lower()}@example.com"
    channel = headers(channel_key)
    address = {
        "name": "Sam Lee",
        "line1": "12 Mill Lane",
        "city": "Leeds",
        "postal_code": "LS1 4AB",
        "country": "GB",
    }

    def place(customer: dict[str, str], lines: list[dict[str, Any]], external: str) -> dict[str, Any]:
        body = {
            "external_id": external,
            "customer": customer,
            "shipping_address": address,
            "lines": lines,
            "shipping_total": "4.95",
        }
        return _ok(requests.post(f"{api}/orders", json=body, headers=channel, timeout=10))

    open_order = place(
        {"email": email, "name": "Sam Lee"},
        [{"sku": skus[0], "quantity": 2}, {"sku": skus[2], "quantity": 1}],
        f"W-{run}-1",
    )
    shipped = place({"email": email, "name": "Sam Lee"}, [{"sku": skus[3], "quantity": 1}], f"W-{run}-2")
    _ok(
        requests.post(
            f"{api}/orders/{shipped['order_id']}/shipments",
            json={"carrier": "ups", "tracking_number": f"1Z{run}01"},
            headers=staff,
            timeout=10,
        )
    )
    place({"email": xss_email, "name": XSS_CUSTOMER}, [{"sku": skus[4], "quantity": 1}], f"W-{run}-3")
    cancelled = place({"email": email, "name": "Sam Lee"}, [{"sku": skus[2], "quantity": 3}], f"W-{run}-4")
    _ok(
        requests.post(
            f"{api}/orders/{cancelled['order_id']}/cancel",
            json={"reason": "customer changed their mind"},
            headers=staff,
            timeout=10,
        )
    )
    return Seeded(
        skus=skus,
        xss_sku=skus[4],
        email=email,
        xss_email=xss_email,
        open_order=str(open_order["order_id"]),
        shipped_order=str(shipped["order_id"]),
        customer_id=str(open_order["customer_id"]),
    )

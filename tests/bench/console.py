"""`make bench`, the staff console: its size (what a first visit downloads, Swagger UI's files left out) and
its first load signed in, in Debian's Chromium on a local stack of its own (the median of 5 loads)."""

from __future__ import annotations

import statistics
from contextlib import contextmanager
from pathlib import Path

from functions.console import handler
from tests.bench.__main__ import line

BUDGET_BYTES = 300 * 1024
LOAD_TARGET_MS = 1000
LOADS = 5
_DRAWN = "() => document.querySelector('main .pager') ? performance.now() : false"
_SHELL = "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
_ORDERS = "() => performance.getEntriesByType('resource').find((e) => e.name.includes('/orders?')).duration"


def size() -> None:
    folder = Path(handler.__file__).parent / "static"
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())  # Swagger UI's are not in it
    line(
        "console size, uncompressed, without Swagger UI",
        f"{total / 1024:.1f} KB",
        f"budget {BUDGET_BYTES // 1024} KB",
    )


def first_load() -> None:
    from tests.e2e.conftest import ROOT, start_stack
    from tests.e2e.console_support import ADMIN_KEY, chromium, seed, sign_in

    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    with contextmanager(start_stack)() as running:
        api = running.api
        seed(api, staff_key=ADMIN_KEY)
        shells, drawn, orders = [], [], []
        with chromium() as browser:
            signing_in = browser.new_context(viewport={"width": 1280, "height": 900})
            sign_in(signing_in.new_page(), api, ADMIN_KEY)  # also warms the stack's workers
            signed_in = signing_in.storage_state()  # the session cookie, nothing cached
            signing_in.close()
            for _ in range(LOADS):
                # A new context each time: an empty HTTP cache (a first visit), the session cookie set.
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900}, storage_state=signed_in
                )
                page = context.new_page()
                page.goto(f"{api}/console/orders", wait_until="commit")
                # The page's own clock, from the navigation's start: when the first page of orders is drawn.
                drawn.append(page.wait_for_function(_DRAWN).json_value())
                shells.append(page.evaluate(_SHELL))
                orders.append(page.evaluate(_ORDERS))
                context.close()
    line(
        f"console first load signed in (median of {LOADS})",
        f"{statistics.median(drawn):.0f} ms",
        f"target {LOAD_TARGET_MS} ms: empty cache to the first page of orders drawn",
    )
    line(
        "  of which the shell, its scripts and style",
        f"{statistics.median(shells):.0f} ms",
        "DOMContentLoaded",
    )
    line("  of which GET /orders (the API on the local stack)", f"{statistics.median(orders):.0f} ms")


def main() -> None:
    size()
    first_load()

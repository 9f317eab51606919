"""`make bench`, the staff console: its size (what a first visit downloads, Swagger UI's files left out) and
its first load signed in, in Debian's Chromium on a local stack of its own (the median of 5 loads)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from functions.console import handler
from tests.bench.__main__ import line

BUDGET_BYTES = 300 * 1024
LOAD_TARGET_MS = 1000
LOADS = 5


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
    stack = start_stack()
    api = next(stack).api
    try:
        seed(api, staff_key=ADMIN_KEY)
        timings = []
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            sign_in(page, api, ADMIN_KEY)  # warms the stack's workers: a cold worker is not the console
            for _ in range(LOADS):
                start = time.perf_counter()
                page.goto(f"{api}/console/orders", wait_until="load")
                page.get_by_role("button", name="Next page").wait_for()  # drawn with the first page of orders
                timings.append((time.perf_counter() - start) * 1000)
            context.close()
    finally:
        stack.close()
    line(
        "console first load signed in (orders page, median)",
        f"{statistics.median(timings):.0f} ms",
        f"target {LOAD_TARGET_MS} ms; shell, scripts, GET /session and a page of orders",
    )


def main() -> None:
    size()
    first_load()

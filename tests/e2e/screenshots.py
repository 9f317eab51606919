"""``make screenshots``: a PNG of every console page at 1280 and 768 px wide, in ``screenshots/``.

On a local stack of its own, seeded with a small shop's data (``tests/e2e/console_support.py``), signed in
as the local admin (every page and every action shows). Look at each one after a change to the pages.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import ROOT, start_stack
from tests.e2e.console_support import ADMIN_KEY, WIDTHS, chromium, headers, seed, sign_in, watch
from tests.support.waiting import wait_until

OUT = ROOT / "screenshots"


def pages(seeded: Any) -> list[tuple[str, str]]:
    return [
        ("orders", "/console/orders"),
        ("order", f"/console/orders/{seeded.open_order}"),
        ("order-shipped", f"/console/orders/{seeded.shipped_order}"),
        ("products", "/console/products"),
        ("customers", "/console/customers"),
        ("customer", f"/console/customers/{seeded.customer_id}"),
        ("reports", "/console/reports"),
        ("analytics", "/console/analytics"),
        ("operations", "/console/operations"),
        ("keys", "/console/keys"),
        ("swagger", "/console/swagger"),
    ]


def shoot(api: str, out: Path = OUT) -> list[Path]:
    out.mkdir(exist_ok=True)
    seeded = seed(api, staff_key=ADMIN_KEY)
    report = requests.post(
        f"{api}/reports", json={"type": "inventory"}, headers=headers(ADMIN_KEY), timeout=10
    )
    report_url = f"{api}/reports/{report.json()['report_id']}"
    wait_until(
        lambda: (
            requests.get(report_url, headers=headers(ADMIN_KEY), timeout=10).json()["status"] != "PENDING"
        ),
        timeout=30,
    )
    written: list[Path] = []
    problems: list[str] = []
    with chromium() as browser:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            found = watch(page)
            page.goto(f"{api}/console")
            page.get_by_label("API key").wait_for()
            written.append(out / f"signin-{width}.png")
            page.screenshot(path=written[-1], full_page=True)
            sign_in(page, api, ADMIN_KEY)
            for name, path in pages(seeded):
                page.goto(f"{api}{path}")
                page.wait_for_load_state("networkidle")
                written.append(out / f"{name}-{width}.png")
                page.screenshot(path=written[-1], full_page=True)
                if name == "order":  # the Ship form open, as staff fill it in
                    page.get_by_role("button", name="Ship").click()
                    written.append(out / f"order-ship-form-{width}.png")
                    page.screenshot(path=written[-1], full_page=True)
            problems += found.violations + found.errors
            context.close()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return written


def main() -> int:
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    with contextmanager(start_stack)() as running:
        for path in shoot(running.api):
            print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())

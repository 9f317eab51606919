"""The staff console in real Chromium (Debian's, driven by Playwright) on a local stack of its own: what a
member of staff does all day, through the accessible names the pages promise (issue 16, "Done when")."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from shared.security_headers import CONSOLE_HEADERS
from tests.e2e.conftest import ROOT, Stack, start_stack
from tests.e2e.console_support import (
    ADMIN_KEY,
    STAFF_KEY,
    VIEWER_KEY,
    WEB_KEY,
    XSS_CUSTOMER,
    XSS_PRODUCT,
    Seeded,
    Watch,
    chromium,
    headers,
    seed,
    sign_in,
    watch,
)
from tests.e2e.test_marketplace_feed import find, sample_order, sqs
from tests.integration.test_channel_updates import AMAZON_SKU, fixture, message
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console_stack() -> Iterator[Stack]:
    """Its own stack: the dead-letter queue and the lists the pages show hold this module's data alone."""
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    yield from start_stack()


@pytest.fixture(scope="module")
def seeded(console_stack: Stack) -> Seeded:
    return seed(console_stack.api)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


@pytest.fixture
def seen(page: Any) -> Watch:
    return watch(page)


def person_key(api: str, name: str, role: str) -> str:
    """A person's own key, made over HTTP by the local admin (POST /keys)."""
    made = requests.post(
        f"{api}/keys", json={"name": name, "role": role}, headers=headers(ADMIN_KEY), timeout=10
    )
    assert made.status_code == 201, made.text
    return str(made.json()["api_key"])


def place(api: str, sku: str, email: str = "pat@example.com", name: str = "Pat Doe") -> str:
    """A confirmed web order of one unit of ``sku``: its id."""
    placed = requests.post(
        f"{api}/orders",
        json={"customer": {"email": email, "name": name}, "lines": [{"sku": sku, "quantity": 1}]},
        headers=headers(WEB_KEY),
        timeout=10,
    )
    assert placed.status_code == 201, placed.text
    return str(placed.json()["order_id"])


def assert_clean(seen: Watch) -> None:
    assert seen.violations == []
    assert seen.errors == []
    assert seen.dialogs == []


# --- signing in -------------------------------------------------------------------------------------------


def test_sign_in_and_sign_out(console_stack: Stack, page: Any, seen: Watch) -> None:
    api = console_stack.api
    page.goto(f"{api}/console/products")
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That API key is not valid.")

    sign_in(page, api, STAFF_KEY, "/console/products")

    expect(page.get_by_role("heading", level=1)).to_have_text("Products")  # where they were going
    for name in ("Orders", "Products", "Customers", "Reports", "Operations"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Keys", exact=True)).to_have_count(0)  # staff, not admin
    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0
    cookie = next(c for c in page.context.cookies() if c["name"] == "oms_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("async () => (await fetch('../session')).status") == 401
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_clean(seen)


def test_keyboard_alone_signs_in_and_moves_between_pages(
    console_stack: Stack, page: Any, seen: Watch
) -> None:
    page.goto(f"{console_stack.api}/console")
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(STAFF_KEY)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    products = page.get_by_role("link", name="Products", exact=True)
    for _ in range(20):  # Tab from the top of the page to the link
        page.keyboard.press("Tab")
        if products.evaluate("(link) => link === document.activeElement"):
            break
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert_clean(seen)


def test_a_channel_key_cannot_sign_in(console_stack: Stack, page: Any, seen: Watch) -> None:
    page.goto(f"{console_stack.api}/console")
    page.get_by_label("API key").fill(WEB_KEY)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("Channel keys cannot sign in to the console.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_clean(seen)


def test_an_admin_sees_the_keys_page(console_stack: Stack, page: Any, seen: Watch) -> None:
    sign_in(page, console_stack.api, ADMIN_KEY)
    page.get_by_role("link", name="Keys", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Keys")
    expect(page.get_by_role("heading", level=1)).to_be_focused()  # focus follows the navigation
    page.get_by_label("Name", exact=True).fill(f"temp-{uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create key").click()
    new_key = page.get_by_label("New API key").input_value()
    assert (
        requests.get(f"{console_stack.api}/orders", headers=headers(new_key), timeout=10).status_code == 200
    )
    assert_clean(seen)


# --- orders -----------------------------------------------------------------------------------------------


def test_an_order_is_found_by_its_customers_email(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    sign_in(page, console_stack.api, STAFF_KEY)

    page.get_by_label("Order id, external id or customer email").fill(seeded.email.upper())
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("link", name=seeded.open_order).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {seeded.open_order}")
    expect(page).to_have_url(re.compile(f"/console/orders/{seeded.open_order}$"))
    assert_clean(seen)


def test_a_partial_then_a_full_shipment_signed_by_the_person(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    api = console_stack.api
    name = f"alice{uuid.uuid4().hex[:4]}"
    order = requests.post(
        f"{api}/orders",
        json={
            "customer": {"email": f"{name}@example.com", "name": "Ada Byron"},
            "lines": [{"sku": seeded.skus[0], "quantity": 2}, {"sku": seeded.skus[2], "quantity": 1}],
        },
        headers=headers(WEB_KEY),
        timeout=10,
    ).json()["order_id"]
    sign_in(page, api, person_key(api, name, "staff"), f"/console/orders/{order}")

    page.get_by_role("button", name="Ship", exact=True).click()
    page.get_by_label("Carrier").fill("ups")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_label(f"Quantity of {seeded.skus[0]}").fill("1")
    page.get_by_label(f"Quantity of {seeded.skus[2]}").fill("0")
    page.get_by_role("button", name="Confirm shipment").click()

    expect(page.get_by_role("status")).to_contain_text("part of the order is still to ship")
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.get_by_label(f"Quantity of {seeded.skus[0]}")).to_have_value("1")  # what is left
    expect(page.get_by_label(f"Quantity of {seeded.skus[2]}")).to_have_value("1")
    page.get_by_label("Carrier").fill("dhl")
    page.get_by_label("Tracking number").fill("JD0002")
    page.get_by_role("button", name="Confirm shipment").click()

    expect(page.get_by_role("status")).to_contain_text("every unit has left")
    history = page.get_by_role("region", name="History")
    for status in ("partially shipped", "shipped"):
        row = history.get_by_role("row").filter(has=page.get_by_text(status, exact=True))
        expect(row).to_contain_text(f"staff:{name}")
    shipments = page.get_by_role("region", name="Shipments")
    expect(shipments.get_by_role("row")).to_have_count(3)  # the header and two shipments
    expect(shipments.get_by_role("link", name="1Z999AA10123456784")).to_have_attribute(
        "href", re.compile(r"^https://")
    )
    expect(page.get_by_role("button", name="Ship", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Mark delivered")).to_be_visible()
    assert_clean(seen)


def test_a_refused_cancel_says_why_next_to_the_action(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    api = console_stack.api
    order = requests.post(
        f"{api}/orders",
        json={
            "customer": {"email": "late@example.com", "name": "Lee Late"},
            "lines": [{"sku": seeded.skus[2], "quantity": 1}],
        },
        headers=headers(WEB_KEY),
        timeout=10,
    ).json()["order_id"]
    sign_in(page, api, STAFF_KEY, f"/console/orders/{order}")
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_label("Reason").fill("customer asked")
    # Meanwhile, someone else ships it.
    shipped = requests.post(
        f"{api}/orders/{order}/shipments",
        json={"carrier": "ups", "tracking_number": "1ZLATE"},
        headers=headers(STAFF_KEY),
        timeout=10,
    )
    assert shipped.status_code == 201, shipped.text

    page.get_by_role("button", name="Confirm cancellation").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("An order that is SHIPPED cannot be CANCELLED.")
    expect(alert).to_be_focused()
    assert_clean(seen)


def test_a_viewer_sees_no_changes_and_the_api_refuses_one(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    order_id = place(console_stack.api, seeded.skus[2])
    sign_in(page, console_stack.api, VIEWER_KEY, f"/console/orders/{order_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order_id}")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(page.get_by_role("button", name="Ship", exact=True)).to_have_count(0)

    answer = page.evaluate(
        """async (orderId) => {
            const root = location.pathname.slice(0, location.pathname.indexOf("/console"));
            const session = await (await fetch(root + "/session", {credentials: "same-origin"})).json();
            const reply = await fetch(`${root}/orders/${orderId}/cancel`, {
                method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": session.csrf_token},
                body: JSON.stringify({reason: "trying"}),
            });
            return {status: reply.status, type: reply.headers.get("content-type"), body: await reply.json()};
        }""",
        order_id,
    )

    assert answer["status"] == 403
    assert answer["type"].startswith("application/problem+json")
    assert answer["body"]["status"] == 403 and answer["body"]["detail"]
    order = requests.get(
        f"{console_stack.api}/orders/{seeded.open_order}", headers=headers(STAFF_KEY), timeout=10
    )
    assert order.json()["status"] != "CANCELLED"
    assert_clean(seen)


def test_what_needs_attention_is_listed_and_resolved(console_stack: Stack, page: Any, seen: Watch) -> None:
    """A marketplace cancels an order staff already shipped: the order needs attention until they say how
    it was settled."""
    api, staff = console_stack.api, headers(STAFF_KEY)
    assert requests.put(
        f"{api}/products/{AMAZON_SKU}", json={"name": "Amazon", "price": "10.00"}, headers=staff, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{AMAZON_SKU}", json={"on_hand": 10}, headers=staff, timeout=10).ok
    unshipped, canceled = fixture("amazon", "unshipped_buyer_cancel"), fixture("amazon", "canceled")
    client = sqs(console_stack)
    url = client.get_queue_url(QueueName="oms-marketplace-orders")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody=message("amazon", unshipped))
    external_id = unshipped["AmazonOrderId"]
    assert wait_until(lambda: len(find(console_stack, "amazon", external_id)) == 1, timeout=20)
    [order] = find(console_stack, "amazon", external_id)
    shipped = requests.post(
        f"{api}/orders/{order['order_id']}/shipments",
        json={"carrier": "ups", "tracking_number": "1ZATTENTION"},
        headers=staff,
        timeout=10,
    )
    assert shipped.status_code == 201, shipped.text
    client.send_message(QueueUrl=url, MessageBody=message("amazon", canceled))
    assert wait_until(lambda: bool(find(console_stack, "amazon", external_id)[0]["attention"]), timeout=20)

    sign_in(page, api, STAFF_KEY)
    page.get_by_label("Needs attention").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="Orders needing attention")).to_be_visible()
    page.get_by_role("link", name=order["order_id"]).click()
    section = page.get_by_role("region", name="Needs attention")
    expect(section).to_contain_text("cancelled on the channel after 1 unit(s) shipped")
    resolve = section.get_by_role("button", name="Resolve")
    expect(resolve.first).to_be_visible()
    for left in reversed(range(resolve.count())):  # one form per item; the page is drawn again after each
        section.get_by_role("textbox").first.fill("refunded on Amazon; the parcel comes back")
        resolve.first.click()
        expect(resolve).to_have_count(left)
    expect(page.get_by_role("status")).to_contain_text("Marked as resolved.")

    assert find(console_stack, "amazon", external_id)[0]["attention"]
    assert all(
        a["resolved_by"] == "staff:dev-staff"
        for a in find(console_stack, "amazon", external_id)[0]["attention"]
    )
    listed = requests.get(f"{api}/orders", params={"attention": "true"}, headers=staff, timeout=10).json()[
        "items"
    ]
    assert order["order_id"] not in {o["order_id"] for o in listed}
    assert_clean(seen)


# --- stock, reports, operations ---------------------------------------------------------------------------


def test_a_stock_adjustment(console_stack: Stack, seeded: Seeded, page: Any, seen: Watch) -> None:
    api = console_stack.api
    sku = seeded.skus[3]
    before = requests.get(f"{api}/inventory/{sku}", headers=headers(STAFF_KEY), timeout=10).json()["on_hand"]
    sign_in(page, api, STAFF_KEY, "/console/products")

    row = page.get_by_role("row").filter(has=page.get_by_text(sku, exact=True))
    row.get_by_role("button", name="Adjust stock").click()
    page.get_by_label("Change by").fill("-2")
    page.get_by_label("Reason").fill("damaged in the warehouse")
    page.get_by_role("button", name="Save adjustment").click()

    expect(page.get_by_role("status")).to_contain_text(f"Stock of {sku} updated.")
    expect(page.get_by_role("row").filter(has=page.get_by_text(sku, exact=True))).to_contain_text(
        str(before - 2)
    )
    after = requests.get(f"{api}/inventory/{sku}", headers=headers(STAFF_KEY), timeout=10).json()
    assert after["on_hand"] == before - 2
    movements = requests.get(
        f"{api}/inventory/{sku}/movements", headers=headers(STAFF_KEY), timeout=10
    ).json()
    assert any(m.get("reason") == "damaged in the warehouse" for m in movements["items"])
    assert_clean(seen)


def test_the_low_stock_filter(console_stack: Stack, seeded: Seeded, page: Any, seen: Watch) -> None:
    sign_in(page, console_stack.api, STAFF_KEY, "/console/products")
    page.get_by_label("Low stock").check()

    expect(page.get_by_role("heading", name="Low stock", exact=True)).to_be_visible()
    rows = page.get_by_role("row")
    expect(rows.filter(has=page.get_by_text(seeded.skus[1], exact=True))).to_have_count(1)  # 3 of 5
    expect(rows.filter(has=page.get_by_text(seeded.skus[2], exact=True))).to_have_count(0)  # 120
    assert_clean(seen)


def test_a_report_requested_and_downloaded(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    api = console_stack.api
    sign_in(page, api, STAFF_KEY, "/console/reports")
    page.get_by_label("Report type").select_option("inventory")
    page.get_by_role("button", name="Request report").click()
    expect(page.get_by_role("status")).to_contain_text("Requested inventory")

    def built() -> str:
        reports = requests.get(
            f"{api}/reports", params={"type": "inventory"}, headers=headers(STAFF_KEY), timeout=10
        )
        return str(reports.json()["items"][0]["status"])

    assert wait_until(lambda: built() != "PENDING", timeout=60)
    assert built() == "READY"
    page.get_by_role("button", name="Refresh").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    saved = download.value
    assert saved.suggested_filename.endswith(".csv")
    assert seeded.skus[0] in Path(saved.path()).read_text(encoding="utf-8")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")  # the console stays open
    assert_clean(seen)


def _dead_letter(api: str, external_id: str) -> dict[str, Any] | None:
    reply = requests.get(f"{api}/dead-letters/marketplace-orders", headers=headers(ADMIN_KEY), timeout=10)
    for parked in reply.json()["messages"]:
        body = parked["body"]
        if isinstance(body, dict) and body["order"].get("external_id") == external_id:
            return dict(parked)
    return None


def test_a_dead_letter_redriven_into_an_order(console_stack: Stack, page: Any, seen: Watch) -> None:
    api = console_stack.api
    sku = f"LATE-{uuid.uuid4().hex[:8]}"
    external_id = f"E2E-CONSOLE-{uuid.uuid4().hex[:8]}"
    message = sample_order("generic")
    message["order"]["external_id"] = external_id
    message["order"]["lines"] = [{"sku": sku, "quantity": 1, "unit_price": "4.00"}]
    client = sqs(console_stack)
    client.send_message(
        QueueUrl=client.get_queue_url(QueueName="oms-marketplace-orders")["QueueUrl"],
        MessageBody=json.dumps(message),
    )
    assert wait_until(lambda: _dead_letter(api, external_id) is not None, timeout=20)
    # The cause: a SKU the catalog did not have. Staff create it, with stock.
    staff = headers(STAFF_KEY)
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Late", "price": "4.00"}, headers=staff, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 5}, headers=staff, timeout=10).ok

    sign_in(page, api, ADMIN_KEY, "/console/operations")
    page.get_by_role("button", name="Show messages of marketplace-orders").click()
    row = page.get_by_role("row").filter(has_text=external_id)
    expect(row).to_contain_text("unknown SKU")
    expect(row).to_contain_text("*****")  # the customer, masked
    row.get_by_role("button", name="Redrive", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Redriven: 1 message of marketplace-orders")
    assert wait_until(lambda: len(find(console_stack, "generic", external_id)) == 1, timeout=20)
    assert_clean(seen)


def test_the_operations_page_says_the_local_stack_has_no_alarms(
    console_stack: Stack, page: Any, seen: Watch
) -> None:
    sign_in(page, console_stack.api, VIEWER_KEY, "/console/operations")

    alarms = page.get_by_role("region", name="Alarms")
    expect(alarms).to_contain_text("The local stack has no alarms.")
    expect(page.get_by_role("button", name="Redrive all")).to_have_count(0)  # admin only
    assert_clean(seen)


# --- safety -----------------------------------------------------------------------------------------------


def test_names_like_markup_are_shown_as_text(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    sign_in(page, console_stack.api, STAFF_KEY, "/console/products")
    expect(page.get_by_role("cell", name=XSS_PRODUCT, exact=True)).to_have_count(1)

    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("cell", name=XSS_CUSTOMER, exact=True).first).to_be_visible()

    page.get_by_label("Order id, external id or customer email").fill(seeded.xss_email)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("row").filter(has_text=XSS_CUSTOMER).get_by_role("link").first.click()
    expect(page.get_by_role("region", name="Customer")).to_contain_text(XSS_CUSTOMER)

    assert page.locator("img").count() == 0
    assert page.locator("script:not([src])").count() == 0
    assert_clean(seen)


def test_every_console_response_carries_the_security_headers(console_stack: Stack) -> None:
    api = console_stack.api
    for path, status in [
        ("/console", 200),
        ("/console/orders", 200),
        ("/console/orders/ORD-1", 200),
        ("/console/swagger", 200),
        ("/console/assets/app.js", 200),
        ("/console/assets/swagger-ui.min.css", 200),
        ("/console/assets/nope.js", 404),
    ]:
        reply = requests.get(f"{api}{path}", timeout=10)
        assert reply.status_code == status, path
        for name, value in CONSOLE_HEADERS.items():
            assert reply.headers[name] == value, (path, name)


def test_no_page_breaks_the_policy(console_stack: Stack, seeded: Seeded, page: Any, seen: Watch) -> None:
    api = console_stack.api
    sign_in(page, api, ADMIN_KEY)
    for path, heading in [
        ("/console/orders", "Orders"),
        (f"/console/orders/{seeded.shipped_order}", f"Order {seeded.shipped_order}"),
        ("/console/products", "Products"),
        ("/console/customers", "Customers"),
        (f"/console/customers/{seeded.customer_id}", "Customer Sam Lee"),
        ("/console/reports", "Reports"),
        ("/console/operations", "Operations"),
        ("/console/keys", "Keys"),
    ]:
        page.goto(f"{api}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.wait_for_load_state("networkidle")
    page.goto(f"{api}/console/swagger")
    expect(page.get_by_role("heading", name=re.compile("Order Management System API"))).to_be_visible()
    expect(page.get_by_text("/orders/{order_id}/shipments").first).to_be_visible()
    assert_clean(seen)


@pytest.mark.parametrize("width", [1280, 768])
def test_every_page_fits_the_width(console_stack: Stack, seeded: Seeded, browser: Any, width: int) -> None:
    """Nothing runs off the side at 1280 or 768 px: a wide table scrolls inside its own frame."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    api = console_stack.api
    sign_in(page, api, ADMIN_KEY)
    for path in [
        "/console/orders",
        f"/console/orders/{seeded.shipped_order}",
        "/console/products",
        f"/console/customers/{seeded.customer_id}",
        "/console/reports",
        "/console/operations",
        "/console/keys",
    ]:
        page.goto(f"{api}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} at {width} px runs {overflow} px off the side"
    context.close()


def test_a_customer_corrected_then_erased_after_typing_the_email(
    console_stack: Stack, seeded: Seeded, page: Any, seen: Watch
) -> None:
    api = console_stack.api
    email = f"erase.{uuid.uuid4().hex[:6]}@example.com"
    order_id = place(api, seeded.skus[2], email=email, name="Eve Erase")
    customer_id = requests.get(f"{api}/orders/{order_id}", headers=headers(STAFF_KEY), timeout=10).json()[
        "customer_id"
    ]
    sign_in(page, api, ADMIN_KEY, "/console/customers")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Find customer").click()
    page.get_by_role("link", name="Eve Erase").click()

    page.get_by_label("Phone").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("+44 20 7946 0000")

    erase = page.get_by_role("button", name="Erase customer")
    expect(erase).to_be_disabled()
    page.get_by_label("Type the customer's email to confirm").fill("someone@else.example")
    expect(erase).to_be_disabled()
    page.get_by_label("Type the customer's email to confirm").fill(email)
    erase.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Erased customer")
    record = requests.get(f"{api}/customers/{customer_id}", headers=headers(STAFF_KEY), timeout=10).json()
    assert record["erased_at"] and record["email"] is None
    assert_clean(seen)

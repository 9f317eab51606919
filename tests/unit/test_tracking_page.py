"""The tracking page, pure parts (issue 17): tokens (tamper, truncate, another order, malformed), how long
a link works, the lookup's rules, what the page shows and hides, escaping, the JSON twin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.domain.tracking_page import (
    NEXT_STEP,
    STATUS_WORDS,
    Lookup,
    LookupMalformed,
    link,
    link_valid,
    matches,
    parse_lookup,
    view,
)
from shared.models.orders import Order, OrderStatus
from shared.services.tracking import TrackingService
from shared.services.tracking_links import MESSAGE_PREFIX, TrackingLinks
from shared.tracking_html import HEADERS, STYLE, STYLE_HASH, order_html, order_response, wants_json

ORDER_ID = "0b9c3a52-6f0e-4a43-9d5a-3d0b5f1f7e11"
OTHER_ID = "7d1e0f4c-2b9a-4d8e-a1c3-5e6f7a8b9c0d"


class FakeKms:
    """KMS's GenerateMac/VerifyMac with a local HMAC-SHA-256 key; counts the calls."""

    def __init__(self) -> None:
        self.key = b"k" * 32
        self.calls = 0

    def generate_mac(self, *, KeyId: str, Message: bytes, MacAlgorithm: str) -> dict[str, Any]:
        self.calls += 1
        assert MacAlgorithm == "HMAC_SHA_256"
        return {"Mac": hmac.new(self.key, Message, hashlib.sha256).digest(), "MacValid": True}

    def verify_mac(self, *, KeyId: str, Message: bytes, MacAlgorithm: str, Mac: bytes) -> dict[str, Any]:
        self.calls += 1
        if not hmac.compare_digest(hmac.new(self.key, Message, hashlib.sha256).digest(), Mac):
            raise ClientError({"Error": {"Code": "KMSInvalidMacException"}}, "VerifyMac")
        return {"MacValid": True}


@pytest.fixture
def kms() -> FakeKms:
    return FakeKms()


@pytest.fixture
def links(kms: FakeKms) -> TrackingLinks:
    return TrackingLinks(kms, "alias/oms-tracking")


def test_a_token_is_the_order_id_and_a_versioned_mac_and_opens_its_order(
    links: TrackingLinks, kms: FakeKms
) -> None:
    token = links.token(ORDER_ID)
    order_id, mac = token.split(".")
    assert order_id == ORDER_ID and len(mac) == 43 and "=" not in mac
    expected = hmac.new(kms.key, MESSAGE_PREFIX + ORDER_ID.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(mac + "=") == expected
    assert MESSAGE_PREFIX == b"track:v1:"
    assert links.order_id_of(token) == ORDER_ID


def test_a_tampered_truncated_or_borrowed_token_opens_nothing(links: TrackingLinks) -> None:
    token = links.token(ORDER_ID)
    order_id, mac = token.split(".")
    flipped = mac[:10] + ("A" if mac[10] != "A" else "B") + mac[11:]
    assert links.order_id_of(f"{order_id}.{flipped}") is None  # one character of the MAC changed
    assert links.order_id_of(token[:-1]) is None  # truncated
    assert links.order_id_of(f"{OTHER_ID}.{mac}") is None  # another order's id with this MAC
    other = links.token(OTHER_ID)
    assert links.order_id_of(f"{ORDER_ID}.{other.split('.')[1]}") is None  # another order's MAC
    assert links.order_id_of(token) == ORDER_ID


@pytest.mark.parametrize(
    "token",
    [
        "",
        ORDER_ID,
        f"{ORDER_ID}.",
        f".{'A' * 43}",
        f"{ORDER_ID}.{'A' * 42}",
        f"{ORDER_ID}.{'A' * 44}",
        f"{ORDER_ID}.{'*' * 43}",
        f"{ORDER_ID}.{'A' * 42}B",  # non-canonical base64: the last two bits must be zero
        f"{'a' * 65}.{'A' * 43}",
        f"{ORDER_ID}/x.{'A' * 43}",
        "x" * 10_000,
        f"{ORDER_ID}.{'A' * 43}.{'A' * 43}",
    ],
)
def test_a_malformed_token_never_reaches_kms(links: TrackingLinks, kms: FakeKms, token: str) -> None:
    assert links.order_id_of(token) is None
    assert kms.calls == 0


def test_the_link_is_under_the_public_url() -> None:
    assert link("https://x.example/prod/", "t.k") == "https://x.example/prod/track/t.k"
    assert link("http://127.0.0.1:3000", "t.k") == "http://127.0.0.1:3000/track/t.k"


# --- orders ------------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(days: float) -> str:
    return (T0 + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def an_order(status: OrderStatus = "SHIPPED", **changes: Any) -> Order:
    history = [
        {"status": "CONFIRMED", "at": at(0), "actor": "staff:alice", "reason": "internal note: VIP"},
        {"status": "SHIPPED", "at": at(1), "actor": "staff:bob"},
    ]
    values: dict[str, Any] = {
        "order_id": ORDER_ID,
        "status": status,
        "channel": "web",
        "external_id": "#1001",
        "customer_id": "c-1",
        "customer": {"email": "Ada.Lovelace@Example.com", "name": "Ada Lovelace", "phone": "+44 20 1234"},
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "12 Analytical Street",
            "city": "London",
            "postal_code": "SW1A 1AA",
            "country": "GB",
        },
        "currency": "GBP",
        "lines": [
            {"sku": "TSHIRT", "quantity": 2, "unit_price": "19.99", "line_total": "39.98"},
            {"sku": "MUG", "quantity": 1, "unit_price": "8.50", "line_total": "8.50"},
        ],
        "total": Decimal("48.48"),
        "created_at": at(0),
        "updated_at": at(1),
        "history": history,
        "shipments": [
            {
                "shipment_id": "s-1",
                "carrier": "ups",
                "tracking_number": "1Z999AA10123456784",
                "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                "lines": [{"sku": "TSHIRT", "quantity": 2}, {"sku": "MUG", "quantity": 1}],
                "location": "main",
                "shipped_at": at(1),
                "actor": "staff:bob",
            }
        ],
    }
    values.update(changes)
    return Order.model_validate(values)


def delivered(days_after: float) -> Order:
    history = [
        *an_order().model_dump()["history"],
        {"status": "DELIVERED", "at": at(2), "actor": "staff:bob"},
    ]
    return an_order("DELIVERED", history=history, delivered_at=at(2), updated_at=at(2))


def test_a_link_works_until_90_days_after_delivery() -> None:
    order = delivered(0)
    assert link_valid(order, T0 + timedelta(days=2 + 89))
    assert link_valid(order, T0 + timedelta(days=2 + 90))
    assert not link_valid(order, T0 + timedelta(days=2 + 91))


def test_an_open_order_is_always_shown_and_an_erased_one_never() -> None:
    assert link_valid(an_order("SHIPPED"), T0 + timedelta(days=3650))
    assert not link_valid(an_order("SHIPPED", erased_at=at(1)), T0 + timedelta(days=1))


def test_a_cancelled_order_ends_when_cancelled_and_a_return_moves_the_end_on() -> None:
    cancelled = an_order(
        "CANCELLED", history=[{"status": "CANCELLED", "at": at(5), "actor": "staff:a"}], shipments=[]
    )
    assert link_valid(cancelled, T0 + timedelta(days=5 + 89))
    assert not link_valid(cancelled, T0 + timedelta(days=5 + 91))
    history = [
        *delivered(0).model_dump()["history"],
        {"status": "RETURNED", "at": at(30), "actor": "staff:a"},
    ]
    returned = an_order("RETURNED", history=history, delivered_at=at(2))
    assert link_valid(returned, T0 + timedelta(days=30 + 89))
    assert not link_valid(returned, T0 + timedelta(days=30 + 91))


# --- the lookup ------------------------------------------------------------------------------------


def test_a_lookup_needs_the_order_and_exactly_one_of_email_and_postcode() -> None:
    assert parse_lookup({}) is None
    assert parse_lookup({"order": " #1001 ", "email": "a@b.c"}) == Lookup("#1001", "a@b.c", None)
    assert parse_lookup({"order": "#1001", "postcode": "sw1a1aa", "email": ""}) == Lookup(
        "#1001", None, "sw1a1aa"
    )
    for params in (
        {"order": "#1001"},
        {"order": "#1001", "email": "a@b.c", "postcode": "X1"},
        {"email": "a@b.c"},
        {"order": " ", "postcode": "X1"},
    ):
        with pytest.raises(LookupMalformed):
            parse_lookup(params)


def test_the_email_matches_in_any_case_and_the_postcode_in_any_case_and_spacing() -> None:
    order = an_order()
    assert matches(order, Lookup("#1001", email=" ada.lovelace@EXAMPLE.com "))
    assert not matches(order, Lookup("#1001", email="ada@example.com"))
    assert matches(order, Lookup("#1001", postcode="sw1a1aa"))
    assert matches(order, Lookup("#1001", postcode=" SW1A  1AA"))
    assert not matches(order, Lookup("#1001", postcode="SW1A 1AB"))
    erased = an_order(customer=None, shipping_address=None, erased_at=at(1))
    assert not matches(erased, Lookup("#1001", email="ada.lovelace@example.com"))
    assert not matches(erased, Lookup("#1001", postcode="SW1A 1AA"))


class FakeOrders:
    """The page's read of the orders table (``TrackedOrders``)."""

    def __init__(self, *orders: Order) -> None:
        self.orders = {o.order_id: o for o in orders}
        self.reads = 0

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None:
        self.reads += 1
        return self.orders.get(order_id)

    def ids_by_external_id(self, external_id: str, limit: int) -> list[str]:
        self.reads += 1
        return [o.order_id for o in self.orders.values() if o.external_id == external_id][:limit]


def test_the_service_opens_an_order_by_link_by_id_or_by_external_id(links: TrackingLinks) -> None:
    order = an_order()
    orders = FakeOrders(order, an_order(order_id=OTHER_ID, external_id="#1001", customer=None))
    service = TrackingService(orders, links)
    now = T0 + timedelta(days=3)
    assert service.by_token(links.token(ORDER_ID), now) == order
    assert service.by_lookup(Lookup(ORDER_ID, email="ada.lovelace@example.com"), now) == order
    assert service.by_lookup(Lookup("#1001", postcode="sw1a 1aa"), now) == order
    assert service.by_lookup(Lookup("#1001", email="eve@example.com"), now) is None
    assert service.by_lookup(Lookup("#9999", email="ada.lovelace@example.com"), now) is None
    reads = orders.reads
    assert service.by_lookup(Lookup("x" * 129, email="ada.lovelace@example.com"), now) is None
    assert orders.reads == reads  # too long to be any order: nothing read


def test_a_miss_reads_what_a_wrong_email_reads(links: TrackingLinks) -> None:
    """The answer's time must not tell a shop's existing order number from an unknown one."""
    orders = FakeOrders(an_order(order_id=OTHER_ID, external_id="#1001"))
    service = TrackingService(orders, links)
    assert service.by_lookup(Lookup("#1001", email="eve@example.com"), T0) is None
    wrong_email = orders.reads
    orders.reads = 0
    assert service.by_lookup(Lookup("#1002", email="eve@example.com"), T0) is None
    assert orders.reads == wrong_email == 2  # the index's Query, then one GetItem


def test_the_service_hides_an_expired_or_erased_order(links: TrackingLinks) -> None:
    old = delivered(0)
    service = TrackingService(FakeOrders(old), links)
    assert service.by_token(links.token(ORDER_ID), T0 + timedelta(days=200)) is None
    erased = an_order(customer=None, shipping_address=None, erased_at=at(1))
    assert TrackingService(FakeOrders(erased), links).by_token(links.token(ORDER_ID), T0) is None


# --- what the page shows ------------------------------------------------------------------------------


def test_the_page_shows_status_next_step_timeline_shipments_lines_and_city_only() -> None:
    page = view(an_order())
    assert page.status_words == "Shipped" and page.next_step == NEXT_STEP["SHIPPED"]
    assert page.order_number == "#1001" and page.city == "London"
    assert [(e.status, e.at) for e in page.timeline] == [("CONFIRMED", at(0)), ("SHIPPED", at(1))]
    (shipment,) = page.shipments
    assert (shipment.carrier, shipment.tracking_number) == ("ups", "1Z999AA10123456784")
    assert shipment.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert [(line.name, line.quantity) for line in page.lines] == [("TSHIRT", 2), ("MUG", 1)]
    shown = json.dumps(page.as_json()) + order_html(page)
    for hidden in (
        "Ada",
        "Lovelace",
        "Example.com",
        "example.com",
        "Analytical",
        "SW1A",
        "+44",
        "staff:",
        "VIP",
        "19.99",
        "48.48",
        '"web"',
        "c-1",
    ):
        assert hidden not in shown, hidden


def test_every_status_has_words_and_a_next_step() -> None:
    from typing import get_args

    assert set(STATUS_WORDS) == set(get_args(OrderStatus)) == set(NEXT_STEP)


def test_only_https_tracking_links_are_shown() -> None:
    shipments = an_order().model_dump()["shipments"]
    for url in ("javascript:alert(1)", "http://www.ups.com/x", "//evil.example/x", "https:///nohost"):
        shipments[0]["tracking_url"] = url
        (shipment,) = view(an_order(shipments=shipments)).shipments
        assert shipment.tracking_url is None, url
        assert "href" not in order_html(view(an_order(shipments=shipments)))


def test_hostile_skus_and_carriers_are_escaped_in_the_html() -> None:
    shipments = an_order().model_dump()["shipments"]
    shipments[0]["carrier"] = '<script>alert("c")</script>'
    shipments[0]["tracking_url"] = 'https://x.example/?a="><script>'
    lines = [{"sku": "<img src=x onerror=alert(1)>", "quantity": 1, "unit_price": "1", "line_total": "1"}]
    html = order_html(view(an_order(lines=lines, shipments=shipments, external_id="<b>#1</b>")))
    assert "<script" not in html and "<img" not in html and "<b>#1" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&quot;c&quot;)&lt;/script&gt;" in html
    assert 'href="https://x.example/?a=&quot;&gt;&lt;script&gt;"' in html
    assert 'rel="noopener noreferrer"' in html


def test_the_page_has_no_script_and_its_one_style_is_allowed_by_hash() -> None:
    html = order_html(view(an_order()))
    assert "<script" not in html
    csp = HEADERS["Content-Security-Policy"]
    assert f"style-src 'sha256-{STYLE_HASH}'" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() == STYLE_HASH
    assert f"<style>{STYLE}</style>" in html
    assert 'name="viewport" content="width=device-width,initial-scale=1"' in html
    assert HEADERS["X-Content-Type-Options"] == "nosniff" and HEADERS["Cache-Control"] == "no-store"


def test_the_json_twin_has_the_same_facts() -> None:
    response = order_response(view(an_order()), as_json=True)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {
        "order_id",
        "order_number",
        "status",
        "status_words",
        "next_step",
        "placed_at",
        "updated_at",
        "city",
        "timeline",
        "shipments",
        "lines",
    }
    assert body["shipments"][0]["tracking_url"].startswith("https://www.ups.com/")
    assert body["lines"] == [{"name": "TSHIRT", "quantity": 2}, {"name": "MUG", "quantity": 1}]


@pytest.mark.parametrize(
    ("accept", "json_wanted"),
    [
        (None, False),
        ("", False),
        ("application/json", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("application/json, text/html;q=0.5", True),
        ("text/html, application/json", False),  # a tie: HTML
        ("*/*", False),
        ("application/*", True),
        ("application/json;q=0, */*", False),
    ],
)
def test_json_only_when_accept_prefers_it(accept: str | None, json_wanted: bool) -> None:
    assert wants_json(accept) is json_wanted


def test_times_read_as_people_read_them() -> None:
    from shared.domain.tracking_page import readable

    assert readable("2026-12-07T01:20:59.648247Z") == "7 Dec 2026, 01:20 UTC"
    assert readable("not a time") == "not a time"
    assert "2 Mar 2026, 12:00 UTC" in order_html(view(an_order()))

"""Notifications, pure: which kind each event means, the channels' defaults and switches, templates
rendered (HTML escaped, overrides checked and falling back)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from shared.dal.notifications import AlreadySent, Claimed, ClaimResult, Leased
from shared.domain.notifications import (
    KINDS,
    CustomerNotice,
    StaffNotice,
    address_hash,
    channel_sends,
    claim_key,
    notice_of,
    sends_by_default,
)
from shared.models.events import ORDER_CREATED, ORDER_SHIPPED, ORDER_STATUS_CHANGED, STOCK_LOW
from shared.models.notifications import NotificationSettings
from shared.models.orders import Customer, Order
from shared.notifications.templates import (
    DEFAULTS,
    PLACEHOLDERS,
    Email,
    Source,
    TemplateError,
    Values,
    check_template,
    render,
)
from shared.notifications.values import order_values
from shared.services.notifications import (
    ConnectionReader,
    Mailer,
    NotificationStoreLike,
    Notifier,
    OrderReader,
    TryLater,
)

BASE = {"event_id": "o-1#OrderCreated", "order_id": "o-1", "channel": "web"}


def created(status: str) -> dict[str, Any]:
    return {**BASE, "status": status}


def changed(old: str, new: str) -> dict[str, Any]:
    return {**BASE, "event_id": f"o-1#OrderStatusChanged#t#{new}", "old_status": old, "new_status": new}


@pytest.mark.parametrize(
    ("detail_type", "detail", "kind"),
    [
        (ORDER_CREATED, created("CONFIRMED"), "confirmation"),
        (ORDER_CREATED, created("BACKORDERED"), "backorder"),
        (ORDER_CREATED, created("PENDING_PAYMENT"), None),
        (ORDER_CREATED, created("FULFILLED_BY_CHANNEL"), None),
        (ORDER_STATUS_CHANGED, changed("BACKORDERED", "CONFIRMED"), "confirmation"),
        (ORDER_STATUS_CHANGED, changed("PENDING_PAYMENT", "CONFIRMED"), "confirmation"),
        (ORDER_STATUS_CHANGED, changed("CONFIRMED", "SHIPPED"), None),
        (ORDER_STATUS_CHANGED, changed("CONFIRMED", "PARTIALLY_SHIPPED"), None),
        (ORDER_STATUS_CHANGED, changed("SHIPPED", "DELIVERED"), "delivery"),
        (ORDER_STATUS_CHANGED, changed("CONFIRMED", "CANCELLED"), "cancellation"),
        (ORDER_STATUS_CHANGED, changed("BACKORDERED", "CANCELLED"), "cancellation"),
        (ORDER_STATUS_CHANGED, changed("DELIVERED", "RETURNED"), "return"),
        (ORDER_SHIPPED, {**BASE, "event_id": "o-1#OrderShipped#s-1", "shipment_id": "s-1"}, "shipment"),
        ("ImportFinished", {"import_id": "i-1"}, None),
    ],
)
def test_which_kind_each_event_means(detail_type: str, detail: dict[str, Any], kind: str | None) -> None:
    notice = notice_of(detail_type, detail)
    if kind is None:
        assert notice is None
    else:
        assert isinstance(notice, CustomerNotice)
        assert (notice.kind, notice.event_id, notice.order_id) == (kind, detail["event_id"], "o-1")


def test_a_shipment_notice_names_its_shipment() -> None:
    notice = notice_of(ORDER_SHIPPED, {**BASE, "event_id": "o-1#OrderShipped#s-2", "shipment_id": "s-2"})
    assert isinstance(notice, CustomerNotice) and notice.shipment_id == "s-2"


def test_stock_low_goes_to_staff_with_the_change_as_its_id() -> None:
    detail = {"sku": "MUG", "location": None, "available": 2, "low_stock_threshold": 5, "change_id": "MUG#7"}
    notice = notice_of(STOCK_LOW, detail)
    assert notice == StaffNotice(
        kind="stock_low", event_id="StockLow#MUG#7", sku="MUG", available=2, threshold=5, location=None
    )


@pytest.mark.parametrize(
    ("channel", "connected", "default"),
    [
        ("web", False, True),
        ("pos", False, True),
        ("amazon", False, False),
        ("ebay", False, False),
        ("etsy", False, False),  # a generic connector's store
        ("mystore", True, False),  # a Shopify or WooCommerce connection
    ],
)
def test_channel_defaults(channel: str, connected: bool, default: bool) -> None:
    assert sends_by_default(channel, connected=connected) is default
    assert channel_sends({}, channel, "confirmation", connected=connected) is default


def test_staff_switches_override_the_default_per_kind() -> None:
    switches: dict[str, dict[Any, bool]] = {"amazon": {"shipment": True}, "web": {"delivery": False}}
    assert channel_sends(switches, "amazon", "shipment", connected=False)
    assert not channel_sends(switches, "amazon", "confirmation", connected=False)
    assert not channel_sends(switches, "web", "delivery", connected=False)
    assert channel_sends(switches, "web", "confirmation", connected=False)


def test_address_hash_is_normalised_and_never_the_address() -> None:
    hashed = address_hash(" Jane.Doe@Example.com ")
    assert hashed == address_hash("jane.doe@example.com")
    assert "jane" not in hashed and len(hashed) == 64
    assert claim_key("e-1", "shipment", hashed) == f"e-1#shipment#{hashed}"


HOSTILE = '<script>alert("x")</script> & Co'


def order(**changes: Any) -> Order:
    values: dict[str, Any] = {
        "order_id": "o-1",
        "status": "CONFIRMED",
        "channel": "web",
        "customer": Customer(email="jane@example.com", name=HOSTILE),
        "currency": "EUR",
        "lines": [{"sku": "<b>SKU</b>", "quantity": 2, "unit_price": "5.00", "line_total": "10.00"}],
        "total": "10.00",
        "created_at": "2026-12-07T00:00:00.000000Z",
        "updated_at": "2026-12-07T00:00:00.000000Z",
    }
    values.update(changes)
    return Order.model_validate(values)


NOTICE = CustomerNotice(kind="confirmation", event_id="e-1", order_id="o-1", channel="web")
LINK = "https://shop.example/track/TOKEN"


def test_every_kind_renders_with_its_tracking_link_and_escapes_html() -> None:
    values = order_values(order(), NOTICE, LINK)
    for kind in KINDS:
        email, fallback = render(kind, values)
        assert fallback is None
        assert "<script>" not in email.html and "<b>SKU</b>" not in email.html
        if kind != "stock_low":
            assert LINK in email.text and f'href="{LINK}"' in email.html
            assert HOSTILE in email.text  # plain text shows the name as it is
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in email.html
    confirmation, _ = render("confirmation", values)
    assert "&lt;b&gt;SKU&lt;/b&gt;" in confirmation.html and "2 x <b>SKU</b>" in confirmation.text
    assert "10.00 EUR" in confirmation.text


def test_backorder_lists_what_is_waiting() -> None:
    backordered = order(status="BACKORDERED", backorder=[{"sku": "MUG", "requested": 3, "available": 1}])
    email, _ = render("backorder", order_values(backordered, NOTICE, LINK))
    assert "- 2 x MUG" in email.text and "<li>2 x MUG</li>" in email.html


def test_shipment_shows_its_carrier_and_tracking() -> None:
    shipped = order(
        status="SHIPPED",
        shipments=[
            {
                "shipment_id": "s-1",
                "carrier": "DHL",
                "tracking_number": "123",
                "tracking_url": "https://dhl.example/123",
                "lines": [{"sku": "<b>SKU</b>", "quantity": 1}],
                "location": "default",
                "shipped_at": "2026-12-07T01:00:00.000000Z",
                "actor": "staff",
            }
        ],
    )
    notice = CustomerNotice(kind="shipment", event_id="e-2", order_id="o-1", channel="web", shipment_id="s-1")
    email, _ = render("shipment", order_values(shipped, notice, LINK))
    assert "DHL" in email.text and "123" in email.text and "https://dhl.example/123" in email.html
    assert "1 x <b>SKU</b>" in email.text


def test_a_subject_is_one_line_whatever_the_values() -> None:
    values = Values(scalars={"order_ref": "A\r\nBcc: evil@example.com"})
    email, _ = render("confirmation", values)
    assert "\n" not in email.subject and "\r" not in email.subject


def test_an_override_is_used_with_escaped_values() -> None:
    override = Source(subject="Hi $customer_name", text="T $order_ref", html="<p>$customer_name</p>")
    email, fallback = render("confirmation", order_values(order(), NOTICE, LINK), override)
    assert fallback is None
    assert (
        email.text == "T o-1"
        and email.html == f"<p>{'&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co'}</p>"
    )
    assert email.subject == f"Hi {HOSTILE}"


@pytest.mark.parametrize(
    "broken",
    [
        Source(subject="Hi $password", text="t", html="h"),  # not a placeholder of the set
        Source(subject="Hi", text="costs 5$", html="h"),  # a stray $
        Source(subject="Hi", text="t", html="${customer_name"),  # unclosed
    ],
)
def test_a_broken_override_falls_back_to_the_default(broken: Source) -> None:
    with pytest.raises(TemplateError):
        check_template(broken)
    email, fallback = render("confirmation", order_values(order(), NOTICE, LINK), broken)
    assert fallback is not None and "jane" not in fallback.lower()
    assert email.subject == "Order o-1 confirmed"


def test_the_defaults_use_only_documented_placeholders() -> None:
    for source in DEFAULTS.values():
        check_template(source)
    assert set(DEFAULTS) == set(KINDS)
    assert "tracking_link" in PLACEHOLDERS


# --- the service, with typed fakes of its Protocols -----------------------------------------------


class FakeStore:
    def __init__(self, settings: NotificationSettings | None = None) -> None:
        self.claims: dict[str, tuple[str, int]] = {}  # claim -> (state, lease_until)
        self.suppressed_hashes: set[str] = set()
        self._settings = settings or NotificationSettings()

    def claim(self, claim: str, *, now_epoch: int, lease_s: int, expires_at: int) -> ClaimResult:
        state = self.claims.get(claim)
        if state is not None and state[0] == "sent":
            return AlreadySent()
        if state is not None and state[1] > now_epoch:
            return Leased(lease_until=state[1])
        self.claims[claim] = ("pending", now_epoch + lease_s)
        return Claimed(lease=claim, resent=state is not None)

    def mark_sent(self, claim: str, lease: str, *, message_id: str, now: datetime) -> bool:
        self.claims[claim] = ("sent", 0)
        return True

    def suppressed(self, address_hash: str) -> bool:
        return address_hash in self.suppressed_hashes

    def suppress(self, address_hash: str, *, reason: Literal["bounce", "complaint"], now: datetime) -> None:
        self.suppressed_hashes.add(address_hash)

    def settings(self) -> NotificationSettings:
        return self._settings

    def template(self, channel: str, kind: str) -> Source | None:
        return None


class FakeOrders:
    def __init__(self, *orders: Order) -> None:
        self.orders = {o.order_id: o for o in orders}

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None:
        return self.orders.get(order_id)


class FakeConnections:
    def __init__(self, platforms: dict[str, str]) -> None:
        self.platforms = platforms
        self.asked: list[str] = []

    def platform_of(self, channel: str) -> str | None:
        self.asked.append(channel)
        return self.platforms.get(channel)


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Email]] = []

    def send(self, to: str, email: Email) -> str:
        self.sent.append((to, email))
        return f"m-{len(self.sent)}"


def notifier(
    store: NotificationStoreLike, orders: OrderReader, connections: ConnectionReader, mailer: Mailer
) -> Notifier:
    return Notifier(
        store=store,
        orders=orders,
        connections=connections,
        mailer=mailer,
        tracking_link=lambda order_id: f"{LINK}/{order_id}",
        clock=lambda: datetime(2026, 12, 7, tzinfo=UTC),
    )


STOCK = {
    "sku": "MUG",
    "location": None,
    "available": 1,
    "on_hand": 1,
    "reserved": 0,
    "low_stock_threshold": 5,
    "occurred_at": "2026-12-07T00:00:00.000000Z",
    "change_id": "MUG#1",
}


def test_staff_emails_go_to_every_address_and_a_leased_one_retries_after_the_others() -> None:
    store = FakeStore(NotificationSettings(staff_emails=["a@example.com", "b@example.com"]))
    mailer = FakeMailer()
    service = notifier(store, FakeOrders(), FakeConnections({}), mailer)
    held = claim_key("StockLow#MUG#1", "stock_low", address_hash("a@example.com"))
    store.claims[held] = ("pending", 2**40)  # another delivery is sending to a@
    with pytest.raises(TryLater):
        service.event(STOCK_LOW, STOCK)
    assert [to for to, _ in mailer.sent] == ["b@example.com"]
    assert mailer.sent[0][1].subject == "Low stock: MUG (1 left)"


def test_a_connected_channel_is_muted_and_asked_once_while_cached() -> None:
    connections = FakeConnections({"mystore": "woocommerce"})
    mailer = FakeMailer()
    service = notifier(FakeStore(), FakeOrders(order(channel="mystore")), connections, mailer)
    detail = {**created("CONFIRMED"), "channel": "mystore", "currency": "EUR", "total": "10.00"}
    detail |= {"lines": [], "created_at": "2026-12-07T00:00:00.000000Z", "updated_at": "x"}
    assert service.event(ORDER_CREATED, detail) == ["muted"]
    assert service.event(ORDER_CREATED, detail) == ["muted"]
    assert connections.asked == ["mystore"] and mailer.sent == []


def test_a_transient_bounce_suppresses_nothing_and_a_permanent_one_the_hash_only() -> None:
    store = FakeStore()
    service = notifier(store, FakeOrders(), FakeConnections({}), FakeMailer())
    bounced = [{"emailAddress": "Jane@Example.com"}]
    assert (
        service.feedback(
            {"eventType": "Bounce", "bounce": {"bounceType": "Transient", "bouncedRecipients": bounced}}
        )
        == 0
    )
    assert (
        service.feedback(
            {
                "notificationType": "Bounce",
                "bounce": {"bounceType": "Permanent", "bouncedRecipients": bounced},
            }
        )
        == 1
    )
    assert store.suppressed_hashes == {address_hash("jane@example.com")}
    assert service.feedback({"eventType": "Delivery"}) == 0

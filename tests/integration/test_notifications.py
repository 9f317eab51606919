"""Notifications against moto: the handler fed SQS records whose bodies are the EventBridge events the
notifications rule delivers (and SES feedback through SNS), emails read from moto's SES.

One email per event under redelivery; none for an erased customer or a muted channel; an email's lease
(within it: the record fails; after it: a pending email is sent again); a crash between the send and the
mark (one duplicate at most, never a lost email); suppression after a bounce or a complaint; the staff
low-stock email; a channel's template override; no address in the logs."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from functions.notifications import handler, wiring
from infra.local.workers import LambdaContext
from infra.spec import CONNECTIONS, NOTIFICATIONS_FUNCTION, NOTIFICATIONS_TABLE, ORDERS
from shared.config import DEFAULT_SENDER_EMAIL
from shared.dal.notifications import Claimed, NotificationStore
from shared.dal.orders import order_item
from shared.domain import order_events
from shared.domain.notifications import address_hash, claim_key
from shared.models.notifications import NotificationSettings
from shared.models.orders import Order
from shared.notifications.templates import Source
from shared.observability import logger
from shared.services.notifications import LEASE_S, Notifier
from tests.support.http import ApiClient
from tests.support.orders import CREATED, order, shipment, then

BASE_URL = "http://127.0.0.1:3000"
CUSTOMER = "jane.doe@example.com"


class FakeTrackingLinks:
    """The tracking helper's ``TrackingLinks`` contract (token of an order id), with a local HMAC key
    instead of KMS GenerateMac."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, order_id: str) -> str:
        return f"{order_id}.{hmac.new(self._key, order_id.encode(), hashlib.sha256).hexdigest()[:32]}"


def fake_link(base_url: str, token: str) -> str:
    """``shared.domain.tracking_page.link`` as the contract states it."""
    return f"{base_url.rstrip('/')}/track/{token}"


LINKS = FakeTrackingLinks(b"test-key")


def link_of(order_id: str) -> str:
    return fake_link(BASE_URL, LINKS.token(order_id))


@pytest.fixture
def ses(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(wiring, "tracking_link", lambda: link_of)
    client = boto3.client("ses")
    client.verify_email_identity(EmailAddress=DEFAULT_SENDER_EMAIL)  # moto refuses unverified senders
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def sent(backend: Any) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every email sent; moto keeps the HTML part's body."""
    return [(m.destinations["ToAddresses"][0], m.subject, m.body) for m in backend.sent_messages]


def store() -> NotificationStore:
    return NotificationStore(boto3.client("dynamodb"), NOTIFICATIONS_TABLE.local_name)


def save(o: Order) -> Order:
    boto3.client("dynamodb").put_item(TableName=ORDERS.local_name, Item=order_item(o))
    return o


def envelope(detail_type: str, detail: Any, source: str = "oms.orders") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "eb-id",  # EventBridge's own id: never what an email is deduplicated on
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-12-07T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def event_of(detail: Any) -> dict[str, Any]:
    return envelope(order_events.detail_type(detail), detail.model_dump(mode="json"))


def deliver(*bodies: dict[str, Any]) -> list[str]:
    """One invocation with these messages; the message ids SQS would deliver again."""
    records = [
        {
            "messageId": f"m-{i}",
            "receiptHandle": f"r-{i}",
            "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:oms-notifications",
            "awsRegion": "us-east-1",
        }
        for i, body in enumerate(bodies)
    ]
    fn = NOTIFICATIONS_FUNCTION
    response = handler.lambda_handler(
        {"Records": records}, LambdaContext(fn.name, fn.memory_mb, fn.timeout_s, "test")
    )
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def created_event(o: Order) -> dict[str, Any]:
    return event_of(order_events.created(save(o)))


def test_confirmation_is_sent_once_under_redelivery(ses: Any) -> None:
    body = created_event(order())
    assert deliver(body, body) == []  # the same event twice in one batch
    assert deliver(body) == []  # and again later
    ((to, subject, html),) = sent(ses)
    assert to == CUSTOMER and subject == "Order W-1001 confirmed"
    assert link_of("o-1") in html and "Jane Doe" in html


def test_backorder_then_its_confirmation(ses: Any) -> None:
    waiting = order("BACKORDERED", backorder=[{"sku": "MUG", "requested": 2, "available": 0}])
    assert deliver(created_event(waiting)) == []
    confirmed = save(then(waiting, "CONFIRMED", "2026-11-25T09:00:00.000000Z", "inventory"))
    assert deliver(event_of(order_events.status_changed(waiting, confirmed))) == []
    subjects = [subject for _, subject, _ in sent(ses)]
    assert subjects == ["Order W-1001: some items are on backorder", "Order W-1001 confirmed"]
    assert "<li>2 x MUG</li>" in sent(ses)[0][2]


def test_each_shipment_is_sent_with_its_tracking_links(ses: Any) -> None:
    before = save(order())
    first = shipment("s-1", "2026-11-25T09:00:00.000000Z", ("MUG", 2))
    after = save(then(before, "PARTIALLY_SHIPPED", first["shipped_at"], "staff", shipments=[first]))
    (shipped,) = [
        e for e in order_events.order_events(before, after) if e.__class__.__name__ == "OrderShipped"
    ]
    assert deliver(event_of(shipped), event_of(shipped)) == []
    ((to, subject, html),) = sent(ses)
    assert to == CUSTOMER and subject == "Order W-1001 has shipped"
    assert link_of("o-1") in html
    assert after.shipments[0].tracking_number and after.shipments[0].tracking_number in html


@pytest.mark.parametrize(
    ("status", "subject"),
    [("DELIVERED", "Order W-1001 was delivered"), ("RETURNED", "We received your return for order W-1001")],
)
def test_delivery_and_return(ses: Any, status: Any, subject: str) -> None:
    before = save(order("SHIPPED"))
    after = save(then(before, status, "2026-11-26T09:00:00.000000Z", "staff"))
    assert deliver(event_of(order_events.status_changed(before, after))) == []
    assert [s for _, s, _ in sent(ses)] == [subject]


def test_an_erased_customer_is_sent_nothing(ses: Any) -> None:
    before = order()
    save(order(customer=None, erased_at="2026-11-24T10:00:00.000000Z"))
    assert deliver(event_of(order_events.created(before))) == []
    assert sent(ses) == []


def test_muted_channels_send_nothing(ses: Any) -> None:
    assert deliver(created_event(order(channel="amazon", order_id="o-amazon"))) == []  # a marketplace
    boto3.client("dynamodb").put_item(  # a connected Shopify store
        TableName=CONNECTIONS.local_name,
        Item={"pk": {"S": "CHANNEL#mystore"}, "owner": {"S": "connection"}, "platform": {"S": "shopify"}},
    )
    assert deliver(created_event(order(channel="mystore", order_id="o-shop"))) == []
    store().save_settings(
        NotificationSettings.model_validate({"channels": {"web": {"confirmation": False}}}),
        now=datetime.now(UTC),
    )
    assert deliver(created_event(order(order_id="o-web"))) == []
    assert sent(ses) == []
    # staff switch a marketplace's kind on: it sends
    store().save_settings(
        NotificationSettings.model_validate({"channels": {"amazon": {"confirmation": True}}}),
        now=datetime.now(UTC),
    )
    assert deliver(created_event(order(channel="amazon", order_id="o-amazon-2"))) == []
    assert len(sent(ses)) == 1


def held_claim(event_id: str, kind: Any, *, now: datetime) -> Claimed:
    epoch = int(now.timestamp())
    result = store().claim(
        claim_key(event_id, kind, address_hash(CUSTOMER)),
        now_epoch=epoch,
        lease_s=LEASE_S,
        expires_at=epoch + 3600,
    )
    assert isinstance(result, Claimed)
    return result


def test_a_redelivery_within_the_lease_fails_and_one_after_it_sends(ses: Any) -> None:
    body = created_event(order())
    held_claim("o-1#OrderCreated", "confirmation", now=datetime.now(UTC))  # another delivery is sending
    assert deliver(body) == ["m-0"]  # SQS brings it back after the visibility timeout
    assert sent(ses) == []
    later = datetime.now(UTC) + timedelta(seconds=LEASE_S + 1)
    wiring.notifier().clock = lambda: later  # the lease expired: the holder crashed
    assert deliver(body) == []
    assert len(sent(ses)) == 1
    assert deliver(body) == []  # sent: nothing more
    assert len(sent(ses)) == 1


def test_a_crash_between_the_send_and_the_mark_costs_one_duplicate_at_most(
    ses: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = created_event(order())
    notifier: Notifier = wiring.notifier()
    real_mark = notifier.store.mark_sent

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("the function died after SES accepted the email")

    monkeypatch.setattr(notifier.store, "mark_sent", crash)
    assert deliver(body) == ["m-0"]
    assert len(sent(ses)) == 1
    monkeypatch.setattr(notifier.store, "mark_sent", real_mark)
    assert deliver(body) == ["m-0"]  # within the lease: waits, sends nothing
    assert len(sent(ses)) == 1
    later = datetime.now(UTC) + timedelta(seconds=LEASE_S + 1)
    notifier.clock = lambda: later
    assert deliver(body) == []  # still pending after the lease: sent again (the one duplicate)
    assert deliver(body) == []
    assert len(sent(ses)) == 2
    claim = claim_key("o-1#OrderCreated", "confirmation", address_hash(CUSTOMER))
    assert store().state(claim) == "sent"


def test_a_failed_send_is_retried_never_lost(ses: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    body = created_event(order())
    notifier: Notifier = wiring.notifier()
    real_send = notifier.mailer.send

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise ConnectionError("SES unreachable")

    monkeypatch.setattr(notifier.mailer, "send", refuse)
    assert deliver(body) == ["m-0"]
    monkeypatch.setattr(notifier.mailer, "send", real_send)
    later = datetime.now(UTC) + timedelta(seconds=LEASE_S + 1)
    notifier.clock = lambda: later
    assert deliver(body) == []
    assert len(sent(ses)) == 1


def sns(message: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "Notification", "MessageId": "n-1", "Message": json.dumps(message)}


def bounce(address: str, kind: str = "Permanent") -> dict[str, Any]:
    return {
        "eventType": "Bounce",
        "bounce": {"bounceType": kind, "bouncedRecipients": [{"emailAddress": address}]},
        "mail": {"messageId": "x"},
    }


def test_a_bounce_suppresses_the_address(ses: Any) -> None:
    assert deliver(sns(bounce("Jane.Doe@example.com", "Transient"))) == []
    assert not store().suppressed(address_hash(CUSTOMER))
    assert deliver(sns(bounce("Jane.Doe@example.com"))) == []
    assert store().suppressed(address_hash(CUSTOMER))
    assert deliver(created_event(order())) == []
    assert sent(ses) == []


def test_a_complaint_suppresses_the_address_raw_delivery(ses: Any) -> None:
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": CUSTOMER}]},
    }
    assert deliver(complaint) == []
    assert deliver(created_event(order())) == []
    assert sent(ses) == []


def stock_low(change_id: str = "MUG#7") -> dict[str, Any]:
    detail = {
        "sku": "MUG",
        "location": "default",
        "available": 2,
        "on_hand": 4,
        "reserved": 2,
        "low_stock_threshold": 5,
        "occurred_at": CREATED,
        "change_id": change_id,
    }
    return envelope("StockLow", detail, source="oms.inventory")


def test_low_stock_goes_to_the_staff_list_once(ses: Any) -> None:
    assert deliver(stock_low()) == []  # no list: nobody
    assert sent(ses) == []
    store().save_settings(
        NotificationSettings(staff_emails=["buyer@example.com", "Ops@Example.com"]), now=datetime.now(UTC)
    )
    assert deliver(stock_low(), stock_low()) == []
    assert sorted(to for to, _, _ in sent(ses)) == ["Ops@example.com", "buyer@example.com"]
    assert {subject for _, subject, _ in sent(ses)} == {"Low stock: MUG (2 left)"}


def test_an_address_ses_refuses_does_not_keep_the_alert_from_the_others(
    ses: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from shared.dal.mailer import SesMailer

    original = SesMailer.send

    def refusing(self: SesMailer, to: str, email: Any) -> str:
        if to == "unverified@example.com":  # SES's sandbox: a recipient not verified
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "not verified"}}, "SendEmail")
        return original(self, to, email)

    monkeypatch.setattr(SesMailer, "send", refusing)
    addresses = ["buyer@example.com", "unverified@example.com", "ops@example.com"]
    store().save_settings(NotificationSettings(staff_emails=addresses), now=datetime.now(UTC))
    failures = deliver(stock_low())
    assert len(failures) == 1  # the event comes back (then the DLQ): the refused address is not lost
    assert sorted(to for to, _, _ in sent(ses)) == ["buyer@example.com", "ops@example.com"]


def test_a_channel_template_override_is_used_and_a_broken_one_falls_back(ses: Any) -> None:
    now = datetime.now(UTC)
    store().put_template(
        "web",
        "confirmation",
        Source(subject="Thanks, $customer_name", text="t $order_ref", html="<p>$order_ref</p>"),
        now=now,
    )
    assert deliver(created_event(order())) == []
    store().put_template("web", "confirmation", Source(subject="Hi $nope", text="t", html="h"), now=now)
    assert deliver(created_event(order(order_id="o-2", external_id="W-2"))) == []
    assert [s for _, s, _ in sent(ses)] == ["Thanks, Jane Doe", "Order W-2 confirmed"]


def test_no_address_or_name_in_the_logs(ses: Any) -> None:
    """The function's own log lines (Powertools' handler), with a fallback, a send, a skip and a bounce."""
    store().put_template(
        "web", "confirmation", Source(subject="Hi $nope", text="t", html="h"), now=datetime.now(UTC)
    )
    handler_ = logger.logger_handler
    assert isinstance(handler_, logging.StreamHandler)
    lines = io.StringIO()
    previous = handler_.setStream(lines)
    try:
        body = created_event(order())
        deliver(body, body)
        deliver(sns(bounce(CUSTOMER)))
        deliver(created_event(order(order_id="o-2")))
    finally:
        handler_.setStream(previous)
    out = lines.getvalue()
    for message in ("notification sent", "notification already sent", "addresses suppressed", "suppressed"):
        assert message in out
    assert "jane" not in out.lower() and "example.com" not in out


def test_a_message_that_is_no_event_fails_to_the_dlq(ses: Any) -> None:
    assert deliver({"hello": "world"}) == ["m-0"]


# --- the admin routes -----------------------------------------------------------------------------


def test_settings_over_http_mute_a_channel(ses: Any, admin: ApiClient, staff: ApiClient) -> None:
    assert admin.get("/notifications/settings").json() == {"channels": {}, "staff_emails": []}
    settings = {"channels": {"web": {"confirmation": False}}, "staff_emails": ["buyer@example.com"]}
    assert staff.put("/notifications/settings", settings).status == 403
    reply = admin.put("/notifications/settings", settings)
    assert reply.status == 200, reply.body
    assert admin.get("/notifications/settings").json() == settings
    assert deliver(created_event(order())) == []
    assert sent(ses) == []
    bad = admin.put("/notifications/settings", {"channels": {"web": {"postcard": True}}})
    assert bad.status == 422
    assert admin.put("/notifications/settings", {"channels": {"Not A Channel": {}}}).status == 422
    assert admin.put("/notifications/settings", {"channels": {"staff": {}}}).status == 422
    # true or false, nothing that looks like one
    assert admin.put("/notifications/settings", {"channels": {"web": {"delivery": 0}}}).status == 422


def test_templates_over_http(ses: Any, admin: ApiClient) -> None:
    path = "/notifications/templates/web/confirmation"
    default = admin.get(path).json()
    assert default["custom"] is False and default["subject"] == "Order $order_ref confirmed"
    assert "tracking_link" in default["placeholders"]
    refused = admin.put(path, {"subject": "Hi $password", "text": "t", "html": "h"})
    assert refused.status == 422 and b"password" in refused.body
    mine = {"subject": "Thanks $customer_name", "text": "t $tracking_link", "html": "<p>$customer_name</p>"}
    assert admin.put(path, mine).status == 200
    assert admin.get(path).json()["custom"] is True
    assert deliver(created_event(order())) == []
    ((_, subject, html),) = sent(ses)
    assert subject == "Thanks Jane Doe" and html == "<p>Jane Doe</p>"
    assert admin.delete(path).status == 204
    assert admin.delete(path).status == 404
    assert admin.get(path).json()["custom"] is False
    assert admin.get("/notifications/templates/web/postcard").status == 422


def test_the_staff_emails_have_templates_of_their_own(ses: Any, admin: ApiClient) -> None:
    """The staff low-stock email's words, under the channel name ``staff`` (no channel's customers)."""
    path = "/notifications/templates/staff/stock_low"
    assert admin.get(path).json()["custom"] is False
    mine = {"subject": "Reorder $sku", "text": "only $available left", "html": "<p>$available</p>"}
    assert admin.put(path, mine).status == 200, admin.put(path, mine).body
    store().save_settings(NotificationSettings(staff_emails=["buyer@example.com"]), now=datetime.now(UTC))
    assert deliver(stock_low()) == []
    assert [subject for _, subject, _ in sent(ses)] == ["Reorder MUG"]

"""Every sample event in events/ is accepted by its function (they document the real shapes)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from functions.api.handler import lambda_handler as api
from functions.authorizer.handler import lambda_handler as authorizer
from infra.local.workers import LambdaContext
from tests.support.http import ApiClient

EVENTS = sorted(Path("events/api").glob("*.json"))


def test_there_is_a_sample_for_every_api_route() -> None:
    from infra.spec import API

    sampled = {(e["httpMethod"], e["resource"]) for e in (json.loads(p.read_text()) for p in EVENTS)}
    undocumented = {("GET", "/openapi.json")}  # served by Powertools itself
    assert {(r.method, r.path) for r in API.routes} - undocumented <= sampled


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_api_sample_events(staff: ApiClient, path: Path) -> None:
    staff.put("/products/TSHIRT-RED-M", {"name": "T-shirt", "price": "19.99"})
    staff.put("/inventory/TSHIRT-RED-M", {"on_hand": 10})
    staff.put("/products/MUG-WHITE", {"name": "Mug", "price": "8.50"})
    staff.put("/inventory/MUG-WHITE", {"on_hand": 10})
    event = json.loads(path.read_text())

    result = api(event, LambdaContext("api", 1024, 10, "sample"))

    # The order events name an order that does not exist here: 404 is the handler's right answer.
    missing_order = {"get_order", "cancel_order", "post_shipment", "post_delivery", "post_return"}
    missing_order |= {
        "get_customer",
        "patch_customer",
        "erase_customer",
        "customer_orders",
    }  # no such customer
    missing_order |= {
        "get_report",
        "resolve_attention",
        "get_connection",
        "get_import",
    }  # no such report, order, connection, import run
    missing_order |= {"revoke_key"}  # no such key
    missing_order |= {  # no such webhook endpoint
        "get_webhook",
        "patch_webhook",
        "delete_webhook",
        "rotate_webhook_secret",
        "list_webhook_deliveries",
        "replay_webhook_delivery",
    }
    missing_order |= {"delete_notification_template"}  # no such template
    created = {
        "sign_in": 201,
        "get_session": 401,  # the sample's cookie names no session here
        "sign_out": 204,
        "post_key": 201,
        "swagger": 302,
        "post_order": 201,
        "post_adjustment": 201,
        "post_report": 202,
        "put_connection": 201,
        "post_import": 201,
        "post_webhook": 201,
    }
    expected = 404 if path.stem in missing_order else created.get(path.stem, 200)
    assert result["statusCode"] == expected, result["body"]


# The secrets the hook samples are signed with (the secret of events/api/put_connection.json for Shopify).
SAMPLE_SECRETS = {
    "shop-us": "shpss_sample_0123456789abcdef0123456789",
    "woo-eu": "wc_sample_secret_0123456789",
}


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("shopify_orders_create", "accepted"),
        ("woocommerce_order_created", "accepted"),
        ("woocommerce_ping", "ping"),
    ],
)
def test_the_hook_sample_events(admin: ApiClient, name: str, status: str) -> None:
    import os

    import boto3

    from functions.hooks.handler import lambda_handler as hooks
    from infra.spec import MARKETPLACE_ORDERS
    from tests.support.queues import take_all

    put = json.loads(Path("events/api/put_connection.json").read_text())
    assert api(put, LambdaContext("api", 1024, 10, "sample"))["statusCode"] == 201
    assert (
        admin.put(
            "/channels/woo-eu/connection", {"platform": "woocommerce", "secret": SAMPLE_SECRETS["woo-eu"]}
        ).status
        == 201
    )
    event = json.loads(Path(f"events/hooks/{name}.json").read_text())

    result = hooks(event, LambdaContext("hooks", 512, 5, "sample"))

    assert (result["statusCode"], json.loads(result["body"])) == (200, {"status": status}), result["body"]
    sent = take_all(boto3.client("sqs"), os.environ[MARKETPLACE_ORDERS.env_var])
    assert len(sent) == (1 if status == "accepted" else 0)
    if sent:
        assert sent[0]["channel"] == event["pathParameters"]["channel"]
        assert sent[0]["order"] == json.loads(event["body"])


def test_the_authorizer_sample_event(aws: Any) -> None:
    event = json.loads(Path("events/authorizer/request.json").read_text())
    assert authorizer(event, LambdaContext("authorizer", 256, 5, "sample"))["context"]["channel"] == "web"


def test_the_authorizer_session_sample_event(aws: Any) -> None:
    """A POST by session cookie, with its CSRF token: the sample's token and CSRF token replaced by a live
    session's (a session's token is random)."""
    import time

    from infra.spec import API_KEYS
    from shared.dal.api_keys import ApiKeyStore
    from shared.dal.sessions import SessionStore

    item = ApiKeyStore(aws, API_KEYS.local_name).item("dev-staff-key")
    assert item is not None
    made = SessionStore(aws, API_KEYS.local_name).create(item, int(time.time()))
    event = json.loads(Path("events/authorizer/session_request.json").read_text())
    assert "oms_session=" in event["headers"]["Cookie"] and event["httpMethod"] == "POST"
    event["headers"]["Cookie"] = f"theme=dark; oms_session={made.token}"
    event["headers"]["X-CSRF-Token"] = made.session.csrf_token

    policy = authorizer(event, LambdaContext("authorizer", 256, 5, "sample"))

    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["context"]["name"] == "dev-staff"


def test_the_stock_updates_sample_event(staff: ApiClient) -> None:
    from functions.stock_updates.handler import lambda_handler as stock_updates

    for sku in ("TSHIRT-RED-M", "MUG-WHITE"):
        staff.put(f"/products/{sku}", {"name": sku, "price": "9.99"})
    event = json.loads(Path("events/stock_updates/batch.json").read_text())

    assert stock_updates(event, LambdaContext("stock_updates", 512, 30, "sample")) == {
        "batchItemFailures": []
    }
    tshirt = staff.get("/inventory/TSHIRT-RED-M").json()
    assert [(loc["location"], loc["on_hand"]) for loc in tshirt["locations"]] == [("wms-eu-1", 38)]
    assert staff.get("/inventory/MUG-WHITE").json()["on_hand"] == 24


def test_the_inventory_events_sample_event(staff: ApiClient) -> None:
    import boto3

    from functions.inventory_events.handler import lambda_handler as inventory_events
    from infra.spec import EVENTS_TAP

    event = json.loads(Path("events/inventory_events/stock_changed.json").read_text())
    staff.put("/products/TSHIRT-RED-M", {"name": "T-shirt", "price": "19.99", "low_stock_threshold": 3})

    result = inventory_events(event, LambdaContext("inventory_events", 512, 60, "sample"))

    assert result == {"batchItemFailures": []}
    sqs = boto3.client("sqs")
    tap = sqs.get_queue_url(QueueName=EVENTS_TAP.local_name)["QueueUrl"]
    [published] = sqs.receive_message(QueueUrl=tap, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(published["Body"])["detail-type"] == "StockLow"


def test_the_order_events_sample_event(aws: Any) -> None:
    import boto3

    from functions.order_events.handler import lambda_handler as order_events
    from infra.spec import EVENTS_TAP

    event = json.loads(Path("events/order_events/created_and_cancelled.json").read_text())

    result = order_events(event, LambdaContext("order_events", 512, 60, "sample"))

    assert result == {"batchItemFailures": []}
    sqs = boto3.client("sqs")
    tap = sqs.get_queue_url(QueueName=EVENTS_TAP.local_name)["QueueUrl"]
    published = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=tap, MaxNumberOfMessages=10)["Messages"]
    ]
    assert [(e["detail-type"], e["detail"]["status"]) for e in published] == [
        ("OrderCreated", "CONFIRMED"),
        ("OrderStatusChanged", "CANCELLED"),
    ]


def test_the_sales_aggregates_sample_event(aws: Any) -> None:
    from functions.sales_aggregates import wiring
    from functions.sales_aggregates.handler import lambda_handler as sales_aggregates
    from shared.reports.sales import daily_sales

    event = json.loads(Path("events/sales_aggregates/created_and_cancelled.json").read_text())

    assert sales_aggregates(event, LambdaContext("sales_aggregates", 512, 60, "sample")) == {
        "batchItemFailures": []
    }
    day = daily_sales("2026-11-24", "UTC", wiring.sales_store().day("2026-11-24"))
    (usd,) = day.currencies
    # placed and cancelled on the same day: the cancellation took back all it had added
    assert (usd.totals.orders, usd.totals.gross_sales, usd.totals.cancelled_orders) == (0, Decimal("0.00"), 1)
    assert usd.by_sku
    assert all(
        (s.figures.units, s.figures.net_sales, s.figures.cancelled_orders) == (0, Decimal("0.00"), 1)
        for s in usd.by_sku
    )
    assert day.orders_by_status == {"CANCELLED": 1}


def test_the_reports_sample_events(aws: Any) -> None:
    from functions.reports import wiring
    from functions.reports.handler import lambda_handler as reports
    from shared.dal.dynamo import from_item
    from shared.dal.reports import report_from_item

    context = LambdaContext("reports", 1024, 900, "sample")
    schedule = json.loads(Path("events/reports/schedule.json").read_text())
    assert reports(schedule, context) == {
        "reports": ["daily_sales-2026-11-23-daily-reports", "inventory-2026-11-24-daily-reports"]
    }
    requested = json.loads(Path("events/reports/report_requested.json").read_text())
    image = requested["Records"][0]["dynamodb"]["NewImage"]
    wiring.report_store().create(report_from_item(from_item(image) or {}))

    assert reports(requested, context) == {"batchItemFailures": []}
    built = wiring.report_store().get(image["report_id"]["S"])
    assert built is not None
    assert (built.status, built.rows, [f.format for f in built.files]) == ("READY", 0, ["csv"])


def test_the_imports_sample_events(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload's S3 event for a run this stack never announced is ignored; a chunk of a run that does not
    exist is poison, parked with its reason; S3's test event is ignored. The engine's side is the tests'
    fake runs store: what is checked here is that the samples are the shapes the worker reads."""
    import boto3

    from functions.imports import wiring
    from functions.imports.handler import lambda_handler as imports
    from infra.spec import IMPORT_WORK, IMPORT_WORK_DLQ, IMPORTS_BUCKET
    from shared.dal.import_files import ImportObjects, ImportWorkQueue
    from shared.services.import_jobs import ImportJobs, parse_work
    from tests.support.cloud_imports import FakeEngine, FakeRuns

    sqs = boto3.client("sqs")
    runs = FakeRuns()
    jobs = ImportJobs(
        runs,
        FakeEngine(runs),
        ImportObjects(boto3.client("s3"), IMPORTS_BUCKET.local_name),
        ImportWorkQueue(sqs, sqs.get_queue_url(QueueName=IMPORT_WORK.local_name)["QueueUrl"]),
        "USD",
    )
    monkeypatch.setattr(wiring, "jobs", lambda: jobs)
    context = LambdaContext("imports", 1024, 900, "sample")
    kinds = {}
    for name in ("upload", "chunk", "s3_test_event"):
        event = json.loads(Path(f"events/imports/{name}.json").read_text())
        kinds[name] = type(parse_work(event["Records"][0]["body"])).__name__
        assert imports(event, context) == {"batchItemFailures": []}, name
    assert kinds == {"upload": "Upload", "chunk": "ChunkMessage", "s3_test_event": "Ignored"}
    dlq = sqs.get_queue_url(QueueName=IMPORT_WORK_DLQ.local_name)["QueueUrl"]
    (parked,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert parked["MessageAttributes"]["oms_reason"]["StringValue"] == "chunk message: no such import run"


def test_the_webhooks_sample_events(admin: ApiClient) -> None:
    """A bus event as the rule delivers it (no endpoint subscribes here: nothing to deliver), then a
    delivery message naming a delivery that does not exist (skipped): neither is a failure."""
    from functions.webhooks.handler import lambda_handler as webhooks

    for name in ("order_created", "delivery"):
        event = json.loads(Path(f"events/webhooks/{name}.json").read_text())
        result = webhooks(event, LambdaContext("webhooks", 512, 60, "sample"))
        assert result == {"batchItemFailures": []}, name


def test_the_notifications_sample_event(aws: Any) -> None:
    """An OrderShipped from the rule (its order is not stored here: nothing to send) and a permanent
    bounce from SES's topic (raw delivery): both done, the bounced address suppressed by its hash."""
    from functions.notifications.handler import lambda_handler as notifications
    from infra.spec import NOTIFICATIONS_TABLE
    from shared.dal.notifications import NotificationStore
    from shared.domain.notifications import address_hash

    event = json.loads(Path("events/notifications/shipped_and_bounce.json").read_text())
    result = notifications(event, LambdaContext("notifications", 512, 30, "sample"))
    assert result == {"batchItemFailures": []}
    store = NotificationStore(aws, NOTIFICATIONS_TABLE.local_name)
    assert store.suppressed(address_hash("bounce@simulator.amazonses.com"))


@pytest.mark.parametrize(
    ("name", "status", "content_type"),
    [
        ("form", 200, "text/html; charset=utf-8"),
        ("lookup", 404, "text/html; charset=utf-8"),  # no such order in an empty table
        ("link_json", 404, "application/problem+json"),  # a well-formed token with a forged MAC
    ],
)
def test_the_tracking_sample_events(aws: Any, name: str, status: int, content_type: str) -> None:
    from functions.tracking.handler import lambda_handler as tracking

    event = json.loads(Path(f"events/tracking/{name}.json").read_text())
    result = tracking(event, LambdaContext("tracking", 256, 5, "sample"))
    assert (result["statusCode"], result["headers"]["Content-Type"]) == (status, content_type)


def test_the_inventory_rollup_sample_event(aws: Any) -> None:
    from functions.inventory_rollup.handler import lambda_handler as rollup

    schedule = json.loads(Path("events/inventory_rollup/schedule.json").read_text())
    result = rollup(schedule, LambdaContext("inventory_rollup", 512, 300, "sample"))
    assert (result["days"][0], result["days"][-1], result["out_of_stock"]) == ("2026-11-17", "2026-11-23", 0)

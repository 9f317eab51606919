"""Personal data never reaches logs or traces: realistic flows in process against moto, everything
they write captured, and no customer's email, name, phone or address in any of it.

What is captured, as Lambda would ship it:
* the Powertools Logger's own handler (its stream swapped for a buffer: the production formatter);
* any other logger that propagates to the root logger, at INFO (Lambda's runtime ships those too);
* stdout and stderr (metrics are printed as EMF);
* what X-Ray would record: the Tracer is disabled in tests (no daemon), so the X-Ray SDK is switched
  on for the test with a recorder whose emitter keeps the serialised segments instead of sending them.
  botocore is not patched here (the Tracer patches only when enabled); its subsegments carry the
  operation and table names, never the items;
* the reasons written onto dead-lettered messages (``oms_reason``).

The flows: API orders with distinct personal data (created, replayed, out of stock, invalid in ways
whose invalid value is the personal data, cancelled), a stored order that no longer validates (read
over the API and replayed by the feed: pydantic's ValidationError quotes its input, the whole order),
marketplace orders in Amazon's and eBay's shapes and poison ones sent to the dead-letter queue.
"""

from __future__ import annotations

import ast
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infra.spec import CONSOLE, FUNCTIONS, ORDERS
from shared.aws import client
from shared.dal import keys
from shared.masking import MASK
from shared.observability import MaskedTraces, logger, tracer
from tests.integration.test_marketplace_feed import Feed, sample_bodies
from tests.support.http import ApiClient

EMAIL = "zelda.pii@example.org"
NAME = "Zelda Unique-Name"
PHONE = "+44 7700 900123"
STREET = "17 Secret Lane"
FLAT = "Flat 9 Hidden Court"
CITY = "Quillhaven"
POSTAL = "ZZ9 9ZZ"
CANCEL_REASON = f"{NAME} moved to {STREET}"
BAD_EMAIL = "zelda.pii(at)example.org"
NICKNAME = "Zelda Secret-Nickname"

AMAZON = {
    "0x7k2m9q4w1v8z3t@marketplace.example.com": "zelda.amazon@marketplace.example.com",
    "Jordan Example": "Zelda Amazonbuyer",
    "410 Terry Ave N": "23 Hidden Amazon Court",
    "+1 206-555-0142": "+1 206-555-0199",
    "98109-5210": "98109-7777",
}
EBAY = {
    "sam.example@example.com": "zelda.ebay@example.net",
    "Sam Example": "Zelda Ebaybuyer",
    "sam_example_42": "zelda_ebay_user",
    "2150 N Lincoln Ave": "99 Quiet Ebay Mews",
    "3125550187": "3125550199",
    "60614-4512": "60614-9999",
}

PERSONAL = [
    EMAIL,
    "zelda.pii",
    NAME,
    "Unique-Name",
    PHONE,
    "7700 900123",
    "447700900123",
    "7700900123",
    STREET,
    "Secret Lane",
    FLAT,
    CITY,
    POSTAL,
    BAD_EMAIL,
    NICKNAME,
    *AMAZON.values(),
    "2065550199",
    *EBAY.values(),
    "Zelda",  # every name, email and address above carries it: the catch-all
    "other.pii",
    "erase.me",
]


def personal_data_in(text: str) -> list[str]:
    lowered = text.lower()
    return [value for value in PERSONAL if value.lower() in lowered]


def customer_order(*lines: tuple[str, int], **customer: Any) -> dict[str, Any]:
    return {
        "customer": {"email": EMAIL, "name": NAME, "phone": PHONE, **customer},
        "shipping_address": {
            "name": NAME,
            "line1": STREET,
            "line2": FLAT,
            "city": CITY,
            "postal_code": POSTAL,
            "country": "GB",
        },
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
    }


def replaced(body: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in body, old
        body = body.replace(old, new)
    return body


# --- capturing ----------------------------------------------------------------------------------


class _KeepEmitted:
    """An X-Ray emitter that keeps the serialised segments and subsegments instead of sending them."""

    def __init__(self) -> None:
        self.documents: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.documents.append(entity.serialize())

    def set_daemon_address(self, address: str | None) -> None:
        pass


@dataclass
class Captured:
    powertools: io.StringIO = field(default_factory=io.StringIO)
    other_loggers: list[str] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)
    printed: str = ""

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.powertools.getvalue().splitlines() if line.strip()]


class _KeepRecords(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.INFO)
        self.sink = sink
        # The service's own records are Powertools' (captured at its handler); Lambda's root handler
        # drops them too (Powertools adds a filter for them), so they would only be counted twice.
        # moto stands in for AWS: its logs are not the system's.
        self.addFilter(lambda record: not record.name.startswith((logger.name, "moto")))

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


@contextmanager
def capture(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    """Everything the functions write while the block runs (the traces and prints once it is left)."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import AWSXRayRecorder
    from aws_xray_sdk.core.context import Context

    out = Captured()
    capsys.readouterr()
    handler = logger.logger_handler
    assert isinstance(handler, logging.StreamHandler)
    previous_stream = handler.setStream(out.powertools)
    previous_level = logger.log_level
    logger.setLevel("DEBUG")  # stricter than the deployed INFO
    root = logging.getLogger()
    keep = _KeepRecords(out.other_loggers)
    keep.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root.addHandler(keep)
    root_level = root.level
    root.setLevel(logging.INFO)

    emitter = _KeepEmitted()
    recorder = AWSXRayRecorder()
    recorder.configure(
        sampling=False, context=Context(), emitter=emitter, context_missing="LOG_ERROR", service="oms"
    )
    masked = tracer.provider
    assert isinstance(masked, MaskedTraces), "the tracer records through MaskedTraces"
    inner = masked._recorder
    masked._recorder = recorder
    global_sdk_config.set_sdk_enabled(True)
    recorder.begin_segment("oms-test")
    try:
        yield out
    finally:
        recorder.end_segment()
        global_sdk_config.set_sdk_enabled(False)
        masked._recorder = inner
        root.removeHandler(keep)
        root.setLevel(root_level)
        logger.setLevel(previous_level)
        handler.setStream(previous_stream)  # type: ignore[arg-type]
        out.traces = emitter.documents
        printed = capsys.readouterr()
        out.printed = printed.out + printed.err


# --- the flows ----------------------------------------------------------------------------------


def corrupt(aws: Any, order_id: str) -> None:
    """A stored order that no longer validates (the customer's name gone): reading it raises pydantic's
    ValidationError, whose message quotes its input, the rest of the customer (email and phone)."""
    aws.update_item(
        TableName=ORDERS.local_name,
        Key=keys.order_key(order_id),
        UpdateExpression="REMOVE customer.#name",
        ExpressionAttributeNames={"#name": "name"},
    )


def api_flows(aws: Any, staff: ApiClient, web: ApiClient, admin: ApiClient) -> dict[str, str]:
    for sku, on_hand in (("TSHIRT", 10), ("MUG", 3)):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": "9.99"}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": on_hand}).status == 200

    body = customer_order(("TSHIRT", 1))
    created = web.post("/orders", body, headers={"Idempotency-Key": "pii-1"})
    assert created.status == 201, created.body
    replayed = web.post("/orders", body, headers={"Idempotency-Key": "pii-1"})
    assert replayed.status == 200
    assert web.post("/orders", customer_order(("MUG", 50))).status == 409

    invalid = [
        customer_order(("TSHIRT", 1), email=BAD_EMAIL),
        customer_order(("TSHIRT", 1), name=NAME * 15),  # over 200 characters
        customer_order(("TSHIRT", 1), phone=PHONE * 3),  # over 40
        customer_order(("TSHIRT", 1), nickname=NICKNAME),  # an unknown field
        {**customer_order(("TSHIRT", 1)), "shipping_address": {"line1": STREET, "country": POSTAL}},
    ]
    for request in invalid:
        reply = web.post("/orders", request)
        assert reply.status == 422, reply.body

    cancelled = web.post("/orders", customer_order(("TSHIRT", 1)))
    assert cancelled.status == 201
    cancel_id = cancelled.json()["order_id"]
    assert web.post(f"/orders/{cancel_id}/cancel", {"reason": CANCEL_REASON}).status == 200

    # Fulfilment and the customer routes: find by email, a correction (with invalid details too),
    # a conflicting email, the customer's orders, the erasure.
    shipped = web.post("/orders", customer_order(("TSHIRT", 2))).json()["order_id"]
    ship = {"carrier": "ups", "tracking_number": "1Z1", "lines": [{"sku": "TSHIRT", "quantity": 1}]}
    assert staff.post(f"/orders/{shipped}/shipments", ship).status == 201
    assert staff.post(f"/orders/{shipped}/shipments", {**ship, "tracking_number": "1Z2"}).status == 201
    assert staff.post(f"/orders/{shipped}/delivery", {"note": f"left with {NAME}"}).status == 200
    give_back = {
        "lines": [{"sku": "TSHIRT", "quantity": 1}],
        "reason": f"{NAME} at {STREET}",
        "restock": True,
    }
    assert staff.post(f"/orders/{shipped}/returns", give_back).status == 201
    [customer] = staff.get("/customers", query={"email": EMAIL.upper()}).json()["items"]
    customer_id = customer["customer_id"]
    assert staff.patch(f"/customers/{customer_id}", {"phone": PHONE, "name": NICKNAME}).status == 200
    assert staff.patch(f"/customers/{customer_id}", {"email": BAD_EMAIL}).status == 422
    other = web.post("/orders", customer_order(("TSHIRT", 1), email="other.pii@example.org")).json()
    assert staff.patch(f"/customers/{other['customer_id']}", {"email": EMAIL}).status == 409
    assert staff.get(f"/customers/{customer_id}/orders").status == 200

    order_id = created.json()["order_id"]
    assert web.get(f"/orders/{order_id}").status == 200
    erased = web.post("/orders", customer_order(("TSHIRT", 1), email="erase.me.pii@example.org")).json()
    assert admin.delete(f"/customers/{erased['customer_id']}").status == 200
    corrupt(aws, order_id)
    failed = web.get(f"/orders/{order_id}")
    assert failed.status == 500
    assert personal_data_in(failed.body.decode()) == []
    return {"created": order_id, "cancelled": cancel_id}


@contextmanager
def transactions_fail_with_the_stored_order(aws: Any) -> Iterator[None]:
    """Every TransactWriteItems cancelled for a reason the store does not act on (so it raises the
    ClientError), one of its writes' conditions having failed with the stored order returned, as
    DynamoDB does for ReturnValuesOnConditionCheckFailure=ALL_OLD: the exception holds the order."""
    stored = {
        "pk": {"S": "ORDER#stored"},
        "customer": {"M": {"email": {"S": EMAIL}, "name": {"S": NAME}, "phone": {"S": PHONE}}},
        "shipping_address": {"M": {"line1": {"S": STREET}, "postal_code": {"S": POSTAL}}},
    }
    reasons = [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": stored},
        {"Code": "ValidationError", "Message": "Item size has exceeded the maximum allowed size"},
    ]
    error = {
        "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
        "CancellationReasons": reasons,
    }

    def cancel(**_: Any) -> tuple[Any, dict[str, Any]]:
        return SimpleNamespace(status_code=400, headers={}), error

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb.TransactWriteItems", cancel, unique_id="pii-test-cancel")
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="pii-test-cancel")


def feed_flows(aws: Any, staff: ApiClient) -> tuple[dict[str, str], list[str]]:
    """The marketplace orders' ids and the reasons written onto the dead-lettered messages."""
    for sku in ("TSHIRT-RED-M", "MUG-WHITE"):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": "19.99"}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": 10}).status == 200
    (amazon,) = sample_bodies("amazon")
    (ebay,) = sample_bodies("ebay")
    amazon, ebay = replaced(amazon, AMAZON), replaced(ebay, EBAY)
    feed = Feed()
    feed.send(amazon, ebay)
    feed.run()
    assert feed.responses[-1] == {"batchItemFailures": []}
    ids = {
        channel: staff.get("/orders", query={"channel": channel}).json()["items"][0]["order_id"]
        for channel in ("amazon", "ebay")
    }

    poison = [
        replaced(amazon, {"113-4829105-7730621": "113-0000000-0000001", "MUG-WHITE": "NO-SUCH-SKU"}),
        replaced(ebay, {"12-11482-73905": "12-00000-00001", EBAY["Sam Example"]: EBAY["Sam Example"] * 15}),
        f"{NAME}, {STREET}, {EMAIL}",  # not JSON
        json.dumps({"marketplace": EMAIL, "order": {"buyer": NAME}}),
        json.dumps({"marketplace": "zelda", "order": {}}),
    ]
    feed.send(*poison)
    feed.run()
    assert feed.responses[-1] == {"batchItemFailures": []}  # poison is moved, not retried
    dead = feed.dead_letters()
    assert len(dead) == len(poison)
    reasons = [message["MessageAttributes"]["oms_reason"]["StringValue"] for message in dead]

    corrupt(aws, ids["amazon"])
    # A later version, in an environment that has not seen the order: the update reads the stored
    # order, which no longer validates
    from functions.marketplace_feed import wiring as feed_wiring
    from shared.services.channel_orders import KnownOrders

    feed_wiring.feed()._orders._known = KnownOrders()  # type: ignore[attr-defined]
    feed.send(
        amazon.replace('"LastUpdateDate":"2026-03-14T09:52:03Z"', '"LastUpdateDate":"2026-03-15T08:00:00Z"')
    )
    feed.run()
    assert len(feed.responses[-1]["batchItemFailures"]) == 1

    with transactions_fail_with_the_stored_order(aws):
        feed.send(replaced(ebay, {"12-11482-73905": "12-00000-00002"}))
        feed.run()
    assert len(feed.responses[-1]["batchItemFailures"]) == 1
    return ids, reasons


def test_no_personal_data_in_logs_traces_or_dead_letter_reasons(
    aws: Any, staff: ApiClient, web: ApiClient, admin: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with capture(capsys) as captured:
        api = api_flows(aws, staff, web, admin)
        marketplace_ids, reasons = feed_flows(aws, staff)

    # The flows ran and were logged, so the checks at the end have something to look through.
    lines = captured.log_lines()
    messages = [line["message"] for line in lines]
    for expected in ("order created", "order replayed", "order cancelled", "feed order created"):
        assert expected in messages
    assert messages.count("feed message rejected: moved to the dead-letter queue") == 5
    assert "feed message will be retried" in messages
    logged = captured.powertools.getvalue()
    for order_id in (*api.values(), *marketplace_ids.values()):
        assert order_id in logged
    [unhandled] = [line for line in lines if line["message"] == "unhandled error"]
    assert unhandled["exception_name"] == "ValidationError"
    assert f"input_value={MASK}" in unhandled["exception"]  # the input was in it, and was masked
    assert len(reasons) == 5
    assert "NO-SUCH-SKU" in " ".join(reasons)

    # What X-Ray would have recorded: the handlers' subsegments, and the failed redelivery's exception.
    subsegments = list(_walk([json.loads(document) for document in captured.traces]))
    names = {str(s.get("name")) for s in subsegments}
    assert "## lambda_handler" in names
    assert "## functions.marketplace_feed.handler.record_handler" in names
    recorded = [
        exc
        for s in subsegments
        if isinstance(s.get("cause"), dict)
        for exc in s["cause"].get("exceptions", [])
    ]
    assert "ValidationError" in {exc["type"] for exc in recorded}
    assert any(f"input_value={MASK}" in exc.get("message", "") for exc in recorded)

    assert personal_data_in(logged) == []
    assert personal_data_in("\n".join(captured.other_loggers)) == []
    assert personal_data_in(captured.printed) == []
    assert personal_data_in("\n".join(captured.traces)) == []
    assert personal_data_in("\n".join(reasons)) == []


def _walk(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for document in documents:
        yield document
        yield from _walk(document.get("subsegments", []))


# --- the configuration that keeps responses and events out (source level) -----------------------

SOURCES = sorted([*Path("functions").rglob("*.py"), *Path("shared").rglob("*.py")])


def _decorators(prefix: str) -> Iterator[tuple[str, ast.expr]]:
    """Every decorator ``<something>.<prefix>...`` in the functions' code, with where it is."""
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr.startswith(prefix):
                    yield f"{path}:{node.name}", decorator


def _false(decorator: ast.expr, option: str) -> bool:
    keywords = {k.arg: k.value for k in decorator.keywords} if isinstance(decorator, ast.Call) else {}
    value = keywords.get(option)
    return isinstance(value, ast.Constant) and value.value is False


def test_every_traced_function_keeps_its_response_and_errors_out_of_the_trace() -> None:
    """X-Ray keeps a traced function's return value and its exception object as metadata unless told
    not to, and the flows above run only some of them: every ``capture_lambda_handler`` and
    ``capture_method`` says ``capture_response=False, capture_error=False`` (checked in the source:
    the options are read when the decorator is applied)."""
    traced = list(_decorators("capture_"))
    assert len(traced) >= len(FUNCTIONS)  # every handler, and the record handlers
    for where, decorator in traced:
        assert _false(decorator, "capture_response"), f"{where}: capture_response=False"
        assert _false(decorator, "capture_error"), f"{where}: capture_error=False"


def test_no_function_logs_its_whole_event() -> None:
    """``log_event`` is left to the environment, which says false (tests/infra/test_stack.py)."""
    injected = list(_decorators("inject_lambda_context"))
    # Every function but the console, which serves static files, logs nothing and has no logger at all
    # (tests/unit/test_handler_modules.py pins that it never loads Powertools).
    assert len(injected) == len([fn for fn in FUNCTIONS if fn is not CONSOLE])
    for where, decorator in injected:
        keywords = {k.arg for k in decorator.keywords} if isinstance(decorator, ast.Call) else set()
        assert "log_event" not in keywords or _false(decorator, "log_event"), where

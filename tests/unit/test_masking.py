"""The masking rules (shared/masking.py), the logger's formatter and the tracer's exception recording
(shared/observability.py)."""

from __future__ import annotations

import io
import json
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from shared.masking import MASK, is_personal_key, mask, mask_record, mask_text
from shared.models.orders import Address, Customer, CustomerIn
from shared.observability import MaskedTraces, MaskingFormatter

EMAIL = "zelda.pii@example.org"
NAME = "Zelda Unique-Name"
PHONE = "+44 7700 900123"


@pytest.mark.parametrize(
    "key",
    [
        "email",
        "Email",
        "name",
        "phone",
        "customer",
        "shipping_address",
        "BuyerEmail",
        "BuyerName",
        "BuyerInfo",
        "buyer",
        "ShippingAddress",
        "AddressLine1",
        "addressLine2",
        "line1",
        "postalCode",
        "PostalCode",
        "postal_code",
        "city",
        "fullName",
        "first_name",
        "lastName",
        "phoneNumber",
        "primaryPhone",
        "contactAddress",
        "buyerRegistrationAddress",
        "username",
        "shipTo",
        "StateOrRegion",
        "customer_email",
        "email_address",
    ],
)
def test_personal_keys_in_any_spelling(key: str) -> None:
    assert is_personal_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "order_id",
        "external_id",
        "sku",
        "channel",
        "status",
        "message_id",
        "reason",
        "error",
        "function_name",
        "location",
        "marketplace",
        "country",
        "CountryCode",
        "receive_count",
        "table_name",
    ],
)
def test_identifiers_and_outcomes_are_not_personal(key: str) -> None:
    assert not is_personal_key(key)


def test_values_under_personal_keys_are_masked_whole_however_deep() -> None:
    record = {
        "order_id": "o-1",
        "order": {
            "customer": {"email": EMAIL, "name": NAME},
            "lines": [{"sku": "MUG", "quantity": 2}],
            "shipping_address": {"line1": "17 Secret Lane", "country": "GB"},
        },
        "BuyerInfo": {"BuyerEmail": EMAIL},
        "parties": [{"fullName": NAME, "postalCode": "ZZ9 9ZZ", "countryCode": "GB"}],
        "phone": None,
    }

    assert mask(record) == {
        "order_id": "o-1",
        "order": {
            "customer": MASK,
            "lines": [{"sku": "MUG", "quantity": 2}],
            "shipping_address": MASK,
        },
        "BuyerInfo": MASK,
        "parties": [{"fullName": MASK, "postalCode": MASK, "countryCode": "GB"}],
        "phone": None,
    }
    assert record["order"]["customer"] == {"email": EMAIL, "name": NAME}  # a copy: the input is untouched


def test_models_and_dataclasses_are_masked_by_their_fields() -> None:
    @dataclass
    class Parsed:
        order_id: str
        customer: Customer

    customer = Customer(email=EMAIL, name=NAME, phone=PHONE)
    assert mask(customer) == {"email": MASK, "name": MASK, "phone": MASK}
    assert mask(Parsed("o-1", customer)) == {"order_id": "o-1", "customer": MASK}
    assert mask(Address(line1="17 Secret Lane", city="Quillhaven", country="GB")) == {
        "name": None,
        "line1": MASK,
        "line2": None,
        "city": MASK,
        "region": None,
        "postal_code": None,
        "country": "GB",
    }


def test_numbers_and_booleans_are_kept_and_other_objects_masked_as_text() -> None:
    assert mask({"count": 3, "ok": True, "total": 1.5}) == {"count": 3, "ok": True, "total": 1.5}
    assert mask(Decimal("19.99")) == "19.99"
    assert mask(ValueError(f"no such customer {EMAIL}")) == f"no such customer {MASK}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"mail {EMAIL} now", f"mail {MASK} now"),
        ("Zelda.PII+orders@Sub.Example.CO.UK.", f"{MASK}."),
        (f"call {PHONE} today", f"call {MASK} today"),
        ("(312) 555-0187 or 3125550187 or +1 206-555-0142.", f"{MASK} or {MASK} or {MASK}."),
        ("07700 900123", MASK),
    ],
)
def test_emails_and_phone_numbers_in_text(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 8c1e2f3a-0b4d-4c5e-9f60-123456789012 created",
        "12345678-1234-1234-1234-123456789012",
        "arn:aws:lambda:us-east-1:123456789012:function:api",
        "at 2026-05-01 12:00:00,123+0000",
        "as of 2026-11-23T09:00:00Z",
        "total 1234.56 for 3 lines",
        "quantity 10000 of SKU TSHIRT-RED-M",
        "https://errors.pydantic.dev/2.14/v/string_too_long",
    ],
)
def test_identifiers_dates_and_amounts_in_text_are_kept(text: str) -> None:
    assert mask_text(text) == text


def test_phone_like_identifiers_are_kept_under_identifier_keys_only() -> None:
    amazon_order_id = "113-4829105-7730621"
    assert mask({"external_id": amazon_order_id}) == {"external_id": amazon_order_id}
    assert mask({"note": amazon_order_id}) == {"note": MASK}  # in free text it cannot be told apart
    assert mask({"external_id": EMAIL}) == {"external_id": MASK}  # emails are masked everywhere


def test_values_quoted_after_personal_keys_in_text() -> None:
    text = (
        "Customer(email='x', name='Zelda Unique-Name', phone=None) "
        "Address(line1='17 Secret Lane', city='Quillhaven', postal_code='ZZ9 9ZZ', country='GB') "
        '{"BuyerInfo": {"BuyerName": "Zelda Unique-Name"}, "AmazonOrderId": "A-1", "status": "ok"}'
    )
    assert mask_text(text) == (
        f"Customer(email='{MASK}', name='{MASK}', phone=None) "
        f"Address(line1='{MASK}', city='{MASK}', postal_code='{MASK}', country='GB') "
        f'{{"BuyerInfo": {{"BuyerName": "{MASK}"}}, "AmazonOrderId": "A-1", "status": "ok"}}'
    )


def test_pydantic_validation_errors_lose_their_input_values() -> None:
    with pytest.raises(ValidationError) as raised:
        CustomerIn.model_validate({"email": "zelda.pii(at)example.org", "name": NAME * 20, "phone": PHONE})
    text = str(raised.value)
    assert "Unique-Name" in text  # pydantic quotes the input...
    masked = mask_text(text)
    assert "Unique-Name" not in masked and "zelda" not in masked.lower()  # ...the mask does not
    assert "customer" not in masked and "string_too_long" in masked  # the error itself stays readable
    assert masked.count(f"input_value={MASK}, input_type=str") == 2


def test_powertools_own_keys_are_kept_as_they_are() -> None:
    record = {
        "level": "INFO",
        "timestamp": "2026-05-01 12:00:00,123+0000",
        "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:api",
        "message": f"sent to {EMAIL}",
        "name": NAME,
    }
    assert mask_record(record) == {**record, "message": f"sent to {MASK}", "name": MASK}


# --- the formatter, through a real Powertools Logger --------------------------------------------


@pytest.fixture
def log() -> Any:
    from aws_lambda_powertools import Logger

    stream = io.StringIO()
    service = f"masking-test-{uuid.uuid4().hex}"  # a logger of its own (Powertools configures one once)
    logger = Logger(service=service, stream=stream, logger_formatter=MaskingFormatter())
    yield logger, stream
    logging.getLogger(service).handlers.clear()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_formatter_masks_extra_and_appended_keys_and_the_message(log: Any) -> None:
    logger, stream = log
    logger.append_keys(customer_email=EMAIL)
    logger.info(
        f"order for {EMAIL} placed",
        order_id="o-1",
        customer={"email": EMAIL, "name": NAME},
        shipping_address=Address(line1="17 Secret Lane", city="Quillhaven", country="GB"),
        lines=[{"sku": "MUG", "quantity": 1}],
    )
    logger.info({"message": "a dict", "BuyerInfo": {"BuyerName": NAME}})
    logger.info(json.dumps({"buyer": NAME, "sku": "MUG"}))  # Powertools decodes a JSON message

    first, second, third = lines(stream)
    assert first["message"] == f"order for {MASK} placed"
    assert first["order_id"] == "o-1"
    assert first["customer"] == MASK
    assert first["shipping_address"] == MASK
    assert first["customer_email"] == MASK
    assert first["lines"] == [{"sku": "MUG", "quantity": 1}]
    assert first["service"].startswith("masking-test")
    assert second["message"] == {"message": "a dict", "BuyerInfo": MASK}
    assert third["message"] == {"buyer": MASK, "sku": "MUG"}
    assert "zelda" not in stream.getvalue().lower()


def test_the_formatter_masks_exceptions_and_their_stack_traces(log: Any) -> None:
    logger, stream = log
    try:
        CustomerIn.model_validate({"email": EMAIL, "name": NAME * 20})
    except ValidationError:
        logger.exception("could not read the customer")
    try:
        raise RuntimeError(f"customer {EMAIL} (phone {PHONE}) not found")
    except RuntimeError as exc:
        logger.warning("lookup failed", error=exc, exc_info=True)

    validation, runtime = lines(stream)
    assert validation["exception_name"] == "ValidationError"
    assert f"input_value={MASK}" in validation["exception"]
    assert f"input_value={MASK}" in validation["stack_trace"]["value"]
    assert runtime["error"] == f"customer {MASK} (phone {MASK}) not found"
    assert f"RuntimeError: customer {MASK} (phone {MASK}) not found" in runtime["exception"]
    assert "zelda" not in stream.getvalue().lower()
    assert "7700" not in stream.getvalue()


# --- the tracer: what X-Ray records of an exception ----------------------------------------------


class _Kept:
    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.documents.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address: str | None) -> None:
        pass


@pytest.fixture
def xray() -> Any:
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import AWSXRayRecorder
    from aws_xray_sdk.core.context import Context

    emitter = _Kept()
    recorder = AWSXRayRecorder()
    recorder.configure(sampling=False, context=Context(), emitter=emitter, context_missing="LOG_ERROR")
    global_sdk_config.set_sdk_enabled(True)
    try:
        yield recorder, emitter
    finally:
        global_sdk_config.set_sdk_enabled(False)


def test_masked_traces_record_the_exception_with_its_message_masked(xray: Any) -> None:
    recorder, emitter = xray
    traces = MaskedTraces(recorder)
    recorder.begin_segment("test")
    with (
        pytest.raises(RuntimeError) as raised,
        traces.in_subsegment("## outer"),
        traces.in_subsegment("## inner") as inner,
    ):
        inner.put_annotation("kept", "yes")
        raise RuntimeError(f"customer {EMAIL} name='{NAME}'")
    recorder.end_segment()

    assert EMAIL in str(raised.value)  # the caller gets the exception as it was
    [segment] = emitter.documents
    [outer] = segment["subsegments"]
    [inner] = outer["subsegments"]
    [exception] = inner["cause"]["exceptions"]
    assert exception["type"] == "RuntimeError"
    assert exception["message"] == f"customer {MASK} name='{MASK}'"
    assert exception["stack"]
    assert inner["annotations"] == {"kept": "yes"}
    assert inner["fault"] is True and outer["fault"] is True
    assert "zelda" not in json.dumps(emitter.documents).lower()


def test_masked_traces_leave_a_successful_subsegment_alone(xray: Any) -> None:
    recorder, emitter = xray
    traces = MaskedTraces(recorder)
    recorder.begin_segment("test")
    with traces.in_subsegment("## fine"):
        pass
    recorder.end_segment()

    [segment] = emitter.documents
    [fine] = segment["subsegments"]
    assert fine["name"] == "## fine" and "cause" not in fine and "fault" not in fine
    assert traces.service == recorder.service  # everything else is the recorder's own

"""Request and response shapes: money, emails, SKUs, strictness."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.models.catalog import Product, ProductIn
from shared.models.common import Email, Money, Problem
from shared.models.inventory import StockCountIn as StockIn
from shared.models.orders import (
    MAX_DISTINCT_SKUS,
    MAX_LINES,
    Address,
    NewOrder,
    Order,
    OrderLine,
    OrderLineIn,
    line_total,
)


class Priced(BaseModel):
    amount: Money


class Contact(BaseModel):
    email: Email


def error_types(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in exc.value.errors()]


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"email": "ada@example.com", "name": "Ada"},
        "lines": [{"sku": "MUG", "quantity": 1}],
    }
    body.update(overrides)
    return body


# --- Money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("19.99", Decimal("19.99")), ("0", Decimal("0")), ("5.5", Decimal("5.5")), ("999999999999.99", None)],
)
def test_money_accepts_decimal_strings(raw: str, expected: Decimal | None) -> None:
    value = Priced.model_validate_json(json.dumps({"amount": raw})).amount

    assert isinstance(value, Decimal)
    assert value == (expected if expected is not None else Decimal(raw))


@pytest.mark.parametrize("number", ["19.99", "20", "0", "1e3"])
def test_money_refuses_json_numbers(number: str) -> None:
    with pytest.raises(ValidationError, match="decimal string"):
        Priced.model_validate_json('{"amount": ' + number + "}")


@pytest.mark.parametrize("value", [19.99, 20])
def test_money_refuses_python_numbers(value: float) -> None:
    with pytest.raises(ValidationError):
        Priced(amount=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw", ["1.999", "0.001", "-1.00", "-0", "1e3", "abc", "", "1,00", " 1.00", "1.", ".5"]
)
def test_money_refuses_malformed_negative_and_sub_cent_strings(raw: str) -> None:
    with pytest.raises(ValidationError):
        Priced.model_validate_json(json.dumps({"amount": raw}))


def test_money_serialises_to_a_string_in_json_mode_only() -> None:
    priced = Priced.model_validate_json('{"amount": "19.90"}')

    assert priced.model_dump(mode="json") == {"amount": "19.90"}
    assert json.loads(priced.model_dump_json()) == {"amount": "19.90"}
    assert priced.model_dump() == {"amount": Decimal("19.90")}


def test_money_never_serialises_in_exponent_form() -> None:
    assert Priced(amount=Decimal("1E+2")).model_dump(mode="json") == {"amount": "100"}


def test_money_schema_is_a_string_pattern() -> None:
    schema = Priced.model_json_schema()["properties"]["amount"]

    assert schema["type"] == "string"
    assert "pattern" in schema


# --- Email -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada.Lovelace@Example.COM", "Ada.Lovelace@example.com"),
        ("  bob@EXAMPLE.org  ", "bob@example.org"),
        ("X+tag@Sub.Domain.IO", "X+tag@sub.domain.io"),
    ],
)
def test_email_lower_cases_the_domain_only(raw: str, expected: str) -> None:
    assert Contact(email=raw).email == expected


@pytest.mark.parametrize(
    "raw",
    [
        "no-at-sign",
        "ada@localhost",
        "@example.com",
        "ada@",
        "a b@example.com",
        "ada@exa mple.com",
        "ada@@example.com",
        "a" * 65 + "@example.com",
        "ada@" + "d" * 250 + ".com",
        "",
    ],
)
def test_email_refuses_bad_addresses(raw: str) -> None:
    with pytest.raises(ValidationError, match="not a valid email address"):
        Contact(email=raw)


def test_customer_email_is_normalised_inside_an_order() -> None:
    order = NewOrder.model_validate(order_body(customer={"email": "Ada@EXAMPLE.com", "name": "Ada"}))

    assert order.customer.email == "Ada@example.com"


# --- strictness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (order_body(coupon="FREE"), "coupon"),
        (order_body(customer={"email": "a@b.co", "name": "A", "vip": True}), "customer.vip"),
        (order_body(lines=[{"sku": "MUG", "quantity": 1, "discount": "1.00"}]), "lines.0.discount"),
        (
            order_body(shipping_address={"line1": "1 Road", "city": "Town", "country": "DE", "floor": "3"}),
            "shipping_address.floor",
        ),
        (order_body(channel="web"), "channel"),
    ],
)
def test_unknown_fields_are_refused(body: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as exc:
        NewOrder.model_validate(body)

    assert (where, "extra_forbidden") in error_types(exc)


def test_product_and_stock_inputs_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ProductIn.model_validate({"name": "Mug", "price": "7.50", "stock": 3})
    with pytest.raises(ValidationError):
        StockIn.model_validate({"on_hand": 3, "reserved": 1})


@pytest.mark.parametrize("quantity", [0, -1, 10_001, "2", 2.5, True, None])
def test_quantity_is_a_strict_positive_int(quantity: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        OrderLineIn.model_validate({"sku": "MUG", "quantity": quantity})

    assert [loc for loc, _ in error_types(exc)] == ["quantity"]


def test_an_integral_number_is_an_integer_as_in_json_schema() -> None:
    assert OrderLineIn.model_validate_json('{"sku": "MUG", "quantity": 2.0}').quantity == 2
    assert type(OrderLineIn.model_validate({"sku": "MUG", "quantity": 2.0}).quantity) is int


def test_quantity_from_json_must_be_an_integer() -> None:
    assert OrderLineIn.model_validate_json('{"sku": "MUG", "quantity": 10000}').quantity == 10_000
    with pytest.raises(ValidationError):
        OrderLineIn.model_validate_json('{"sku": "MUG", "quantity": "3"}')
    with pytest.raises(ValidationError):
        OrderLineIn.model_validate_json('{"sku": "MUG", "quantity": 1.5}')


def test_an_order_has_one_to_a_hundred_lines_of_at_most_fifty_skus() -> None:
    line = {"sku": "MUG", "quantity": 1}

    assert len(NewOrder.model_validate(order_body(lines=[line] * MAX_LINES)).lines) == 100
    fifty = [{"sku": f"SKU-{i}", "quantity": 1} for i in range(MAX_DISTINCT_SKUS)]
    assert len(NewOrder.model_validate(order_body(lines=fifty + fifty)).lines) == 100
    with pytest.raises(ValidationError) as too_many:
        NewOrder.model_validate(order_body(lines=[*fifty, {"sku": "ONE-MORE", "quantity": 1}]))
    assert [loc for loc, _ in error_types(too_many)] == ["lines"]
    for lines in ([], [line] * (MAX_LINES + 1)):
        with pytest.raises(ValidationError) as exc:
            NewOrder.model_validate(order_body(lines=lines))
        assert [loc for loc, _ in error_types(exc)] == ["lines"]


PLATFORM_SKUS = [
    "A#1",
    "KIT:RED+BLUE",
    "TEE/RED/M",
    "MUG WHITE 11oz",
    "ÄPFEL-Grün",
    "50%OFF",
    "-MUG",
    "A" * 100,
]


@pytest.mark.parametrize("sku", ["MUG", "TSHIRT-RED-M", "a.b_c-d", "0", *PLATFORM_SKUS])
def test_skus_are_what_the_platforms_allow(sku: str) -> None:
    assert OrderLineIn(sku=sku, quantity=1).sku == sku
    assert Product(sku=sku, name="x", price=Decimal("1"), updated_at="t").sku == sku  # output shapes too


@pytest.mark.parametrize(
    ("sku", "error"),
    [
        ("", "string_too_short"),
        ("A" * 101, "string_too_long"),
        ("MUG\x00", "string_pattern_mismatch"),  # C0
        ("MUG\tRED", "string_pattern_mismatch"),
        ("MUG\nRED", "string_pattern_mismatch"),
        ("MUG\x7fRED", "string_pattern_mismatch"),  # DEL
        ("MUG\x85RED", "string_pattern_mismatch"),  # C1
        ("MUG\x9f", "string_pattern_mismatch"),
    ],
)
def test_skus_refuse_control_characters_and_more_than_100_characters(sku: str, error: str) -> None:
    with pytest.raises(ValidationError) as exc:
        OrderLineIn(sku=sku, quantity=1)

    assert error_types(exc) == [("sku", error)]


def test_input_skus_are_stripped_and_stored_skus_never_have_outer_whitespace() -> None:
    # Input models strip strings, so " MUG " names MUG; a SKU that is itself " MUG" cannot exist
    # (it could never be named in a body), so the type refuses outer whitespace wherever it is read.
    assert OrderLineIn.model_validate({"sku": " MUG\u00a0", "quantity": 1}).sku == "MUG"
    for sku in (" MUG", "MUG ", "\u00a0MUG", "MUG\u2003"):
        with pytest.raises(ValidationError) as exc:
            Product(sku=sku, name="x", price=Decimal("1"), updated_at="t")
        assert error_types(exc) == [("sku", "string_pattern_mismatch")]


def test_a_sku_is_text_not_lone_surrogates() -> None:
    with pytest.raises(ValidationError) as exc:
        Product(sku="A\udcff", name="x", price=Decimal("1"), updated_at="t")  # undecodable bytes, escaped

    assert error_types(exc) == [("sku", "string_unicode")]


@pytest.mark.parametrize(
    ("country", "ok"), [("DE", True), ("US", True), ("de", False), ("DEU", False), ("D", False)]
)
def test_address_country_is_two_upper_case_letters(country: str, ok: bool) -> None:
    body = {"line1": "1 Road", "city": "Town", "country": country}
    if ok:
        assert Address.model_validate(body).country == country
    else:
        with pytest.raises(ValidationError) as exc:
            Address.model_validate(body)
        assert [loc for loc, _ in error_types(exc)] == ["country"]


def test_currency_is_three_upper_case_letters() -> None:
    assert NewOrder.model_validate(order_body(currency="EUR")).currency == "EUR"
    with pytest.raises(ValidationError):
        NewOrder.model_validate(order_body(currency="eur"))


def test_missing_customer_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        NewOrder.model_validate({"lines": [{"sku": "MUG", "quantity": 1}]})

    assert error_types(exc) == [("customer", "missing")]


def test_unit_price_is_money() -> None:
    line = OrderLineIn.model_validate_json('{"sku": "MUG", "quantity": 1, "unit_price": "4.20"}')

    assert line.unit_price == Decimal("4.20")
    with pytest.raises(ValidationError):
        OrderLineIn.model_validate_json('{"sku": "MUG", "quantity": 1, "unit_price": 4.2}')


def test_product_price_refuses_json_numbers_and_stock_refuses_negatives() -> None:
    assert ProductIn.model_validate_json('{"name": "Mug", "price": "7.50"}').price == Decimal("7.50")
    with pytest.raises(ValidationError):
        ProductIn.model_validate_json('{"name": "Mug", "price": 7.5}')
    assert StockIn.model_validate_json('{"on_hand": 0}').on_hand == 0
    with pytest.raises(ValidationError):
        StockIn.model_validate_json('{"on_hand": -1}')
    with pytest.raises(ValidationError):
        StockIn.model_validate_json('{"on_hand": "5"}')


# --- outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_price", "expected"),
    [
        (3, "19.99", "59.97"),
        (1, "0", "0.00"),
        (10_000, "0.01", "100.00"),
        (3, "0.333", "1.00"),
        (2, "5", "10.00"),
    ],
)
def test_line_total_is_quantized_to_cents(quantity: int, unit_price: str, expected: str) -> None:
    total = line_total(quantity, Decimal(unit_price))

    assert str(total) == expected


def test_order_json_carries_money_as_strings() -> None:
    order = Order(
        order_id="o-1",
        status="CONFIRMED",
        channel="web",
        customer={"email": "a@b.co", "name": "A"},  # type: ignore[arg-type]
        currency="EUR",
        lines=[OrderLine(sku="MUG", quantity=2, unit_price=Decimal("7.50"), line_total=Decimal("15.00"))],
        total=Decimal("15.00"),
        created_at="2024-01-01T00:00:00.000Z",
        updated_at="2024-01-01T00:00:00.000Z",
    )

    dumped = json.loads(order.model_dump_json())
    assert dumped["total"] == "15.00"
    assert dumped["lines"][0]["unit_price"] == "7.50"
    assert dumped["lines"][0]["line_total"] == "15.00"
    assert (
        Product(sku="MUG", name="Mug", price=Decimal("7.5"), updated_at="t").model_dump(mode="json")["price"]
        == "7.5"
    )


def test_problem_allows_extra_members() -> None:
    problem = Problem(title="Conflict", status=409, order_status="SHIPPED")  # type: ignore[call-arg]

    assert problem.model_dump(exclude_none=True) == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "order_status": "SHIPPED",
    }


def test_problem_shortages_are_typed() -> None:
    problem = Problem(
        title="Out of stock", status=409, shortages=[{"sku": "MUG", "requested": 2, "available": 1}]
    )  # type: ignore[list-item]

    assert problem.model_dump(exclude_none=True)["shortages"] == [
        {"sku": "MUG", "requested": 2, "available": 1}
    ]


def test_an_import_dry_run_is_a_json_boolean_never_a_number_or_a_string() -> None:
    from pydantic import ValidationError

    from shared.models.imports import ImportOptions

    assert ImportOptions.model_validate({"format": "oms-stock", "dry_run": True}).dry_run is True
    for wrong in (0, 1, "true"):
        with pytest.raises(ValidationError):
            ImportOptions.model_validate({"format": "oms-stock", "dry_run": wrong})

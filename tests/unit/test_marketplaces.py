"""Marketplace adapters: Amazon SP-API, eBay Fulfillment and generic documents -> the canonical channel order.

The sample events, optional parts, refusals and money helpers; the adapters' statuses and totals on the
platforms' published documents are in test_marketplace_amazon.py and test_marketplace_ebay.py.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.marketplaces import MARKETPLACES, ChannelOrder, adapter, amazon, ebay, generic
from shared.marketplaces.money import parse_amount, split_line
from shared.models.orders import line_total

EVENTS = Path(__file__).resolve().parents[2] / "events" / "marketplace_feed"
TWO_DECIMALS = re.compile(r"^\d+\.\d{2}$")


def records(name: str) -> list[dict[str, Any]]:
    return json.loads((EVENTS / name).read_text())["Records"]


def message(name: str, index: int = 0) -> dict[str, Any]:
    return json.loads(records(name)[index]["body"])


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of the marketplace's own order document in a sample event."""
    return copy.deepcopy(message(name)["order"])


def adapted(marketplace: str, document: dict[str, Any]) -> ChannelOrder:
    """What the marketplace's adapter (as the feed finds it) makes of a document: an order, here."""
    result = adapter(marketplace)(document)
    assert isinstance(result, ChannelOrder)
    return result


def lines_of(result: ChannelOrder) -> list[tuple[str | None, int, str | None]]:
    return [
        (line.sku, line.quantity, None if line.unit_price is None else format(line.unit_price, "f"))
        for line in result.lines
    ]


def order_total(result: ChannelOrder) -> Decimal:
    return sum(
        (line_total(line.quantity, line.unit_price) for line in result.lines if line.unit_price),
        Decimal("0.00"),
    )


def refused(to_order: Any, document: dict[str, Any], *fields: str, secret: str | None = None) -> str:
    """The message of the ValueError ``to_order`` raises; it names every field and hides ``secret``."""
    with pytest.raises(ValueError) as caught:
        to_order(document)
    text = str(caught.value)
    for field in fields:
        assert field in text, text
    if secret:
        assert secret not in text, text
        assert secret.split("@")[0] not in text, text
    assert caught.value.__cause__ is None  # no chained pydantic error carrying input values
    return text


# --- the sample events -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["amazon.json", "ebay.json", "generic.json", "batch_with_poison.json"])
def test_sample_events_have_the_sqs_event_source_shape(name: str) -> None:
    for record in records(name):
        assert set(record) == {
            "messageId",
            "receiptHandle",
            "body",
            "attributes",
            "messageAttributes",
            "md5OfBody",
            "eventSource",
            "eventSourceARN",
            "awsRegion",
        }
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:000000000000:oms-marketplace-orders"
        assert record["awsRegion"] == "us-east-1"
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert set(record["attributes"]) == {
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
        }
        assert all(isinstance(v, str) for v in record["attributes"].values())


def test_amazon_sample_maps_field_by_field() -> None:
    document = sample("amazon.json")
    assert message("amazon.json")["marketplace"] == "amazon"

    result = adapted("amazon", document)

    order = result
    assert result.channel == "amazon"
    assert order.external_id == "113-4829105-7730621"
    assert order.customer.email == document["BuyerInfo"]["BuyerEmail"]
    assert order.customer.name == "Jordan Example"  # BuyerInfo.BuyerName
    assert order.customer.phone == "+1 206-555-0142"  # ShippingAddress.Phone
    address = order.shipping_address
    assert address is not None
    assert address.name == "Jordan Example"
    assert address.line1 == "410 Terry Ave N"
    assert address.line2 == "Apt 4B"
    assert address.city == "Seattle"
    assert address.region == "WA"
    assert address.postal_code == "98109-5210"
    assert address.country == "US"
    assert order.currency == "USD"
    # ItemPrice is the line total: 39.98 for 2 is 19.99 each
    assert lines_of(result) == [("TSHIRT-RED-M", 2, "19.99"), ("MUG-WHITE", 1, "8.50")]
    assert order_total(result) == Decimal("48.48")


def test_ebay_sample_maps_field_by_field() -> None:
    document = sample("ebay.json")
    assert message("ebay.json")["marketplace"] == "ebay"

    result = adapted("ebay", document)

    order = result
    assert result.channel == "ebay"
    assert order.external_id == "12-11482-73905"
    assert order.customer.email == "sam.example@example.com"
    assert order.customer.name == "Sam Example"
    assert order.customer.phone == "3125550187"
    address = order.shipping_address
    assert address is not None
    assert (address.name, address.line1, address.line2) == ("Sam Example", "2150 N Lincoln Ave", "Unit 3")
    assert (address.city, address.region, address.postal_code, address.country) == (
        "Chicago",
        "IL",
        "60614-4512",
        "US",
    )
    assert order.currency == "USD"
    # lineItemCost is the line total: 31.98 for 2 is 15.99 each
    assert lines_of(result) == [("TSHIRT-RED-M", 2, "15.99")]
    assert order_total(result) == Decimal("31.98")


def test_generic_sample_maps_to_the_generic_channel_or_to_a_named_one() -> None:
    envelope = message("generic.json")
    assert envelope["marketplace"] == "generic"
    assert "channel" not in envelope  # the sample's orders belong to the generic channel

    result = adapted("generic", sample("generic.json"))
    in_channel = generic.to_order_for_channel(sample("generic.json"), "etsy")

    assert result.channel == "generic"
    assert in_channel.channel == "etsy"
    assert in_channel.model_dump(exclude={"channel"}) == result.model_dump(exclude={"channel"})
    assert (result.status, result.placed_at, result.channel_total) == ("open", None, None)
    order = result
    assert order.external_id == "ETSY-5001"
    assert (order.customer.email, order.customer.name, order.customer.phone) == (
        "riley.example@example.com",
        "Riley Example",
        "+44 20 7946 0958",
    )
    assert order.shipping_address is not None
    assert order.shipping_address.city == "London"
    assert order.shipping_address.country == "GB"
    assert order.currency == "GBP"
    assert lines_of(result) == [("MUG-WHITE", 2, "7.25")]


def test_batch_with_poison_holds_a_good_order_a_non_json_body_and_an_unknown_marketplace() -> None:
    good, not_json, walmart = records("batch_with_poison.json")

    result = adapted("amazon", json.loads(good["body"])["order"])
    assert result.external_id == "114-6083527-1904257"
    assert lines_of(result) == [("TSHIRT-RED-M", 2, "19.99"), ("MUG-WHITE", 1, "8.50")]

    with pytest.raises(json.JSONDecodeError):
        json.loads(not_json["body"])

    unknown = json.loads(walmart["body"])["marketplace"]
    assert unknown == "walmart"
    with pytest.raises(ValueError, match="unknown marketplace 'walmart'"):
        adapter(unknown)


def test_every_marketplace_has_an_adapter() -> None:
    for name in MARKETPLACES:
        assert callable(adapter(name))
    with pytest.raises(ValueError, match="unknown marketplace"):
        adapter("walmart")


# --- Amazon: optional parts and edge cases ----------------------------------------------------


def test_amazon_without_buyer_name_takes_the_recipient_then_a_placeholder() -> None:
    document = sample("amazon.json")
    document["BuyerInfo"]["BuyerName"] = None
    document["ShippingAddress"]["Name"] = "Recipient Example"
    assert amazon.to_order(document).customer.name == "Recipient Example"

    del document["BuyerInfo"]["BuyerName"]
    del document["ShippingAddress"]["Name"]
    result = amazon.to_order(document)
    assert result.customer.name == "Amazon customer"
    assert result.shipping_address is not None
    assert result.shipping_address.name is None


def test_amazon_without_optional_address_parts_and_phone() -> None:
    document = sample("amazon.json")
    for key in ("AddressLine2", "StateOrRegion", "PostalCode", "Phone", "AddressType"):
        del document["ShippingAddress"][key]

    order = amazon.to_order(document)

    assert order.customer.phone is None
    address = order.shipping_address
    assert address is not None
    assert (address.line1, address.line2, address.region, address.postal_code) == (
        "410 Terry Ave N",
        None,
        None,
        None,
    )
    assert (address.city, address.country) == ("Seattle", "US")


def test_amazon_address_line_3_joins_line_2_and_null_parts_are_absent() -> None:
    document = sample("amazon.json")
    document["ShippingAddress"].update(AddressLine2="Building 7", AddressLine3="Suite 300", Phone=None)
    document["ShippingAddress"]["StateOrRegion"] = "   "

    order = amazon.to_order(document)

    assert order.shipping_address is not None
    assert order.shipping_address.line2 == "Building 7, Suite 300"
    assert order.shipping_address.region is None
    assert order.customer.phone is None


def test_amazon_without_a_shipping_address_or_with_a_restricted_one_has_no_address() -> None:
    document = sample("amazon.json")
    del document["ShippingAddress"]
    assert amazon.to_order(document).shipping_address is None

    # without the restricted-data role, Amazon sends only these four parts
    document["ShippingAddress"] = {
        "City": "Seattle",
        "StateOrRegion": "WA",
        "PostalCode": "98109",
        "CountryCode": "US",
    }
    order = amazon.to_order(document)
    assert order.shipping_address is None
    assert order.customer.name == "Jordan Example"


def test_amazon_street_without_city_is_refused() -> None:
    document = sample("amazon.json")
    del document["ShippingAddress"]["City"]
    assert refused(amazon.to_order, document, secret=document["BuyerInfo"]["BuyerEmail"]) == (
        "ShippingAddress.City is missing"
    )


def test_amazon_keeps_cancelled_items_with_quantity_0() -> None:
    document = sample("amazon.json")
    document["OrderItems"][0].update(QuantityOrdered=0, ItemPrice={"CurrencyCode": "USD", "Amount": "0.00"})

    result = amazon.to_order(document)

    assert lines_of(result) == [("TSHIRT-RED-M", 0, None), ("MUG-WHITE", 1, "8.50")]


def test_amazon_order_without_items_is_refused_and_one_with_only_cancelled_items_is_kept() -> None:
    document = sample("amazon.json")
    for item in document["OrderItems"]:
        item["QuantityOrdered"] = 0
    assert [line.quantity for line in amazon.to_order(document).lines] == [0, 0]

    document["OrderItems"] = []
    refused(amazon.to_order, document, "OrderItems")
    del document["OrderItems"]
    refused(amazon.to_order, document, "OrderItems")


def test_amazon_line_total_that_does_not_divide_splits_into_two_lines_exactly() -> None:
    document = sample("amazon.json")
    document["OrderItems"][0].update(QuantityOrdered=3, ItemPrice={"CurrencyCode": "USD", "Amount": "10.00"})

    result = amazon.to_order(document)

    assert lines_of(result) == [
        ("TSHIRT-RED-M", 2, "3.33"),
        ("TSHIRT-RED-M", 1, "3.34"),
        ("MUG-WHITE", 1, "8.50"),
    ]
    assert order_total(result) == Decimal("18.50")


def test_amazon_item_without_a_price_takes_the_catalog_price_and_the_order_total_currency() -> None:
    document = sample("amazon.json")
    for item in document["OrderItems"]:  # as in a Pending order: no money at all
        for key in [key for key, value in item.items() if isinstance(value, dict) and "Amount" in value]:
            del item[key]
    document["OrderTotal"] = {"CurrencyCode": "EUR", "Amount": "40.00"}

    result = amazon.to_order(document)

    assert lines_of(result) == [("TSHIRT-RED-M", 2, None), ("MUG-WHITE", 1, None)]
    assert result.currency == "EUR"

    del document["OrderTotal"]
    assert amazon.to_order(document).currency is None  # the merchant's currency applies


def test_amazon_item_price_without_currency_falls_back_to_the_order_total() -> None:
    document = sample("amazon.json")
    for item in document["OrderItems"]:
        for value in item.values():
            if isinstance(value, dict) and "Amount" in value:
                del value["CurrencyCode"]
    assert amazon.to_order(document).currency == "USD"

    del document["OrderTotal"]
    refused(amazon.to_order, document, "OrderItems[0].ItemPrice.CurrencyCode is missing")


# --- eBay: optional parts and edge cases -------------------------------------------------------


def test_ebay_without_registration_address_takes_email_and_name_from_ship_to() -> None:
    document = sample("ebay.json")
    del document["buyer"]["buyerRegistrationAddress"]
    document["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]["fullName"] = "Ship To Example"

    customer = ebay.to_order(document).customer

    assert customer.email == "sam.example@example.com"
    assert customer.name == "Ship To Example"
    assert customer.phone == "3125550187"


def test_ebay_name_falls_back_to_username_then_a_placeholder() -> None:
    document = sample("ebay.json")
    del document["buyer"]["buyerRegistrationAddress"]["fullName"]
    ship_to = document["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]
    ship_to["fullName"] = None
    assert ebay.to_order(document).customer.name == "sam_example_42"

    del document["buyer"]["username"]
    result = ebay.to_order(document)
    assert result.customer.name == "eBay customer"
    assert result.shipping_address is not None
    assert result.shipping_address.name is None


def test_ebay_without_phone_and_optional_address_parts() -> None:
    document = sample("ebay.json")
    del document["buyer"]["buyerRegistrationAddress"]["primaryPhone"]
    ship_to = document["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]
    ship_to["primaryPhone"] = None
    for key in ("addressLine2", "stateOrProvince", "postalCode"):
        del ship_to["contactAddress"][key]

    order = ebay.to_order(document)

    assert order.customer.phone is None
    address = order.shipping_address
    assert address is not None
    assert (address.line1, address.line2, address.region, address.postal_code) == (
        "2150 N Lincoln Ave",
        None,
        None,
        None,
    )


def test_ebay_without_shipping_instructions_has_no_address() -> None:
    document = sample("ebay.json")
    document["fulfillmentStartInstructions"] = [{"fulfillmentInstructionsType": "PREPARE_FOR_PICKUP"}]
    order = ebay.to_order(document)
    assert order.shipping_address is None
    assert order.customer.email == "sam.example@example.com"  # from buyerRegistrationAddress

    del document["fulfillmentStartInstructions"]
    assert ebay.to_order(document).shipping_address is None


def test_ebay_without_any_email_is_still_recorded_under_an_unmailable_address() -> None:
    """eBay stops returning contact details after 90 days: the sold order must be recorded anyway."""
    document = sample("ebay.json")
    del document["buyer"]["buyerRegistrationAddress"]["email"]
    del document["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]["email"]
    order = ebay.to_order(document)
    assert order.customer.email == f"{document['orderId']}@ebay.invalid"


def test_amazon_without_a_buyer_email_is_still_recorded_under_an_unmailable_address() -> None:
    """Without the restricted-data role, SP-API leaves BuyerEmail out: record the order anyway."""
    document = sample("amazon.json")
    document["BuyerInfo"].pop("BuyerEmail")
    order = amazon.to_order(document)
    assert order.customer.email == f"{document['AmazonOrderId']}@amazon.invalid"


def test_ebay_line_total_that_does_not_divide_splits_into_two_lines_exactly() -> None:
    document = sample("ebay.json")
    document["lineItems"][0].update(quantity=3, lineItemCost={"value": "50.00", "currency": "USD"})

    result = ebay.to_order(document)

    assert lines_of(result) == [("TSHIRT-RED-M", 1, "16.66"), ("TSHIRT-RED-M", 2, "16.67")]
    assert order_total(result) == Decimal("50.00")


def test_sample_events_totals_are_the_platforms() -> None:
    amazon_order = adapted("amazon", sample("amazon.json"))
    assert (amazon_order.status, amazon_order.tax_total, amazon_order.channel_total) == (
        "open",
        Decimal("3.88"),
        Decimal("52.36"),
    )
    assert order_total(amazon_order) + amazon_order.tax_total == amazon_order.channel_total
    ebay_order = adapted("ebay", sample("ebay.json"))
    assert (ebay_order.status, ebay_order.shipping_total, ebay_order.channel_total) == (
        "open",
        Decimal("4.99"),
        Decimal("36.97"),
    )
    assert order_total(ebay_order) + ebay_order.shipping_total == ebay_order.channel_total


def test_ebay_line_without_sku_is_kept_with_its_listing() -> None:
    document = sample("ebay.json")
    del document["lineItems"][0]["sku"]
    (line,) = ebay.to_order(document).lines
    assert (line.sku, line.listing, line.quantity) == (None, "296184620573/605829174033", 2)


def test_generic_takes_money_and_placed_at_from_the_body() -> None:
    document = sample("generic.json")
    document.update(
        shipping_total="3.95",
        discount_total="1.00",
        tax_total="2.75",
        taxes_included=True,
        placed_at="2026-03-14T10:02:11+01:00",
    )
    result = generic.to_order(document)
    assert (result.shipping_total, result.order_discount, result.tax_total, result.taxes_included) == (
        Decimal("3.95"),
        Decimal("1.00"),
        Decimal("2.75"),
        True,
    )
    assert result.placed_at == "2026-03-14T09:02:11.000000Z"
    document["placed_at"] = "soon"
    refused(generic.to_order, document, "placed_at")


# --- refusals: the field is named, the buyer is not -------------------------------------------

AMAZON_EMAIL = "0x7k2m9q4w1v8z3t@marketplace.example.com"
EBAY_EMAIL = "sam.example@example.com"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (lambda d: d.pop("AmazonOrderId"), ["AmazonOrderId is missing"]),
        (lambda d: d.update(AmazonOrderId="  "), ["AmazonOrderId is missing"]),
        (lambda d: d["OrderItems"][1].pop("SellerSKU"), ["OrderItems[1].SellerSKU is missing"]),
        (lambda d: d["OrderItems"][1].update(SellerSKU="MUG\x00WHITE"), ["OrderItems[1].SellerSKU"]),
        (lambda d: d["OrderItems"][0].pop("QuantityOrdered"), ["OrderItems[0].QuantityOrdered is missing"]),
        (lambda d: d["OrderItems"][0].update(QuantityOrdered=2.0), ["OrderItems[0].QuantityOrdered"]),
        (lambda d: d["OrderItems"][0].update(QuantityOrdered=-1), ["OrderItems[0].QuantityOrdered"]),
        (lambda d: d["OrderItems"][0].update(QuantityOrdered=20_000), ["OrderItems[0].QuantityOrdered"]),
        (
            lambda d: d["OrderItems"][1]["ItemPrice"].update(Amount="-8.50"),
            ["OrderItems[1].ItemPrice.Amount", "negative"],
        ),
        (
            lambda d: d["OrderItems"][1]["ItemPrice"].update(Amount="8.505"),
            ["OrderItems[1].ItemPrice.Amount", "more than 2 decimals"],
        ),
        (lambda d: d["OrderItems"][1]["ItemPrice"].update(Amount="8,50"), ["OrderItems[1].ItemPrice.Amount"]),
        (lambda d: d["OrderItems"][1]["ItemPrice"].update(Amount=8.5), ["OrderItems[1].ItemPrice.Amount"]),
        (
            lambda d: d["OrderItems"][1]["ItemPrice"].update(CurrencyCode="EUR"),
            ["more than one currency", "EUR", "USD", "OrderItems[1].ItemPrice.CurrencyCode"],
        ),
        (
            lambda d: d["OrderTotal"].update(CurrencyCode="GBP"),
            ["more than one currency", "OrderTotal.CurrencyCode"],
        ),
        (
            lambda d: d["OrderItems"][0]["ItemPrice"].update(CurrencyCode="usd"),
            ["OrderItems[0].ItemPrice.CurrencyCode", "ISO 4217"],
        ),
        (
            lambda d: d["BuyerInfo"].update(BuyerEmail="not an email " + AMAZON_EMAIL),
            ["BuyerInfo.BuyerEmail"],
        ),
        (lambda d: d["ShippingAddress"].update(CountryCode="USA"), ["ShippingAddress.CountryCode"]),
        (lambda d: d["ShippingAddress"].update(Phone=AMAZON_EMAIL * 2), ["ShippingAddress.Phone"]),
        (lambda d: d.update(OrderItems={"SellerSKU": "MUG-WHITE"}), ["OrderItems must be a list"]),
        (lambda d: d.update(BuyerInfo=AMAZON_EMAIL), ["BuyerInfo must be an object"]),
    ],
)
def test_amazon_refusals_name_the_field_and_not_the_buyer(change: Any, fields: list[str]) -> None:
    document = sample("amazon.json")
    assert document["BuyerInfo"]["BuyerEmail"] == AMAZON_EMAIL
    change(document)
    refused(amazon.to_order, document, *fields, secret=AMAZON_EMAIL)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (lambda d: d.pop("orderId"), ["orderId is missing"]),
        (lambda d: d["lineItems"][0].update(sku="TSHIRT\nRED"), ["lineItems[0].sku"]),
        (lambda d: d["lineItems"][0].update(quantity=-1), ["lineItems[0].quantity"]),
        (lambda d: d["lineItems"][0].update(quantity="2"), ["lineItems[0].quantity"]),
        (
            lambda d: d["lineItems"][0]["lineItemCost"].update(value="-31.98"),
            ["lineItems[0].lineItemCost.value", "negative"],
        ),
        (
            lambda d: d["lineItems"][0]["lineItemCost"].update(value="31.981"),
            ["lineItems[0].lineItemCost.value", "more than 2 decimals"],
        ),
        (
            lambda d: d["lineItems"][0]["lineItemCost"].pop("value"),
            ["lineItems[0].lineItemCost.value is missing"],
        ),
        (
            lambda d: d["lineItems"][0]["lineItemCost"].pop("currency"),
            ["lineItems[0].lineItemCost.currency is missing"],
        ),
        (
            lambda d: d["lineItems"].append(
                {"sku": "MUG-WHITE", "quantity": 1, "lineItemCost": {"value": "8.50", "currency": "CAD"}}
            ),
            ["more than one currency", "CAD", "USD", "lineItems[1].lineItemCost.currency"],
        ),
        (lambda d: d.update(lineItems=[]), ["lineItems"]),
        (
            lambda d: d["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]["contactAddress"].pop(
                "city"
            ),
            ["fulfillmentStartInstructions[0].shippingStep.shipTo.contactAddress.city is missing"],
        ),
        (
            lambda d: d["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]["contactAddress"].update(
                countryCode="United States"
            ),
            ["fulfillmentStartInstructions[0].shippingStep.shipTo.contactAddress.countryCode"],
        ),
        (
            lambda d: d["buyer"]["buyerRegistrationAddress"].update(email="@" + EBAY_EMAIL),
            ["buyer.buyerRegistrationAddress.email"],
        ),
    ],
)
def test_ebay_refusals_name_the_field_and_not_the_buyer(change: Any, fields: list[str]) -> None:
    document = sample("ebay.json")
    change(document)
    refused(ebay.to_order, document, *fields, secret=EBAY_EMAIL)


def test_generic_without_external_id_is_refused() -> None:
    document = sample("generic.json")
    del document["external_id"]
    refused(generic.to_order, document, "external_id is missing", secret="riley.example@example.com")

    document["external_id"] = None
    refused(generic.to_order, document, "external_id is missing")


def test_generic_invalid_body_names_its_own_fields_and_not_the_buyer() -> None:
    document = sample("generic.json")
    document["customer"]["email"] = "riley.example@@example.com"
    document["lines"][0]["unit_price"] = 7.25  # a JSON number is a float: refused
    document["lines"][0]["colour"] = "white"

    text = refused(
        generic.to_order,
        document,
        "customer.email",
        "lines[0].unit_price",
        "lines[0]: has an unknown field",
        secret="riley.example@@example.com",
    )
    assert "riley" not in text
    assert "colour" not in text  # a field name the sender chose is not repeated: it may be anything


def test_generic_channel_is_checked() -> None:
    assert generic.to_order_for_channel(sample("generic.json"), "etsy-eu").channel == "etsy-eu"
    for channel in ("staff", "Etsy", "", "x" * 33):
        with pytest.raises(ValueError, match="channel"):
            generic.to_order_for_channel(sample("generic.json"), channel)


# --- money: exact to the cent -----------------------------------------------------------------


def test_split_line_example() -> None:
    assert split_line("SKU-1", 3, Decimal("10.00")) == [
        {"sku": "SKU-1", "quantity": 2, "unit_price": "3.33"},
        {"sku": "SKU-1", "quantity": 1, "unit_price": "3.34"},
    ]
    assert split_line("SKU-1", 4, Decimal("10")) == [{"sku": "SKU-1", "quantity": 4, "unit_price": "2.50"}]
    assert split_line("SKU-1", 3, Decimal("0")) == [{"sku": "SKU-1", "quantity": 3, "unit_price": "0.00"}]


def _cases() -> list[tuple[Decimal, int]]:
    """Several hundred deterministic (line total, quantity) pairs: small, awkward and large."""
    totals = [Decimal(cents) / 100 for cents in (*range(0, 1200, 37), 1, 99, 100, 999_999, 123_456_789_01)]
    quantities = [1, 2, 3, 6, 7, 9, 11, 12, 13, 97, 101, 9_999]
    return [(total, quantity) for total in totals for quantity in quantities]


def test_split_line_is_exact_for_many_totals_and_quantities() -> None:
    cases = _cases()
    assert len(cases) > 300
    for total, quantity in cases:
        lines = split_line("SKU-1", quantity, total)

        assert 1 <= len(lines) <= 2
        assert sum(line["quantity"] for line in lines) == quantity
        assert all(line["quantity"] >= 1 and line["sku"] == "SKU-1" for line in lines)
        assert all(TWO_DECIMALS.fullmatch(line["unit_price"]) for line in lines), lines
        assert sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines) == total, (
            total,
            quantity,
        )
        if (total * 100) % quantity == 0:
            assert len(lines) == 1
        else:
            low, high = (Decimal(line["unit_price"]) for line in lines)
            assert high - low == Decimal("0.01")


@pytest.mark.parametrize(
    ("quantity", "total", "message"),
    [
        (3, Decimal("-0.01"), "negative"),
        (3, Decimal("1.005"), "more than 2 decimals"),
        (0, Decimal("1.00"), "quantity"),
        (-2, Decimal("1.00"), "quantity"),
        (3, Decimal("NaN"), "finite"),
    ],
)
def test_split_line_refuses(quantity: int, total: Decimal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_line("SKU-1", quantity, total)


def test_parse_amount() -> None:
    assert parse_amount("19.99", "x") == Decimal("19.99")
    assert parse_amount(" 1500 ", "x") == Decimal("1500.00")
    assert parse_amount("19.990", "x") == Decimal("19.99")  # trailing zeros are still whole cents
    assert str(parse_amount("-0.00", "x")) == "0.00"
    for value, message in [
        (None, "x is missing"),
        (19.99, "decimal string"),
        ("1e3", "not a decimal"),
        ("NaN", "not a decimal"),
        ("", "not a decimal"),
        ("-1", "negative"),
        ("0.001", "more than 2 decimals"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_amount(value, "x")

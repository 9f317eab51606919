"""WooCommerce adapter on the REST API v3 docs' own examples (tests/fixtures/woocommerce/README.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.marketplaces import adapter
from shared.marketplaces.woocommerce import to_order
from tests.support.channels import computed_total

FIXTURES = Path(__file__).parent.parent / "fixtures" / "woocommerce"
ORDERS = sorted(p.name for p in FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("name", ORDERS)
def test_computed_total_is_woocommerces_total_to_the_cent(name: str) -> None:
    o = to_order(load(name))
    assert o.channel_total == Decimal(load(name)["total"])
    assert computed_total(o) == o.channel_total


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("order_processing.json", "open"),
        ("order_pending_variations.json", "pending"),
        ("order_completed.json", "shipped"),
        ("order_completed_with_refunds.json", "shipped"),
        ("order_cancelled.json", "cancelled"),
        ("order_refunded.json", "open"),
    ],
)
def test_status(name: str, status: str) -> None:
    assert to_order(load(name)).status == status


@pytest.mark.parametrize(
    ("woo", "status"), [("on-hold", "pending"), ("failed", "cancelled"), ("trash", "cancelled")]
)
def test_other_core_statuses(woo: str, status: str) -> None:
    document = load("order_processing.json")
    document["status"] = woo
    assert to_order(document).status == status


def test_processing_order() -> None:
    o = to_order(load("order_processing.json"), channel="woo-us")
    assert (o.channel, o.external_id, o.currency) == ("woo-us", "727", "USD")
    assert (o.placed_at, o.version) == ("2017-03-22T19:28:02.000000Z", "2017-03-22T19:28:08.000000Z")
    assert [
        (line.line_id, line.sku, line.listing, line.quantity, line.unit_price, line.tax) for line in o.lines
    ] == [
        ("315", None, "93", 2, Decimal("3.00"), Decimal("0.45")),
        ("316", "Bar3", None, 1, Decimal("12.00"), Decimal("0.90")),
    ]
    assert (o.shipping_total, o.tax_total, o.taxes_included) == (Decimal("10.00"), Decimal("1.35"), False)
    assert (o.customer.email, o.customer.name, o.customer.phone) == (
        "john.doe@example.com",
        "John Doe",
        "(555) 555-5555",
    )
    assert o.shipping_address is not None
    assert (o.shipping_address.name, o.shipping_address.line1, o.shipping_address.region) == (
        "John Doe",
        "969 Market",
        "CA",
    )
    assert (o.shipping_address.postal_code, o.shipping_address.country) == ("94103", "US")
    assert o.shipments == [] and o.refunds == [] and o.attention == []


def test_variation_listing_when_no_sku() -> None:
    document = load("order_pending_variations.json")
    document["line_items"][2]["sku"] = ""
    o = to_order(document)
    assert (o.lines[2].sku, o.lines[2].listing) == (None, "22/23")


def test_completed_is_one_shipment_without_a_carrier() -> None:
    o = to_order(load("order_completed.json"))
    assert [(s.shipment_ref, s.carrier, s.tracking_number, s.lines, s.shipped_at) for s in o.shipments] == [
        ("727/completed", None, None, None, "2017-03-22T19:30:35.000000Z")
    ]


def test_refunds_are_positive_amounts() -> None:
    o = to_order(load("order_refunded.json"))
    assert [(r.refund_id, r.amount, r.reason) for r in o.refunds] == [
        ("726", Decimal("10.00"), None),
        ("724", Decimal("9.00"), None),
    ]
    assert o.channel_total == Decimal("39.00")
    assert o.shipments == []


def test_refund_reason_is_kept_and_capped() -> None:
    document = load("order_refunded.json")
    document["refunds"][0]["reason"] = "r" * 900
    assert to_order(document).refunds[0].reason == "r" * 200


def test_coupon_discount_is_subtotal_minus_total() -> None:
    document = load("order_processing.json")  # a 10% coupon on the Bar3 line, derived from order 727
    item = document["line_items"][1]
    item.update({"total": "10.80", "total_tax": "0.81"})
    document.update(
        {"discount_total": "1.20", "discount_tax": "0.09", "total_tax": "1.26", "cart_tax": "1.26"}
    )
    document["total"] = "28.06"
    o = to_order(document)
    assert (o.lines[1].unit_price, o.lines[1].discount, o.lines[1].tax) == (
        Decimal("12.00"),
        Decimal("1.20"),
        Decimal("0.81"),
    )
    assert computed_total(o) == Decimal("28.06") == o.channel_total


def test_prices_include_tax_moves_the_tax_into_prices() -> None:
    document = load("order_pending_variations.json")
    document["prices_include_tax"] = True
    o = to_order(document)
    assert o.taxes_included is True
    assert [line.unit_price for line in o.lines] == [Decimal("16.13"), Decimal("3.23"), Decimal("12.90")]
    assert o.shipping_total == Decimal("30.00")
    # line taxes 1.13 + 0.23 + 0.90 = 2.26, total_tax 2.25 (tax rounded at the subtotal): one cent
    assert o.order_discount == Decimal("0.01")
    assert computed_total(o) == Decimal("62.25") == o.channel_total


def test_a_subtotal_that_does_not_divide_splits_the_line() -> None:
    document = load("order_processing.json")
    document["line_items"][0].update(
        {"quantity": 3, "subtotal": "10.00", "total": "10.00", "total_tax": "0.75"}
    )
    document.update({"total_tax": "1.65", "total": "33.65"})
    o = to_order(document)
    assert [(line.line_id, line.quantity, line.unit_price, line.tax) for line in o.lines[:2]] == [
        ("315", 2, Decimal("3.33"), Decimal("0.75")),
        ("315", 1, Decimal("3.34"), Decimal("0.00")),
    ]
    assert computed_total(o) == Decimal("33.65")


def test_float_price_is_never_read() -> None:
    document = load("order_processing.json")
    document["line_items"][0]["price"] = 2.9999999999999996
    assert to_order(document).lines[0].unit_price == Decimal("3.00")


def test_fee_lines_are_flagged() -> None:
    document = load("order_processing.json")
    document["fee_lines"] = [{"id": 1, "name": "Gift wrap", "total": "2.00", "total_tax": "0.00"}]
    assert to_order(document).attention == [
        "fee_lines: fees are not carried as lines; the channel total includes them"
    ]


def test_missing_billing_email_gets_a_placeholder() -> None:
    document = load("order_processing.json")
    document["billing"]["email"] = ""
    assert to_order(document).customer.email == "727@woocommerce.invalid"


def test_a_bad_email_names_the_field_not_the_value() -> None:
    document = load("order_processing.json")
    document["billing"]["email"] = "john.doe at example"
    with pytest.raises(ValueError) as caught:
        to_order(document)
    assert "billing.email" in str(caught.value)
    assert "john.doe" not in str(caught.value)


def test_a_missing_id_is_named() -> None:
    document = load("order_processing.json")
    document["id"] = None
    with pytest.raises(ValueError, match=r"^id is missing$"):
        to_order(document)


def test_an_unknown_status_names_the_field_not_the_value() -> None:
    document = load("order_processing.json")
    document["status"] = "shipped-by-plugin"
    with pytest.raises(ValueError) as caught:
        to_order(document)
    assert "status" in str(caught.value) and "shipped-by-plugin" not in str(caught.value)


def test_a_float_total_is_refused_by_name() -> None:
    document = load("order_processing.json")
    document["total"] = 29.35
    with pytest.raises(ValueError, match=r"^total must be a decimal string"):
        to_order(document)


def test_registered_as_the_woocommerce_adapter() -> None:
    assert adapter("woocommerce") is to_order

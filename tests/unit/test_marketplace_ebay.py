"""eBay Sell Fulfillment v1 -> the canonical channel order, on captured eBay orders."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.marketplaces import ebay
from shared.models.channels import ChannelOrder
from tests.support.channels import computed_total

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ebay"
D = Decimal


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def lines(order: ChannelOrder) -> list[tuple[Any, ...]]:
    return [(line.sku, line.listing, line.quantity, line.unit_price, line.discount) for line in order.lines]


CASES = [
    (
        "fulfilled_without_sku",
        "shipped",
        "2024-09-17T12:47:59.000000Z",
        "2024-10-15T19:02:36.000000Z",
        [(None, "355789037190", 1, D("220.54"), D("0.00"))],
        (D("0.00"), D("0.00"), D("0.00")),
        ["EX1012857447165FE06020002B0N"],
        [],
        D("220.54"),
    ),
    (
        "fully_refunded",
        "shipped",
        "2024-07-06T23:12:45.000000Z",
        "2024-08-28T00:01:48.000000Z",
        [("161A0-29015", None, 1, D("143.98"), D("0.00"))],
        # the 11.16 'Collect and Remit' tax is only in ebayCollectAndRemitTaxes: outside the seller's total
        (D("0.00"), D("0.00"), D("0.00")),
        ["EX00000023653100001020002F0N"],
        [("5341241417", D("122.31"), "2024-07-31T01:30:32.000000Z")],
        D("143.98"),
    ),
    (
        "promotion_shipping_discount_de",
        "shipped",
        "2026-09-23T08:06:35.000000Z",
        "2026-09-23T09:41:52.000000Z",
        [("15620.Kt", None, 4, D("30.55"), D("6.08")), ("15619.Kt", None, 4, D("35.65"), D("7.16"))],
        # pricingSummary.deliveryCost 19.8 before its discount (lines show 4.95 already net of it)
        (D("19.80"), D("14.85"), D("0.00")),
        ["01235015953134+01235015953135"],
        [],
        D("256.51"),
    ),
    (
        "cancelled_de",
        "cancelled",
        "2026-09-23T09:59:05.000000Z",
        "2026-09-23T14:12:40.000000Z",
        [("122626.St", None, 1, D("70.33"), D("0.00"))],
        (D("4.95"), D("0.00"), D("0.00")),
        [],
        [],
        D("75.28"),
    ),
]


@pytest.mark.parametrize(
    ("name", "status", "placed", "version", "expected", "money", "refs", "refunds", "total"), CASES
)
def test_fixture_maps_and_its_total_is_ebays(
    name: str,
    status: str,
    placed: str,
    version: str,
    expected: list[tuple[Any, ...]],
    money: tuple[Decimal, Decimal, Decimal],
    refs: list[str],
    refunds: list[tuple[str, Decimal, str]],
    total: Decimal,
) -> None:
    order = ebay.to_order(fixture(name))

    assert order.channel == "ebay"
    assert (order.status, order.fulfilled_by_channel) == (status, False)
    assert (order.placed_at, order.version) == (placed, version)
    assert lines(order) == expected
    assert (order.shipping_total, order.shipping_discount, order.tax_total) == money
    assert (order.order_discount, order.taxes_included) == (D("0.00"), False)
    assert [(s.shipment_ref, s.carrier, s.lines) for s in order.shipments] == [
        (ref, None, None) for ref in refs
    ]
    assert [(r.refund_id, r.amount, r.refunded_at) for r in order.refunds] == refunds
    assert order.attention == []
    assert order.channel_total == total
    assert computed_total(order) == total  # pricingSummary.total to the cent


def test_listing_names_the_variation_when_there_is_one() -> None:
    document = fixture("promotion_shipping_discount_de")
    del document["lineItems"][0]["sku"]
    order = ebay.to_order(document)
    assert [(line.sku, line.listing) for line in order.lines] == [
        (None, "405522551284/675811813156"),
        ("15619.Kt", None),
    ]


def test_payment_pending_is_pending_and_in_progress_is_open() -> None:
    document = fixture("cancelled_de")
    document["cancelStatus"] = {"cancelState": "NONE_REQUESTED", "cancelRequests": []}
    assert ebay.to_order(document).status == "open"
    document["orderFulfillmentStatus"] = "IN_PROGRESS"
    assert (ebay.to_order(document).status, ebay.to_order(document).shipments) == ("open", [])
    document["orderPaymentStatus"] = "PENDING"
    assert ebay.to_order(document).status == "pending"


def test_fulfilled_without_hrefs_has_a_shipment_named_by_the_order() -> None:
    document = fixture("fulfilled_without_sku")
    document["fulfillmentHrefs"] = []
    assert [s.shipment_ref for s in ebay.to_order(document).shipments] == ["04-12087-72462/fulfilled"]


def test_partial_refund_and_pending_refunds() -> None:
    document = fixture("fully_refunded")
    document["orderPaymentStatus"] = "PARTIALLY_REFUNDED"
    document["paymentSummary"]["refunds"] = [
        {
            "refundId": "R-1",
            "refundDate": "2024-07-31T03:30:32+02:00",
            "amount": {"value": "20.0", "currency": "USD"},
        },
        {
            "refundReferenceId": "R-2",
            "refundStatus": "PENDING",
            "amount": {"value": "5.00", "currency": "USD"},
        },
    ]
    order = ebay.to_order(document)
    assert [(r.refund_id, r.amount, r.refunded_at) for r in order.refunds] == [
        ("R-1", D("20.00"), "2024-07-31T01:30:32.000000Z")
    ]


def test_open_cancel_request_is_an_attention_note() -> None:
    document = fixture("cancelled_de")
    document["cancelStatus"]["cancelState"] = "IN_PROGRESS"
    order = ebay.to_order(document)
    assert order.status == "open"
    assert order.attention == ["buyer requested cancellation: BUYER_ASKED_CANCEL"]


def test_taxes_listed_on_the_line_are_in_the_total() -> None:
    document = fixture("fully_refunded")
    item = document["lineItems"][0]
    item["taxes"] = [{"amount": {"value": "11.16", "currency": "USD"}, "taxType": "STATE_SALES_TAX"}]
    document["pricingSummary"]["total"]["value"] = "155.14"
    order = ebay.to_order(document)
    assert (order.tax_total, order.lines[0].tax) == (D("11.16"), D("11.16"))
    assert computed_total(order) == order.channel_total == D("155.14")


def test_discounted_cost_that_disagrees_is_noted() -> None:
    document = fixture("promotion_shipping_discount_de")
    document["lineItems"][1]["discountedLineItemCost"]["value"] = "135.00"
    assert ebay.to_order(document).attention == [
        "lineItems[1].discountedLineItemCost is not lineItemCost less appliedPromotions"
    ]


def test_order_discount_beyond_the_lines() -> None:
    document = fixture("promotion_shipping_discount_de")
    document["pricingSummary"]["priceDiscount"]["value"] = "-15.24"
    document["pricingSummary"]["total"]["value"] = "254.51"
    order = ebay.to_order(document)
    assert order.order_discount == D("2.00")
    assert computed_total(order) == D("254.51")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["lineItems"][0].pop("legacyItemId"), "lineItems[0].sku and lineItems[0].legacyItemId"),
        (lambda d: d.update(creationDate="2024-09-17"), "creationDate has no time zone"),
        (lambda d: d["pricingSummary"]["total"].update(value="-1"), "pricingSummary.total.value"),
        (
            lambda d: d["paymentSummary"]["refunds"].append({"refundId": "x"}),
            "paymentSummary.refunds[0].amount",
        ),
        (lambda d: d.update(fulfillmentHrefs="x"), "fulfillmentHrefs"),
    ],
)
def test_refusals_name_the_field(change: Any, field: str) -> None:
    document = fixture("fulfilled_without_sku")
    change(document)
    with pytest.raises(ValueError) as caught:
        ebay.to_order(document)
    assert field in str(caught.value)
    assert "example_buyer" not in str(caught.value)

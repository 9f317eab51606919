"""eBay Sell Fulfillment API v1: an ``Order`` (getOrder / getOrders).

Field names as in eBay's sell_fulfillment_v1 OpenAPI: ``Order.orderId``, ``creationDate``,
``lastModifiedDate``, ``orderFulfillmentStatus``, ``orderPaymentStatus``, ``cancelStatus``,
``fulfillmentHrefs``, ``buyer`` (``username``, ``buyerRegistrationAddress``: an ``ExtendedContact``),
``fulfillmentStartInstructions[].shippingStep.shipTo``, ``pricingSummary``, ``paymentSummary.refunds``
and ``lineItems[]`` (``lineItemId``, ``sku``, ``legacyItemId``, ``legacyVariationId``, ``quantity``,
``lineItemCost``, ``appliedPromotions``, ``discountedLineItemCost``, ``taxes``). eBay stops returning
buyer contact details after 90 days.

Status: ``cancelStatus.cancelState`` CANCELED -> cancelled; else ``orderPaymentStatus`` PENDING ->
pending; else ``orderFulfillmentStatus`` FULFILLED -> shipped, with one shipment named by the
fulfillment ids of ``fulfillmentHrefs`` (``{orderId}/fulfilled`` without them); NOT_STARTED and
IN_PROGRESS -> open (a partial fulfilment names no quantities here: no shipment is made). A cancel
request still open (cancelState IN_PROGRESS) is an attention note. Refunds are
``paymentSummary.refunds[]`` whose ``refundStatus`` is REFUNDED (or absent).

SKU: eBay returns ``sku`` only where the seller set one; a line without it keeps ``sku`` None and the
listing ``legacyItemId`` or ``legacyItemId/legacyVariationId``, for staff to map.

Money: ``lineItemCost`` is the whole line before discounts ("the single unit price multiplied by the
number of units purchased"); ``appliedPromotions[].discountAmount`` are its discount. Shipping is
``pricingSummary.deliveryCost`` ("before any shipping/delivery discount") and its discount
``pricingSummary.deliveryDiscount`` (sent negative): a line's ``deliveryCost.shippingCost`` can
already be net of the shipping discount (eBay DE orders show it), so lines are summed only without a
pricing summary. Tax is the line's ``taxes[]``: eBay counts its 'Collect and Remit' tax in
``pricingSummary.total`` only where ``taxes`` lists it too, and a tax only in
``ebayCollectAndRemitTaxes`` is collected by eBay outside the seller's total. Tax comes on top
(``taxes_included`` False): eBay reports no VAT inside prices. ``channel_total`` is
``pricingSummary.total``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.marketplaces.documents import (
    as_object,
    capped,
    child,
    children,
    compact,
    first_text,
    placeholder_email,
    required_text,
    text,
    timestamp,
    validate_channel_order,
    whole_number,
)
from shared.marketplaces.money import (
    channel_lines,
    one_currency,
    parse_amount,
    parse_currency,
    parse_discount,
)
from shared.models.channels import ChannelOrder

CHANNEL = "ebay"
FALLBACK_NAME = "eBay customer"
REGISTRATION = "buyer.buyerRegistrationAddress"
ZERO = Decimal("0.00")
REASON_LENGTH = 200


def to_order(
    document: dict[str, Any], *, channel: str | None = None, topic: str | None = None
) -> ChannelOrder:
    """The canonical order of one Fulfillment API ``Order`` (``topic`` is unused: eBay has none)."""
    order = as_object(document, "order")
    external_id = required_text(order, "orderId", "orderId")
    ship_to, at = _ship_to(order)
    address_at = f"{at}.contactAddress"
    fields = {
        "external_id": "orderId",
        "placed_at": "creationDate",
        "version": "lastModifiedDate",
        "shipping_address": address_at,
        "shipping_address.name": f"{at}.fullName",
        "shipping_address.line1": f"{address_at}.addressLine1",
        "shipping_address.line2": f"{address_at}.addressLine2",
        "shipping_address.city": f"{address_at}.city",
        "shipping_address.region": f"{address_at}.stateOrProvince",
        "shipping_address.postal_code": f"{address_at}.postalCode",
        "shipping_address.country": f"{address_at}.countryCode",
        "currency": "lineItems.lineItemCost.currency",
        "channel_total": "pricingSummary.total.value",
        "shipping_total": "pricingSummary.deliveryCost.value",
        "shipping_discount": "pricingSummary.deliveryDiscount.value",
        "order_discount": "pricingSummary.priceDiscount.value",
        "tax_total": "lineItems.taxes.amount.value",
    }
    money = _Money()
    lines, line_discounts, line_shipping, tax, attention = _lines(order, money, fields)
    pricing = child(order, "pricingSummary", "pricingSummary")
    shipping = money.read(pricing, "deliveryCost", "pricingSummary")
    shipping_discount = money.read(pricing, "deliveryDiscount", "pricingSummary", discount=True)
    discount_key = "priceDiscount" if "priceDiscount" in pricing else "priceDiscountSubtotal"
    order_discounts = money.read(pricing, discount_key, "pricingSummary", discount=True)
    if "tax" in pricing and tax == ZERO:
        tax = money.read(pricing, "tax", "pricingSummary") or ZERO
    for key in ("adjustment", "fee"):
        if money.read(pricing, key, "pricingSummary"):
            attention.append(f"pricingSummary.{key} is charged: not in the order's totals")
    channel_total = money.read(pricing, "total", "pricingSummary")
    status, shipments, cancel_notes = _status(order, external_id)

    body = compact(
        {
            "channel": channel or CHANNEL,
            "external_id": external_id,
            "status": status,
            "placed_at": timestamp(order, "creationDate", "creationDate"),
            "version": timestamp(order, "lastModifiedDate", "lastModifiedDate"),
            "customer": _customer(order, ship_to, at, external_id, fields),
            "shipping_address": _address(ship_to, at),
            "currency": one_currency(money.currencies),
            "lines": lines,
            "shipping_total": _text(line_shipping if shipping is None else shipping),
            "shipping_discount": _text(shipping_discount or ZERO),
            "order_discount": _text(max((order_discounts or ZERO) - line_discounts, ZERO)),
            "tax_total": _text(tax),
            "taxes_included": False,
            "channel_total": None if channel_total is None else _text(channel_total),
            "shipments": shipments,
            "refunds": _refunds(order, external_id, money),
            "attention": cancel_notes + attention,
        }
    )
    return validate_channel_order(body, fields)


class _Money:
    """Reads eBay ``Amount`` objects (``value`` as a string, ``currency``), noting each currency."""

    def __init__(self) -> None:
        self.currencies: dict[str, str] = {}

    def read(self, parent: dict[str, Any], key: str, at: str, *, discount: bool = False) -> Decimal | None:
        """``parent[key]``, or None when it is absent; a ``discount``'s size (eBay sends some negative)."""
        amount = child(parent, key, f"{at}.{key}")
        if amount.get("value") is None and amount.get("currency") is None:
            return None
        field = f"{at}.{key}.currency"
        self.currencies[field] = parse_currency(amount.get("currency"), field)
        read = parse_discount if discount else parse_amount
        return read(amount.get("value"), f"{at}.{key}.value")


def _text(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


def _lines(
    order: dict[str, Any], money: _Money, fields: dict[str, str]
) -> tuple[list[dict[str, Any]], Decimal, Decimal, Decimal, list[str]]:
    """Canonical lines, their discounts, shipping and tax summed, and attention notes."""
    lines: list[dict[str, Any]] = []
    discounts = shipping = tax = ZERO
    attention: list[str] = []
    fields["lines"] = "lineItems"
    for i, item in enumerate(children(order, "lineItems", "lineItems")):
        at = f"lineItems[{i}]"
        quantity = whole_number(item, "quantity", f"{at}.quantity")
        cost = money.read(item, "lineItemCost", at)
        discount = sum(
            (
                money.read(promotion, "discountAmount", f"{at}.appliedPromotions[{n}]", discount=True) or ZERO
                for n, promotion in enumerate(children(item, "appliedPromotions", f"{at}.appliedPromotions"))
            ),
            ZERO,
        )
        discounted = money.read(item, "discountedLineItemCost", at)
        if discounted is not None and cost is not None and discounted != cost - discount:
            attention.append(f"{at}.discountedLineItemCost is not lineItemCost less appliedPromotions")
        line_tax = sum(
            (
                money.read(entry, "amount", f"{at}.taxes[{n}]") or ZERO
                for n, entry in enumerate(children(item, "taxes", f"{at}.taxes"))
            ),
            ZERO,
        )
        delivery = child(item, "deliveryCost", f"{at}.deliveryCost")
        shipping += money.read(delivery, "shippingCost", f"{at}.deliveryCost") or ZERO
        discounts += discount
        tax += line_tax
        base = compact({"line_id": text(item, "lineItemId", f"{at}.lineItemId"), **_identity(item, at)})
        currency = money.currencies.get(f"{at}.lineItemCost.currency")
        new = channel_lines(base, quantity, cost, discount=discount, tax=line_tax, currency=currency)
        for n in range(len(lines), len(lines) + len(new)):
            fields[f"lines[{n}]"] = at
            fields[f"lines[{n}].sku"] = f"{at}.sku"
            fields[f"lines[{n}].listing"] = f"{at}.legacyItemId"
            fields[f"lines[{n}].line_id"] = f"{at}.lineItemId"
            fields[f"lines[{n}].quantity"] = f"{at}.quantity"
            fields[f"lines[{n}].unit_price"] = f"{at}.lineItemCost.value"
            fields[f"lines[{n}].discount"] = f"{at}.appliedPromotions.discountAmount.value"
            fields[f"lines[{n}].tax"] = f"{at}.taxes.amount.value"
        lines.extend(new)
    if not lines:
        raise ValueError("lineItems is missing or empty")
    return lines, discounts, shipping, tax, attention


def _identity(item: dict[str, Any], at: str) -> dict[str, Any]:
    """``sku`` where the seller set one, else the listing ``legacyItemId[/legacyVariationId]``."""
    sku = text(item, "sku", f"{at}.sku")
    if sku is not None:
        return {"sku": sku}
    item_id = text(item, "legacyItemId", f"{at}.legacyItemId")
    if item_id is None:
        raise ValueError(f"{at}.sku and {at}.legacyItemId are missing")
    variation = text(item, "legacyVariationId", f"{at}.legacyVariationId")
    return {"listing": f"{item_id}/{variation}" if variation else item_id}


def _status(order: dict[str, Any], external_id: str) -> tuple[str, list[dict[str, Any]], list[str]]:
    """The canonical status, the shipment a fulfilled order reports, and cancel-request notes."""
    cancel = child(order, "cancelStatus", "cancelStatus")
    cancel_state = text(cancel, "cancelState", "cancelStatus.cancelState")
    notes: list[str] = []
    if cancel_state == "CANCELED":
        return "cancelled", [], notes
    if cancel_state == "IN_PROGRESS":
        reasons = [
            text(request, "cancelReason", f"cancelStatus.cancelRequests[{n}].cancelReason")
            for n, request in enumerate(children(cancel, "cancelRequests", "cancelStatus.cancelRequests"))
        ]
        named = [capped(reason, REASON_LENGTH) for reason in reasons if reason]
        notes.append(
            "buyer requested cancellation: " + (", ".join(dict.fromkeys(named)) or "no reason given")
        )
    if text(order, "orderPaymentStatus", "orderPaymentStatus") == "PENDING":
        return "pending", [], notes
    if text(order, "orderFulfillmentStatus", "orderFulfillmentStatus") != "FULFILLED":
        return "open", [], notes
    hrefs = order.get("fulfillmentHrefs") or []
    if not isinstance(hrefs, list) or not all(isinstance(href, str) for href in hrefs):
        raise ValueError("fulfillmentHrefs must be a list of strings")
    ids = sorted({href.rstrip("/").rsplit("/", 1)[-1] for href in hrefs if href.strip()})
    ref = "+".join(ids)[:200] if ids else f"{external_id}/fulfilled"
    return "shipped", [{"shipment_ref": ref}], notes


def _refunds(order: dict[str, Any], external_id: str, money: _Money) -> list[dict[str, Any]]:
    """``paymentSummary.refunds[]`` that were paid out: id ``refundId``, else ``refundReferenceId``."""
    refunds = []
    summary = child(order, "paymentSummary", "paymentSummary")
    for n, refund in enumerate(children(summary, "refunds", "paymentSummary.refunds")):
        at = f"paymentSummary.refunds[{n}]"
        if text(refund, "refundStatus", f"{at}.refundStatus") not in (None, "REFUNDED"):
            continue  # PENDING or FAILED: no money has gone back yet
        amount = money.read(refund, "amount", at)
        if amount is None:
            raise ValueError(f"{at}.amount is missing")
        refund_id = first_text(
            (refund, "refundId", f"{at}.refundId"), (refund, "refundReferenceId", f"{at}.refundReferenceId")
        )
        refunds.append(
            compact(
                {
                    "refund_id": refund_id[0] if refund_id else f"{external_id}/refund-{n}",
                    "amount": _text(amount),
                    "refunded_at": timestamp(refund, "refundDate", f"{at}.refundDate"),
                }
            )
        )
    return refunds


def _customer(
    order: dict[str, Any], ship_to: dict[str, Any], at: str, external_id: str, fields: dict[str, str]
) -> dict[str, Any]:
    buyer = child(order, "buyer", "buyer")
    registration = child(buyer, "buyerRegistrationAddress", REGISTRATION)
    found = first_text((registration, "email", f"{REGISTRATION}.email"), (ship_to, "email", f"{at}.email"))
    email, fields["customer.email"] = found or (
        placeholder_email(CHANNEL, external_id),
        f"{REGISTRATION}.email",
    )
    name, fields["customer.name"] = first_text(
        (registration, "fullName", f"{REGISTRATION}.fullName"),
        (ship_to, "fullName", f"{at}.fullName"),
        (buyer, "username", "buyer.username"),
    ) or (FALLBACK_NAME, f"{REGISTRATION}.fullName")
    phone = first_text(
        (
            child(ship_to, "primaryPhone", f"{at}.primaryPhone"),
            "phoneNumber",
            f"{at}.primaryPhone.phoneNumber",
        ),
        (
            child(registration, "primaryPhone", f"{REGISTRATION}.primaryPhone"),
            "phoneNumber",
            f"{REGISTRATION}.primaryPhone.phoneNumber",
        ),
    )
    if phone is not None:
        fields["customer.phone"] = phone[1]
    return compact({"email": email, "name": name, "phone": phone[0] if phone else None})


def _ship_to(order: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The ``shipTo`` of the first instruction that ships (eBay returns one today), and its path."""
    instructions = children(order, "fulfillmentStartInstructions", "fulfillmentStartInstructions")
    for i, instruction in enumerate(instructions):
        at = f"fulfillmentStartInstructions[{i}].shippingStep"
        step = child(instruction, "shippingStep", at)
        if step:
            return child(step, "shipTo", f"{at}.shipTo"), f"{at}.shipTo"
    return {}, "fulfillmentStartInstructions[0].shippingStep.shipTo"


def _address(ship_to: dict[str, Any], at: str) -> dict[str, Any] | None:
    """The canonical address, or ``None`` when there is no street to ship to (pickup, digital, or
    an order older than 90 days, for which eBay no longer returns the street)."""
    where = f"{at}.contactAddress"
    contact = child(ship_to, "contactAddress", where)
    street = [
        line for key in ("addressLine1", "addressLine2") if (line := text(contact, key, f"{where}.{key}"))
    ]
    if not street:
        return None
    return compact(
        {
            "name": text(ship_to, "fullName", f"{at}.fullName"),
            "line1": street[0],
            "line2": street[1] if len(street) > 1 else None,
            "city": required_text(contact, "city", f"{where}.city"),
            "region": text(contact, "stateOrProvince", f"{where}.stateOrProvince"),
            "postal_code": text(contact, "postalCode", f"{where}.postalCode"),
            "country": required_text(contact, "countryCode", f"{where}.countryCode").upper(),
        }
    )

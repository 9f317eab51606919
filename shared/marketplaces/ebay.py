"""eBay Sell Fulfillment API v1: an ``Order`` (getOrder / getOrders).

Field names as in eBay's sell_fulfillment_v1 OpenAPI: ``Order.orderId``, ``Order.buyer``
(``username``, ``buyerRegistrationAddress``: an ``ExtendedContact`` with ``fullName``, ``email``,
``primaryPhone.phoneNumber``), ``Order.fulfillmentStartInstructions[].shippingStep.shipTo`` (an
``ExtendedContact`` whose ``contactAddress`` has ``addressLine1``/``addressLine2``, ``city``,
``stateOrProvince``, ``postalCode``, ``countryCode``) and ``Order.lineItems[]`` (``sku``,
``quantity``, ``lineItemCost``: an ``Amount`` with ``value`` as a string and ``currency``).
``lineItemCost`` is the price of the whole line: "the single unit price multiplied by the number of
units purchased", before discounts. eBay stops returning buyer contact details after 90 days.
"""

from __future__ import annotations

from typing import Any

from shared.marketplaces import ChannelOrder
from shared.marketplaces.documents import (
    as_object,
    child,
    children,
    compact,
    first_text,
    placeholder_email,
    required_text,
    text,
    validate_order,
    whole_number,
)
from shared.marketplaces.money import one_currency, parse_amount, parse_currency, split_line

CHANNEL = "ebay"
FALLBACK_NAME = "eBay customer"
REGISTRATION = "buyer.buyerRegistrationAddress"


def to_order(document: dict[str, Any]) -> ChannelOrder:
    order = as_object(document, "order")
    external_id = required_text(order, "orderId", "orderId")
    buyer = child(order, "buyer", "buyer")
    registration = child(buyer, "buyerRegistrationAddress", REGISTRATION)
    ship_to, at = _ship_to(order)
    address_at = f"{at}.contactAddress"
    fields = {
        "external_id": "orderId",
        "shipping_address": address_at,
        "shipping_address.name": f"{at}.fullName",
        "shipping_address.line1": f"{address_at}.addressLine1",
        "shipping_address.line2": f"{address_at}.addressLine2",
        "shipping_address.city": f"{address_at}.city",
        "shipping_address.region": f"{address_at}.stateOrProvince",
        "shipping_address.postal_code": f"{address_at}.postalCode",
        "shipping_address.country": f"{address_at}.countryCode",
        "currency": "lineItems.lineItemCost.currency",
    }

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
    customer = compact({"email": email, "name": name, "phone": phone[0] if phone else None})

    lines, currencies = _lines(order, fields)
    body = compact(
        {
            "external_id": external_id,
            "customer": customer,
            "shipping_address": _address(ship_to, at),
            "currency": one_currency(currencies),
            "lines": lines,
        }
    )
    return ChannelOrder(channel=CHANNEL, order=validate_order(body, fields))


def _ship_to(order: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The ``shipTo`` of the first instruction that ships (eBay returns one today), and its path."""
    instructions = children(order, "fulfillmentStartInstructions", "fulfillmentStartInstructions")
    for i, instruction in enumerate(instructions):
        at = f"fulfillmentStartInstructions[{i}].shippingStep"
        step = child(instruction, "shippingStep", at)
        if step:
            return child(step, "shipTo", f"{at}.shipTo"), f"{at}.shipTo"
    return {}, "fulfillmentStartInstructions[0].shippingStep.shipTo"


def _lines(order: dict[str, Any], fields: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    lines: list[dict[str, Any]] = []
    currencies: dict[str, str] = {}
    fields["lines"] = "lineItems"
    for i, item in enumerate(children(order, "lineItems", "lineItems")):
        at = f"lineItems[{i}]"
        sku = required_text(item, "sku", f"{at}.sku")
        quantity = whole_number(item, "quantity", f"{at}.quantity")
        if quantity == 0:
            raise ValueError(f"{at}.quantity must be at least 1")
        cost = child(item, "lineItemCost", f"{at}.lineItemCost")
        if cost.get("value") is None and cost.get("currency") is None:
            new = [{"sku": sku, "quantity": quantity}]  # no price given: the catalog price applies
        else:
            field = f"{at}.lineItemCost.currency"
            currencies[field] = parse_currency(cost.get("currency"), field)
            new = split_line(sku, quantity, parse_amount(cost.get("value"), f"{at}.lineItemCost.value"))
        for n in range(len(lines), len(lines) + len(new)):
            fields[f"lines[{n}]"] = at
            fields[f"lines[{n}].sku"] = f"{at}.sku"
            fields[f"lines[{n}].quantity"] = f"{at}.quantity"
            fields[f"lines[{n}].unit_price"] = f"{at}.lineItemCost.value"
        lines.extend(new)
    if not lines:
        raise ValueError("lineItems is missing or empty")
    return lines, currencies


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

"""Amazon Selling Partner API, Orders v0: an ``Order`` (getOrder) with its ``OrderItems`` (getOrderItems).

Field names as in amzn/selling-partner-api-models ``models/orders-api-model/ordersV0.json``:
``Order.AmazonOrderId``, ``Order.BuyerInfo.BuyerEmail`` (an anonymised relay address) and
``BuyerName``, ``Order.ShippingAddress`` (``Address``), ``Order.OrderTotal`` (``Money``) and
``OrderItem.SellerSKU``, ``QuantityOrdered``, ``ItemPrice`` (``Money``: ``CurrencyCode``, ``Amount``
as a string). ``ItemPrice`` is the price of the whole item line: "the selling price of the item
multiplied by the quantity ordered" (it excludes shipping, gift wrap and promotion discounts).
An item with ``QuantityOrdered`` 0 was cancelled and is left out.
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

CHANNEL = "amazon"
FALLBACK_NAME = "Amazon customer"
_ADDRESS_FIELDS = {
    "shipping_address.name": "ShippingAddress.Name",
    "shipping_address.line1": "ShippingAddress.AddressLine1",
    "shipping_address.line2": "ShippingAddress.AddressLine2",
    "shipping_address.city": "ShippingAddress.City",
    "shipping_address.region": "ShippingAddress.StateOrRegion",
    "shipping_address.postal_code": "ShippingAddress.PostalCode",
    "shipping_address.country": "ShippingAddress.CountryCode",
    "shipping_address": "ShippingAddress",
}


def to_order(document: dict[str, Any]) -> ChannelOrder:
    order = as_object(document, "order")
    fields = {"external_id": "AmazonOrderId", "customer.phone": "ShippingAddress.Phone", **_ADDRESS_FIELDS}
    external_id = required_text(order, "AmazonOrderId", "AmazonOrderId")
    buyer = child(order, "BuyerInfo", "BuyerInfo")
    shipping = child(order, "ShippingAddress", "ShippingAddress")

    email = text(buyer, "BuyerEmail", "BuyerInfo.BuyerEmail") or placeholder_email(CHANNEL, external_id)
    fields["customer.email"] = "BuyerInfo.BuyerEmail"
    name, fields["customer.name"] = first_text(
        (buyer, "BuyerName", "BuyerInfo.BuyerName"), (shipping, "Name", "ShippingAddress.Name")
    ) or (FALLBACK_NAME, "BuyerInfo.BuyerName")
    customer = compact(
        {"email": email, "name": name, "phone": text(shipping, "Phone", "ShippingAddress.Phone")}
    )

    lines, currencies, missing_currency = _lines(order, fields)
    total = child(order, "OrderTotal", "OrderTotal")
    if total.get("CurrencyCode") is not None:
        currencies["OrderTotal.CurrencyCode"] = parse_currency(
            total["CurrencyCode"], "OrderTotal.CurrencyCode"
        )
    currency = one_currency(currencies)
    if currency is None and missing_currency:
        raise ValueError(f"{missing_currency} is missing")
    fields["currency"] = "OrderItems.ItemPrice.CurrencyCode"

    body = compact(
        {
            "external_id": external_id,
            "customer": customer,
            "shipping_address": _address(shipping),
            "currency": currency,
            "lines": lines,
        }
    )
    return ChannelOrder(channel=CHANNEL, order=validate_order(body, fields))


def _lines(
    order: dict[str, Any], fields: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str], str | None]:
    """Canonical lines, the currency of each priced item, and the first priced item lacking one."""
    lines: list[dict[str, Any]] = []
    currencies: dict[str, str] = {}
    missing_currency: str | None = None
    fields["lines"] = "OrderItems"
    for i, item in enumerate(children(order, "OrderItems", "OrderItems")):
        at = f"OrderItems[{i}]"
        quantity = whole_number(item, "QuantityOrdered", f"{at}.QuantityOrdered")
        if quantity == 0:
            continue  # cancelled item
        sku = required_text(item, "SellerSKU", f"{at}.SellerSKU")
        price = child(item, "ItemPrice", f"{at}.ItemPrice")
        if price.get("Amount") is None and price.get("CurrencyCode") is None:
            new = [{"sku": sku, "quantity": quantity}]  # no price given: the catalog price applies
        else:
            new = split_line(sku, quantity, parse_amount(price.get("Amount"), f"{at}.ItemPrice.Amount"))
            if price.get("CurrencyCode") is None:
                missing_currency = missing_currency or f"{at}.ItemPrice.CurrencyCode"
            else:
                field = f"{at}.ItemPrice.CurrencyCode"
                currencies[field] = parse_currency(price["CurrencyCode"], field)
        for n in range(len(lines), len(lines) + len(new)):
            fields[f"lines[{n}]"] = at
            fields[f"lines[{n}].sku"] = f"{at}.SellerSKU"
            fields[f"lines[{n}].quantity"] = f"{at}.QuantityOrdered"
            fields[f"lines[{n}].unit_price"] = f"{at}.ItemPrice.Amount"
        lines.extend(new)
    if not lines:
        raise ValueError("OrderItems has no orderable item (none given, or every QuantityOrdered is 0)")
    return lines, currencies, missing_currency


def _address(shipping: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical address, or ``None`` when there is no street to ship to.

    Without the restricted-data role Amazon sends only City, StateOrRegion, PostalCode and
    CountryCode: such an order is taken without an address. AddressLine3 joins AddressLine2.
    """
    street = [
        line
        for key in ("AddressLine1", "AddressLine2", "AddressLine3")
        if (line := text(shipping, key, f"ShippingAddress.{key}"))
    ]
    if not street:
        return None
    return compact(
        {
            "name": text(shipping, "Name", "ShippingAddress.Name"),
            "line1": street[0],
            "line2": ", ".join(street[1:]) or None,
            "city": required_text(shipping, "City", "ShippingAddress.City"),
            "region": text(shipping, "StateOrRegion", "ShippingAddress.StateOrRegion"),
            "postal_code": text(shipping, "PostalCode", "ShippingAddress.PostalCode"),
            "country": required_text(shipping, "CountryCode", "ShippingAddress.CountryCode").upper(),
        }
    )

"""A stack's whole shop as staff read it over the API, and the comparison of two (an export imported into
an empty stack must equal what it came from, field by field, apart from import provenance).

    products   GET /products (every page)                  by SKU
    stock      GET /inventory (every page): each location   by SKU, then location
    customers  GET /customers?email= for each email the orders and the customers file hold   by email
    orders     GET /orders?status= for every status (every page): each whole, history, shipments,
               returns and refunds included                  by channel and external id (else order id)

Provenance left out: an order's ``source``, ``import_id``, ``created_at`` (the import's time) and
``updated_at``; a product's and a customer's ``created_at``/``updated_at``; a location's ``last_count_at``
(the import's count is a new count). Everything else must be equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, get_args

from shared.models.orders import OrderStatus

State = dict[str, dict[str, Any]]
ORDER_PROVENANCE = frozenset({"source", "import_id", "created_at", "updated_at"})
PRODUCT_PROVENANCE = frozenset({"updated_at", "created_at"})
CUSTOMER_PROVENANCE = frozenset({"created_at", "updated_at"})
LOCATION_PROVENANCE = frozenset({"last_count_at"})
KINDS = ("products", "stock", "customers", "orders")

Get = Callable[[str, Mapping[str, str]], Any]  # path, query -> the JSON body (200 only)


def _pages(get: Get, path: str, query: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        body = get(path, {**query, "limit": "100", **({"next_token": token} if token else {})})
        yield from body["items"]
        token = body.get("next_token")
        if not token:
            return


def order_key(order: Mapping[str, Any]) -> str:
    external = order.get("external_id")
    return f"{order['channel']}#{external}" if external else f"order#{order['order_id']}"


def _without(record: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    drop = set(names)
    return {k: v for k, v in record.items() if k not in drop}


def shop_state(get: Get, emails: Iterable[str] = ()) -> State:
    """Everything staff can read of the shop (customers: of these emails and every order's)."""
    products = {p["sku"]: _without(p, PRODUCT_PROVENANCE) for p in _pages(get, "/products", {})}
    stock: dict[str, Any] = {}
    for item in _pages(get, "/inventory", {}):
        locations = {loc["location"]: _without(loc, LOCATION_PROVENANCE) for loc in item.get("locations", [])}
        stock[item["sku"]] = {**_without(item, {"locations", "updated_at"}), "locations": locations}
    orders: dict[str, Any] = {}
    for status in get_args(OrderStatus):
        for order in _pages(get, "/orders", {"status": status}):
            orders[order_key(order)] = _without(order, ORDER_PROVENANCE)
    wanted = set(emails) | {
        o["customer"]["email"] for o in orders.values() if o.get("customer") and o["customer"].get("email")
    }
    customers: dict[str, Any] = {}
    for email in sorted(wanted):
        for customer in get("/customers", {"email": email})["items"]:
            customers[email] = _without(customer, CUSTOMER_PROVENANCE)
    return {"products": products, "stock": stock, "customers": customers, "orders": orders}


def differences(first: State, second: State, limit: int = 20) -> list[str]:
    """Where two shops differ, as paths (``orders/web#1001/shipments[0]/carrier: 'ups' != None``), at most
    ``limit`` of them; empty when they are equal. Two shops with nothing of a kind are refused: a
    comparison of nothing proves nothing."""
    found: list[str] = []
    for kind in KINDS:
        if not first.get(kind):
            found.append(f"{kind}: the first shop has none (nothing to compare)")
            continue
        _diff(kind, first[kind], second.get(kind, {}), found)
    return found[:limit]


def _diff(path: str, a: Any, b: Any, found: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                found.append(f"{path}/{key}: missing from the second")
            elif key not in a:
                found.append(f"{path}/{key}: only in the second")
            else:
                _diff(f"{path}/{key}", a[key], b[key], found)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append(f"{path}: {len(a)} items != {len(b)}")
        for n, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(f"{path}[{n}]", x, y, found)
    elif a != b:
        found.append(f"{path}: {a!r} != {b!r}")

"""Products and stock totals: one item per SKU in the catalog table."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.dal import keys
from shared.dal.dynamo import from_item, is_condition_failure, to_values
from shared.models.catalog import Product, Stock

_BATCH_GET_LIMIT = 100


class CatalogStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put_product(self, sku: str, name: str, price: Decimal, now: str) -> tuple[Product, bool]:
        """Create or replace a product's name and price; stock is untouched. True when created."""
        response = self._db.update_item(
            TableName=self._table,
            Key=keys.sku_key(sku),
            UpdateExpression="SET #name = :name, price = :price, updated_at = :now, "
            "on_hand = if_not_exists(on_hand, :zero), reserved = if_not_exists(reserved, :zero), "
            "available = if_not_exists(available, :zero)",
            ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues=to_values({":name": name, ":price": price, ":now": now, ":zero": 0}),
            ReturnValues="ALL_OLD",
        )
        created = "price" not in (response.get("Attributes") or {})
        return Product(sku=sku, name=name, price=price, updated_at=now), created

    def get_product(self, sku: str) -> Product | None:
        item = self._get(sku)
        if not item or "price" not in item:
            return None
        return Product(sku=sku, name=item["name"], price=item["price"], updated_at=item["updated_at"])

    def set_on_hand(self, sku: str, on_hand: int, now: str) -> Stock | None:
        """Set the counted units. Reservations stay as they are; None when the product is unknown."""
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=keys.sku_key(sku),
                UpdateExpression="SET on_hand = :n, available = :n - reserved, stock_updated_at = :now",
                ConditionExpression="attribute_exists(price)",
                ExpressionAttributeValues=to_values({":n": on_hand, ":now": now}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return _stock(sku, from_item(response["Attributes"]) or {})

    def get_stock(self, sku: str) -> Stock | None:
        item = self._get(sku)
        return _stock(sku, item) if item and "price" in item else None

    def prices(self, skus: Iterable[str]) -> dict[str, Decimal]:
        """Catalog prices of the given SKUs; unknown SKUs are simply absent."""
        wanted = sorted(set(skus))
        found: dict[str, Decimal] = {}
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [keys.sku_key(sku) for sku in wanted[start : start + _BATCH_GET_LIMIT]],
                    "ProjectionExpression": "pk, price",
                }
            }
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = from_item(raw) or {}
                    if "price" in item:
                        found[item["pk"]] = Decimal(item["price"])
                request = response.get("UnprocessedKeys") or {}
        return found

    def _get(self, sku: str) -> dict[str, Any] | None:
        return from_item(self._db.get_item(TableName=self._table, Key=keys.sku_key(sku)).get("Item"))


def _stock(sku: str, item: dict[str, Any]) -> Stock:
    return Stock(
        sku=sku,
        on_hand=int(item.get("on_hand", 0)),
        reserved=int(item.get("reserved", 0)),
        available=int(item.get("available", 0)),
    )

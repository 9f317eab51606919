"""Products: name, price and low-stock threshold on the product item (its stock: shared.dal.inventory)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from shared.dal import keys
from shared.dal.dynamo import from_item, to_values
from shared.models.catalog import Product

_BATCH_GET_LIMIT = 100


class CatalogStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put_product(
        self, sku: str, name: str, price: Decimal, now: str, low_stock_threshold: int | None = None
    ) -> tuple[Product, bool]:
        """Create or replace a product's name, price and low-stock threshold; stock is untouched.
        True when created."""
        values: dict[str, Any] = {
            ":name": name,
            ":price": price,
            ":now": now,
            ":zero": 0,
            ":listed": keys.PRODUCT_LISTED,
        }
        update = (
            # listed: the product is in the keys-only products index (what the inventory report lists).
            "SET #name = :name, price = :price, updated_at = :now, listed = :listed, "
            "on_hand = if_not_exists(on_hand, :zero), reserved = if_not_exists(reserved, :zero), "
            "available = if_not_exists(available, :zero)"
        )
        if low_stock_threshold is None:
            update += " REMOVE low_stock_threshold"
        else:
            update = update.replace("SET ", "SET low_stock_threshold = :threshold, ", 1)
            values[":threshold"] = low_stock_threshold
        response = self._db.update_item(
            TableName=self._table,
            Key=keys.sku_key(sku),
            UpdateExpression=update,
            ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_OLD",
        )
        created = "price" not in (response.get("Attributes") or {})
        product = Product(
            sku=sku, name=name, price=price, low_stock_threshold=low_stock_threshold, updated_at=now
        )
        return product, created

    def get_product(self, sku: str) -> Product | None:
        item = self._get(sku)
        if not item or "price" not in item:
            return None
        threshold = item.get("low_stock_threshold")
        return Product(
            sku=sku,
            name=item["name"],
            price=item["price"],
            low_stock_threshold=int(threshold) if threshold is not None else None,
            updated_at=item["updated_at"],
        )

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

"""Products: name, price and low-stock threshold on the product item (its stock: shared.dal.inventory)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.dal import cursors, keys
from shared.dal.dynamo import (
    Throttled,
    batch_get,
    error_code,
    from_item,
    is_throttling,
    to_item,
    to_values,
    transact,
)
from shared.models.catalog import Product
from shared.models.common import ProductStatus

DEFAULT_STATUS: ProductStatus = "active"  # a product recorded without a status (before there were any)

_BATCH_GET_LIMIT = 100
# name_key is the sort key of the products_by_name index: at most 1024 bytes, so at most 250 characters.
_NAME_KEY_LENGTH = 250


def name_key(name: str, *, prefix: bool = False) -> str:
    """A name as the name-prefix listing compares it: NFKC, case-folded, runs of spaces as one space.

    "T-Shirt  RED" and "t-shirt red" have the same key, so ``?name_prefix=t-shirt r`` finds both. A
    prefix keeps one trailing space when it ends with some: "mug " finds "Mug blue", not "Mugwort".
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    key = " ".join(folded.split())
    if prefix and key and folded[-1:].isspace():
        key += " "
    return key[:_NAME_KEY_LENGTH]


class CatalogStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put_product(
        self,
        sku: str,
        name: str,
        price: Decimal,
        now: str,
        low_stock_threshold: int | None = None,
        status: ProductStatus | None = None,
        *,
        lead_time_days: int | None = None,
        service_level: Decimal | None = None,
    ) -> tuple[Product, bool]:
        """Create or replace a product's name, price, low-stock threshold, lead time and service level;
        stock is untouched. A ``status`` of None keeps the one recorded (a product without one is
        active); a threshold, lead time or service level of None is removed (the lead time and service
        level then read as the defaults). True when created."""
        values: dict[str, Any] = {
            ":name": name,
            ":price": price,
            ":now": now,
            ":zero": 0,
            ":listed": keys.PRODUCT_LISTED,
            ":name_key": name_key(name),
        }
        update = (
            # listed: the product is in the keys-only products index (what the inventory report and the
            # listings read); name_key puts it in products_by_name too (a product written before
            # name_key existed gets it on its next PUT: until then a name-prefix listing misses it).
            "SET #name = :name, price = :price, updated_at = :now, listed = :listed, name_key = :name_key, "
            "on_hand = if_not_exists(on_hand, :zero), reserved = if_not_exists(reserved, :zero), "
            "available = if_not_exists(available, :zero)"
        )
        removed: list[str] = []
        if low_stock_threshold is None:
            removed.append("low_stock_threshold")
        else:
            update = update.replace("SET ", "SET low_stock_threshold = :threshold, ", 1)
            values[":threshold"] = low_stock_threshold
        for attribute, value in (("lead_time_days", lead_time_days), ("service_level", service_level)):
            if value is None:
                removed.append(attribute)
            else:
                update = update.replace("SET ", f"SET {attribute} = :{attribute}, ", 1)
                values[f":{attribute}"] = value
        if removed:
            update += " REMOVE " + ", ".join(removed)
        if status is not None:
            update = update.replace("SET ", "SET #status = :status, ", 1)
            values[":status"] = status
        response = self._db.update_item(
            TableName=self._table,
            Key=keys.sku_key(sku),
            UpdateExpression=update,
            ExpressionAttributeNames={"#name": "name", **({"#status": "status"} if status else {})},
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_OLD",
        )
        old = from_item(response.get("Attributes")) or {}
        created = "price" not in old
        product = Product(
            sku=sku,
            name=name,
            price=price,
            low_stock_threshold=low_stock_threshold,
            status=status or old.get("status") or DEFAULT_STATUS,
            updated_at=now,
            **_planning({"lead_time_days": lead_time_days, "service_level": service_level}),
        )
        return product, created

    def get_product(self, sku: str) -> Product | None:
        item = self._get(sku)
        if not item or "price" not in item:
            return None
        return _product(item)

    def products(
        self, cursor: str | None, limit: int, *, name_prefix: str | None = None
    ) -> tuple[list[Product], str | None]:
        """A page of products: in SKU order (the products index), or those whose name starts with
        ``name_prefix`` (compared as ``name_key``) in name order (the products_by_name index).

        Both indexes are keys only (stock moving never writes them): the items are read after. Never
        a Scan. A cursor resumes only the query it came from.
        """
        prefix = name_key(name_prefix, prefix=True) if name_prefix is not None else ""
        params: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if prefix:
            params["IndexName"] = "products_by_name"
            params["KeyConditionExpression"] = "listed = :listed AND begins_with(name_key, :prefix)"
            params["ExpressionAttributeValues"] = to_values(
                {":listed": keys.PRODUCT_LISTED, ":prefix": prefix}
            )
            shape = {"pk", "sk", "listed", "name_key"}
        else:
            params["IndexName"] = "products"
            params["KeyConditionExpression"] = "listed = :listed"
            params["ExpressionAttributeValues"] = to_values({":listed": keys.PRODUCT_LISTED})
            shape = {"pk", "sk", "listed"}
        start = _start_key(cursor, shape, prefix)
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        response = self._db.query(**params)
        skus = [str((from_item(raw) or {})["pk"]) for raw in response.get("Items", [])]
        items = product_items(self._db, self._table, skus)
        last = from_item(response.get("LastEvaluatedKey"))
        return [_product(item) for item in items if "price" in item], cursors.encode(
            {"key": last}
        ) if last else None

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


def product_items(db: Any, table: str, skus: Sequence[str]) -> list[dict[str, Any]]:
    """The product items of ``skus``, in that order (one BatchGetItem per 100; a SKU gone is left out)."""
    by_sku: dict[str, dict[str, Any]] = {}
    for begin in range(0, len(skus), _BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table: {"Keys": [keys.sku_key(sku) for sku in skus[begin : begin + _BATCH_GET_LIMIT]]}
        }
        while request:
            response = db.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(table, []):
                item = from_item(raw) or {}
                by_sku[str(item["pk"])] = item
            request = response.get("UnprocessedKeys") or {}
    return [by_sku[sku] for sku in skus if sku in by_sku]


def _product(item: Mapping[str, Any]) -> Product:
    threshold = item.get("low_stock_threshold")
    return Product(
        sku=str(item["pk"]),
        name=item["name"],
        price=item["price"],
        low_stock_threshold=int(threshold) if threshold is not None else None,
        status=item.get("status") or DEFAULT_STATUS,
        updated_at=item["updated_at"],
        **_planning(item),
    )


def _planning(item: Mapping[str, Any]) -> dict[str, Any]:
    """The lead time and service level an item records (absent ones: Product's defaults)."""
    found: dict[str, Any] = {}
    if item.get("lead_time_days") is not None:
        found["lead_time_days"] = int(item["lead_time_days"])
    if item.get("service_level") is not None:
        found["service_level"] = Decimal(item["service_level"])
    return found


def _start_key(cursor: str | None, shape: set[str], prefix: str) -> dict[str, str] | None:
    """The start key a cursor carries, if it is one of this query's: the same index and name prefix."""
    if not cursor:
        return None
    key = cursors.decode(cursor).get("key")
    if (
        not isinstance(key, dict)
        or set(key) != shape
        or not all(isinstance(v, str) for v in key.values())
        or key["listed"] != keys.PRODUCT_LISTED
        or not key.get("name_key", "").startswith(prefix)
    ):
        raise cursors.InvalidCursor("next_token does not belong to this query")
    return key


# --- imports: products read in batches and written on condition they are still as read -----------


@dataclass(frozen=True)
class ProductState:
    """The product fields an import compares, as the item holds them (``status`` None: not recorded)."""

    name: str
    price: Decimal
    status: str | None
    low_stock_threshold: int | None


@dataclass(frozen=True)
class ProductWrite:
    """Create (``expected`` None) or update a product, on condition the item is still as read."""

    sku: str
    name: str
    price: Decimal
    status: ProductStatus
    low_stock_threshold: int | None
    expected: ProductState | None


class ProductStore:
    """What the products importer needs of the catalog table (the product fields only, never stock)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def states(self, skus: Sequence[str]) -> dict[str, ProductState]:
        """The products of ``skus`` that exist (BatchGetItem, consistent: an update is conditioned on it)."""
        items = batch_get(
            self._db,
            self._table,
            [keys.sku_key(sku) for sku in skus],
            consistent=True,
            projection="pk, #name, price, #status, low_stock_threshold",
            names={"#name": "name", "#status": "status"},
        )
        return {str(item["pk"]): _state(item) for item in items if "price" in item}

    def write(self, writes: Sequence[ProductWrite], now: str) -> list[str] | None:
        """All ``writes`` in one TransactWriteItems (at most 100, one per SKU); None when committed, else
        the SKUs whose item was not as read (empty: only contended). ``Throttled`` when throttled."""
        try:
            cancelled = transact(self._db, writes, lambda write: {"Update": self._update(write, now)})
        except ClientError as exc:
            if is_throttling(exc):
                raise Throttled(error_code(exc)) from exc
            raise
        if cancelled is None:
            return None
        return [write.sku for write, _ in cancelled.failed]

    def _update(self, write: ProductWrite, now: str) -> dict[str, Any]:
        names = {"#name": "name", "#status": "status"}
        values: dict[str, Any] = {
            ":name": write.name,
            ":price": write.price,
            ":status": write.status,
            ":now": now,
            ":zero": 0,
            ":listed": keys.PRODUCT_LISTED,
            ":name_key": name_key(write.name),
        }
        sets = [
            "#name = :name",
            "price = :price",
            "#status = :status",
            "updated_at = :now",
            "listed = :listed",
            "name_key = :name_key",
            "on_hand = if_not_exists(on_hand, :zero)",
            "reserved = if_not_exists(reserved, :zero)",
            "available = if_not_exists(available, :zero)",
        ]
        update = ""
        if write.low_stock_threshold is None:
            update = " REMOVE low_stock_threshold"
        else:
            sets.append("low_stock_threshold = :threshold")
            values[":threshold"] = write.low_stock_threshold
        expected = write.expected
        if expected is None:
            condition = "attribute_not_exists(price)"
        else:
            values.update({":old_name": expected.name, ":old_price": expected.price})
            clauses = ["#name = :old_name", "price = :old_price"]
            if expected.status is None:
                clauses.append("attribute_not_exists(#status)")
            else:
                clauses.append("#status = :old_status")
                values[":old_status"] = expected.status
            if expected.low_stock_threshold is None:
                clauses.append("attribute_not_exists(low_stock_threshold)")
            else:
                clauses.append("low_stock_threshold = :old_threshold")
                values[":old_threshold"] = expected.low_stock_threshold
            condition = " AND ".join(clauses)
        return {
            "TableName": self._table,
            "Key": keys.sku_key(write.sku),
            "UpdateExpression": "SET " + ", ".join(sets) + update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_values(values),
        }


def _state(item: Mapping[str, Any]) -> ProductState:
    threshold = item.get("low_stock_threshold")
    status = item.get("status")
    return ProductState(
        name=str(item["name"]),
        price=Decimal(item["price"]),
        status=str(status) if status is not None else None,
        low_stock_threshold=int(threshold) if threshold is not None else None,
    )

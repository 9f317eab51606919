"""What reports read, never with a Scan: the orders placed in a period (through the ``by_placed_day``
index, one partition per UTC date, bounded by ``placed_key``; see ``placed_between`` for orders stored
before it) and every product (through the catalog's
keys-only ``products`` index, then BatchGetItem). Both stream page by page: nothing holds more than a
page, and both count the items they read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.dal import keys
from shared.dal.dynamo import from_item, to_values
from shared.models.orders import Order, order_from_item
from shared.reports.days import utc_dates

PRODUCTS_INDEX = "products"
_BATCH_GET_LIMIT = 100


class OrderPeriods:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self.items_read = 0

    def created_between(self, start: str, end: str) -> Iterator[Order]:
        """Orders with ``start <= created_at < end`` (stored UTC timestamps), oldest first."""
        for day in utc_dates(start, end):
            yield from self._query(self._window("by_day", "created", day, start, end))

    def placed_between(self, start: str, end: str) -> Iterator[Order]:
        """Orders placed (``placed_at``, else ``created_at``) with ``start <= placed < end``, day by day.

        Order items written before ``placed_day`` existed are not in ``by_placed_day``; they have no
        ``placed_at`` either, so their placed time is ``created_at``: the ``by_day`` pass finds them,
        filtered to the items without ``placed_day`` (every other order is found once, by the first
        pass). That pass still reads the period's by_day partition (DynamoDB bills a filtered item
        as read); once every order item has been written again (or backfilled) it can go.
        """
        for day in utc_dates(start, end):
            yield from self._query(self._window("by_placed_day", "placed", day, start, end))
            legacy = self._window("by_day", "created", day, start, end)
            legacy["FilterExpression"] = "attribute_not_exists(placed_day)"
            yield from self._query(legacy)

    def _window(self, index: str, prefix: str, day: str, start: str, end: str) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{prefix}_day = :day AND {prefix}_key BETWEEN :start AND :end",
            # {prefix}_key is {time}#{order_id}: '#' sorts before any digit, so :end (the first instant
            # after the period, without an id) excludes every order of that instant.
            "ExpressionAttributeValues": to_values({":day": day, ":start": start, ":end": end}),
        }

    def _query(self, params: dict[str, Any]) -> Iterator[Order]:
        while True:
            response = self._db.query(**params)
            self.items_read += int(response.get("ScannedCount", response.get("Count", 0)))
            for raw in response.get("Items", []):
                yield order_from_item(from_item(raw) or {})
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class Products:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self.items_read = 0

    def skus(self) -> Iterator[str]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": PRODUCTS_INDEX,
            "KeyConditionExpression": "listed = :listed",
            "ExpressionAttributeValues": to_values({":listed": keys.PRODUCT_LISTED}),
        }
        while True:
            response = self._db.query(**params)
            self.items_read += int(response.get("Count", 0))
            for raw in response.get("Items", []):
                yield str(raw["pk"]["S"])
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def items(self) -> Iterator[dict[str, Any]]:
        """Every product item, a hundred keys at a time."""
        batch: list[str] = []
        for sku in self.skus():
            batch.append(sku)
            if len(batch) == _BATCH_GET_LIMIT:
                yield from self._get(batch)
                batch = []
        if batch:
            yield from self._get(batch)

    def _get(self, skus: list[str]) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {self._table: {"Keys": [keys.sku_key(sku) for sku in skus]}}
        found: list[dict[str, Any]] = []
        while request:
            response = self._db.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self._table, []):
                found.append(from_item(raw) or {})
            self.items_read += len(response.get("Responses", {}).get(self._table, []))
            request = response.get("UnprocessedKeys") or {}
        yield from sorted(found, key=lambda item: str(item["pk"]))

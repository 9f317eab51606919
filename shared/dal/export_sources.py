"""What ``oms export`` reads beyond what reports read (``shared.dal.report_sources``: products through the
catalog's products index, orders placed in a period through ``by_placed_day``): every customer profile
and every order. Neither has an index that lists them all, so both Scan, page by page (an export is a
full read by nature: one read of each item), filtered to the one item type; nothing holds more than a
page. Both count the items they read (what DynamoDB bills: every scanned item)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.dal import keys
from shared.dal.dynamo import from_item, to_values
from shared.models.orders import Order, order_from_item


def _scan(db: Any, table: str, sk: str, counter: list[int]) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "sk = :sk",
        "ExpressionAttributeValues": to_values({":sk": sk}),
    }
    while True:
        response = db.scan(**params)
        counter[0] += int(response.get("ScannedCount", response.get("Count", 0)))
        for raw in response.get("Items", []):
            yield from_item(raw) or {}
        if "LastEvaluatedKey" not in response:
            return
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class CustomerProfiles:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self._read = [0]

    @property
    def items_read(self) -> int:
        return self._read[0]

    def profiles(self) -> Iterator[dict[str, Any]]:
        """Every customer's profile item, as stored (an erased one without its personal data)."""
        for item in _scan(self._db, self._table, keys.PROFILE_SK, self._read):
            item.pop("pk", None)
            item.pop("sk", None)
            yield item


class AllOrders:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self._read = [0]

    @property
    def items_read(self) -> int:
        return self._read[0]

    def orders(self) -> Iterator[Order]:
        for item in _scan(self._db, self._table, keys.ORDER_SK, self._read):
            yield order_from_item(item)


class DynamoExportSources:
    """``shared.services.exports.ExportSources`` over the tables."""

    def __init__(self, client: Any, orders_table: str, catalog_table: str, customers_table: str) -> None:
        from shared.dal.report_sources import OrderPeriods, Products

        self._products = Products(client, catalog_table)
        self._customers = CustomerProfiles(client, customers_table)
        self._periods = OrderPeriods(client, orders_table)
        self._all = AllOrders(client, orders_table)

    @property
    def items_read(self) -> int:
        return (
            self._products.items_read
            + self._customers.items_read
            + self._periods.items_read
            + self._all.items_read
        )

    def product_items(self) -> Iterator[dict[str, Any]]:
        return self._products.items()

    def customer_profiles(self) -> Iterator[dict[str, Any]]:
        return self._customers.profiles()

    def orders(self, start: str | None, end: str | None) -> Iterator[Order]:
        if start is None or end is None:
            return self._all.orders()
        return self._periods.placed_between(start, end)

"""Inventory performance aggregates (inventory-stats table; layout in ``shared.dal.keys``).

  SKU#{sku}       MONTH#{yyyy-mm}    sold_{dd}: units sold that day (SET by the nightly roll-up from the
                                     daily sales counters: idempotent); oos_{dd} = 1: out of stock that
                                     day (SET: idempotent); shipped_{dd}@{location}: units shipped (ADD,
                                     once per shipment movement, with its marker in the same transaction)
  SKU#{sku}       SHIPPED#{ledger sk} a shipment movement already added (expires after MARKER_DAYS)
  STOCKOUT#{day}  SKU#{sku}          sku, day, locations: a SKU out of stock that day (the export reads it)
  OUT             SKU#{sku}          sku, since, seq, locations: out of stock now (the roll-up carries these
                                     forward to the days without a stock change); back in stock: no since

Reads are by key only (BatchGetItem of the month items): they grow with SKUs x months, never with
orders. No personal data: SKUs, days, locations and unit counts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.dal import cursors, keys
from shared.dal.dynamo import from_item, is_condition_failure, to_item, to_values
from shared.retry import pause

if TYPE_CHECKING:  # the stream consumer writes only: it never loads the report arithmetic
    from shared.models.inventory_analytics import Statistics
    from shared.reports.inventory_performance import SkuHistory, StockNow

MARKER_DAYS = 7  # a stream record lives 24 hours: nothing older comes back
BATCH_GET_LIMIT = 100


class CountingClient:
    """A DynamoDB client that counts the requests made through it and the items they read (what an
    answer's ``statistics`` says). Every other call passes through unchanged."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests = 0
        self.items_read = 0

    def query(self, **params: Any) -> Any:
        response = self._client.query(**params)
        self.requests += 1
        self.items_read += int(response.get("Count", len(response.get("Items", []))))
        return response

    def get_item(self, **params: Any) -> Any:
        response = self._client.get_item(**params)
        self.requests += 1
        self.items_read += 1 if response.get("Item") else 0
        return response

    def batch_get_item(self, **params: Any) -> Any:
        response = self._client.batch_get_item(**params)
        self.requests += 1
        self.items_read += sum(len(items) for items in response.get("Responses", {}).values())
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def month_of(day: str) -> str:
    return day[:7]


def months_of(days: Iterable[str]) -> list[str]:
    return sorted({month_of(day) for day in days})


BATCH_ATTEMPTS = 8  # a throttled BatchGetItem: sent again with backoff this many times in all


class StatsThrottled(RuntimeError):
    """DynamoDB kept refusing part of a batch read (throttling) after every retry."""


class InventoryStatsStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- from the catalog stream ------------------------------------------------------------------

    def mark_out(self, sku: str, day: str, locations: Sequence[str]) -> None:
        """``sku`` was out of stock on ``day`` (SET: writing it again changes nothing)."""
        self._db.update_item(
            TableName=self._table,
            Key=keys.month_key(sku, month_of(day)),
            UpdateExpression="SET #oos = :one, sku = :sku",
            ExpressionAttributeNames={"#oos": keys.out_attribute(day)},
            ExpressionAttributeValues=to_values({":one": 1, ":sku": sku}),
        )
        self._db.put_item(
            TableName=self._table,
            Item={
                **keys.stock_out_key(day, sku),
                **to_item({"sku": sku, "day": day, "locations": list(locations)}),
            },
        )

    def out_now(self, sku: str, day: str, locations: Sequence[str], sequence_number: str) -> bool:
        """Record ``sku`` as out of stock since ``day`` (kept if it already was); False when a later
        change of the product was already recorded."""
        from shared.dal.sales import sequence_key  # its one home; it loads the sales arithmetic

        try:
            self._db.update_item(
                TableName=self._table,
                Key=keys.out_now_key(sku),
                UpdateExpression="SET sku = :sku, since = if_not_exists(since, :day), seq = :seq, "
                "locations = :locations",
                ConditionExpression="attribute_not_exists(seq) OR seq < :seq",
                ExpressionAttributeValues=to_values(
                    {
                        ":sku": sku,
                        ":day": day,
                        ":seq": sequence_key(sequence_number),
                        ":locations": list(locations),
                    }
                ),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def back_in_stock(self, sku: str, sequence_number: str) -> None:
        """``sku`` is no longer out of stock (unless a later change said it is again). The item stays,
        without ``since`` (out_of_stock_now leaves it out), keeping the sequence number it was cleared
        at: no function may delete items of this table, and an older record can never set it again."""
        from shared.dal.sales import sequence_key

        try:
            self._db.update_item(
                TableName=self._table,
                Key=keys.out_now_key(sku),
                UpdateExpression="SET sku = :sku, seq = :seq REMOVE since",
                ConditionExpression="attribute_not_exists(seq) OR seq < :seq",
                ExpressionAttributeValues=to_values({":sku": sku, ":seq": sequence_key(sequence_number)}),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def add_shipped(
        self, sku: str, day: str, location: str, units: int, ledger_sort_key: str, now: int
    ) -> bool:
        """Add one shipment movement's units once: its marker and the ADD in one transaction. False: it
        was already added (a redelivered stream record)."""
        marker = {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **keys.shipped_marker_key(sku, ledger_sort_key),
                    **to_item({"expires_at": now + MARKER_DAYS * 86400}),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        add = {
            "Update": {
                "TableName": self._table,
                "Key": keys.month_key(sku, month_of(day)),
                "UpdateExpression": "ADD #shipped :units SET sku = :sku",
                "ExpressionAttributeNames": {"#shipped": keys.shipped_attribute(day, location)},
                "ExpressionAttributeValues": to_values({":units": units, ":sku": sku}),
            }
        }
        try:
            self._db.transact_write_items(TransactItems=[marker, add])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons[:1] and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    # --- the nightly roll-up ------------------------------------------------------------------------

    def set_sold(self, day: str, units_by_sku: Mapping[str, int]) -> int:
        """Each SKU's units sold on ``day`` (SET: a re-roll writes the same). Returns the items written."""
        for sku, units in sorted(units_by_sku.items()):
            self._db.update_item(
                TableName=self._table,
                Key=keys.month_key(sku, month_of(day)),
                UpdateExpression="SET #sold = :units, sku = :sku",
                ExpressionAttributeNames={"#sold": keys.sold_attribute(day)},
                ExpressionAttributeValues=to_values({":units": units, ":sku": sku}),
            )
        return len(units_by_sku)

    def out_of_stock_now(self) -> list[tuple[str, str, list[str]]]:
        """Every SKU out of stock now: (sku, since, locations)."""
        found: list[tuple[str, str, list[str]]] = []
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "attribute_exists(since)",  # back in stock: kept, without since
            "ExpressionAttributeValues": to_values({":pk": keys.STOCK_OUT_NOW}),
            "ConsistentRead": True,
        }
        while True:
            response = self._db.query(**params)
            for raw in response.get("Items", []):
                item = from_item(raw) or {}
                found.append(
                    (str(item["sku"]), str(item["since"]), [str(x) for x in item.get("locations", [])])
                )
            if "LastEvaluatedKey" not in response:
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- reads ---------------------------------------------------------------------------------------

    def histories(self, skus: Sequence[str], days: Sequence[str]) -> dict[str, SkuHistory]:
        """Each SKU's figures on ``days``: one month item per SKU and month, BatchGetItem 100 keys at a
        time (90 days over 1,000 SKUs: at most 4,000 items in 40 requests)."""
        from shared.reports.inventory_performance import SkuHistory

        wanted = set(days)
        histories = {sku: SkuHistory() for sku in skus}
        item_keys = [keys.month_key(sku, month) for sku in skus for month in months_of(days)]
        for start in range(0, len(item_keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self._table: {"Keys": item_keys[start : start + BATCH_GET_LIMIT]}}
            attempt = 0
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = from_item(raw) or {}
                    history = histories.get(str(item.get("sku")))
                    if history is not None:
                        _fill(history, str(item["sk"]).removeprefix("MONTH#"), item, wanted)
                request = response.get("UnprocessedKeys") or {}
                if request:  # throttled: sent again after a pause, a bounded number of times
                    if attempt + 1 >= BATCH_ATTEMPTS:
                        raise StatsThrottled("SKU month items: reads kept being throttled")
                    pause(attempt, time.sleep, BATCH_ATTEMPTS)
                    attempt += 1
        return histories

    def stock_outs(self, day: str) -> list[dict[str, Any]]:
        """The SKUs out of stock on ``day`` (sku, day, locations), in SKU order."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_values({":pk": keys.stock_out_key(day, "")["pk"]["S"]}),
        }
        while True:
            response = self._db.query(**params)
            for raw in response.get("Items", []):
                item = from_item(raw) or {}
                found.append(
                    {"sku": item["sku"], "day": item["day"], "locations": list(item.get("locations", []))}
                )
            if "LastEvaluatedKey" not in response:
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _fill(history: SkuHistory, month: str, item: Mapping[str, Any], wanted: set[str]) -> None:
    for name, value in item.items():
        parsed = keys.day_attribute(month, name)
        if parsed is None or parsed[1] not in wanted:
            continue
        what, day, location = parsed
        if what == "sold":
            history.sold[day] = int(value)
        elif what == "oos":
            history.out_of_stock.add(day)
        elif location is not None and int(value):
            history.shipped.setdefault(day, {})[location] = int(value)


class PerformanceSources:
    """What one answer of GET /analytics/inventory (or one page of the report) reads, through one
    ``CountingClient``: its ``statistics`` are this answer's DynamoDB items read and requests."""

    def __init__(self, client: Any, catalog_table: str, stats_table: str, sales_table: str) -> None:
        self._db = CountingClient(client)
        self._catalog = catalog_table
        self._stats = InventoryStatsStore(self._db, stats_table)
        self._sales_table = sales_table

    def products(
        self, cursor: str | None, limit: int, sku: str | None
    ) -> tuple[list[tuple[str, StockNow]], str | None]:
        """A page of products in SKU order (the keys-only products index, then their items), or one."""
        from shared.dal.catalog import product_items

        if sku is not None:
            items = product_items(self._db, self._catalog, [sku])
            return [(sku, _stock_now(item)) for item in items if "price" in item], None
        params: dict[str, Any] = {
            "TableName": self._catalog,
            "IndexName": "products",
            "KeyConditionExpression": "listed = :listed",
            "ExpressionAttributeValues": to_values({":listed": keys.PRODUCT_LISTED}),
            "Limit": limit,
        }
        start = cursors.index_key(cursor, partition="listed", value=keys.PRODUCT_LISTED)
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        response = self._db.query(**params)
        skus = [str((from_item(raw) or {})["pk"]) for raw in response.get("Items", [])]
        items = product_items(self._db, self._catalog, skus)
        last = from_item(response.get("LastEvaluatedKey"))
        found = [(str(item["pk"]), _stock_now(item)) for item in items if "price" in item]
        return found, cursors.encode({"key": last}) if last else None

    def histories(self, skus: Sequence[str], days: Sequence[str]) -> dict[str, SkuHistory]:
        return self._stats.histories(skus, days)

    def units_sold(self, day: str) -> dict[str, int]:
        from shared.dal.sales import SalesStore
        from shared.reports.sales import net_units_by_sku

        return net_units_by_sku(SalesStore(self._db, self._sales_table).day(day))

    def statistics(self) -> Statistics:
        from shared.models.inventory_analytics import Statistics

        return Statistics(items_read=self._db.items_read, requests=self._db.requests)


def _stock_now(item: Mapping[str, Any]) -> StockNow:
    from shared.dal.inventory import stock_from_item
    from shared.reports.inventory_performance import StockNow

    stock = stock_from_item(str(item["pk"]), item)
    planning: dict[str, Any] = {}
    if item.get("lead_time_days") is not None:
        planning["lead_time_days"] = int(item["lead_time_days"])
    if item.get("service_level") is not None:
        planning["service_level"] = Decimal(item["service_level"])
    return StockNow(
        name=str(item["name"]) if item.get("name") is not None else None,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        available=stock.available,
        locations={level.location: level.on_hand for level in stock.locations},
        **planning,
    )

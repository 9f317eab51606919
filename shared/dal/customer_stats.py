"""The customer aggregates (customer-stats table), kept from the orders stream by sales_aggregates and read
by GET /analytics/customers and the customer_behaviour report.

  CUSTOMER#{customer_id}  STATS           days {business day: counted orders}, money {currency: {orders,
                                          net}}, version (the optimistic write's condition)
  CUSTOMER#{customer_id}  LTV#{currency}  ltv, orders, first_day (ltv 0 once none is left: never deleted);
                                          when ltv > 0 also top_pk
                                          LTV#{currency}#{shard} and top_sk {cents:015d}#{customer_id}: the
                                          sparse top_customers index
  MONTH#{YYYY-MM}#{shard} CUSTOMERS       a month's counters (shared.reports.customer_stats), ADDed to
  ORDER#{order_id}        APPLIED         the stream sequence number of the order's last change applied
                                          (expires: a stream record lives 24 hours)

One change of one order is one TransactWriteItems: the APPLIED marker moves forward on condition that it is
behind this change, each customer item it moves is put on condition that its version is the one read (its
LTV items put or deleted with it), and every month counter the change moves is added to. A redelivered
change fails the marker's condition and writes nothing; a customer item another change wrote since it was
read fails its condition (``StatsConflict``): the caller reads it again and recomputes.

Seeding directly (the bench): ``put_month`` writes one shard's month item as it would stand.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import Throttled, error_code, from_item, to_item, to_values
from shared.dal.keys import (
    ANALYTICS_SHARDS,
    applied_key,
    customer_ltv_key,
    customer_month_key,
    customer_stats_key,
    ltv_pk,
    ltv_sk,
    shard_of,
)
from shared.dal.sales import MARKER_DAYS, MAX_TRANSACT_ITEMS, sequence_key
from shared.reports.customer_stats import Change, CustomerState, Money, MonthCounters, MonthKey
from shared.retry import MAX_ATTEMPTS, pause

TOP_INDEX = "top_customers"
BATCH_GET_LIMIT = 100


class StatsConflict(RuntimeError):
    """A customer item changed since it was read (another order of the customer), or DynamoDB reported a
    conflicting transaction: read again and recompute."""


class TooManyWrites(ValueError):
    """A change moves more items than one transaction holds (a customer's state moving by one order touches
    at most two first months' cohorts: about 30 items)."""


@dataclass(frozen=True)
class LtvRow:
    """A customer's lifetime value in one currency, as the top_customers index holds it."""

    customer_id: str
    currency: str
    ltv: Decimal
    orders: int
    first_day: str | None


def state_of(item: Mapping[str, Any] | None) -> CustomerState:
    if not item:
        return CustomerState()
    days = {str(day): int(count) for day, count in dict(item.get("days") or {}).items()}
    money = {
        str(cur): Money(int(m.get("orders", 0)), Decimal(m.get("net", 0)))
        for cur, m in dict(item.get("money") or {}).items()
    }
    return CustomerState(days=days, money=money, version=int(item.get("version", 0)))


def _ltv_attributes(customer_id: str, currency: str, state: CustomerState) -> dict[str, Any]:
    """The LTV item of a currency: 0 (and out of the top index) once no counted order is left in it. Never
    deleted: the stream's function may put and update, not delete (finished items are kept or expire)."""
    money = state.money.get(currency, Money(0, Decimal(0)))
    attributes: dict[str, Any] = {
        "customer_id": customer_id,
        "currency": currency,
        "ltv": money.net,
        "orders": state.orders,
        "first_day": state.first_day,
    }
    cents = int((money.net * 100).to_integral_value())
    if cents > 0 and money.orders > 0:
        attributes["top_pk"] = ltv_pk(currency, shard_of(customer_id))
        attributes["top_sk"] = ltv_sk(cents, customer_id)
    return attributes


class CustomerStatsStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self.items_read = 0  # items read since this store was made (the answers' statistics)
        self.requests = 0  # read requests made since this store was made

    # --- the stream's side -----------------------------------------------------------------------

    def states(self, customer_ids: Iterable[str]) -> dict[str, CustomerState]:
        """The stored state of each customer (consistent: the write is conditioned on its version)."""
        found: dict[str, CustomerState] = {}
        for customer_id in customer_ids:
            response = self._db.get_item(
                TableName=self._table, Key=customer_stats_key(customer_id), ConsistentRead=True
            )
            found[customer_id] = state_of(from_item(response.get("Item")))
        return found

    def apply(self, order_id: str, sequence_number: str, change: Change, now: int) -> bool:
        """Write one change once. False: this change (or a later one) was already applied."""
        writes: list[dict[str, Any]] = [self._marker(order_id, sequence_number, now)]
        for customer_id, (before, after) in sorted(change.customers.items()):
            if before == after:
                continue
            writes.append(self._customer(customer_id, before, after))
            writes += self._ltv_writes(customer_id, before, after)
        writes += [self._add(key, fields) for key, fields in sorted(change.counters.items())]
        if len(writes) == 1:
            return False
        if len(writes) > MAX_TRANSACT_ITEMS:
            raise TooManyWrites(f"order {order_id}: {len(writes)} items in one change")
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            codes = [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons") or []]
            if codes[:1] == ["ConditionalCheckFailed"]:
                return False
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise StatsConflict(f"order {order_id}: a customer's stats changed meanwhile") from exc
            raise
        return True

    def _marker(self, order_id: str, sequence_number: str, now: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": applied_key(order_id),
                "UpdateExpression": "SET seq = :seq, expires_at = :expires",
                "ConditionExpression": "attribute_not_exists(seq) OR seq < :seq",
                "ExpressionAttributeValues": to_values(
                    {":seq": sequence_key(sequence_number), ":expires": now + MARKER_DAYS * 86400}
                ),
            }
        }

    def _customer(self, customer_id: str, before: CustomerState, after: CustomerState) -> dict[str, Any]:
        key = customer_stats_key(customer_id)
        item = {
            "pk": key["pk"]["S"],
            "sk": key["sk"]["S"],
            "customer_id": customer_id,
            "days": dict(after.days),
            "money": {cur: {"orders": m.orders, "net": m.net} for cur, m in after.money.items()},
            "version": before.version + 1,
        }
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(item)}
        if before.version:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = to_values({":version": before.version})
        else:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}

    def _ltv_writes(
        self, customer_id: str, before: CustomerState, after: CustomerState
    ) -> list[dict[str, Any]]:
        writes: list[dict[str, Any]] = []
        for currency in sorted(set(before.money) | set(after.money)):
            now = _ltv_attributes(customer_id, currency, after)
            if _ltv_attributes(customer_id, currency, before) == now:
                continue
            key = customer_ltv_key(customer_id, currency)
            item = {"pk": key["pk"]["S"], "sk": key["sk"]["S"], **now}
            writes.append({"Put": {"TableName": self._table, "Item": to_item(item)}})
        return writes

    def _add(self, key: MonthKey, fields: Mapping[str, Decimal]) -> dict[str, Any]:
        month, shard = key
        ordered = sorted(fields)
        return {
            "Update": {
                "TableName": self._table,
                "Key": customer_month_key(month, shard),
                "UpdateExpression": "ADD " + ", ".join(f"#f{i} :v{i}" for i in range(len(ordered))),
                "ExpressionAttributeNames": {f"#f{i}": name for i, name in enumerate(ordered)},
                "ExpressionAttributeValues": to_values({f":v{i}": fields[n] for i, n in enumerate(ordered)}),
            }
        }

    # --- the readers' side -----------------------------------------------------------------------

    def months(self, months: Iterable[str]) -> MonthCounters:
        """Every shard's counters of these months: one item per month and shard, one BatchGetItem per 100
        (so a 12-month range reads 96 items in one request, however many orders the months had)."""
        item_keys = [
            customer_month_key(month, shard) for month in months for shard in range(ANALYTICS_SHARDS)
        ]
        found: MonthCounters = {}
        for item in self._batch_get(item_keys):
            pk = str(item.pop("pk"))
            item.pop("sk", None)
            _, month, shard = pk.split("#")
            found[(month, int(shard))] = {name: Decimal(value) for name, value in item.items()}
        return found

    def top(self, currency: str, limit: int) -> list[LtvRow]:
        """The ``limit`` customers with the highest lifetime value in ``currency``: ``limit`` from each
        shard's partition of the top_customers index, merged (ties: customer id)."""
        rows: list[LtvRow] = []
        for shard in range(ANALYTICS_SHARDS):
            response = self._db.query(
                TableName=self._table,
                IndexName=TOP_INDEX,
                KeyConditionExpression="top_pk = :pk",
                ExpressionAttributeValues=to_values({":pk": ltv_pk(currency, shard)}),
                ScanIndexForward=False,
                Limit=limit,
            )
            self.requests += 1
            self.items_read += int(response.get("Count", 0))
            for raw in response.get("Items", []):
                item = from_item(raw) or {}
                rows.append(
                    LtvRow(
                        customer_id=str(item["customer_id"]),
                        currency=currency,
                        ltv=Decimal(item["ltv"]),
                        orders=int(item.get("orders", 0)),
                        first_day=str(item["first_day"]) if item.get("first_day") else None,
                    )
                )
        rows.sort(key=lambda row: (-row.ltv, row.customer_id))
        return rows[:limit]

    def _batch_get(self, item_keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(item_keys), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {self._table: {"Keys": item_keys[start : start + BATCH_GET_LIMIT]}}
            attempt = 0
            while pending:
                response = self._db.batch_get_item(RequestItems=pending)
                self.requests += 1
                got = response.get("Responses", {}).get(self._table, [])
                self.items_read += len(got)
                found += [item for item in (from_item(raw) for raw in got) if item]
                pending = response.get("UnprocessedKeys") or {}
                if pending:
                    if attempt + 1 >= MAX_ATTEMPTS:
                        raise Throttled("month counters: reads kept being throttled")
                    pause(attempt, time.sleep)
                    attempt += 1
        return found

    # --- seeding (the bench) ---------------------------------------------------------------------

    def put_month(self, month: str, shard: int, fields: Mapping[str, Decimal | int]) -> None:
        """Write one shard's month item as it would stand (replaces it): the bench seeds counters so."""
        key = customer_month_key(month, shard)
        item = {"pk": key["pk"]["S"], "sk": key["sk"]["S"], **{k: Decimal(v) for k, v in fields.items()}}
        self._db.put_item(TableName=self._table, Item=to_item(item))

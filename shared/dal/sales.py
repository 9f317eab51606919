"""The daily sales counters (daily-sales table), kept from the orders stream and read by daily_sales.

  DAY#{date}           TOTAL#{cur} | CHANNEL#{channel}#{cur} | SKU#{sku}#{cur} | STATUS#{status}
                       (shared.dal.keys.counter_key; {sku} escaped, as a SKU may hold a #)
                       numeric counters (shared.reports.sales.FIELDS), added to with ADD
  ORDER#{order_id}     APPLIED      the stream sequence number of the order's last change applied;
                                    expires (a stream record lives 24 hours: nothing older comes back)

One change of one order is one TransactWriteItems: the APPLIED marker moves forward on condition that
it is behind this change, and every counter the change moves is added to. A redelivered change (a
retried batch, a retry after a timeout that had in fact committed) fails the condition and adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import error_code, from_item, to_item, to_values
from shared.dal.keys import applied_key, day_pk
from shared.reports.sales import CounterRow, Counters
from shared.retry import pause

MARKER_DAYS = 7
MAX_TRANSACT_ITEMS = 100
MAX_BATCH_WRITE = 25  # BatchWriteItem's limit
BATCH_ATTEMPTS = 8  # a throttled batch: sent again with backoff this many times in all
SEQUENCE_DIGITS = 40  # stream sequence numbers are decimal strings of up to 40 digits


def sequence_key(sequence_number: str) -> str:
    """A sequence number as a string that sorts like the number."""
    if not sequence_number.isdigit() or len(sequence_number) > SEQUENCE_DIGITS:
        raise ValueError(f"not a stream sequence number: {sequence_number!r}")
    return sequence_number.zfill(SEQUENCE_DIGITS)


class TooManyCounters(ValueError):
    """A change moves more counters than one transaction can hold (cannot happen within the order
    limits: at most 50 SKUs, so at most about 55 counters)."""


class SalesStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self.items_read = 0  # counter items read since this store was made (for reports' statistics)

    def apply(self, order_id: str, sequence_number: str, delta: Counters, now: int) -> bool:
        """Add one change's ``delta`` once. False: this change (or a later one) was already applied."""
        if not delta:
            return False
        if len(delta) + 1 > MAX_TRANSACT_ITEMS:
            raise TooManyCounters(f"order {order_id}: {len(delta)} counters in one change")
        marker = {
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
        try:
            self._db.transact_write_items(
                TransactItems=[
                    marker,
                    *(self._add(day, what, fields) for (day, what), fields in delta.items()),
                ]
            )
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if (
                error_code(exc) == "TransactionCanceledException"
                and reasons[:1]
                and (reasons[0].get("Code") == "ConditionalCheckFailed")
            ):
                return False
            raise
        return True

    def _add(self, day: str, what: str, fields: dict[str, Decimal]) -> dict[str, Any]:
        names = {f"#f{i}": name for i, name in enumerate(sorted(fields))}
        values = {f":v{i}": fields[name] for i, name in enumerate(sorted(fields))}
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": day_pk(day)}, "sk": {"S": what}},
                "UpdateExpression": "ADD " + ", ".join(f"#f{i} :v{i}" for i in range(len(fields))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_values(values),
            }
        }

    def day(self, day: str) -> list[CounterRow]:
        """Every counter of a business day: as many items as the day has currencies, channels, SKUs and
        statuses, however many orders it had."""
        return list(self._rows(day))

    def days(self, days: Iterable[str]) -> list[CounterRow]:
        return [row for day in days for row in self._rows(day)]

    def _rows(self, day: str) -> Iterator[CounterRow]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_values({":pk": day_pk(day)}),
        }
        while True:
            response = self._db.query(**params)
            self.items_read += int(response.get("Count", 0))
            for raw in response.get("Items", []):
                item = from_item(raw) or {}
                what = str(item.pop("sk"))
                item.pop("pk", None)
                yield CounterRow(what, {k: Decimal(v) for k, v in item.items()})
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def replace(self, day: str, put: Mapping[str, Mapping[str, Decimal]], delete: Iterable[str]) -> int:
        """Make these counters of a day hold exactly these fields (a put replaces the whole item) and
        remove these; ``BatchWriteItem``, 25 at a time, unprocessed items sent again with backoff.
        Returns the number of items written. Not atomic with the stream: run a recount while the day's
        orders are quiet (see ``shared.services.recount``)."""
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": to_item({"pk": day_pk(day), "sk": what, **dict(fields)})}}
            for what, fields in put.items()
        ]
        requests += [{"DeleteRequest": {"Key": to_item({"pk": day_pk(day), "sk": what})}} for what in delete]
        for start in range(0, len(requests), MAX_BATCH_WRITE):
            self._batch_write(requests[start : start + MAX_BATCH_WRITE])
        return len(requests)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        attempt = 0
        while pending:
            response = self._db.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if pending:
                if attempt + 1 >= BATCH_ATTEMPTS:
                    raise UnprocessedWrites(f"{len(pending.get(self._table, []))} counter writes unprocessed")
                pause(attempt, time.sleep, BATCH_ATTEMPTS)
                attempt += 1


class UnprocessedWrites(RuntimeError):
    """DynamoDB kept refusing part of a batch (throttling) after every retry."""

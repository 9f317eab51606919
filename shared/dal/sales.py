"""The sales counters (daily-sales table), kept from the orders stream; read by daily_sales and the trends.

  DAY#{date}#{shard}     TOTAL#{cur} | CHANNEL#{channel}#{cur} | SKU#{sku}#{cur} | STATUS#{status}
                         (shared.dal.keys.counter_key; {sku} escaped, as a SKU may hold a #)
                         numeric counters (shared.reports.sales.FIELDS), added to with ADD
  WEEK#{yyyy-Www}#{shard}, MONTH#{yyyy-mm}#{shard}
                         the same TOTAL, CHANNEL and SKU counters rolled up (no STATUS)
  DAY#{date}             a day's counters written before the shards: daily_sales still reads them
                         (``day``); ``oms recount`` moves them into shard 0
  ORDER#{order_id}       APPLIED, APPLIED#2, ...  the stream sequence number of the order's last change
                         applied by each transaction of a change; expires (a stream record lives 24
                         hours: nothing older comes back)

shard = shard_of(order_id) (shared.dal.keys): every order's contribution goes to its own shard of each
period, so a hot item (a day's TOTAL#EUR) is eight items in eight partitions, each taking an eighth of the
writes (the arithmetic is in the README, "Analytics at scale"). A reader queries every shard of a period
and adds the rows up per sort key.

One change of one order is one TransactWriteItems when its marker and counters fit in one (100 items):
the APPLIED marker moves forward on condition that it is behind this change, and every counter the
change moves is added to. A larger change (an order of many SKUs: about 3 items per SKU) is split into
deterministic chunks (the items sorted by key, 99 at a time), each with its own marker (APPLIED#2, ...):
a redelivered change (a retried batch, a retry after a timeout that had in fact committed) fails the
condition of every chunk already applied and adds only the ones missing.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.dal.dynamo import error_code, from_item, to_item, to_values
from shared.dal.keys import ANALYTICS_SHARDS, applied_key, day_pk, period_pk, shard_of
from shared.reports.periods import Period
from shared.reports.sales import CounterRow, Counters, PeriodCounters, rolled_up
from shared.retry import pause

MARKER_DAYS = 7
MAX_TRANSACT_ITEMS = 100
MAX_BATCH_WRITE = 25  # BatchWriteItem's limit
BATCH_ATTEMPTS = 8  # a throttled batch: sent again with backoff this many times in all
SEQUENCE_DIGITS = 40  # stream sequence numbers are decimal strings of up to 40 digits
LEGACY = None  # the shard of a day's unsharded partition (DAY#{date}, written before the shards)
Shard = int | None


def sequence_key(sequence_number: str) -> str:
    """A sequence number as a string that sorts like the number."""
    if not sequence_number.isdigit() or len(sequence_number) > SEQUENCE_DIGITS:
        raise ValueError(f"not a stream sequence number: {sequence_number!r}")
    return sequence_number.zfill(SEQUENCE_DIGITS)


def partition(period: Period, shard: Shard) -> str:
    return day_pk(period.label) if shard is None else period_pk(period.kind, period.label, shard)


def chunks(items: PeriodCounters) -> list[list[tuple[tuple[Period, str], dict[str, Decimal]]]]:
    """A change's counter items in transactions of at most 99 (each with its marker), always the same way."""
    ordered = sorted(items.items(), key=lambda item: item[0])
    size = MAX_TRANSACT_ITEMS - 1
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


@dataclass(frozen=True)
class Read:
    """What reading counters cost: DynamoDB items read and requests made."""

    items: int = 0
    requests: int = 0


class SalesStore:
    def __init__(self, client: Any, table_name: str, *, workers: int = 1) -> None:
        """``workers``: threads ``rows_many`` queries the shards on (1: one after the other, as moto needs;
        a boto3 client is thread-safe)."""
        self._db = client
        self._table = table_name
        self._workers = workers
        self._counting = threading.Lock()
        self.items_read = 0  # counter items read since this store was made (for reports' statistics)
        self.requests = 0  # queries made since this store was made

    def apply(self, order_id: str, sequence_number: str, delta: Counters, now: int) -> bool:
        """Add one change's ``delta`` once, to the order's shard of each day, week and month. False: this
        change (or a later one) was already applied whole."""
        if not delta:
            return False
        shard = shard_of(order_id)
        applied = False
        for part, chunk in enumerate(chunks(rolled_up(delta)), start=1):
            marker = {
                "Update": {
                    "TableName": self._table,
                    "Key": applied_key(order_id, part),
                    "UpdateExpression": "SET seq = :seq, expires_at = :expires",
                    "ConditionExpression": "attribute_not_exists(seq) OR seq < :seq",
                    "ExpressionAttributeValues": to_values(
                        {":seq": sequence_key(sequence_number), ":expires": now + MARKER_DAYS * 86400}
                    ),
                }
            }
            adds = [self._add(partition(period, shard), what, fields) for (period, what), fields in chunk]
            applied = self._transact([marker, *adds]) or applied
        return applied

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            self._db.transact_write_items(TransactItems=items)
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

    def _add(self, pk: str, what: str, fields: dict[str, Decimal]) -> dict[str, Any]:
        names = {f"#f{i}": name for i, name in enumerate(sorted(fields))}
        values = {f":v{i}": fields[name] for i, name in enumerate(sorted(fields))}
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": pk}, "sk": {"S": what}},
                "UpdateExpression": "ADD " + ", ".join(f"#f{i} :v{i}" for i in range(len(fields))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_values(values),
            }
        }

    def day(self, day: str) -> list[CounterRow]:
        """Every counter of a business day, its shards added up (and its unsharded partition, written
        before the shards): as many items as the day has currencies, channels, SKUs and statuses in each
        shard, however many orders it had."""
        return self.rows(Period("DAY", day), legacy=True)

    def days(self, days: Iterable[str]) -> list[CounterRow]:
        return [row for day in days for row in self.day(day)]

    def rows(self, period: Period, prefix: str = "", *, legacy: bool = False) -> list[CounterRow]:
        """The counters of a day, week or month whose sort key starts with ``prefix`` (TOTAL#, CHANNEL#,
        SKU#{sku}#: ``shared.reports.sales``'s keys), added up over the shards, sorted by sort key.
        ``legacy``: a day's unsharded partition too."""
        summed: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for _, row in self._shard_rows(period, prefix, legacy=legacy):
            for name, value in row.fields.items():
                summed[row.what][name] += value
        return [CounterRow(what, dict(fields)) for what, fields in sorted(summed.items())]

    def rows_many(self, reads: Sequence[tuple[Period, str]]) -> list[list[CounterRow]]:
        """``rows(period, prefix)`` of each read, in order (no unsharded day): the shards' queries of all
        of them run on ``workers`` threads, so a trend's hundreds of small queries take the time of a few."""
        jobs = [
            (i, partition(period, shard), prefix)
            for i, (period, prefix) in enumerate(reads)
            for shard in range(ANALYTICS_SHARDS)
        ]

        def fetch(job: tuple[int, str, str]) -> tuple[int, list[CounterRow]]:
            return job[0], list(self._query(job[1], job[2]))

        if self._workers > 1 and len(jobs) > 1:
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                fetched = list(pool.map(fetch, jobs))
        else:
            fetched = [fetch(job) for job in jobs]
        summed: list[dict[str, dict[str, Decimal]]] = [
            defaultdict(lambda: defaultdict(Decimal)) for _ in reads
        ]
        for i, rows in fetched:
            for row in rows:
                for name, value in row.fields.items():
                    summed[i][row.what][name] += value
        return [[CounterRow(what, dict(fields)) for what, fields in sorted(one.items())] for one in summed]

    def stored(self, period: Period) -> dict[Shard, list[CounterRow]]:
        """A period's counters as stored, shard by shard (None: a day's unsharded partition)."""
        found: dict[Shard, list[CounterRow]] = defaultdict(list)
        for shard, row in self._shard_rows(period, "", legacy=period.kind == "DAY"):
            found[shard].append(row)
        return dict(found)

    @property
    def read(self) -> Read:
        """Items read and requests made by this store's reads so far."""
        return Read(self.items_read, self.requests)

    def _shard_rows(self, period: Period, prefix: str, *, legacy: bool) -> Iterator[tuple[Shard, CounterRow]]:
        shards: list[Shard] = list(range(ANALYTICS_SHARDS))
        if legacy:
            shards.append(LEGACY)
        for shard in shards:
            for row in self._query(partition(period, shard), prefix):
                yield shard, row

    def _query(self, pk: str, prefix: str) -> Iterator[CounterRow]:
        values: dict[str, Any] = {":pk": pk}
        condition = "pk = :pk"
        if prefix:
            values[":prefix"] = prefix
            condition += " AND begins_with(sk, :prefix)"
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_values(values),
        }
        while True:
            response = self._db.query(**params)
            with self._counting:
                self.requests += 1
                self.items_read += int(response.get("Count", 0))
            for raw in response.get("Items", []):
                item = from_item(raw) or {}
                what = str(item.pop("sk"))
                item.pop("pk", None)
                yield CounterRow(what, {k: Decimal(v) for k, v in item.items()})
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def replace(
        self,
        period: Period,
        put: Mapping[str, Mapping[str, Decimal]],
        delete: Iterable[str],
        stale: Iterable[tuple[Shard, str]] = (),
    ) -> int:
        """Make these counters of a period's shard 0 hold exactly these fields (a put replaces the whole
        item), remove these of shard 0 and the ``stale`` ones of the other shards (and of a day's unsharded
        partition): ``BatchWriteItem``, 25 at a time, unprocessed items sent again with backoff. Returns
        the number of items written. Not atomic with the stream: run a recount while the period's orders
        are quiet (see ``shared.services.recount``)."""
        zero = partition(period, 0)
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": to_item({"pk": zero, "sk": what, **dict(fields)})}}
            for what, fields in put.items()
        ]
        requests += [{"DeleteRequest": {"Key": to_item({"pk": zero, "sk": what})}} for what in delete]
        requests += [
            {"DeleteRequest": {"Key": to_item({"pk": partition(period, shard), "sk": what})}}
            for shard, what in stale
        ]
        for start in range(0, len(requests), MAX_BATCH_WRITE):
            self._batch_write(requests[start : start + MAX_BATCH_WRITE])
        return len(requests)

    def seed(self, shard: int, counters: Counters) -> int:
        """Put the day, week and month items of ``counters`` (a fold of orders' contributions, e.g.
        ``shared.reports.sales.recount`` of the orders whose ``shard_of(order_id)`` is ``shard``) into that
        shard, replacing what is there: how a bench or a fixture lays down counters as the stream would
        have left them, without the stream. Returns the items written."""
        requests = [
            {"PutRequest": {"Item": to_item({"pk": partition(period, shard), "sk": what, **fields})}}
            for (period, what), fields in rolled_up(counters).items()
        ]
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

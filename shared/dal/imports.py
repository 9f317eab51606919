"""Import runs in DynamoDB (the imports table; keys: shared/dal/keys.py).

  IMPORT#{import_id}   RUN        the run (shared.models.imports.ImportRun), with ``listed`` = RUN and
                                  ``started_key`` = {started_at}#{import_id} for the by_started index
  IMPORT#{import_id}   CHUNK#{n}  a chunk of an upload's rows, counted (written once, never updated)

The counts and the money are kept as one top-level number attribute each (``count#{kind}#{field}``,
``in_file#{currency}``, ``written#{currency}``), not as the run's nested map and list: a chunk adds its
counts with one ADD per attribute, which DynamoDB can do to a top-level number whether it exists yet or
not. ``run_item`` and ``run_from_item`` are the one place that flattens and rebuilds them.

Finding a run to resume (``unfinished``) reads the by_started index with a filter: runs are few (a
shop's migration is tens of files), so a second key item per checksum would be one more write to keep
right for no gain.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.dal import cursors
from shared.dal.dynamo import error_code, from_item, is_condition_failure, to_item, to_values, transact
from shared.dal.keys import IMPORT_PREFIX, RUN_SK, RUNS_LISTED, import_chunk_key, import_key
from shared.models.imports import CurrencyTotal, ImportOptions, ImportRun, KindCounts

_COUNT = "count#"  # count#{kind}#{field}
_IN_FILE = "in_file#"  # in_file#{currency}
_WRITTEN = "written#"  # written#{currency}
_COUNT_FIELDS = tuple(KindCounts.model_fields)
UNFINISHED = ("VALIDATING", "RUNNING")  # the statuses of a run that can be resumed


class ImportRuns(Protocol):
    def create(self, run: ImportRun) -> None: ...

    def get(self, import_id: str) -> ImportRun | None: ...

    def page(self, cursor: str | None, limit: int) -> tuple[list[ImportRun], str | None]: ...

    def save(self, run: ImportRun, *, expected_updated_at: str) -> bool: ...

    def count_chunk(
        self,
        import_id: str,
        chunk: int,
        counts: Mapping[str, KindCounts],
        written: Mapping[str, Decimal],
        rows: int,
        now: str,
    ) -> ImportRun | None: ...

    def unfinished(self, checksum: str, options: ImportOptions) -> ImportRun | None: ...


class ImportStoreError(RuntimeError):
    """The imports table could not be read or written (throttled past the retries, unavailable)."""


class RunExists(ImportStoreError):
    """A run with this id is recorded already."""


class RunNotFound(ImportStoreError):
    """No run with this id."""


def run_item(run: ImportRun) -> dict[str, Any]:
    values = run.model_dump(mode="python", exclude_none=True, exclude={"counts", "totals"})
    for kind, counts in run.counts.items():
        for field in _COUNT_FIELDS:
            values[f"{_COUNT}{kind}#{field}"] = getattr(counts, field)
    for total in run.totals:
        values[f"{_IN_FILE}{total.currency}"] = total.in_file
        values[f"{_WRITTEN}{total.currency}"] = total.written
    values.update(
        pk=f"{IMPORT_PREFIX}{run.import_id}",
        sk=RUN_SK,
        listed=RUNS_LISTED,
        started_key=f"{run.started_at}#{run.import_id}",
    )
    return to_item(values)


def run_from_item(item: Mapping[str, Any]) -> ImportRun:
    values: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    in_file: dict[str, Decimal] = {}
    written: dict[str, Decimal] = {}
    for name, value in item.items():
        if name.startswith(_COUNT):
            kind, _, field = name[len(_COUNT) :].rpartition("#")
            counts.setdefault(kind, {})[field] = int(value)
        elif name.startswith(_IN_FILE):
            in_file[name[len(_IN_FILE) :]] = Decimal(value)
        elif name.startswith(_WRITTEN):
            written[name[len(_WRITTEN) :]] = Decimal(value)
        elif name not in ("pk", "sk", "listed", "started_key"):
            values[name] = value
    for name in ("rows_total", "rows_done", "chunks_total", "chunks_done"):
        if values.get(name) is not None:
            values[name] = int(values[name])
    values["counts"] = {kind: KindCounts(**fields) for kind, fields in sorted(counts.items())}
    values["totals"] = [
        CurrencyTotal(
            currency=currency,
            in_file=in_file.get(currency, Decimal(0)),
            written=written.get(currency, Decimal(0)),
        )
        for currency in sorted(set(in_file) | set(written))
    ]
    return ImportRun.model_validate(values)


class ImportRunStore:
    """``ImportRuns`` on DynamoDB. Every failure other than an outcome is an ``ImportStoreError``.

    DynamoDB actions (imports table): PutItem (create, save: conditional), GetItem (consistent), Query
    (the by_started index: page, unfinished), TransactWriteItems (count_chunk: PutItem of the chunk
    marker, UpdateItem of the run).
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def create(self, run: ImportRun) -> None:
        try:
            self._db.put_item(
                TableName=self._table, Item=run_item(run), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise RunExists(run.import_id) from exc
            raise ImportStoreError(error_code(exc)) from exc

    def get(self, import_id: str) -> ImportRun | None:
        try:
            response = self._db.get_item(
                TableName=self._table, Key=import_key(import_id), ConsistentRead=True
            )
        except ClientError as exc:
            raise ImportStoreError(error_code(exc)) from exc
        item = from_item(response.get("Item"))
        return run_from_item(item) if item else None

    def page(self, cursor: str | None, limit: int) -> tuple[list[ImportRun], str | None]:
        """Newest first (the by_started index). ``cursors.InvalidCursor`` for a cursor of another query."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_started",
            "KeyConditionExpression": "listed = :listed",
            "ExpressionAttributeValues": to_values({":listed": RUNS_LISTED}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = _start_key(cursor)
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        try:
            response = self._db.query(**params)
        except ClientError as exc:
            raise ImportStoreError(error_code(exc)) from exc
        runs = [run_from_item(from_item(raw) or {}) for raw in response.get("Items", [])]
        last = from_item(response.get("LastEvaluatedKey"))
        return runs, cursors.encode({"key": last}) if last else None

    def save(self, run: ImportRun, *, expected_updated_at: str) -> bool:
        """Replace the run, on condition that it is still as read (its ``updated_at``). False: it moved
        on meanwhile (another worker counted a chunk, say): read it again."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=run_item(run),
                ConditionExpression="updated_at = :expected",
                ExpressionAttributeValues=to_values({":expected": expected_updated_at}),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise ImportStoreError(error_code(exc)) from exc
        return True

    def count_chunk(
        self,
        import_id: str,
        chunk: int,
        counts: Mapping[str, KindCounts],
        written: Mapping[str, Decimal],
        rows: int,
        now: str,
    ) -> ImportRun | None:
        """One TransactWriteItems: the chunk's marker (only if absent) and its numbers added to the run.
        None when the chunk was counted already (a redelivered message); the run as it is after, else."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {":one": 1, ":rows": rows, ":now": now}
        adds = ["chunks_done :one", "rows_done :rows"]
        for kind, kind_counts in counts.items():
            for field in _COUNT_FIELDS:
                number = getattr(kind_counts, field)
                if number:
                    i = len(names)
                    names[f"#a{i}"] = f"{_COUNT}{kind}#{field}"
                    values[f":a{i}"] = number
                    adds.append(f"#a{i} :a{i}")
        for currency, amount in written.items():
            i = len(names)
            names[f"#a{i}"] = f"{_WRITTEN}{currency}"
            values[f":a{i}"] = amount
            adds.append(f"#a{i} :a{i}")
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": import_key(import_id),
            "UpdateExpression": "SET updated_at = :now ADD " + ", ".join(adds),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": to_values(values),
        }
        if names:
            update["ExpressionAttributeNames"] = names
        marker = {
            "TableName": self._table,
            "Item": {**import_chunk_key(import_id, chunk), **to_item({"rows": rows, "counted_at": now})},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        writes = [{"Put": marker}, {"Update": update}]
        try:
            cancelled = transact(self._db, writes, lambda write: write)
        except ClientError as exc:
            raise ImportStoreError(error_code(exc)) from exc
        if cancelled is not None:
            failed = [write for write, _ in cancelled.failed]
            if any("Update" in write for write in failed):
                raise RunNotFound(import_id)
            if failed:
                return None
            raise ImportStoreError("the run was contended: count the chunk again")
        run = self.get(import_id)
        if run is None:
            raise RunNotFound(import_id)
        return run

    def unfinished(self, checksum: str, options: ImportOptions) -> ImportRun | None:
        """The newest run of this file (its checksum) and these options still VALIDATING or RUNNING, that
        ``oms import`` started. A run of the cloud path (an upload: its ``rows_done`` is a sum of the chunks
        counted, in any order) is never resumed here: its own queue finishes it, and the command starts a
        new run instead of skipping rows a chunk still waiting on its queue holds."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_started",
            "KeyConditionExpression": "listed = :listed",
            "FilterExpression": "checksum = :checksum AND #status IN (:validating, :running)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_values(
                {
                    ":listed": RUNS_LISTED,
                    ":checksum": checksum,
                    ":validating": UNFINISHED[0],
                    ":running": UNFINISHED[1],
                }
            ),
            "ScanIndexForward": False,
        }
        while True:
            try:
                response = self._db.query(**params)
            except ClientError as exc:
                raise ImportStoreError(error_code(exc)) from exc
            for raw in response.get("Items", []):
                run = run_from_item(from_item(raw) or {})
                if run.options == options and run.source == "cli" and run.chunks_total is None:
                    return run
            last = response.get("LastEvaluatedKey")
            if not last:
                return None
            params["ExclusiveStartKey"] = last


def _start_key(cursor: str | None) -> dict[str, str] | None:
    if not cursor:
        return None
    key = cursors.decode(cursor).get("key")
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "listed", "started_key"}
        or key.get("listed") != RUNS_LISTED
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise cursors.InvalidCursor("next_token does not belong to this query")
    return key

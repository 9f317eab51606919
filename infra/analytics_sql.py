"""``oms sql``: the SQL of Athena's named queries (or any SELECT) on DuckDB, over the nightly analytics
export copied from the analytics bucket.

DuckDB's httpfs extension cannot be downloaded here, so the export's objects are copied with boto3 into a
cache directory first (``sync``: only objects whose ETag changed, and local copies of objects gone from
the bucket removed), then views ``orders``, ``lines`` and ``stockouts`` are made over them with the
columns of ``shared.analytics.layout`` (``read_json`` with explicit types: money into ``DECIMAL(18,2)``
from its JSON strings, exactly) and the business day as the hive partition ``day`` (a string, as in
Athena's tables). The query runs in memory; nothing is written back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.analytics.layout import EXPORT_PREFIX, PARTITION, TABLES, ColumnKind, ExportTable

DUCKDB_TYPES: dict[ColumnKind, str] = {
    "string": "VARCHAR",
    "money": "DECIMAL(18,2)",
    "count": "BIGINT",
    "flag": "BOOLEAN",
    "strings": "VARCHAR[]",
}
ETAGS = ".etags.json"  # the cache's record of the ETag of each object it holds


@dataclass(frozen=True)
class Synced:
    objects: int  # in the bucket, under the export's prefix
    downloaded: int
    removed: int


def sync(s3: Any, bucket: str, cache: Path) -> Synced:
    """Make ``cache`` hold exactly the export's objects of ``bucket`` (same keys as paths)."""
    cache.mkdir(parents=True, exist_ok=True)
    etags_file = cache / ETAGS
    known: dict[str, str] = json.loads(etags_file.read_text()) if etags_file.exists() else {}
    remote: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=EXPORT_PREFIX):
        for obj in page.get("Contents", []):
            remote[str(obj["Key"])] = str(obj["ETag"])
    downloaded = 0
    root = cache.resolve()
    for key, etag in remote.items():
        path = cache / key
        if not path.resolve().is_relative_to(root):  # a key with ".." must not write outside the cache
            raise ValueError(f"refusing the object {key!r}: it names a path outside the cache")
        if known.get(key) == etag and path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
        known[key] = etag
        downloaded += 1
    removed = 0
    for key in [k for k in known if k not in remote]:
        (cache / key).unlink(missing_ok=True)
        del known[key]
        removed += 1
    etags_file.write_text(json.dumps(known, indent=0, sort_keys=True))
    return Synced(len(remote), downloaded, removed)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(table: ExportTable, cache: Path) -> str:
    """The DuckDB view of one export table over the cache (an empty view of the same columns when the
    cache holds none of its objects yet)."""
    files = sorted((cache / table.prefix).glob(f"{PARTITION}=*/*.json.gz"))
    if not files:
        columns = ", ".join(f"CAST(NULL AS {DUCKDB_TYPES[c.kind]}) AS {c.name}" for c in table.columns)
        # Names from shared.analytics.layout only: nothing of the user's is in the statement.
        empty = f"SELECT {columns}, CAST(NULL AS VARCHAR) AS {PARTITION} WHERE false"
        return f"CREATE OR REPLACE VIEW {table.name} AS {empty}"
    types = ", ".join(f"{_quote(c.name)}: {_quote(DUCKDB_TYPES[c.kind])}" for c in table.columns)
    pattern = (cache / table.prefix).as_posix() + f"/{PARTITION}=*/*.json.gz"
    # The layout's names and the cache's path (quoted): nothing of the user's is in the statement.
    return (
        f"CREATE OR REPLACE VIEW {table.name} AS SELECT * FROM read_json({_quote(pattern)}, "  # noqa: S608
        f"format = 'newline_delimited', compression = 'gzip', columns = {{{types}}}, "
        f"hive_partitioning = true, hive_types = {{{_quote(PARTITION)}: 'VARCHAR'}})"
    )


def connect(cache: Path) -> Any:
    """An in-memory DuckDB with the export's views over ``cache``."""
    import duckdb

    db = duckdb.connect(":memory:")
    for table in TABLES:
        db.execute(view_sql(table, cache))
    return db


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def run(cache: Path, sql: str) -> Result:
    db = connect(cache)
    try:
        cursor = db.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return Result(columns, cursor.fetchall())
    finally:
        db.close()

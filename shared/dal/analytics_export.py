"""The analytics export's I/O: gzipped JSON Lines objects in the analytics bucket, and the stock-out days
the inventory aggregates record (``INVENTORY_STATS``: ``STOCKOUT#{day}`` / ``SKU#{sku}`` items with
``sku``, ``day`` and ``locations``), read one day's partition at a time (a Query, never a Scan).

An object is written whole, streamed: gzip into an S3 multipart upload (``MultipartWriter``), so a day of
any size holds one part in memory. The gzip header carries no time and no file name: the same rows give
the same bytes, so exporting a day again changes nothing unless its orders changed.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from shared.dal import keys
from shared.dal.dynamo import from_item, to_values
from shared.dal.report_files import MultipartWriter

CONTENT_TYPE = "application/gzip"
# The stock-out days' partition key (the inventory performance aggregates, issue 18).


class GzipObject:
    """One gzipped object being written: ``write`` bytes, then leave the ``with`` block to finish it (an
    error aborts the upload: nothing half-written replaces the day's object)."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self._upload = MultipartWriter(client, bucket, key, CONTENT_TYPE)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._upload, mtime=0)
        self.records = 0

    def write(self, record: bytes) -> None:
        self._gzip.write(record)
        self.records += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self._gzip.close()
            self._upload.finish()
        else:
            self._upload.abort()
        self._upload.close()


class AnalyticsFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def writer(self, key: str) -> GzipObject:
        return GzipObject(self._s3, self.bucket, key)


@dataclass(frozen=True)
class Stockout:
    sku: str
    locations: tuple[str, ...]


class StockoutDays:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self.items_read = 0

    def stockouts_on(self, day: str) -> Iterator[Stockout]:
        """The SKUs whose available stock reached 0 on a business day, and where."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_values({":pk": keys.stock_out_pk(day)}),
        }
        while True:
            response = self._db.query(**params)
            self.items_read += int(response.get("Count", 0))
            for raw in response.get("Items", []):
                item = from_item(raw) or {}
                yield Stockout(str(item["sku"]), _locations(item.get("locations")))
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _locations(value: Any) -> tuple[str, ...]:
    """A string set or list of location names (a single name, or none, taken as they come)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(str(v) for v in value))

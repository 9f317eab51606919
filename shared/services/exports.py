"""``oms export DIR``: a shop's data as this OMS's own files, which ``oms import DIR --format oms`` reads
back into an empty stack with nothing lost.

    products.csv      oms-products   every product: SKU, name, price, status, low-stock threshold
    stock.csv         oms-stock      units on hand per SKU and location (reserved units are not stock to
                                     import: the open orders reserve them again as they are imported)
    customers.jsonl   oms-customers  every customer with an email (an erased customer has none left: it
                                     is counted in the manifest and not exported; no personal data
                                     comes back)
    orders.jsonl      oms-orders     every order, whole (history, shipments, returns, refunds), or the
                                     orders placed in ``--from``..``--to`` (business days)
    manifest.json     what was exported: counts per kind, each file's SHA-256 and size, when, the range

Everything streams: the sources yield page by page, the writers (``shared.transfer.oms``) write record by
record, and a file is hashed as it is written. Each file is written under a temporary name and renamed
when complete, the manifest last: a directory with a manifest holds a whole export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from shared.dal.inventory import levels_of
from shared.domain.moments import utc_text
from shared.models.imports import KINDS, CustomerImport, Kind, ProductRecord, StockRecord
from shared.models.orders import Address, Order
from shared.reports.days import day_range

FILE_NAMES: Mapping[Kind, str] = {
    "products": "products.csv",
    "stock": "stock.csv",
    "customers": "customers.jsonl",
    "orders": "orders.jsonl",
}
FORMATS: Mapping[Kind, str] = {kind: f"oms-{kind}" for kind in KINDS}
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
DEFAULT_STATUS = "active"  # a product recorded before products had a status


class ExportSources(Protocol):
    def product_items(self) -> Iterator[Mapping[str, Any]]: ...  # catalog product items, stock included

    def customer_profiles(self) -> Iterator[Mapping[str, Any]]: ...

    def orders(self, start: str | None, end: str | None) -> Iterator[Order]: ...  # placed in [start, end)


@dataclass(frozen=True)
class Writers:
    """The oms-* writers (``shared.transfer.oms``): each writes its records to a binary stream and says
    how many it wrote."""

    products: Callable[[IO[bytes], Iterable[ProductRecord]], int]
    stock: Callable[[IO[bytes], Iterable[StockRecord]], int]
    customers: Callable[[IO[bytes], Iterable[CustomerImport]], int]
    orders: Callable[[IO[bytes], Iterable[Order]], int]


@dataclass(frozen=True)
class Range:
    first: dt.date
    last: dt.date
    tz: ZoneInfo

    def window(self) -> tuple[str, str]:
        return day_range(self.first, self.last, self.tz)


@dataclass(frozen=True)
class ExportedFile:
    kind: Kind
    file: str
    format: str
    count: int
    sha256: str
    bytes: int


@dataclass
class Export:
    directory: Path
    exported_at: str
    range: Range | None
    files: list[ExportedFile] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # what was not exported, and why (as a name)

    def manifest(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "exported_at": self.exported_at,
            "range": None
            if self.range is None
            else {
                "from": self.range.first.isoformat(),
                "to": self.range.last.isoformat(),
                "timezone": str(self.range.tz),
                "orders": "placed on these business days",
            },
            "files": {
                f.kind: {
                    "file": f.file,
                    "format": f.format,
                    "count": f.count,
                    "sha256": f.sha256,
                    "bytes": f.bytes,
                }
                for f in self.files
            },
            "skipped": self.skipped,
        }


class _Hashing:
    """A binary stream that hashes and counts what goes through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._stream.write(data)


def product_record(item: Mapping[str, Any]) -> ProductRecord:
    threshold = item.get("low_stock_threshold")
    return ProductRecord(
        sku=str(item["pk"]),
        name=str(item["name"]),
        price=item["price"],
        status=item.get("status") or DEFAULT_STATUS,
        low_stock_threshold=int(threshold) if threshold is not None else None,
    )


def stock_records(item: Mapping[str, Any]) -> Iterator[StockRecord]:
    """The units on hand at each location a product item records (none: never stocked anywhere)."""
    for location, level in sorted(levels_of(item).items()):
        if level.on_hand is not None:
            yield StockRecord(sku=str(item["pk"]), location=location, on_hand=max(level.on_hand, 0))


def customer_record(profile: Mapping[str, Any]) -> CustomerImport | None:
    """A customer as oms-customers holds it; None for an erased one (its email is gone)."""
    email = profile.get("email")
    if not email or profile.get("erased_at"):
        return None
    consent = profile.get("accepts_email_marketing")
    return CustomerImport(
        email=str(email),
        name=profile.get("name"),
        phone=profile.get("phone"),
        addresses=[Address.model_validate(a) for a in profile.get("addresses") or []],
        accepts_email_marketing=None if consent is None else bool(consent),
        customer_id=str(profile["customer_id"]),
        first_channel=profile.get("first_channel"),
        order_count=int(profile.get("order_count") or 0),
        created_at=profile.get("created_at"),
        last_order_at=profile.get("last_order_at"),
    )


class ExportService:
    def __init__(self, sources: ExportSources, writers: Writers, clock: Callable[[], dt.datetime]) -> None:
        self._sources = sources
        self._writers = writers
        self._clock = clock

    def export(
        self,
        directory: Path,
        what: Iterable[Kind] = KINDS,
        period: Range | None = None,
        progress: Callable[[Kind, int], None] = lambda kind, count: None,
    ) -> Export:
        wanted = [kind for kind in KINDS if kind in set(what)]
        directory.mkdir(parents=True, exist_ok=True)
        done = Export(directory, utc_text(self._clock()), period)
        for kind in wanted:
            done.files.append(self._write(done, kind, progress))
        _replace(directory / MANIFEST, json.dumps(done.manifest(), indent=2).encode() + b"\n")
        return done

    def _records(self, done: Export, kind: Kind) -> Iterator[Any]:
        if kind == "products":
            yield from (product_record(item) for item in self._sources.product_items())
        elif kind == "stock":
            for item in self._sources.product_items():
                yield from stock_records(item)
        elif kind == "customers":
            erased = 0
            for profile in self._sources.customer_profiles():
                record = customer_record(profile)
                if record is None:
                    erased += 1
                else:
                    yield record
            done.skipped["erased_customers"] = erased
        else:
            start, end = done.range.window() if done.range else (None, None)
            yield from self._sources.orders(start, end)

    def _write(self, done: Export, kind: Kind, progress: Callable[[Kind, int], None]) -> ExportedFile:
        name = FILE_NAMES[kind]
        path = done.directory / name
        partial = path.with_name(name + ".part")
        writer: Callable[[IO[bytes], Iterable[Any]], int] = getattr(self._writers, kind)
        counted = 0

        def counting(records: Iterator[Any]) -> Iterator[Any]:
            nonlocal counted
            for record in records:
                counted += 1
                if counted % 1000 == 0:
                    progress(kind, counted)
                yield record

        with partial.open("wb") as raw:
            stream = _Hashing(raw)
            count = writer(stream, counting(self._records(done, kind)))  # type: ignore[arg-type]
        os.replace(partial, path)
        progress(kind, count)
        return ExportedFile(kind, name, FORMATS[kind], count, stream.digest.hexdigest(), stream.size)


def _replace(path: Path, body: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(body)
    os.replace(partial, path)


def read_manifest(directory: Path) -> dict[str, Any]:
    """An export's manifest (``oms import DIR`` reads it to find the files, in order)."""
    return dict(json.loads((directory / MANIFEST).read_text(encoding="utf-8")))

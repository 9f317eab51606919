"""`make bench`: what an import costs (issue 15). Measured, printed, never asserted with timers.

* rows per second importing 10k Shopify products and 10k Shopify orders, ``oms import``'s whole path
  (check, then apply, the run checkpointed) against the in-process endpoint (moto's ``mock_aws``, as
  the orders lines above), the files generated like the fixtures (tests/support/shopify_files.py);
* DynamoDB write units per imported order beside a live order's (``POST /orders``), priced from the
  requests sent: a transaction's items 2 WCU per started KB, a plain or batched write 1 per started KB
  (updated items read back to size them), the run record's checkpoints included;
* the importer's peak memory (tracemalloc) over 10k and 100k order rows: the file read, checked and
  applied in batches, the writers answering at once (nothing kept: only the importer's own memory
  counts, as the orders_export line fakes S3), the run record in moto.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from tests.bench.__main__ import line, quiet

PRODUCTS = 10_000
ORDERS = 10_000
SKUS = 300  # the SKUs orders are drawn from
UNIT_ORDERS = 200  # orders whose write units are priced one by one
MEMORY_ROWS = (10_000, 50_000)  # 100k rows take over a minute under tracemalloc: 50k shows the slope
NOW = dt.datetime.now(dt.UTC)


class WriteMeter:
    """The write units of every DynamoDB write sent through one client (botocore events)."""

    def __init__(self, dynamodb: Any) -> None:
        self._db = dynamodb
        self.writes: list[tuple[str, dict[str, Any]]] = []
        dynamodb.meta.events.register("before-parameter-build.dynamodb", self)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in ("TransactWriteItems", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem"):
            self.writes.append((model.name, dict(params)))

    def units(self, sizer: Any) -> int:
        """The write units of what was sent, ``sizer`` (a client not metered) reading updated items back."""
        from tests.support.local_aws import item_size, transaction_write_units

        def kb(item: dict[str, Any]) -> int:
            return max(1, -(-item_size(item) // 1024))

        total = 0
        for name, params in self.writes:
            if name == "TransactWriteItems":
                total += transaction_write_units(sizer, list(params["TransactItems"]))
            elif name == "BatchWriteItem":
                for requests in params["RequestItems"].values():
                    for request in requests:
                        put = request.get("PutRequest")
                        total += kb(put["Item"]) if put else 1
            elif name == "PutItem":
                total += kb(params["Item"])
            elif name == "UpdateItem":
                found = sizer.get_item(TableName=params["TableName"], Key=params["Key"]).get("Item")
                total += kb(found or params["Key"])
            else:
                total += 1
        return total


def _where(dynamodb: Any) -> Any:
    import boto3

    from infra.importing import Where
    from infra.spec import EVENTS

    return Where(dynamodb, boto3.client("events"), lambda table: table.local_name, EVENTS.name, "USD")


def _import(service: Any, path: Path, fmt: str) -> tuple[float, Any]:
    from rich.console import Console

    from infra.importing import Request, import_file

    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115 - closed with the console's process
    start = time.perf_counter()
    code, run = import_file(Request(path, fmt, currency="USD"), lambda: service, console, live=False)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise AssertionError(f"{path.name}: exit {code}, {run.counts}")
    return elapsed, run


def throughput_and_units() -> None:
    import boto3

    from infra.importing import import_service
    from tests.support.http import ApiClient
    from tests.support.local_aws import RequestCounter, local_aws
    from tests.support.shopify_files import make_orders, orders_csv, products_csv, variants

    items = variants(PRODUCTS)
    with TemporaryDirectory() as tmp, local_aws(), quiet():
        folder = Path(tmp)
        products_csv(folder / "products.csv", items)
        orders = make_orders(ORDERS, items[:SKUS], now=NOW)
        rows = orders_csv(folder / "orders.csv", orders)
        unit_orders = make_orders(UNIT_ORDERS, items[:SKUS], now=NOW, seed=99)
        orders_csv(folder / "units.csv", [replace(o, name=f"#U{o.name[1:]}") for o in unit_orders])

        dynamodb = boto3.client("dynamodb")
        service = import_service(_where(dynamodb))
        product_s, product_run = _import(service, folder / "products.csv", "shopify-products")
        order_s, _ = _import(service, folder / "orders.csv", "shopify-orders")

        metered = boto3.client("dynamodb")
        meter = WriteMeter(metered)
        _import(import_service(_where(metered)), folder / "units.csv", "shopify-orders")
        imported_units = meter.units(dynamodb) / UNIT_ORDERS

        # The same orders arriving live, as a connected Shopify store sends them (the feed's path), under
        # other order names: a fair comparison prices the same lines, addresses and customers.
        live_units = _live_units(folder / "units.csv", dynamodb)
        web = ApiClient("dev-web-key")
        counter = RequestCounter()
        small = {
            "customer": {"email": "bench@example.com", "name": "Bench"},
            "lines": [{"sku": items[0].sku, "quantity": 1}],
        }
        counter.reset()
        for _ in range(20):
            web.post("/orders", small)
        small_units = counter.write_units(dynamodb) / 20
    line(
        f"import rows per second, {PRODUCTS // 1000}k Shopify products",
        f"{PRODUCTS / product_s:,.0f}",
        f"{product_s:.1f} s, check and apply; {product_run.counts.get('products')} in moto",
    )
    line(
        f"import rows per second, {ORDERS // 1000}k Shopify orders",
        f"{rows / order_s:,.0f}",
        f"{rows} rows in {order_s:.1f} s ({ORDERS / order_s:,.0f} orders/s), check and apply, in moto",
    )
    line(
        "write units per imported order",
        f"{imported_units:.1f}",
        f"beside {live_units:.1f} for the same orders arriving live (the Shopify feed); target: no more; "
        f"{UNIT_ORDERS} orders of every kind, the run's checkpoints included (a one-line POST /orders: "
        f"{small_units:.1f})",
    )


def _live_units(path: Path, sizer: Any) -> float:
    """Write units per order of the orders in ``path`` applied live (ChannelOrderService, no import mode)."""
    import boto3

    from infra.spec import CATALOG, CUSTOMERS, ORDERS
    from shared.config import settings
    from shared.dal.catalog import CatalogStore
    from shared.dal.listings import ListingStore
    from shared.dal.orders import OrderStore
    from shared.services.channel_orders import ChannelOrderService
    from shared.transfer.files import rows
    from shared.transfer.formats import format_of
    from shared.transfer.records import Entry, ReadOptions

    metered = boto3.client("dynamodb")
    meter = WriteMeter(metered)
    live = ChannelOrderService(
        OrderStore(metered, ORDERS.local_name, CATALOG.local_name, CUSTOMERS.local_name),
        CatalogStore(metered, CATALOG.local_name),
        ListingStore(metered, CATALOG.local_name),
        settings(),
    )
    fmt = format_of("shopify-orders")
    count = 0
    with path.open("rb") as stream:
        for parsed in fmt.entries(
            rows(stream, "csv"), ReadOptions(channel=None, location="default", currency="USD")
        ):
            if isinstance(parsed, Entry):
                document = parsed.record.model_copy(
                    update={"external_id": f"live-{parsed.record.external_id}"}
                )  # type: ignore[union-attr]
                live.apply(document)  # type: ignore[arg-type]
                count += 1
    return meter.units(sizer) / max(count, 1)


class _Instant:
    """A writer that answers every entry at once and keeps nothing (the importer's memory alone)."""

    def write(self, entries: Sequence[Any], provenance: Any) -> list[Any]:
        from shared.services.import_writes import Written

        return [Written(e, "created", money=e.file_totals) for e in entries]

    def check(self, entries: Sequence[Any]) -> dict[str, tuple[str, ...]]:
        return {}


def _memory_peak(rows: int, folder: Path) -> tuple[float, int, float]:
    import boto3

    from infra.importing import Request, import_file
    from infra.spec import EVENTS, IMPORTS
    from shared.dal.events import EventPublisher
    from shared.dal.imports import ImportRunStore
    from shared.models.events import IMPORTS_SOURCE
    from shared.models.imports import KINDS
    from shared.services.imports import ImportService
    from tests.support.shopify_files import make_orders, orders_csv, variants

    path = folder / f"orders-{rows}.csv"
    items = variants(SKUS)
    written = orders_csv(path, make_orders(rows // 2, items, now=NOW, seed=rows))
    service = ImportService(
        ImportRunStore(boto3.client("dynamodb"), IMPORTS.local_name),
        {kind: _Instant() for kind in KINDS},
        {kind: _Instant() for kind in KINDS},
        EventPublisher(boto3.client("events"), EVENTS.name, IMPORTS_SOURCE),
    )
    from rich.console import Console

    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    tracemalloc.start()
    start = time.perf_counter()
    try:
        code, run = import_file(
            Request(path, "shopify-orders", currency="USD"), lambda: service, console, live=False
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if code != 0 or run.rows_done != written:
        raise AssertionError(f"exit {code}, {run.rows_done} of {written} rows")
    return peak / 1024 / 1024, written, time.perf_counter() - start


def import_memory() -> None:
    from tests.support.local_aws import local_aws

    with TemporaryDirectory() as tmp, local_aws(), quiet():
        peaks = [(_memory_peak(rows, Path(tmp))) for rows in MEMORY_ROWS]
    for peak, rows, seconds in peaks:
        line(
            f"import peak memory, {rows / 1000:.0f}k order rows",
            f"{peak:.1f} MiB",
            f"target: flat; writers answer at once, {seconds:.0f} s under tracemalloc",
        )


def main() -> None:
    throughput_and_units()
    import_memory()

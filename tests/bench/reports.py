"""`make bench`, reports: what a report costs.

* orders_export peak memory (tracemalloc) for 10k and 100k lines: the real reader, rows, CSV writer and
  multipart writer, with DynamoDB answering pages of real order items from a generator and S3 taking
  the parts and dropping them (AWS calls faked, so only this process's own memory is measured);
* items read per report against the items its period holds, against moto;
* the daily_sales read cost (requests and items) for a day of 1k and a day of 100k orders, against moto.
"""

from __future__ import annotations

import functools
import random
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.dal.orders import order_item
from shared.models.orders import HistoryEntry, Order, OrderLine
from tests.bench.__main__ import line, quiet

PAGE_BYTES = 1024 * 1024  # DynamoDB's page size
LINES_PER_ORDER = 5
SKUS = [f"SKU-{n:03d}" for n in range(50)]
CHANNELS = ["web", "pos", "ebay"]
CURRENCIES = ["USD", "EUR"]
DAY = "2026-11-23"
UTC = ZoneInfo("UTC")


def _order(n: int, day: str = DAY, lines: int = LINES_PER_ORDER) -> Order:
    rng = random.Random(n)
    created = f"{day}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z"
    order_lines = []
    for sku in rng.sample(SKUS, lines):
        quantity, price = rng.randint(1, 3), Decimal(rng.randint(100, 9999)) / 100
        order_lines.append(
            OrderLine(sku=sku, quantity=quantity, unit_price=price, line_total=price * quantity)
        )
    status = "CANCELLED" if n % 10 == 0 else "CONFIRMED"
    history = [HistoryEntry(status="CONFIRMED", at=created, actor="bench")]
    if status == "CANCELLED":
        history.append(HistoryEntry(status="CANCELLED", at=created, actor="bench"))
    return Order(
        order_id=f"bench-{n:07d}",
        status=status,
        channel=CHANNELS[n % 3],
        currency=CURRENCIES[n % 2],
        customer_id=f"c-{n % 977}",
        lines=order_lines,
        total=sum((item.line_total for item in order_lines), Decimal(0)),
        created_at=created,
        updated_at=created,
        history=history,
    )


# --- orders_export peak memory ----------------------------------------------------------------


class PagedOrders:
    """The orders table's by_day index as DynamoDB pages it (about 1 MB a page), items made on demand."""

    def __init__(self, orders: int) -> None:
        self._orders = orders
        self._next = 0
        self.per_page = max(1, PAGE_BYTES // len(str(order_item(_order(0)))))

    def query(self, **params: Any) -> dict[str, Any]:
        if "ExclusiveStartKey" not in params:
            self._next = 0
        page = range(self._next, min(self._next + self.per_page, self._orders))
        self._next = page.stop
        response: dict[str, Any] = {"Items": [order_item(_order(n)) for n in page], "Count": len(page)}
        if self._next < self._orders:
            response["LastEvaluatedKey"] = {"n": self._next}
        return response


class DroppingS3:
    """Takes parts and forgets them: what S3 holds is not this process's memory."""

    def __init__(self) -> None:
        self.bytes = 0
        self.parts = 0

    def create_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"UploadId": "bench"}

    def upload_part(self, Body: bytes, **_: Any) -> dict[str, Any]:
        self.bytes += len(Body)
        self.parts += 1
        return {"ETag": str(self.parts)}

    def complete_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {}

    def put_object(self, Body: bytes, **_: Any) -> dict[str, Any]:
        self.bytes += len(Body)
        self.parts += 1
        return {}

    def abort_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {}


def _export_peak(lines: int) -> tuple[float, DroppingS3]:
    from shared.dal.report_files import MultipartWriter
    from shared.dal.report_sources import OrderPeriods
    from shared.reports.export import export_rows
    from shared.reports.render import write_export_csv

    orders = OrderPeriods(PagedOrders(lines // LINES_PER_ORDER), "oms-orders")
    s3 = DroppingS3()

    def rows() -> Iterator[Any]:
        for order in orders.created_between(f"{DAY}T00:00:00.000000Z", "2026-11-24T00:00:00.000000Z"):
            yield from export_rows(order, UTC)

    tracemalloc.start()
    try:
        with MultipartWriter(s3, "bench", "reports/orders_export/bench.csv", "text/csv") as out:
            written = write_export_csv(rows(), out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if written != lines:
        raise AssertionError(f"wrote {written} lines, expected {lines}")
    return peak / 1024 / 1024, s3


def export_memory() -> None:
    for lines in (10_000, 100_000):
        peak, s3 = _export_peak(lines)
        line(
            f"orders_export peak memory, {lines // 1000}k lines",
            f"{peak:.1f} MiB",
            f"target: flat; {s3.bytes / 1024 / 1024:.1f} MiB of CSV in {s3.parts} part(s), AWS calls faked",
        )


# --- items read per report, and the daily_sales read cost -------------------------------------


def _seed_counters(dynamodb: Any, orders: Iterator[Order]) -> int:
    """The day's counters, as the stream would leave them: the pure fold of the orders' contributions
    (the stream's path is tested to equal it). Returns the counter items written."""
    from infra.spec import DAILY_SALES
    from shared.dal.dynamo import to_item
    from shared.reports.sales import recount

    counters = recount(orders, UTC)
    items = [
        {"PutRequest": {"Item": to_item({"pk": f"DAY#{day}", "sk": what, **fields})}}
        for (day, what), fields in counters.items()
    ]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={DAILY_SALES.local_name: items[start : start + 25]})
    return len(items)


def _counted(builder_step: Any) -> tuple[Any, list[str]]:
    from shared.aws import client

    calls: list[str] = []

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append(model.name)

    events = client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb", count)
    try:
        return builder_step(), calls
    finally:
        events.unregister("before-parameter-build.dynamodb", count)


def _report(report_type: str, first: str, last: str) -> Any:
    from shared.models.reports import Report

    return Report(
        report_id="bench",
        type=report_type,  # type: ignore[arg-type]
        period=first if first == last else f"{first}_{last}",
        period_start=first,
        period_end=last,
        timezone="UTC",
        status="PENDING",
        source="api",
        requested_at="2026-11-24T01:00:00.000000Z",
        requested_by="bench",
    )


def items_read() -> None:
    from functions.api.wiring import catalog_store
    from functions.reports import wiring
    from infra.spec import ORDERS
    from tests.support.local_aws import local_aws

    found: list[tuple[str, str, str]] = []
    with local_aws() as dynamodb, quiet():
        in_period = [_order(n, DAY, 2) for n in range(300)]
        others = [_order(n, day, 2) for day in ("2026-11-22", "2026-11-24") for n in range(300, 500)]
        for order in in_period + others:
            dynamodb.put_item(TableName=ORDERS.local_name, Item=order_item(order))
        counters = _seed_counters(dynamodb, iter(in_period))
        builder = wiring.report_builder()
        export = builder._orders()
        _, calls = _counted(
            lambda: sum(
                1 for _ in export.created_between(f"{DAY}T00:00:00.000000Z", "2026-11-24T00:00:00.000000Z")
            )
        )
        found.append(
            (
                "items read per orders_export (1 day)",
                f"{export.items_read}",
                f"{len(in_period)} in the period, {len(others)} on the days around; {len(calls)} Query",
            )
        )
        store = wiring.sales_store()
        before = store.items_read
        store.day(DAY)
        found.append(
            (
                "items read per daily_sales",
                f"{store.items_read - before}",
                f"{counters} counter items on the day, {len(in_period)} orders",
            )
        )
        catalog = catalog_store()
        for sku in SKUS:
            catalog.put_product(sku, sku.title(), Decimal("9.99"), "2026-11-24T00:00:00.000000Z")
        before = store.items_read
        # the window is 2026-11-17..23: only the 23rd has counters (the 22nd's orders were not folded)
        (_, products_read), _ = _counted(
            lambda: builder.figures(_report("inventory", "2026-11-24", "2026-11-24"))
        )
        found.append(
            (
                "items read per inventory",
                f"{products_read + store.items_read - before}",
                f"{len(SKUS)} products (keys + items), {store.items_read - before} counters in the window",
            )
        )
    for name, value, note in found:
        line(name, value, note)


def daily_sales_read_cost() -> None:
    from functions.reports import wiring
    from tests.support.local_aws import local_aws

    for orders in (1_000, 100_000):
        with local_aws() as dynamodb, quiet():
            counters = _seed_counters(dynamodb, (_order(n) for n in range(orders)))
            builder = wiring.report_builder()
            store = wiring.sales_store()
            step = functools.partial(builder.figures, _report("daily_sales", DAY, DAY))
            (figures, _), calls = _counted(step)
        line(
            f"daily_sales read cost, a day of {orders // 1000}k orders",
            f"{len(calls)} req",
            f"{store.items_read} items ({counters} counters); target: the same for 1k and 100k",
        )
        # orders counts those placed less those cancelled that day (a tenth here): with them, every one
        if sum(c.totals.orders + c.totals.cancelled_orders for c in figures.currencies) != orders:
            raise AssertionError("the figures do not count every order")


def main() -> None:
    export_memory()
    items_read()
    daily_sales_read_cost()

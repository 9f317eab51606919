"""The writers' retries with fakes: throttled reads and writes are retried with backoff (never dropped,
never reported as refusals), and a batch that keeps failing stops the run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.dal.catalog import ProductState, ProductWrite
from shared.dal.dynamo import Throttled, batch_get
from shared.services.import_writers import ProductWriter, WriteFailed, count_update_id
from shared.services.import_writes import Provenance
from tests.support.imports import Lines, product

PROVENANCE = Provenance("imp-1", datetime(2026, 12, 6, tzinfo=UTC))


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, operation)


class FlakyBatchGet:
    """A DynamoDB client whose BatchGetItem answers from ``items``, throttled as scripted: an error, or
    only the first key processed (the rest handed back as UnprocessedKeys)."""

    def __init__(self, items: dict[str, dict[str, Any]], script: list[str]) -> None:
        self.items = items
        self.script = script
        self.requests: list[int] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        (table, request), *_ = RequestItems.items()
        self.requests.append(len(request["Keys"]))
        step = self.script.pop(0) if self.script else "ok"
        if step == "error":
            raise throttled("BatchGetItem")
        keys = request["Keys"] if step == "ok" else request["Keys"][:1]
        rest = [] if step == "ok" else request["Keys"][1:]
        found = [self.items[k["pk"]["S"]] for k in keys if k["pk"]["S"] in self.items]
        return {
            "Responses": {table: found},
            "UnprocessedKeys": {table: {**request, "Keys": rest}} if rest else {},
        }


def keys(*names: str) -> list[dict[str, Any]]:
    return [{"pk": {"S": n}, "sk": {"S": "SKU"}} for n in names]


def test_batch_get_retries_throttling_and_unprocessed_keys() -> None:
    items = {n: {"pk": {"S": n}, "sk": {"S": "SKU"}} for n in "ABC"}
    fake = FlakyBatchGet(items, ["error", "partial", "ok"])
    pauses: list[float] = []
    found = batch_get(fake, "t", keys("A", "B", "C", "D"), sleep=pauses.append)
    assert sorted(i["pk"] for i in found) == ["A", "B", "C"]
    assert fake.requests == [4, 4, 3] and len(pauses) == 2


def test_batch_get_gives_up_when_nothing_gets_through() -> None:
    fake = FlakyBatchGet({}, ["error"] * 20)
    with pytest.raises(Throttled):
        batch_get(fake, "t", keys("A"), sleep=lambda _: None)


def test_batch_get_asks_for_at_most_a_hundred_keys_at_once() -> None:
    fake = FlakyBatchGet({}, [])
    batch_get(fake, "t", keys(*(f"S{n}" for n in range(250))), sleep=lambda _: None)
    assert fake.requests == [100, 100, 50]


class ThrottledCatalog:
    """``ProductStates`` throttled ``throttles`` times (reads and writes alternately), then fine."""

    def __init__(self, throttles: int) -> None:
        self.throttles = throttles
        self.written: list[list[str]] = []

    def states(self, skus: Sequence[str]) -> dict[str, ProductState]:
        if self.throttles:
            self.throttles -= 1
            raise Throttled("BatchGetItem")
        return {"OLD": ProductState("Product OLD", Decimal("1.00"), None, None)}

    def write(self, writes: Sequence[ProductWrite], now: str) -> list[str] | None:
        if self.throttles:
            self.throttles -= 1
            raise Throttled("TransactWriteItems")
        self.written.append([w.sku for w in writes])
        return None


def test_a_throttled_product_batch_is_retried_not_refused() -> None:
    store = ThrottledCatalog(throttles=3)
    lines = Lines()
    entries = [product(lines, "NEW"), product(lines, "OLD", "1.00"), product(lines, "OLD2")]
    written = ProductWriter(store, sleep=lambda _: None).write(entries, PROVENANCE)
    assert [w.outcome for w in written] == ["created", "unchanged", "created"]
    assert store.written == [["NEW", "OLD2"]]


def test_a_batch_throttled_past_the_retries_stops_the_run() -> None:
    with pytest.raises(WriteFailed):
        ProductWriter(ThrottledCatalog(throttles=99), sleep=lambda _: None).write(
            [product(Lines(), "NEW")], PROVENANCE
        )


def test_a_key_twice_in_a_batch_is_written_in_order_in_two_rounds() -> None:
    store = ThrottledCatalog(throttles=0)
    lines = Lines()
    written = ProductWriter(store, sleep=lambda _: None).write(
        [product(lines, "A", "1.00"), product(lines, "B"), product(lines, "A", "2.00")], PROVENANCE
    )
    assert store.written == [["A", "B"], ["A"]] and len(written) == 3


def test_an_imports_count_has_one_update_id_per_sku_and_location() -> None:
    assert count_update_id("imp", "A", "berlin") == count_update_id("imp", "A", "berlin")
    assert (
        len(
            {
                count_update_id("imp", "A", "x"),
                count_update_id("imp", "A", "y"),
                count_update_id("i2", "A", "x"),
            }
        )
        == 3
    )

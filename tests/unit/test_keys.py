"""shared/dal/keys.py: every key prefix is added and taken off in one place, and reads back what it wrote."""

from __future__ import annotations

import pytest

from infra.description import StreamTrigger
from infra.spec import INVENTORY_EVENTS, ORDER_EVENTS, REPORTS_FUNCTION, SALES_AGGREGATES
from shared.dal import keys
from shared.dal.keys import Counter, counter_key, order_id_of, parse_counter


def test_an_order_items_keys_give_back_its_order_id() -> None:
    item = {name: value["S"] for name, value in keys.order_key("0192-A#7").items()}

    assert item == {"pk": "ORDER#0192-A#7", "sk": "ORDER"}
    assert order_id_of(item) == "0192-A#7"


@pytest.mark.parametrize(
    "item_keys",
    [
        {name: value["S"] for name, value in keys.claim_key("idempotency", "web", "k1").items()},
        {name: value["S"] for name, value in keys.claim_key("external", "web", "E1").items()},
        {name: value["S"] for name, value in keys.applied_key("O1").items()},  # daily sales' marker
        {"pk": "O1", "sk": "ORDER"},
        {},
    ],
)
def test_keys_of_anything_but_an_order_item_give_no_order_id(item_keys: dict[str, str]) -> None:
    assert order_id_of(item_keys) is None


@pytest.mark.parametrize(
    ("counter", "sort_key"),
    [
        (Counter("TOTAL", currency="EUR"), "TOTAL#EUR"),
        (Counter("CHANNEL", "shop-us", "USD"), "CHANNEL#shop-us#USD"),
        (Counter("SKU", "TEE#RED%", "GBP"), "SKU#TEE%23RED%25#GBP"),
        (Counter("STATUS", "CONFIRMED"), "STATUS#CONFIRMED"),
    ],
)
def test_a_counters_sort_key_reads_back_as_the_counter(counter: Counter, sort_key: str) -> None:
    assert counter_key(counter) == sort_key
    assert parse_counter(sort_key) == counter


def test_a_sort_key_of_no_known_counter_reads_as_none() -> None:
    assert parse_counter("APPLIED") is None
    assert parse_counter("WHAT#x#USD") is None


def test_a_waiting_entrys_sort_key_gives_back_when_it_started_waiting() -> None:
    sort_key = keys.wait_key("SKU#1", "2026-01-01T00:00:00.000Z#O1")["sk"]["S"]

    assert keys.waiting_since(sort_key) == "2026-01-01T00:00:00.000Z#O1"


def test_the_stream_filters_name_the_sort_keys_the_handlers_read() -> None:
    prefixes = {
        fn.name: trigger.sort_key_prefixes
        for fn in (INVENTORY_EVENTS, ORDER_EVENTS, SALES_AGGREGATES, REPORTS_FUNCTION)
        for trigger in fn.triggers
        if isinstance(trigger, StreamTrigger)
    }

    assert prefixes == {
        "inventory_events": (keys.SKU_SK, keys.WAIT_PREFIX, keys.MOVE_PREFIX),
        "order_events": (keys.ORDER_SK,),
        "sales_aggregates": (keys.ORDER_SK,),
        "reports": (keys.REPORT_SK,),
    }
    assert keys.order_key("O1")["sk"]["S"].startswith(keys.ORDER_SK)
    assert keys.report_key("R1")["sk"]["S"].startswith(keys.REPORT_SK)
    assert keys.wait_key("A", "k")["sk"]["S"].startswith(keys.WAIT_PREFIX)
    assert keys.sku_key("A")["sk"]["S"].startswith(keys.SKU_SK)

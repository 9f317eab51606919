"""Inventory analytics in CDK (issue 18): the inventory-stats table (no stream, TTL for the shipment
markers, AWS-owned encryption: no personal data), the catalog stream's filter reaching the ledger's
movements, the nightly roll-up at 00:20 before the reports' 01:00, and who may do what on the table."""

from __future__ import annotations

import json
from typing import Any

from infra import spec
from shared.dal import keys
from tests.infra.conftest import Synthesized
from tests.infra.test_schedules import schedules_by_id
from tests.infra.test_stack import as_list, role_statements, table_ids


def stats_actions(synthesized: Synthesized, fn: Any) -> set[str]:
    stats = table_ids(synthesized)[spec.INVENTORY_STATS.id]
    return {
        action
        for st in role_statements(synthesized, fn)
        if stats in json.dumps(st["Resource"])
        for action in as_list(st["Action"])
        if action.startswith("dynamodb:")
    }


def test_the_table_keeps_no_stream_and_expires_the_markers(synthesized: Synthesized) -> None:
    props = synthesized.resources[table_ids(synthesized)[spec.INVENTORY_STATS.id]]["Properties"]
    assert "StreamSpecification" not in props
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert spec.INVENTORY_STATS.personal_data is False
    assert spec.INVENTORY_STATS.local_name == "oms-inventory-stats"
    assert spec.INVENTORY_STATS.env_var == "OMS_INVENTORY_STATS_TABLE"


def test_the_catalog_stream_brings_the_ledger_to_inventory_events_and_no_new_consumer() -> None:
    (trigger,) = spec.INVENTORY_EVENTS.triggers
    assert keys.MOVE_PREFIX in trigger.sort_key_prefixes  # type: ignore[union-attr]
    consumers = [
        fn.name
        for fn in spec.FUNCTIONS
        for t in fn.triggers
        if getattr(t, "table", None) in (spec.CATALOG, spec.ORDERS)
    ]
    assert sorted(consumers) == ["inventory_events", "order_events", "sales_aggregates"]


def test_the_roll_up_runs_nightly_before_the_reports(synthesized: Synthesized) -> None:
    (trigger,) = spec.INVENTORY_ROLLUP.triggers
    assert trigger.cron == "cron(20 0 * * ? *)"  # type: ignore[union-attr]
    (reports,) = [t for t in spec.REPORTS_FUNCTION.triggers if hasattr(t, "cron")]
    assert (trigger.hour, trigger.minute) < (reports.hour, reports.minute)  # type: ignore[union-attr]
    assert schedules_by_id(synthesized.resources)["InventoryRollup"]["ScheduleExpression"] == trigger.cron  # type: ignore[union-attr]


def test_least_privilege_on_the_stats_table(synthesized: Synthesized) -> None:
    reads = {
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
    }
    for fn in (spec.API, spec.REPORTS_FUNCTION):
        found = stats_actions(synthesized, fn)
        assert found and found <= reads, fn.name  # read only
    for fn in (spec.INVENTORY_EVENTS, spec.INVENTORY_ROLLUP):
        found = stats_actions(synthesized, fn)
        assert {"dynamodb:UpdateItem", "dynamodb:PutItem"} <= found, fn.name
        assert not found & {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem"}, fn.name
    # The roll-up reads the daily counters and writes nothing else
    assert {use.table.id: use.access for use in spec.INVENTORY_ROLLUP.uses} == {
        spec.DAILY_SALES.id: "read",
        spec.INVENTORY_STATS.id: "read_write",
    }

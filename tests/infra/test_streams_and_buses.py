"""Table streams, stream triggers and event buses match infra/spec.py: the DynamoDB event source mapping
(filters, bisect, partial batch responses, on-failure queue), the bus with its log rule and archive, and
exactly the grants they need (stream read, events:PutEvents) on exactly one function; none deletes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import spec
from infra.description import TABLE_ACTIONS, Bus, Function, StreamTrigger, Table
from tests.infra.conftest import Synthesized
from tests.infra.test_queues import event_source_mappings, queue_ids
from tests.infra.test_stack import as_list, function_resource, refs, role_statements, table_ids

STREAM_TRIGGERS = [(fn, t) for fn in spec.FUNCTIONS for t in fn.triggers if isinstance(t, StreamTrigger)]
STREAM_TRIGGER_IDS = [f"{fn.name}<-{t.table.id}" for fn, t in STREAM_TRIGGERS]
PUBLISHERS = {fn.name for fn in spec.FUNCTIONS if fn.publishes}
STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def bus_ids(s: Synthesized) -> dict[str, str]:
    """spec bus id -> CloudFormation logical id."""
    return {b.id: s.logical_id(s.stack.buses.bus(b)) for b in spec.BUSES}


def stream_mapping(s: Synthesized, fn: Function, trigger: StreamTrigger) -> dict[str, Any]:
    table_id = table_ids(s)[trigger.table.id]
    (mapping,) = [
        m
        for m in event_source_mappings(s, fn)
        if m["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    ]
    return mapping


def actions_on(statements: list[dict[str, Any]], logical_id: str) -> set[str]:
    return {
        a
        for st in statements
        if st["Effect"] == "Allow" and logical_id in refs(st["Resource"])
        for a in as_list(st["Action"])
    }


def all_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for st in statements for a in as_list(st["Action"])}


# --- streams --------------------------------------------------------------------------------


@pytest.mark.parametrize("table", [spec.CATALOG, spec.ORDERS], ids=lambda t: t.id)
def test_the_catalog_and_orders_stream_old_and_new_images(synthesized: Synthesized, table: Table) -> None:
    assert table.stream
    props = synthesized.resources[table_ids(synthesized)[table.id]]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_every_stream_trigger_reads_a_table_with_a_stream() -> None:
    assert STREAM_TRIGGERS, "no stream trigger in the spec"
    for _, trigger in STREAM_TRIGGERS:
        assert trigger.table.stream, trigger.table.id
        assert trigger.failures in spec.QUEUES


@pytest.mark.parametrize(("fn", "trigger"), STREAM_TRIGGERS, ids=STREAM_TRIGGER_IDS)
def test_stream_trigger_is_a_dynamodb_event_source_mapping(
    synthesized: Synthesized, fn: Function, trigger: StreamTrigger
) -> None:
    mapping = stream_mapping(synthesized, fn, trigger)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == trigger.batch_size
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == trigger.retry_attempts
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [queue_ids(synthesized)[trigger.failures.id], "Arn"]}}
    }
    if trigger.max_batching_window_s > 0:
        assert mapping["MaximumBatchingWindowInSeconds"] == trigger.max_batching_window_s
    else:
        assert "MaximumBatchingWindowInSeconds" not in mapping
    assert mapping.get("Enabled", True) is True

    patterns = [json.loads(f["Pattern"]) for f in mapping.get("FilterCriteria", {}).get("Filters", [])]
    assert patterns == [
        {"dynamodb": {"Keys": {trigger.table.sort_key: {"S": [{"prefix": prefix}]}}}}
        for prefix in trigger.sort_key_prefixes
    ]


def test_inventory_events_sees_product_totals_waiting_backorders_and_the_ledger_only(
    synthesized: Synthesized,
) -> None:
    (trigger,) = spec.INVENTORY_EVENTS.triggers
    assert isinstance(trigger, StreamTrigger)
    mapping = stream_mapping(synthesized, spec.INVENTORY_EVENTS, trigger)
    filters = {f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]}
    assert filters == {
        '{"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"SKU"}]}}}}',
        '{"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"WAIT#"}]}}}}',
        # the ledger's movements: shipments per location (issue 18); never UPDATE# claims or listings
        '{"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"MOVE#"}]}}}}',
    }
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [queue_ids(synthesized)[spec.INVENTORY_EVENTS_FAILURES.id], "Arn"]
    }


def test_order_events_sees_order_items_only(synthesized: Synthesized) -> None:
    (trigger,) = spec.ORDER_EVENTS.triggers
    assert isinstance(trigger, StreamTrigger)
    assert trigger.table is spec.ORDERS
    mapping = stream_mapping(synthesized, spec.ORDER_EVENTS, trigger)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_ids(synthesized)[spec.ORDERS.id], "StreamArn"]}
    # Never an idempotency or external-id claim: those sort keys do not start with ORDER.
    assert [f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]] == [
        '{"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"ORDER"}]}}}}'
    ]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [queue_ids(synthesized)[spec.ORDER_EVENTS_FAILURES.id], "Arn"]
    }
    assert (mapping["BisectBatchOnFunctionError"], mapping["FunctionResponseTypes"]) == (
        True,
        ["ReportBatchItemFailures"],
    )
    assert mapping["ParallelizationFactor"] == 1  # one batch per shard: an order's changes stay in order


# --- buses ----------------------------------------------------------------------------------


def test_exactly_the_spec_buses(synthesized: Synthesized) -> None:
    buses = synthesized.of_type("AWS::Events::EventBus")
    assert set(buses) == set(bus_ids(synthesized).values())
    assert {b["Properties"]["Name"] for b in buses.values()} == {b.name for b in spec.BUSES}
    assert spec.EVENTS.name == "oms-events"


@pytest.mark.parametrize("bus", spec.BUSES, ids=lambda b: b.id)
def test_every_published_event_reaches_a_log_group(synthesized: Synthesized, bus: Bus) -> None:
    bus_id = bus_ids(synthesized)[bus.id]
    rules = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("EventBusName") == {"Ref": bus_id}
        and "detail-type" not in r["Properties"]["EventPattern"]  # not a consumer's rule (EVENT_RULES)
    ]
    (rule,) = rules
    assert rule["EventPattern"] == {"source": list(spec.EVENT_SOURCES)}
    assert rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    (log_group_id,) = refs(target["Arn"])
    log_group = synthesized.resources[log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert ":log-group:" in json.dumps(target["Arn"])

    # EventBridge may write to that log group, for rules on this bus only, and nobody else may.
    policies = [
        json.dumps(p["Properties"]["PolicyDocument"])
        for p in synthesized.of_type("AWS::Logs::ResourcePolicy").values()
        if log_group_id in refs(p["Properties"]["PolicyDocument"])
    ]
    (policy,) = policies
    assert '\\"Service\\":\\"events.amazonaws.com\\"' in policy
    assert "logs:PutLogEvents" in policy
    assert f":rule/{bus.name}/*" in policy
    # No custom resource (and its own Lambda function) to write that policy: the stack's one custom
    # resource is CDK's bucket notification (test_imports_infra.py).
    custom = {r["Type"] for r in synthesized.resources.values() if r["Type"].startswith("Custom::")}
    assert custom == {"Custom::S3BucketNotifications"}


@pytest.mark.parametrize("bus", spec.BUSES, ids=lambda b: b.id)
def test_every_published_event_is_archived(synthesized: Synthesized, bus: Bus) -> None:
    bus_id = bus_ids(synthesized)[bus.id]
    (archive,) = [
        a["Properties"]
        for a in synthesized.of_type("AWS::Events::Archive").values()
        if a["Properties"]["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    ]
    assert archive["EventPattern"] == {"source": list(spec.EVENT_SOURCES)}
    assert archive["RetentionDays"] > 0


def test_bus_names_are_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    for bus in spec.BUSES:
        assert outputs[f"{bus.id}BusName"]["Value"] == {"Ref": bus_ids(synthesized)[bus.id]}
        (log_group_id,) = refs(outputs[f"{bus.id}LogGroupName"]["Value"])
        assert synthesized.resources[log_group_id]["Type"] == "AWS::Logs::LogGroup"


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_function_environment_names_the_buses_it_publishes_on(synthesized: Synthesized, fn: Function) -> None:
    _, function = function_resource(synthesized, fn)
    env = function["Properties"]["Environment"]["Variables"]
    ids = bus_ids(synthesized)
    assert {k for k in env if k in {b.env_var for b in spec.BUSES}} == {b.env_var for b in fn.publishes}
    for bus in fn.publishes:
        # The spec names the bus, so the name is a literal; the function still waits for the bus, through
        # its role's policy (events:PutEvents on the bus's ARN).
        assert env[bus.env_var] == bus.name
        (policy_id,) = [d for d in function["DependsOn"] if "DefaultPolicy" in d]
        policy = synthesized.resources[policy_id]["Properties"]["PolicyDocument"]
        assert ids[bus.id] in refs(policy)


# --- least privilege ------------------------------------------------------------------------


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_put_events_only_on_the_buses_a_function_publishes_on(synthesized: Synthesized, fn: Function) -> None:
    statements = role_statements(synthesized, fn)
    events_statements = [
        st for st in statements if any(a.startswith("events:") for a in as_list(st["Action"]))
    ]
    if not fn.publishes:
        assert events_statements == []
        return
    ids = bus_ids(synthesized)
    for st in events_statements:
        assert as_list(st["Action"]) == ["events:PutEvents"]
        assert refs(st["Resource"]) <= {ids[b.id] for b in fn.publishes}
    assert {lid for st in events_statements for lid in refs(st["Resource"])} == {
        ids[b.id] for b in fn.publishes
    }


def test_only_the_event_functions_publish_and_only_the_api_deletes_customers_and_api_keys(
    synthesized: Synthesized,
) -> None:
    # ImportFinished; WebhookEndpointDisabled
    publishers = (spec.INVENTORY_EVENTS, spec.ORDER_EVENTS, spec.IMPORTS_FUNCTION, spec.WEBHOOKS_FUNCTION)
    assert {fn.name for fn in publishers} == PUBLISHERS
    # The customers table (erasure), the API keys table (sign-out, revoked keys and their sessions) and the
    # webhooks table (an endpoint deleted).
    customers = {table_ids(synthesized)[t.id] for t in (spec.CUSTOMERS, spec.API_KEYS, spec.WEBHOOKS)}
    for fn in spec.FUNCTIONS:
        statements = role_statements(synthesized, fn)
        actions = all_actions(statements)
        expected = fn in publishers
        assert ("events:PutEvents" in actions) == expected, fn.name
        deletes = [st for st in statements if "dynamodb:DeleteItem" in as_list(st["Action"])]
        assert all(refs(st["Resource"]) <= customers for st in deletes), fn.name
        assert bool(deletes) == (fn is spec.API), fn.name


def test_inventory_events_grants_are_exactly_what_it_needs(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.INVENTORY_EVENTS)
    tables = table_ids(synthesized)
    orders, catalog = tables[spec.ORDERS.id], tables[spec.CATALOG.id]
    failures = queue_ids(synthesized)[spec.INVENTORY_EVENTS_FAILURES.id]
    bus = bus_ids(synthesized)[spec.EVENTS.id]

    assert actions_on(statements, orders) == set(TABLE_ACTIONS["read_write"])
    on_catalog = [st for st in statements if catalog in refs(st["Resource"])]
    table_grants = [st for st in on_catalog if "StreamArn" not in json.dumps(st["Resource"])]
    stream_grants = [st for st in on_catalog if "StreamArn" in json.dumps(st["Resource"])]
    assert all_actions(table_grants) == set(TABLE_ACTIONS["read_write"])
    assert "dynamodb:DeleteItem" not in all_actions(statements)
    # Its catalog grants reach the catalog table and its indexes, nothing else.
    for st in table_grants:
        assert as_list(st["Resource"]) == [
            {"Fn::GetAtt": [catalog, "Arn"]},
            {"Fn::Join": ["", [{"Fn::GetAtt": [catalog, "Arn"]}, "/index/*"]]},
        ]
    assert all_actions(stream_grants) == STREAM_READ
    for st in stream_grants:
        assert st["Resource"] == {"Fn::GetAtt": [catalog, "StreamArn"]}
    assert actions_on(statements, bus) == {"events:PutEvents"}
    assert "sqs:SendMessage" in actions_on(statements, failures)

    # And nothing beyond those, its logs, X-Ray and ListStreams (which takes no resource).
    reached = {lid for st in statements for lid in refs(st["Resource"])}
    (log_group_id,) = refs(
        function_resource(synthesized, spec.INVENTORY_EVENTS)[1]["Properties"]["LoggingConfig"]
    )
    # The orders table's key too: orders hold personal data (tests/infra/test_personal_data_key.py).
    personal_data_key = synthesized.logical_id(synthesized.stack.tables.personal_data_key)
    # The inventory stats (issue 18): out-of-stock days and units shipped, read and written, never deleted.
    stats = tables[spec.INVENTORY_STATS.id]
    assert actions_on(statements, stats) == set(TABLE_ACTIONS["read_write"])
    assert reached == {orders, catalog, stats, failures, bus, log_group_id, personal_data_key}
    wildcard = {a for st in statements if st["Resource"] == "*" for a in as_list(st["Action"])}
    assert wildcard == {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}


def test_order_events_grants_are_exactly_the_stream_and_put_events(synthesized: Synthesized) -> None:
    """Least privilege: it reads the orders stream, puts events on the bus, records a batch it gave up on;
    it reads no table (the records carry both images) and writes none."""
    statements = role_statements(synthesized, spec.ORDER_EVENTS)
    orders = table_ids(synthesized)[spec.ORDERS.id]
    failures = queue_ids(synthesized)[spec.ORDER_EVENTS_FAILURES.id]
    bus = bus_ids(synthesized)[spec.EVENTS.id]

    on_orders = [st for st in statements if orders in refs(st["Resource"])]
    assert all_actions(on_orders) == STREAM_READ
    for st in on_orders:
        assert st["Resource"] == {"Fn::GetAtt": [orders, "StreamArn"]}
    assert actions_on(statements, bus) == {"events:PutEvents"}
    for st in statements:
        if bus in refs(st["Resource"]):
            assert st["Resource"] == {"Fn::GetAtt": [bus, "Arn"]}
    assert actions_on(statements, failures) == {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    dynamodb = {a for a in all_actions(statements) if a.startswith("dynamodb:")}
    assert dynamodb == STREAM_READ | {"dynamodb:ListStreams"}  # no GetItem, PutItem, Query...

    # And nothing beyond those, its logs, X-Ray and ListStreams (which takes no resource).
    reached = {lid for st in statements for lid in refs(st["Resource"])}
    (log_group_id,) = refs(
        function_resource(synthesized, spec.ORDER_EVENTS)[1]["Properties"]["LoggingConfig"]
    )
    # The orders table (and its stream) is encrypted with the personal-data key: it may decrypt.
    key = synthesized.logical_id(synthesized.stack.tables.personal_data_key)
    assert actions_on(statements, key) == {"kms:Decrypt", "kms:DescribeKey"}
    assert reached == {orders, failures, bus, log_group_id, key}
    wildcard = {a for st in statements if st["Resource"] == "*" for a in as_list(st["Action"])}
    assert wildcard == {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}


def test_order_events_environment_names_no_table(synthesized: Synthesized) -> None:
    _, function = function_resource(synthesized, spec.ORDER_EVENTS)
    env = function["Properties"]["Environment"]["Variables"]
    assert not {t.env_var for t in spec.TABLES} & set(env)
    assert env[spec.EVENTS.env_var] == "oms-events"


def test_stock_updates_grants(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.STOCK_UPDATES_FUNCTION)
    tables = table_ids(synthesized)
    assert actions_on(statements, tables[spec.CATALOG.id]) == set(TABLE_ACTIONS["read_write"])
    assert not actions_on(statements, tables[spec.ORDERS.id])
    assert not all_actions(statements) & (STREAM_READ | {"dynamodb:ListStreams", "events:PutEvents"})


def test_list_streams_is_acknowledged_with_its_reason(synthesized: Synthesized) -> None:
    for fn in spec.FUNCTIONS:
        _, function = function_resource(synthesized, fn)
        (role_id,) = refs(function["Properties"]["Role"])
        (policy,) = [
            p
            for p in synthesized.of_type("AWS::IAM::Policy").values()
            if role_id in refs(p["Properties"]["Roles"])
        ]
        (rule,) = [
            r
            for r in policy["Metadata"]["cdk_nag"]["rules_to_suppress"]
            if r["id"] == "AwsSolutions-IAM5[Resource::*]"
        ]
        streams = any(isinstance(t, StreamTrigger) for t in fn.triggers)
        assert ("dynamodb:ListStreams" in rule["reason"]) == streams, fn.name

"""The synthesised queues match infra/spec.py: SSE, TLS only, redrive, alarms on dead-letter queues, on
stream on-failure queues and on schedule failures queues, queue triggers, SQS grants, env. (Stream triggers:
test_streams_and_buses.py; schedules: test_schedules.py.)"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms

from infra import spec
from infra.constructs import queues as queues_module
from infra.constructs.functions import check_triggers
from infra.description import Function, Queue, QueueTrigger, ScheduleTrigger, StreamTrigger
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, function_resource, refs, role_statements, table_ids, tables_in

DEAD_LETTER_IDS = {q.dead_letter.id for q in spec.QUEUES if q.dead_letter is not None}
TRIGGERS = [(fn, trigger) for fn in spec.FUNCTIONS for trigger in fn.triggers]
QUEUE_TRIGGERS = [(fn, t) for fn, t in TRIGGERS if isinstance(t, QueueTrigger)]
STREAM_TRIGGERS = [(fn, t) for fn, t in TRIGGERS if isinstance(t, StreamTrigger)]
FAILURE_IDS = {t.failures.id for _, t in STREAM_TRIGGERS}  # stream on-failure destinations
SCHEDULE_TRIGGERS = [(fn, t) for fn, t in TRIGGERS if isinstance(t, ScheduleTrigger)]
SCHEDULE_FAILURE_IDS = {t.failures.id for _, t in SCHEDULE_TRIGGERS}  # where failed scheduled runs end
CONSUME_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}


def queue_ids(s: Synthesized) -> dict[str, str]:
    """spec queue id -> CloudFormation logical id."""
    return {q.id: s.logical_id(s.stack.queues.queue(q)) for q in spec.QUEUES}


def queue_props(s: Synthesized, queue: Queue) -> dict[str, Any]:
    return s.resources[queue_ids(s)[queue.id]]["Properties"]


def sqs_actions_on(statements: list[dict[str, Any]], logical_id: str) -> set[str]:
    return {
        a
        for st in statements
        if st["Effect"] == "Allow" and logical_id in refs(st["Resource"])
        for a in as_list(st["Action"])
        if a.startswith("sqs:")
    }


def all_sqs_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for st in statements for a in as_list(st["Action"]) if a.startswith("sqs:")}


def event_source_mappings(s: Synthesized, fn: Function) -> list[dict[str, Any]]:
    function_id, _ = function_resource(s, fn)
    return [
        r["Properties"]
        for r in s.of_type("AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["FunctionName"] == {"Ref": function_id}
    ]


# --- queues ---------------------------------------------------------------------------------


def test_the_marketplace_queues_are_in_the_spec() -> None:
    assert spec.MARKETPLACE_ORDERS in spec.QUEUES
    assert spec.MARKETPLACE_ORDERS_DLQ in spec.QUEUES
    assert spec.MARKETPLACE_ORDERS.dead_letter == spec.MARKETPLACE_ORDERS_DLQ
    assert {
        spec.MARKETPLACE_ORDERS_DLQ.id,
        spec.STOCK_UPDATES_DLQ.id,
        spec.IMPORT_WORK_DLQ.id,
        spec.WEBHOOKS_DLQ.id,
        spec.NOTIFICATIONS_DLQ.id,
    } == DEAD_LETTER_IDS


def test_the_stock_update_queues_are_in_the_spec() -> None:
    assert spec.STOCK_UPDATES in spec.QUEUES
    assert spec.STOCK_UPDATES_DLQ in spec.QUEUES
    assert spec.STOCK_UPDATES.dead_letter == spec.STOCK_UPDATES_DLQ
    assert spec.QUEUES.index(spec.STOCK_UPDATES_DLQ) < spec.QUEUES.index(spec.STOCK_UPDATES)


def test_the_stream_failures_queues_are_destinations_not_dead_letter_queues() -> None:
    failures = (
        spec.INVENTORY_EVENTS_FAILURES,
        spec.ORDER_EVENTS_FAILURES,
        spec.SALES_AGGREGATES_FAILURES,
        spec.REPORTS_FAILURES,
    )
    assert {q.id for q in failures} == FAILURE_IDS
    assert {spec.SCHEDULE_FAILURES.id} == SCHEDULE_FAILURE_IDS
    assert not FAILURE_IDS & DEAD_LETTER_IDS
    assert not SCHEDULE_FAILURE_IDS & (DEAD_LETTER_IDS | FAILURE_IDS)
    for queue in (*failures, spec.SCHEDULE_FAILURES):
        assert queue in spec.QUEUES
        assert queue.dead_letter is None
    assert spec.EVENTS_TAP not in spec.QUEUES, "the events tap is a local-stack queue only"


def test_exactly_the_spec_queues(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::SQS::Queue", len(spec.QUEUES))
    assert set(queue_ids(synthesized).values()) == set(synthesized.of_type("AWS::SQS::Queue"))


@pytest.mark.parametrize("queue", spec.QUEUES, ids=lambda q: q.id)
def test_queue_matches_spec(synthesized: Synthesized, queue: Queue) -> None:
    props = queue_props(synthesized, queue)
    if queue.personal_data:  # the personal-data key: test_limits.py
        assert "SqsManagedSseEnabled" not in props
        assert "KmsMasterKeyId" in props
    else:
        assert props["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in props
    assert props["VisibilityTimeout"] == queue.visibility_timeout_s
    assert props["MessageRetentionPeriod"] == queue.retention_days * 24 * 3600
    assert "QueueName" not in props, "CloudFormation names the queues"
    assert "FifoQueue" not in props
    if queue.dead_letter is None:
        assert "RedrivePolicy" not in props
    else:
        redrive = props["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == queue.max_receive_count
        assert redrive["deadLetterTargetArn"] == {
            "Fn::GetAtt": [queue_ids(synthesized)[queue.dead_letter.id], "Arn"]
        }


def test_marketplace_orders_redrive_to_the_dlq_after_five_receives(synthesized: Synthesized) -> None:
    ids = queue_ids(synthesized)
    redrive = queue_props(synthesized, spec.MARKETPLACE_ORDERS)["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": [ids[spec.MARKETPLACE_ORDERS_DLQ.id], "Arn"]},
        "maxReceiveCount": 5,
    }


def test_stock_updates_redrive_to_their_dlq_after_five_receives(synthesized: Synthesized) -> None:
    ids = queue_ids(synthesized)
    props = queue_props(synthesized, spec.STOCK_UPDATES)
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [ids[spec.STOCK_UPDATES_DLQ.id], "Arn"]},
        "maxReceiveCount": 5,
    }
    assert props["VisibilityTimeout"] == 6 * spec.STOCK_UPDATES_TIMEOUT_S + spec.STOCK_UPDATES_BATCH_WINDOW_S


def test_dead_letter_queues_keep_messages_fourteen_days(synthesized: Synthesized) -> None:
    for dlq_id in DEAD_LETTER_IDS | FAILURE_IDS:
        props = synthesized.resources[queue_ids(synthesized)[dlq_id]]["Properties"]
        assert props["MessageRetentionPeriod"] == 14 * 24 * 3600, dlq_id
        assert "RedrivePolicy" not in props, dlq_id


@pytest.mark.parametrize("queue", spec.QUEUES, ids=lambda q: q.id)
def test_queue_denies_anything_but_tls(synthesized: Synthesized, queue: Queue) -> None:
    queue_id = queue_ids(synthesized)[queue.id]
    policies = [
        p["Properties"]
        for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    assert len(policies) == 1, f"expected one queue policy on {queue.id}"
    statements = policies[0]["PolicyDocument"]["Statement"]
    deny_plain = [
        st
        for st in statements
        if st["Effect"] == "Deny"
        and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        and queue_id in refs(st["Resource"])
    ]
    assert len(deny_plain) == 1
    (deny,) = deny_plain
    assert deny["Action"] == "sqs:*"
    assert deny["Principal"] == {"AWS": "*"}
    # The queue policy only denies; access is granted on the functions' roles. The exceptions: S3 may
    # send the imports bucket's upload events to the import work queue (test_imports_infra.py); an event
    # rule may send to its queue and that queue's DLQ (test_event_rules.py); SES's feedback topic may send
    # to the notifications queue (test_notifications_infra.py), each on condition of its own ARN.
    allowed = [st for st in statements if st["Effect"] != "Deny"]
    rule_queues = {r.queue for r in spec.EVENT_RULES} | {r.queue.dead_letter for r in spec.EVENT_RULES}
    expected: list[dict[str, str]] = []
    if queue == spec.IMPORT_WORK:
        expected.append({"Service": "s3.amazonaws.com"})
    if queue in rule_queues:
        expected.append({"Service": "events.amazonaws.com"})
    if queue == spec.NOTIFICATIONS_QUEUE:
        expected.append({"Service": "sns.amazonaws.com"})
    assert sorted(str(st["Principal"]) for st in allowed) == sorted(str(p) for p in expected)
    assert all("aws:SourceArn" in str(st.get("Condition")) for st in allowed if queue != spec.IMPORT_WORK)


def test_queue_urls_are_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    ids = queue_ids(synthesized)
    assert outputs["MarketplaceOrdersQueueUrl"]["Value"] == {"Ref": ids[spec.MARKETPLACE_ORDERS.id]}
    assert outputs["StockUpdatesQueueUrl"]["Value"] == {"Ref": ids[spec.STOCK_UPDATES.id]}
    for queue in spec.QUEUES:
        assert outputs[f"{queue.id}QueueUrl"]["Value"] == {"Ref": ids[queue.id]}


# --- dead-letter alarms ---------------------------------------------------------------------


def test_every_dead_letter_and_failures_queue_has_an_alarm_and_nothing_else_does(
    synthesized: Synthesized,
) -> None:
    ids = queue_ids(synthesized)
    by_logical_id = {lid: qid for qid, lid in ids.items()}
    alarmed = {
        by_logical_id[lid]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for lid in refs(alarm["Properties"].get("Dimensions", []))
        if lid in by_logical_id
    }
    assert alarmed == DEAD_LETTER_IDS | FAILURE_IDS | SCHEDULE_FAILURE_IDS


def alarm_on(s: Synthesized, queue_id: str) -> dict[str, Any]:
    logical_id = queue_ids(s)[queue_id]
    (alarm,) = [
        a["Properties"]
        for a in s.of_type("AWS::CloudWatch::Alarm").values()
        if logical_id in refs(a["Properties"].get("Dimensions", []))
        # (a consumed queue also has an alarm on its oldest message: test_alarms.py)
        and a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    return alarm


@pytest.mark.parametrize("dlq_id", sorted(DEAD_LETTER_IDS | FAILURE_IDS | SCHEDULE_FAILURE_IDS))
def test_alarm_fires_on_one_visible_message(synthesized: Synthesized, dlq_id: str) -> None:
    dlq_logical_id = queue_ids(synthesized)[dlq_id]
    alarm = alarm_on(synthesized, dlq_id)
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_logical_id, "QueueName"]}}
    ]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Period"] == 60
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("dlq_id", sorted(DEAD_LETTER_IDS))
def test_dead_letter_alarm_names_its_source_queue(synthesized: Synthesized, dlq_id: str) -> None:
    description = alarm_on(synthesized, dlq_id)["AlarmDescription"]
    sources = [q.id for q in spec.QUEUES if q.dead_letter is not None and q.dead_letter.id == dlq_id]
    assert sources
    for source in sources:
        assert source in description
    assert "could not be processed" in description
    assert "message attributes" in description
    assert "redrive" in description
    assert "marketplace" not in description.lower() or dlq_id == spec.MARKETPLACE_ORDERS_DLQ.id


@pytest.mark.parametrize("queue_id", sorted(FAILURE_IDS))
def test_failures_alarm_names_the_stream_mapping(synthesized: Synthesized, queue_id: str) -> None:
    description = alarm_on(synthesized, queue_id)["AlarmDescription"]
    for fn, trigger in STREAM_TRIGGERS:
        if trigger.failures.id == queue_id:
            assert fn.name in description
            assert trigger.table.id in description
    assert "sequence numbers" in description
    assert "redrive" not in description, "nothing to redrive: the messages point at stream records"


@pytest.mark.parametrize("queue_id", sorted(SCHEDULE_FAILURE_IDS))
def test_schedule_failures_alarm_names_the_schedule(synthesized: Synthesized, queue_id: str) -> None:
    description = alarm_on(synthesized, queue_id)["AlarmDescription"]
    for fn, trigger in SCHEDULE_TRIGGERS:
        if trigger.failures.id == queue_id:
            assert f"the {trigger.id} schedule of {fn.name}" in description
    assert "requestPayload" in description  # Lambda's on-failure record of an asynchronous invocation
    assert "sequence numbers" not in description


# --- triggers -------------------------------------------------------------------------------


def test_only_spec_triggers_are_event_source_mappings(synthesized: Synthesized) -> None:
    # A schedule trigger is an EventBridge Scheduler schedule (test_schedules.py), not a mapping.
    assert len(QUEUE_TRIGGERS) + len(STREAM_TRIGGERS) + len(SCHEDULE_TRIGGERS) == len(TRIGGERS)
    synthesized.template.resource_count_is(
        "AWS::Lambda::EventSourceMapping", len(QUEUE_TRIGGERS) + len(STREAM_TRIGGERS)
    )


QUEUE_TRIGGER_IDS = [f"{f.name}<-{t.queue.id}" for f, t in QUEUE_TRIGGERS]


@pytest.mark.parametrize(("fn", "trigger"), QUEUE_TRIGGERS, ids=QUEUE_TRIGGER_IDS)
def test_trigger_is_an_event_source_mapping(
    synthesized: Synthesized, fn: Function, trigger: QueueTrigger
) -> None:
    queue_id = queue_ids(synthesized)[trigger.queue.id]
    (mapping,) = [
        m
        for m in event_source_mappings(synthesized, fn)
        if m["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["BatchSize"] == trigger.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    if trigger.max_batching_window_s > 0:
        assert mapping["MaximumBatchingWindowInSeconds"] == trigger.max_batching_window_s
    else:
        assert "MaximumBatchingWindowInSeconds" not in mapping
    assert mapping.get("Enabled", True) is True
    for stream_only in (
        "StartingPosition",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "FilterCriteria",
    ):
        assert stream_only not in mapping


def test_stock_updates_function_consumes_its_queue_in_batches_of_ten(synthesized: Synthesized) -> None:
    (mapping,) = event_source_mappings(synthesized, spec.STOCK_UPDATES_FUNCTION)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_ids(synthesized)[spec.STOCK_UPDATES.id], "Arn"]}
    assert mapping["BatchSize"] == 10
    assert mapping["MaximumBatchingWindowInSeconds"] == spec.STOCK_UPDATES_BATCH_WINDOW_S
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_feed_function_consumes_marketplace_orders_in_batches_of_ten(synthesized: Synthesized) -> None:
    (mapping,) = event_source_mappings(synthesized, spec.MARKETPLACE_FEED)
    main_queue_id = queue_ids(synthesized)[spec.MARKETPLACE_ORDERS.id]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [main_queue_id, "Arn"]}
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize(("fn", "trigger"), QUEUE_TRIGGERS, ids=QUEUE_TRIGGER_IDS)
def test_visibility_timeout_is_six_times_the_consumer_timeout(
    synthesized: Synthesized, fn: Function, trigger: QueueTrigger
) -> None:
    _, function = function_resource(synthesized, fn)
    visibility = queue_props(synthesized, trigger.queue)["VisibilityTimeout"]
    assert visibility >= 6 * function["Properties"]["Timeout"]


def test_synth_refuses_a_queue_that_would_redeliver_a_running_batch() -> None:
    short = dataclasses.replace(
        spec.MARKETPLACE_ORDERS, visibility_timeout_s=5 * spec.MARKETPLACE_FEED_TIMEOUT_S
    )
    careless = dataclasses.replace(spec.MARKETPLACE_FEED, triggers=(QueueTrigger(short),))
    with pytest.raises(ValueError, match="visibility timeout"):
        check_triggers(careless)
    check_triggers(spec.MARKETPLACE_FEED)  # the real one passes
    check_triggers(spec.INVENTORY_EVENTS)  # a stream trigger has no visibility timeout to check


def test_synth_refuses_a_queue_listed_before_its_dead_letter_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec, "QUEUES", (spec.MARKETPLACE_ORDERS, spec.MARKETPLACE_ORDERS_DLQ))
    with pytest.raises(ValueError, match="must come before it"):
        stack = Stack(App(), "Careless")
        queues_module.Queues(stack, "Queues", personal_data_key=kms.Key(stack, "Key"))


# --- least privilege ------------------------------------------------------------------------


def test_feed_sends_to_the_dlq_only(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.MARKETPLACE_FEED)
    ids = queue_ids(synthesized)
    senders = {qid for qid, lid in ids.items() if "sqs:SendMessage" in sqs_actions_on(statements, lid)}
    assert senders == {spec.MARKETPLACE_ORDERS_DLQ.id}
    assert not sqs_actions_on(statements, ids[spec.MARKETPLACE_ORDERS_DLQ.id]) & CONSUME_ACTIONS


def test_feed_consumes_the_main_queue_only(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.MARKETPLACE_FEED)
    ids = queue_ids(synthesized)
    main = sqs_actions_on(statements, ids[spec.MARKETPLACE_ORDERS.id])
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= main
    assert "sqs:SendMessage" not in main
    consumed = {qid for qid, lid in ids.items() if sqs_actions_on(statements, lid) & CONSUME_ACTIONS}
    assert consumed == {spec.MARKETPLACE_ORDERS.id}
    # Every SQS statement names a queue of ours: no wildcard resource, no sqs:*.
    for st in statements:
        if any(a.startswith("sqs:") for a in as_list(st["Action"])):
            assert refs(st["Resource"]) <= set(ids.values()), st
            assert "sqs:*" not in as_list(st["Action"])


def test_stock_updates_consumes_its_queue_and_sends_to_its_dlq_only(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.STOCK_UPDATES_FUNCTION)
    ids = queue_ids(synthesized)
    consumed = {qid for qid, lid in ids.items() if sqs_actions_on(statements, lid) & CONSUME_ACTIONS}
    senders = {qid for qid, lid in ids.items() if "sqs:SendMessage" in sqs_actions_on(statements, lid)}
    assert consumed == {spec.STOCK_UPDATES.id}
    assert senders == {spec.STOCK_UPDATES_DLQ.id}
    assert tables_in(statements, table_ids(synthesized)) == {spec.CATALOG.id}


@pytest.mark.parametrize(
    ("fn", "failures"),
    [
        (spec.INVENTORY_EVENTS, spec.INVENTORY_EVENTS_FAILURES),
        (spec.ORDER_EVENTS, spec.ORDER_EVENTS_FAILURES),
    ],
    ids=lambda value: getattr(value, "name", None) or value.id,
)
def test_a_stream_function_only_sends_to_its_failures_queue(
    synthesized: Synthesized, fn: Function, failures: Queue
) -> None:
    statements = role_statements(synthesized, fn)
    ids = queue_ids(synthesized)
    reached = {qid for qid, lid in ids.items() if sqs_actions_on(statements, lid)}
    assert reached == {failures.id}
    actions = sqs_actions_on(statements, ids[failures.id])
    assert "sqs:SendMessage" in actions
    assert not actions & CONSUME_ACTIONS


def test_feed_reaches_orders_catalog_and_customers_but_not_api_keys(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.MARKETPLACE_FEED)
    assert tables_in(statements, table_ids(synthesized)) == {
        spec.ORDERS.id,
        spec.CATALOG.id,
        spec.CUSTOMERS.id,
    }


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_sqs_access_follows_spec(synthesized: Synthesized, fn: Function) -> None:
    statements = role_statements(synthesized, fn)
    ids = queue_ids(synthesized)
    reached = {qid for qid, lid in ids.items() if sqs_actions_on(statements, lid)}
    consumed = {t.queue.id for t in fn.triggers if isinstance(t, QueueTrigger)}
    failures = {t.failures.id for t in fn.triggers if isinstance(t, StreamTrigger)}
    # A scheduled run that fails in the function goes to the schedule's failures queue as the function's
    # asynchronous on-failure destination, which Lambda sends to with the function's role.
    scheduled = {t.failures.id for t in fn.triggers if isinstance(t, ScheduleTrigger)}
    # Staff's dead letters (the API): consume on each queue, send on the queue it redrives to.
    dead_letters = {d.queue.id for d in fn.dead_letters} | {
        d.redrive_to.id for d in fn.dead_letters if d.redrive_to
    }
    assert reached == consumed | failures | scheduled | {q.id for q in fn.sends} | dead_letters
    for queue_id in scheduled:
        assert sqs_actions_on(statements, ids[queue_id]) & CONSUME_ACTIONS == set()
    if not fn.triggers and not fn.sends and not fn.dead_letters:
        assert not all_sqs_actions(statements)


# --- environment ----------------------------------------------------------------------------


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_function_environment_names_exactly_the_queues_it_sends_to(
    synthesized: Synthesized, fn: Function
) -> None:
    _, function = function_resource(synthesized, fn)
    env = function["Properties"]["Environment"]["Variables"]
    ids = queue_ids(synthesized)
    queue_vars = {q.env_var for q in spec.QUEUES}
    assert {k for k in env if k in queue_vars} == {q.env_var for q in fn.sends}
    for queue in fn.sends:
        assert env[queue.env_var] == {"Ref": ids[queue.id]}  # Ref of a queue is its URL


def test_feed_function_knows_the_dlq_url_and_not_the_main_queue(synthesized: Synthesized) -> None:
    _, function = function_resource(synthesized, spec.MARKETPLACE_FEED)
    env = function["Properties"]["Environment"]["Variables"]
    assert env["OMS_MARKETPLACE_DLQ_URL"] == {"Ref": queue_ids(synthesized)[spec.MARKETPLACE_ORDERS_DLQ.id]}
    assert spec.MARKETPLACE_ORDERS.env_var not in env
    assert "OMS_MARKETPLACE_QUEUE_URL" not in env


# --- cdk-nag --------------------------------------------------------------------------------


def test_sqs3_is_acknowledged_on_dead_letter_and_failures_queues_only(synthesized: Synthesized) -> None:
    ids = queue_ids(synthesized)
    acknowledged = {
        lid
        for lid, r in synthesized.resources.items()
        for rule in r.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if rule["id"] == "AwsSolutions-SQS3"
    }
    assert acknowledged == {
        ids[queue_id] for queue_id in DEAD_LETTER_IDS | FAILURE_IDS | SCHEDULE_FAILURE_IDS
    }
    for queue_id in DEAD_LETTER_IDS | FAILURE_IDS | SCHEDULE_FAILURE_IDS:
        (rule,) = [
            r
            for r in synthesized.resources[ids[queue_id]]["Metadata"]["cdk_nag"]["rules_to_suppress"]
            if r["id"] == "AwsSolutions-SQS3"
        ]
        if queue_id in DEAD_LETTER_IDS:
            assert f"{queue_id} is the dead-letter queue of" in rule["reason"]
        elif queue_id in SCHEDULE_FAILURE_IDS:
            assert "Scheduler's dead-letter queue" in rule["reason"]
            assert "on-failure destination" in rule["reason"]
        else:
            assert "on-failure destination" in rule["reason"]
            assert "stream" in rule["reason"]
    # No other SQS rule is acknowledged anywhere: SSE and TLS-only are met, not waived.
    for r in synthesized.resources.values():
        for rule in r.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert not rule["id"].startswith("AwsSolutions-SQS") or rule["id"] == "AwsSolutions-SQS3"

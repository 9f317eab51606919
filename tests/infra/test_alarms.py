"""Alarms that reach someone: the topic, every alarm's actions, the alarms derived from the spec, the
metric the failed-report alarm reads, and the dashboard (whose metrics the code must really emit)."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path
from typing import Any, get_args

import pytest

from infra import spec
from infra.constructs import alarms as alarms_module
from infra.constructs.alarms import (
    REPORTS_FAILED,
    consumed_queues,
    iterator_age_threshold_s,
    oldest_message_threshold_s,
    stream_triggers,
)
from infra.constructs.dashboard import APP_METRICS, ORDERS_BY_CHANNEL
from infra.constructs.queues import dead_letter_queues, failure_destinations, schedule_failure_destinations
from infra.description import Function, QueueTrigger, StreamTrigger
from shared.domain.hooks import PLATFORMS
from shared.services.channel_orders import Outcome
from tests.infra.conftest import Synthesized
from tests.infra.test_queues import queue_ids
from tests.infra.test_stack import as_list, function_resource, refs

REPO_ROOT = Path(__file__).resolve().parents[2]
# The queues whose "not empty" alarm tests/infra/test_queues.py checks.
QUEUE_ALARMS = set(dead_letter_queues()) | set(failure_destinations()) | set(schedule_failure_destinations())


def topic_id(s: Synthesized) -> str:
    return s.logical_id(s.stack.alarms.topic)


def alarms(s: Synthesized) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in s.of_type("AWS::CloudWatch::Alarm").items()}


def dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}


def alarms_on(s: Synthesized, metric: str, namespace: str) -> list[dict[str, Any]]:
    return [a for a in alarms(s).values() if a["MetricName"] == metric and a["Namespace"] == namespace]


# --- the topic ------------------------------------------------------------------------------


def test_one_topic_encrypted_with_its_own_rotated_key(synthesized: Synthesized) -> None:
    topic = synthesized.resources[topic_id(synthesized)]["Properties"]
    key_id = synthesized.logical_id(synthesized.stack.alarms.topic_key)
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = synthesized.resources[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    # CloudWatch may use the key (an AWS-managed SNS key would refuse it); the topic policy limits it to
    # this account's alarms.
    (statement,) = [
        st
        for st in key["KeyPolicy"]["Statement"]
        if st.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(as_list(statement["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Resource"] == "*"  # (in a key policy: this key)


def test_the_topic_refuses_anything_but_tls_and_lets_this_accounts_alarms_publish(
    synthesized: Synthesized,
) -> None:
    (policy,) = [
        p
        for p in synthesized.of_type("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id(synthesized)} in p["Properties"]["Topics"]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [st for st in statements if st["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [st for st in statements if st["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in json.dumps(allow["Condition"]["ArnLike"])


def test_the_alarm_email_is_optional(synthesized: Synthesized, staging: Synthesized) -> None:
    def alarm_subscriptions(s: Synthesized) -> list[dict[str, Any]]:
        return [
            sub
            for sub in s.of_type("AWS::SNS::Subscription").values()
            if sub["Properties"]["TopicArn"] == {"Ref": topic_id(s)}
        ]

    assert alarm_subscriptions(synthesized) == []
    (subscription,) = alarm_subscriptions(staging)
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic_id(staging)}


def test_the_topic_arn_is_an_output(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": topic_id(synthesized)}


# --- every alarm reaches the topic ------------------------------------------------------------


@pytest.mark.parametrize("which", ["synthesized", "staging"])
def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_is_ok(
    which: str, request: pytest.FixtureRequest
) -> None:
    s: Synthesized = request.getfixturevalue(which)
    found = alarms(s)
    assert len(found) == len(s.stack.alarms.notified)
    for lid, alarm in found.items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id(s)}], lid
        assert alarm["OKActions"] == [{"Ref": topic_id(s)}], lid
        assert alarm["AlarmDescription"], lid
        assert alarm["TreatMissingData"] == "notBreaching", lid


def test_the_acknowledgements_that_promise_an_alarm_are_true(synthesized: Synthesized) -> None:
    """cdk-nag SQS3 is acknowledged on the dead-letter and failures queues because "an alarm fires": each
    such queue has an alarm that reaches the topic."""
    ids = queue_ids(synthesized)
    promised = {
        lid
        for lid, r in synthesized.resources.items()
        for rule in r.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if "an alarm fires" in rule["reason"]
    }
    assert promised == {ids[q] for q in QUEUE_ALARMS}
    for lid in promised:
        (alarm,) = [
            a
            for a in alarms_on(synthesized, "ApproximateNumberOfMessagesVisible", "AWS/SQS")
            if dimensions(a)["QueueName"] == {"Fn::GetAtt": [lid, "QueueName"]}
        ]
        assert alarm["AlarmActions"] == [{"Ref": topic_id(synthesized)}]


# --- the alarms the spec implies -------------------------------------------------------------


def test_the_alarm_count_is_what_the_spec_implies(synthesized: Synthesized) -> None:
    expected = (
        len(QUEUE_ALARMS)  # not empty
        + 2 * len(spec.FUNCTIONS)  # errors, throttles
        + 2  # API 5XX rate, p99 latency
        + len(stream_triggers())
        + len(consumed_queues())
        + 1  # failed reports
        + 1  # a webhook endpoint disabled
    )
    assert len(alarms(synthesized)) == expected


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_alarms_on_errors_and_throttles(
    synthesized: Synthesized, fn: Function, metric: str
) -> None:
    function_id, _ = function_resource(synthesized, fn)
    (alarm,) = [
        a
        for a in alarms_on(synthesized, metric, "AWS/Lambda")
        if dimensions(a) == {"FunctionName": {"Ref": function_id}}
    ]
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize(("fn", "trigger"), stream_triggers(), ids=[fn.name for fn, _ in stream_triggers()])
def test_each_stream_mapping_alarms_on_iterator_age(
    synthesized: Synthesized, fn: Function, trigger: StreamTrigger
) -> None:
    function_id, _ = function_resource(synthesized, fn)
    (alarm,) = [
        a
        for a in alarms_on(synthesized, "IteratorAge", "AWS/Lambda")
        if dimensions(a) == {"FunctionName": {"Ref": function_id}}
    ]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == iterator_age_threshold_s(fn) * 1000
    assert trigger.table.id in alarm["AlarmDescription"]


@pytest.mark.parametrize(("fn", "trigger"), consumed_queues(), ids=[fn.name for fn, _ in consumed_queues()])
def test_each_consumed_queue_alarms_on_its_oldest_message(
    synthesized: Synthesized, fn: Function, trigger: QueueTrigger
) -> None:
    lid = queue_ids(synthesized)[trigger.queue.id]
    (alarm,) = [
        a
        for a in alarms_on(synthesized, "ApproximateAgeOfOldestMessage", "AWS/SQS")
        if dimensions(a) == {"QueueName": {"Fn::GetAtt": [lid, "QueueName"]}}
    ]
    assert alarm["Statistic"] == "Maximum"
    # Every receive a message may have before its DLQ, plus five minutes: 5 x 181 s + 300 s for the feeds;
    # 3 x 5400 s + 300 s for the import work (a chunk may take up to 900 s, six of them per visibility).
    # The webhooks queue: 20 x 361 s + its scheduled retries (at most ~66 hours, made invisible on purpose);
    # the notifications queue: 6 x its function's 30 s, no batching window.
    expected = {
        spec.IMPORT_WORK: 3 * 5400 + 300,
        spec.WEBHOOKS_QUEUE: 20 * 361 + spec.WEBHOOKS_QUEUE.scheduled_retries_s + 300,
        spec.NOTIFICATIONS_QUEUE: 5 * 180 + 300,
    }.get(trigger.queue, 5 * 181 + 300)
    assert alarm["Threshold"] == oldest_message_threshold_s(trigger.queue) == expected


def test_the_api_alarms_on_its_5xx_rate_and_p99_latency(synthesized: Synthesized) -> None:
    (rest_api,) = synthesized.of_type("AWS::ApiGateway::RestApi").values()
    (stage_id,) = synthesized.of_type("AWS::ApiGateway::Stage")
    expected_dims = {"ApiName": rest_api["Properties"]["Name"], "Stage": {"Ref": stage_id}}
    (errors,) = alarms_on(synthesized, "5XXError", "AWS/ApiGateway")
    assert dimensions(errors) == expected_dims
    assert errors["Statistic"] == "Average"  # the share of requests answered 5XX
    assert errors["Threshold"] == alarms_module.API_5XX_RATE
    (latency,) = alarms_on(synthesized, "Latency", "AWS/ApiGateway")
    assert dimensions(latency) == expected_dims
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] == alarms_module.API_P99_LATENCY_MS
    assert (latency["EvaluationPeriods"], latency["DatapointsToAlarm"]) == (3, 2)


def test_a_failed_report_alarms(synthesized: Synthesized, staging: Synthesized) -> None:
    for s, namespace in ((synthesized, "OMS"), (staging, "OMS/staging")):
        (alarm,) = alarms_on(s, REPORTS_FAILED, namespace)
        assert dimensions(alarm) == {"service": spec.SERVICE_NAME}
        assert alarm["Statistic"] == "Sum"
        assert alarm["Threshold"] == 1


def test_a_new_function_queue_or_stream_gets_its_alarms_from_the_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = dataclasses.replace(spec.STOCK_UPDATES, id="Returns")
    (stream,) = spec.ORDER_EVENTS.triggers
    extra = dataclasses.replace(
        spec.STOCK_UPDATES_FUNCTION, name="returns", triggers=(QueueTrigger(queue), stream)
    )
    monkeypatch.setattr(spec, "FUNCTIONS", (*spec.FUNCTIONS, extra))
    assert (extra, QueueTrigger(queue)) in consumed_queues()
    assert (extra, stream) in stream_triggers()


# --- the metrics the code emits ------------------------------------------------------------------


def emitted_metric_names() -> set[str]:
    """Every metric name the functions emit with Powertools: ``add_metric(name="...")``, the hooks'
    ``METRIC`` table, and the feed's ``FeedOrder{outcome}``."""
    names: set[str] = set()
    for path in (REPO_ROOT / "functions").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric":
                for keyword in node.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        names.add(str(keyword.value.value))
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "METRIC" for t in node.targets)
                and isinstance(node.value, ast.Dict)
            ):
                names |= {str(v.value) for v in node.value.values if isinstance(v, ast.Constant)}
    feed = (REPO_ROOT / "functions/marketplace_feed/handler.py").read_text()
    assert 'name=f"FeedOrder{result.outcome.capitalize()}"' in feed
    names |= {f"FeedOrder{outcome.capitalize()}" for outcome in get_args(Outcome)}
    return names


def test_the_alarm_and_the_dashboard_read_metrics_the_code_emits() -> None:
    emitted = emitted_metric_names()
    assert REPORTS_FAILED in emitted
    assert set(APP_METRICS) <= emitted, set(APP_METRICS) - emitted
    assert "NoSuchMetric" not in emitted  # (the scan finds names, not everything)


# --- the dashboard -------------------------------------------------------------------------------


def dashboard_body(s: Synthesized) -> dict[str, Any]:
    """The dashboard's JSON, each CloudFormation reference replaced by its logical id."""
    (dashboard,) = s.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):
        _, parts = body["Fn::Join"]
        text = "".join(p if isinstance(p, str) else "|".join(sorted(refs(p))) or "AWS" for p in parts)
    else:
        text = body
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def graph_metrics(s: Synthesized) -> dict[str, list[list[Any]]]:
    return {
        w["properties"]["title"]: w["properties"]["metrics"]
        for w in dashboard_body(s)["widgets"]
        if w["type"] == "metric"
    }


def metric_dimensions(metric: list[Any]) -> dict[str, Any]:
    """A dashboard metric is [namespace, name, dimension, value, ..., {options}]."""
    pairs = [x for x in metric[2:] if not isinstance(x, dict)]
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


def test_one_dashboard_named_for_the_stage(synthesized: Synthesized, staging: Synthesized) -> None:
    for s, name in ((synthesized, "oms-operations"), (staging, "oms-staging-operations")):
        (dashboard,) = s.of_type("AWS::CloudWatch::Dashboard").values()
        assert dashboard["Properties"]["DashboardName"] == name


def test_the_dashboard_shows_orders_replays_refusals_and_backorders(
    synthesized: Synthesized, staging: Synthesized
) -> None:
    for s, namespace in ((synthesized, "OMS"), (staging, "OMS/staging")):
        graphs = graph_metrics(s)
        app = {
            title: {tuple(m[:2]) for m in metrics if m[0] == namespace} for title, metrics in graphs.items()
        }
        (orders,) = [t for t in graphs if t.startswith("Orders per minute")]
        assert {(namespace, n) for n in ("OrderCreated", "FeedOrderCreated", "HookAccepted")} <= app[orders]
        hooks = [m for m in graphs[orders] if m[1] == "HookAccepted"]
        assert {metric_dimensions(m)["platform"] for m in hooks} == set(PLATFORMS)
        (replays,) = [t for t in graphs if t.startswith("Replays")]
        assert {(namespace, n) for n in ("OrderReplayed", "FeedOrderReplayed", "HookDuplicate")} == app[
            replays
        ]
        (refusals,) = [t for t in graphs if "out of stock" in t]
        assert app[refusals] == {(namespace, "OrderOutOfStock")}
        (backorders,) = [t for t in graphs if t.startswith("Backorders")]
        assert app[backorders] == {(namespace, "FeedOrderBackordered"), (namespace, "BackorderConfirmed")}
        for title, metrics in graphs.items():
            for m in metrics:
                if m[0] == namespace:
                    assert metric_dimensions(m)["service"] == spec.SERVICE_NAME, title


def test_the_dashboard_graphs_orders_per_channel_from_the_metric_the_functions_emit(
    synthesized: Synthesized, staging: Synthesized
) -> None:
    for s, namespace in ((synthesized, "OMS"), (staging, "OMS/staging")):
        (widget,) = [
            w for w in dashboard_body(s)["widgets"] if w["properties"].get("title") == ORDERS_BY_CHANNEL
        ]
        ((search,),) = widget["properties"]["metrics"]
        assert search["expression"] == (
            f'SEARCH(\'{{"{namespace}",channel,service}} MetricName="OrderPlaced" service="oms"\', '
            "'Sum', 60)"
        )
    # The name and dimension are the ones shared.observability.count_order_placed emits, on each new order.
    for path in ("functions/api/routes/orders.py", "functions/marketplace_feed/handler.py"):
        assert "count_order_placed(" in (REPO_ROOT / path).read_text(), path


def test_the_dashboard_shows_dead_letters_the_api_and_the_durations(synthesized: Synthesized) -> None:
    graphs = graph_metrics(synthesized)
    ids = queue_ids(synthesized)
    (dlq,) = [t for t in graphs if t.startswith("Dead-letter")]
    assert {m[3] for m in graphs[dlq]} == {ids[q] for q in QUEUE_ALARMS}
    assert {m[1] for m in graphs[dlq]} == {"ApproximateNumberOfMessagesVisible"}
    (latency,) = [t for t in graphs if t.startswith("API latency")]
    assert {m[1] for m in graphs[latency]} == {"Latency", "IntegrationLatency"}
    (errors,) = [t for t in graphs if t.startswith("API requests and errors")]
    assert {m[1] for m in graphs[errors]} == {"Count", "4XXError", "5XXError"}
    (durations,) = [t for t in graphs if t.startswith("Function duration")]
    assert {m[1] for m in graphs[durations]} == {"Duration"}
    functions = {function_resource(synthesized, fn)[0] for fn in spec.FUNCTIONS}
    assert {m[3] for m in graphs[durations]} == functions

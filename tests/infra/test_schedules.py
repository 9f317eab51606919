"""Schedule triggers become EventBridge Scheduler schedules in the business time zone (CDK context
``timezone``): cron, no flexible window, the event verbatim (Scheduler fills in the scheduled time), retries,
the failures queue as dead-letter queue and as the function's asynchronous on-failure destination, and a
Scheduler role that may invoke that one function and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra import spec
from infra.app import build_app, cdk_json_context
from infra.constructs.buckets import NOTIFICATIONS_HANDLER
from infra.constructs.schedules import MAX_EVENT_AGE, schedule_triggers
from infra.description import Function, ScheduleTrigger
from infra.schedule_time import LAMBDA_ASYNC_MAX_RETRIES, function_error_retries
from shared.config import DEFAULT_TIMEZONE, TIMEZONE_ENV
from tests.infra.conftest import Synthesized
from tests.infra.test_queues import queue_ids, sqs_actions_on
from tests.infra.test_stack import as_list, function_resource, refs, role_statements

SCHEDULES = schedule_triggers()
SCHEDULE_IDS = [f"{fn.name}<-{t.id}" for fn, t in SCHEDULES]


def schedules_by_id(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Schedule trigger id -> its AWS::Scheduler::Schedule properties (the description names the id)."""
    found: dict[str, dict[str, Any]] = {}
    for r in resources.values():
        if r["Type"] == "AWS::Scheduler::Schedule":
            trigger_id = r["Properties"]["Description"].removeprefix("OMS: ").split(" ")[0]
            found[trigger_id] = r["Properties"]
    return found


def policy_statements_of(s: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return [
        st
        for p in s.of_type("AWS::IAM::Policy").values()
        if role_id in refs(p["Properties"]["Roles"])
        for st in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_reports_function_runs_daily_at_one() -> None:
    assert [(fn.name, t.id) for fn, t in SCHEDULES] == [
        (spec.REPORTS_FUNCTION.name, "DailyReports"),
        *(
            (spec.ANALYTICS_EXPORT.name, f"AnalyticsExport{n}") for n in (1, 2, 3)
        ),  # tests/infra/test_analytics_infra.py
        (spec.INVENTORY_ROLLUP.name, "InventoryRollup"),  # issue 18: at 00:20, before the reports read it
    ]
    (_, trigger) = SCHEDULES[0]
    assert trigger.cron == "cron(0 1 * * ? *)"
    assert trigger.event == {"schedule": "daily-reports", "scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert trigger.failures is spec.SCHEDULE_FAILURES


def test_exactly_one_schedule_per_schedule_trigger(synthesized: Synthesized) -> None:
    assert set(schedules_by_id(synthesized.resources)) == {t.id for _, t in SCHEDULES}
    synthesized.template.resource_count_is("AWS::Scheduler::Schedule", len(SCHEDULES))
    synthesized.template.resource_count_is("AWS::Scheduler::ScheduleGroup", 0)  # the default group


@pytest.mark.parametrize(("fn", "trigger"), SCHEDULES, ids=SCHEDULE_IDS)
def test_schedule_matches_the_trigger(
    synthesized: Synthesized, fn: Function, trigger: ScheduleTrigger
) -> None:
    schedule = schedules_by_id(synthesized.resources)[trigger.id]
    function_id, _ = function_resource(synthesized, fn)
    assert schedule["ScheduleExpression"] == trigger.cron
    assert schedule["ScheduleExpressionTimezone"] == "UTC"  # the default business time zone
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["State"] == "ENABLED"
    assert "Name" not in schedule  # CloudFormation names it
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    # The event, verbatim: Scheduler itself replaces its context attribute with the scheduled time.
    assert json.loads(target["Input"]) == trigger.event
    assert '"<aws.scheduler.scheduled-time>"' in target["Input"]
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": trigger.retry_attempts,
        "MaximumEventAgeInSeconds": 3600,  # a run an hour late is stale: it goes to the failures queue
    }
    assert MAX_EVENT_AGE.to_seconds() == 3600
    failures = queue_ids(synthesized)[trigger.failures.id]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [failures, "Arn"]}}


@pytest.mark.parametrize(("fn", "trigger"), SCHEDULES, ids=SCHEDULE_IDS)
def test_scheduler_role_may_invoke_that_function_and_send_to_failures_only(
    synthesized: Synthesized, fn: Function, trigger: ScheduleTrigger
) -> None:
    schedule = schedules_by_id(synthesized.resources)[trigger.id]
    (role_id,) = refs(schedule["Target"]["RoleArn"])
    role = synthesized.resources[role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    conditions = trust["Condition"]["StringEquals"]
    assert conditions["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert ":schedule-group/default" in json.dumps(conditions["aws:SourceArn"])
    assert "ManagedPolicyArns" not in role

    function_id, _ = function_resource(synthesized, fn)
    failures = queue_ids(synthesized)[trigger.failures.id]
    statements = policy_statements_of(synthesized, role_id)
    assert sorted((as_list(st["Action"]), json.dumps(st["Resource"])) for st in statements) == sorted(
        [
            (
                ["lambda:InvokeFunction"],
                json.dumps(
                    [
                        {"Fn::GetAtt": [function_id, "Arn"]},
                        {"Fn::Join": ["", [{"Fn::GetAtt": [function_id, "Arn"]}, ":*"]]},
                    ]
                ),
            ),
            (["sqs:SendMessage"], json.dumps({"Fn::GetAtt": [failures, "Arn"]})),
        ]
    )


def test_nothing_else_may_invoke_a_function_through_iam(synthesized: Synthesized) -> None:
    """lambda:InvokeFunction appears in IAM only for the scheduled functions, granted to their schedules'
    roles. (API Gateway invokes through the functions' resource policies, AWS::Lambda::Permission.)"""
    scheduled = {function_resource(synthesized, fn)[0] for fn, _ in SCHEDULES}
    schedule_roles = {
        next(iter(refs(s["Target"]["RoleArn"]))) for s in schedules_by_id(synthesized.resources).values()
    }
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            if any(a.startswith("lambda:") for a in as_list(st["Action"])):
                assert as_list(st["Action"]) == ["lambda:InvokeFunction"]
                assert refs(st["Resource"]) <= scheduled
                assert {r["Ref"] for r in policy["Properties"]["Roles"]} <= schedule_roles
    for permission in synthesized.of_type("AWS::Lambda::Permission").values():
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"


@pytest.mark.parametrize(("fn", "trigger"), SCHEDULES, ids=SCHEDULE_IDS)
def test_a_failed_run_is_retried_by_lambda_then_lands_in_failures(
    synthesized: Synthesized, fn: Function, trigger: ScheduleTrigger
) -> None:
    """Scheduler invokes asynchronously: a function error is Lambda's to retry, then its on-failure record
    goes to the same failures queue as Scheduler's undeliverable runs."""
    function_id, _ = function_resource(synthesized, fn)
    configs = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    (config,) = configs
    failures = queue_ids(synthesized)[trigger.failures.id]
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [failures, "Arn"]}}}
    assert config["MaximumRetryAttempts"] == function_error_retries(trigger) == 2
    assert config["MaximumEventAgeInSeconds"] == 3600
    assert config["Qualifier"] == "$LATEST"
    # Lambda sends that record with the function's role: send only, on that queue.
    statements = role_statements(synthesized, fn)
    assert sqs_actions_on(statements, failures) == {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    assert not {
        a for st in statements for a in as_list(st["Action"]) if a.startswith(("lambda:", "scheduler:"))
    }


def test_only_scheduled_functions_have_an_async_invoke_config(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is(
        "AWS::Lambda::EventInvokeConfig", len({fn.name for fn, _ in SCHEDULES})
    )


def test_function_error_retries_are_capped_at_lambdas_limit() -> None:
    (_, trigger) = SCHEDULES[0]
    assert trigger.retry_attempts == 3
    assert function_error_retries(trigger) == LAMBDA_ASYNC_MAX_RETRIES == 2


def test_the_scheduler_role_wildcard_is_acknowledged_with_its_reason(synthesized: Synthesized) -> None:
    for fn, trigger in SCHEDULES:
        role = synthesized.stack.schedules.node.find_child(f"{trigger.id}Role")
        policy = synthesized.resources[synthesized.logical_id(role.node.find_child("DefaultPolicy"))]
        function_id, _ = function_resource(synthesized, fn)
        (rule,) = policy["Metadata"]["cdk_nag"]["rules_to_suppress"]
        assert rule["id"] == f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]"
        assert fn.name in rule["reason"]


# --- the business time zone -----------------------------------------------------------------


def test_cdk_json_names_the_default_time_zone() -> None:
    assert cdk_json_context()["timezone"] == DEFAULT_TIMEZONE == "UTC"


def test_the_time_zone_comes_from_the_cdk_context(tmp_path: Path) -> None:
    _, stack = build_app(outdir=str(tmp_path), context={"timezone": "Europe/Berlin"})
    resources = Template.from_stack(stack).to_json()["Resources"]
    for trigger_id, schedule in schedules_by_id(resources).items():
        assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin", trigger_id
    functions = [
        r
        for lid, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and not lid.startswith(NOTIFICATIONS_HANDLER)
    ]
    assert len(functions) == len(spec.FUNCTIONS)
    for function in functions:
        assert function["Properties"]["Environment"]["Variables"][TIMEZONE_ENV] == "Europe/Berlin"


@pytest.mark.parametrize("zone", ["Europe/Berlinn", "CET+1", "", "../etc/passwd", 1])
def test_the_synth_refuses_an_unknown_time_zone(tmp_path: Path, zone: object) -> None:
    with pytest.raises(ValueError, match=r"the CDK context value 'timezone' is .*not an IANA time zone"):
        build_app(outdir=str(tmp_path), context={"timezone": zone})

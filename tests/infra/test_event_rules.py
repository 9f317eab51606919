"""Event rules in CDK (infra/constructs/events.py ``EventRules``): an EventBridge rule on the bus per
``spec.EVENT_RULES`` entry, its queue the one target, that queue's policy letting this rule (and nothing
else) send, and the queue's dead-letter queue keeping what EventBridge could not deliver."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra import spec
from infra.constructs.events import RULE_TARGET_RETRIES, Buses, EventRules
from infra.constructs.queues import Queues
from infra.constructs.tables import Tables
from infra.description import EventRule
from tests.infra.conftest import Synthesized

RULE = EventRule(
    "StockLowToStockUpdates", spec.EVENTS, spec.STOCK_UPDATES, ("StockLow",), ("oms.inventory",), "test"
)


def rules_stack(rules: tuple[EventRule, ...]) -> tuple[dict[str, Any], Stack, EventRules, Queues]:
    stack = Stack(App(), "Rules")
    tables = Tables(stack, "Tables")
    queues = Queues(stack, "Queues", personal_data_key=tables.personal_data_key)
    buses = Buses(stack, "Buses")
    made = EventRules(stack, "EventRules", buses=buses, queues=queues, rules=rules)
    return Template.from_stack(stack).to_json()["Resources"], stack, made, queues


def of_type(resources: dict[str, Any], cfn_type: str) -> dict[str, Any]:
    return {lid: r for lid, r in resources.items() if r["Type"] == cfn_type}


def test_a_rule_puts_what_it_matches_on_its_queue_with_the_dlq_for_what_cannot_be_delivered() -> None:
    resources, stack, made, queues = rules_stack((RULE,))
    rule_id = stack.get_logical_id(made.by_id[RULE.id].node.default_child)  # type: ignore[arg-type]
    props = resources[rule_id]["Properties"]
    assert props["EventPattern"] == {"detail-type": ["StockLow"], "source": ["oms.inventory"]}
    assert props["EventBusName"] == {"Ref": next(iter(of_type(resources, "AWS::Events::EventBus")))}
    (target,) = props["Targets"]
    queue_id = stack.get_logical_id(queues.queue(spec.STOCK_UPDATES).node.default_child)  # type: ignore[arg-type]
    dlq_id = stack.get_logical_id(queues.queue(spec.STOCK_UPDATES_DLQ).node.default_child)  # type: ignore[arg-type]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == RULE_TARGET_RETRIES


def test_only_that_rule_may_send_to_the_queue() -> None:
    resources, stack, made, queues = rules_stack((RULE,))
    rule_id = stack.get_logical_id(made.by_id[RULE.id].node.default_child)  # type: ignore[arg-type]
    queue_id = stack.get_logical_id(queues.queue(spec.STOCK_UPDATES).node.default_child)  # type: ignore[arg-type]
    sends = [
        (policy["Properties"]["Queues"], statement)
        for policy in of_type(resources, "AWS::SQS::QueuePolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    to_queue = [s for queues_, s in sends if queues_ == [{"Ref": queue_id}]]
    assert len(to_queue) == 1
    (statement,) = to_queue
    # CDK's grantSendMessages: send, and the two reads EventBridge makes to find the queue.
    assert statement["Action"] == ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}}


def test_no_rules_no_resources() -> None:
    resources, *_ = rules_stack(())
    patterns = [r["Properties"].get("EventPattern") for r in of_type(resources, "AWS::Events::Rule").values()]
    assert all("detail-type" not in (p or {}) for p in patterns)  # only the buses' own log rules


def test_the_stack_has_every_spec_rule(synthesized: Synthesized) -> None:
    patterns = [
        r["Properties"]["EventPattern"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if "detail-type" in r["Properties"]["EventPattern"]
    ]
    assert sorted(map(str, patterns)) == sorted(str(r.pattern()) for r in spec.EVENT_RULES)

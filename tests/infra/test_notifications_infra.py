"""Notifications in CDK: the rule from the bus to the notifications queue, the queue with its DLQ and a
visibility timeout past the function's, the function's least-privilege role (SES sending scoped to the
identity, the configuration set and the sender address), the configuration set's bounces and complaints
on an encrypted SNS topic delivered raw to the queue."""

from __future__ import annotations

import json
from typing import Any

from infra import spec
from infra.constructs.email import identity_of
from shared.config import (
    DEFAULT_SENDER_EMAIL,
    PUBLIC_URL_ENV,
    SENDER_EMAIL_ENV,
    SES_CONFIGURATION_SET_ENV,
)
from tests.infra.conftest import Synthesized


def function_of(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    fn = synthesized.stack.functions.function(spec.NOTIFICATIONS_FUNCTION)
    lid = synthesized.logical_id(fn)
    return lid, synthesized.resources[lid]


def role_statements(synthesized: Synthesized, function: dict[str, Any]) -> list[dict[str, Any]]:
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_rule_sends_order_and_stock_events_to_the_notifications_queue(synthesized: Synthesized) -> None:
    queue_id = synthesized.logical_id(synthesized.stack.queues.queue(spec.NOTIFICATIONS_QUEUE))
    rules = [
        r
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]} for t in r["Properties"].get("Targets", []))
    ]
    (rule,) = rules
    pattern = rule["Properties"]["EventPattern"]
    assert sorted(pattern["detail-type"]) == sorted(
        ["OrderCreated", "OrderStatusChanged", "OrderShipped", "StockLow"]
    )
    assert sorted(pattern["source"]) == ["oms.inventory", "oms.orders"]


def test_the_queue_has_its_dlq_and_outlasts_the_function(synthesized: Synthesized) -> None:
    queues = synthesized.stack.queues
    queue = synthesized.resources[synthesized.logical_id(queues.queue(spec.NOTIFICATIONS_QUEUE))]
    dlq_id = synthesized.logical_id(queues.queue(spec.NOTIFICATIONS_DLQ))
    props = queue["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": spec.NOTIFICATIONS_QUEUE.max_receive_count,
    }
    assert props["VisibilityTimeout"] == 6 * spec.NOTIFICATIONS_FUNCTION.timeout_s
    from shared.services.notifications import LEASE_S

    assert spec.NOTIFICATIONS_FUNCTION.timeout_s < LEASE_S < props["VisibilityTimeout"]
    mappings = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"].get("EventSourceArn")
        == {"Fn::GetAtt": [synthesized.logical_id(queues.queue(spec.NOTIFICATIONS_QUEUE)), "Arn"]}
    ]
    (mapping,) = mappings
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_ses_sending_is_scoped_to_the_identity_and_the_sender(synthesized: Synthesized) -> None:
    own, function = function_of(synthesized)
    env = function["Properties"]["Environment"]["Variables"]
    assert env[SENDER_EMAIL_ENV] == DEFAULT_SENDER_EMAIL
    assert SES_CONFIGURATION_SET_ENV in env
    statements = role_statements(synthesized, function)
    ses = [s for s in statements if any(a.startswith("ses:") for a in actions_of(s))]
    (statement,) = ses
    assert sorted(actions_of(statement)) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": DEFAULT_SENDER_EMAIL}}
    resources = json.dumps(statement["Resource"])
    assert ':identity/", {"Ref": "SesIdentity"}' in resources and "configuration-set/" in resources
    # The identity is a deploy parameter, the sender's domain unless the context names another.
    parameter = synthesized.template.to_json()["Parameters"]["SesIdentity"]
    assert (parameter["Type"], parameter["Default"]) == ("String", identity_of(DEFAULT_SENDER_EMAIL))
    assert '"*"' not in resources
    # No other function may send email.
    for lid, other in synthesized.functions.items():
        if lid == own:
            continue
        assert not any(
            a.startswith("ses:") for s in role_statements(synthesized, other) for a in actions_of(s)
        ), lid


def test_links_are_signed_with_generate_mac_only_under_the_stage_url(synthesized: Synthesized) -> None:
    _, function = function_of(synthesized)
    url = function["Properties"]["Environment"]["Variables"][PUBLIC_URL_ENV]
    assert ".execute-api." in json.dumps(url)
    kms = [a for s in role_statements(synthesized, function) for a in actions_of(s) if a.startswith("kms:")]
    assert "kms:GenerateMac" in kms and "kms:VerifyMac" not in kms


def test_least_privilege_tables(synthesized: Synthesized) -> None:
    _, function = function_of(synthesized)
    dynamo = [
        a for s in role_statements(synthesized, function) for a in actions_of(s) if a.startswith("dynamodb:")
    ]
    assert "dynamodb:Scan" not in dynamo and "dynamodb:DeleteItem" not in dynamo
    assert "dynamodb:BatchWriteItem" not in dynamo


def test_bounces_and_complaints_reach_the_queue_raw_through_an_encrypted_topic(
    synthesized: Synthesized,
) -> None:
    (destination,) = synthesized.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    event = destination["Properties"]["EventDestination"]
    assert sorted(event["MatchingEventTypes"]) == ["bounce", "complaint"]
    topic_ref = event["SnsDestination"]["TopicARN"]
    topic = synthesized.resources[topic_ref["Ref"]]
    assert "KmsMasterKeyId" in topic["Properties"]
    queue_id = synthesized.logical_id(synthesized.stack.queues.queue(spec.NOTIFICATIONS_QUEUE))
    subscriptions = [
        s["Properties"]
        for s in synthesized.of_type("AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == topic_ref
    ]
    (subscription,) = subscriptions
    assert subscription["Protocol"] == "sqs" and subscription["RawMessageDelivery"] is True
    assert subscription["Endpoint"] == {"Fn::GetAtt": [queue_id, "Arn"]}

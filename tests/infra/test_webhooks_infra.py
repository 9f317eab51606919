"""Webhooks in the stack: the rule feeding the webhooks queue, the queue and its DLQ, the alarm on a disabled
endpoint, and the delivery function's least-privilege role (no VPC: the SSRF check keeps it off internal
addresses)."""

from __future__ import annotations

from typing import Any

from infra import spec
from shared.domain import webhooks as domain
from shared.metric_names import WEBHOOK_ENDPOINT_DISABLED_METRIC
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, function_resource, refs, role_statements, table_ids, tables_in


def queue_id(s: Synthesized, queue: Any) -> str:
    return s.logical_id(s.stack.queues.queue(queue))


def test_the_rule_puts_every_webhook_event_on_the_webhooks_queue(synthesized: Synthesized) -> None:
    webhooks_queue = queue_id(synthesized, spec.WEBHOOKS_QUEUE)
    [rule] = [
        r
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if any(webhooks_queue in refs(t["Arn"]) for t in r["Properties"].get("Targets", []))
    ]
    pattern = rule["Properties"]["EventPattern"]
    assert sorted(pattern["detail-type"]) == sorted(
        [
            "OrderCreated",
            "OrderStatusChanged",
            "OrderShipped",
            "StockLow",
            "ImportFinished",
            "WebhookEndpointDisabled",
        ]
    )
    assert sorted(pattern["source"]) == sorted(["oms.orders", "oms.inventory", "oms.imports", "oms.webhooks"])


def test_the_queue_keeps_a_delivery_past_its_whole_schedule_and_has_a_dlq(synthesized: Synthesized) -> None:
    queue = synthesized.resources[queue_id(synthesized, spec.WEBHOOKS_QUEUE)]["Properties"]
    retention_s = queue["MessageRetentionPeriod"]
    assert retention_s >= 4 * 24 * 3600
    assert retention_s > domain.max_total().total_seconds() + 12 * 3600
    # Lambda's advice: six times the function's timeout, plus the batching window.
    assert queue["VisibilityTimeout"] == 6 * spec.WEBHOOKS_FUNCTION.timeout_s + spec.WEBHOOKS_BATCH_WINDOW_S
    redrive = queue["RedrivePolicy"]
    assert redrive["maxReceiveCount"] > domain.ATTEMPTS
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [queue_id(synthesized, spec.WEBHOOKS_DLQ), "Arn"]}
    mappings = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if queue_id(synthesized, spec.WEBHOOKS_QUEUE) in refs(m["Properties"].get("EventSourceArn"))
    ]
    [mapping] = mappings
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_an_alarm_fires_when_an_endpoint_is_disabled(synthesized: Synthesized) -> None:
    [alarm] = [
        a["Properties"]
        for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == WEBHOOK_ENDPOINT_DISABLED_METRIC
    ]
    assert alarm["Threshold"] == 1
    assert alarm["AlarmActions"]  # it reaches someone


def test_the_oldest_message_alarm_allows_for_scheduled_retries(synthesized: Synthesized) -> None:
    [alarm] = [
        a["Properties"]
        for lid, a in synthesized.of_type("AWS::CloudWatch::Alarm").items()
        if "WebhooksOldestMessage" in lid
    ]
    assert alarm["Threshold"] > domain.max_total().total_seconds()


def test_the_delivery_function_has_no_vpc_and_only_what_it_needs(synthesized: Synthesized) -> None:
    fn = spec.WEBHOOKS_FUNCTION
    _, resource = function_resource(synthesized, fn)
    assert "VpcConfig" not in resource["Properties"]
    statements = role_statements(synthesized, fn)
    ids = table_ids(synthesized)
    assert tables_in(statements, ids) == {spec.WEBHOOKS.id, spec.ORDERS.id}
    on_orders = {
        a for st in statements if ids[spec.ORDERS.id] in refs(st["Resource"]) for a in as_list(st["Action"])
    }
    assert not on_orders & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    on_webhooks = {
        a for st in statements if ids[spec.WEBHOOKS.id] in refs(st["Resource"]) for a in as_list(st["Action"])
    }
    assert "dynamodb:DeleteItem" not in on_webhooks and "dynamodb:Scan" not in on_webhooks
    sqs_sends = {
        r for st in statements if "sqs:SendMessage" in as_list(st["Action"]) for r in refs(st["Resource"])
    }
    assert sqs_sends == {queue_id(synthesized, spec.WEBHOOKS_QUEUE), queue_id(synthesized, spec.WEBHOOKS_DLQ)}
    kms = [st for st in statements if any(a.startswith("kms:") for a in as_list(st["Action"]))]
    # The secrets: Decrypt only (with the webhook context). The personal-data key: what its tables need
    # (the orders read, the deliveries written: their payloads hold the order's customer).
    secrets_key = synthesized.logical_id(synthesized.stack.keys.key(spec.SECRETS_KEY))
    personal = synthesized.logical_id(synthesized.stack.tables.personal_data_key)
    assert {r for st in kms for r in refs(st["Resource"])} == {secrets_key, personal}
    assert {a for st in kms if personal in refs(st["Resource"]) for a in as_list(st["Action"])} <= {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    }
    [on_secrets] = [st for st in kms if secrets_key in refs(st["Resource"])]
    assert on_secrets["Action"] == "kms:Decrypt"
    assert on_secrets["Condition"] == {"Null": {"kms:EncryptionContext:webhook": "false"}}
    puts = [st for st in statements if "events:PutEvents" in as_list(st["Action"])]
    assert len(puts) == 1
    actions = {a for st in statements for a in as_list(st["Action"])}
    assert not {a for a in actions if a.startswith(("s3:", "ec2:", "secretsmanager:", "ssm:"))}


def test_the_api_may_replay_through_the_queue_and_never_decrypt(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.API)
    sends = {
        r for st in statements if "sqs:SendMessage" in as_list(st["Action"]) for r in refs(st["Resource"])
    }
    assert queue_id(synthesized, spec.WEBHOOKS_QUEUE) in sends
    secrets_key = synthesized.logical_id(synthesized.stack.keys.key(spec.SECRETS_KEY))
    on_secrets = [st for st in statements if secrets_key in refs(st["Resource"])]
    assert {a for st in on_secrets for a in as_list(st["Action"])} == {"kms:Encrypt"}

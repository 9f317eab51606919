"""The cloud import path as synthesised: the imports function, its trigger and its least-privilege grants,
the imports bucket's notification of uploads to the work queue (and the queue policy letting S3 send), the
API's presigning grants, and the routes. cdk-nag and cfn-lint run over the same template (test_stack.py,
test_cfn_lint.py)."""

from __future__ import annotations

from typing import Any

from infra import spec
from infra.constructs.buckets import NOTIFICATIONS_HANDLER
from infra.description import TABLE_ACTIONS, BucketNotification, QueueTrigger
from tests.infra.conftest import Synthesized
from tests.infra.test_buckets import bucket_ids, objects_under, s3_statements
from tests.infra.test_queues import event_source_mappings, queue_ids, sqs_actions_on
from tests.infra.test_stack import as_list, function_resource, refs, role_statements, table_ids

FN = spec.IMPORTS_FUNCTION


def actions_on(statements: list[dict[str, Any]], resource: Any) -> set[str]:
    return {
        a
        for st in statements
        if st["Effect"] == "Allow" and st["Resource"] == resource
        for a in as_list(st["Action"])
    }


# --- the description ------------------------------------------------------------------------


def test_the_worker_takes_one_message_at_a_time_from_the_work_queue() -> None:
    (trigger,) = FN.triggers
    assert trigger == QueueTrigger(spec.IMPORT_WORK, batch_size=1, max_concurrency=5)
    assert FN.timeout_s == spec.IMPORT_WORK_TIMEOUT_S == 900  # Lambda's limit: a chunk is far smaller
    assert spec.IMPORT_WORK.visibility_timeout_s >= 6 * FN.timeout_s
    assert spec.IMPORT_WORK.dead_letter == spec.IMPORT_WORK_DLQ


def test_uploads_notify_the_work_queue() -> None:
    assert (
        BucketNotification(spec.IMPORTS_BUCKET, "uploads/", spec.IMPORT_WORK),
    ) == spec.BUCKET_NOTIFICATIONS


def test_the_import_routes_are_staff_routes_of_the_api() -> None:
    routes = {(r.method, r.path): r for r in spec.API.routes}
    for key in (("POST", "/imports"), ("GET", "/imports"), ("GET", "/imports/{import_id}")):
        assert routes[key].authorized  # staff only: the route checks the role (403 for a channel key)


# --- the function ---------------------------------------------------------------------------


def test_the_function_is_sized_for_streaming(synthesized: Synthesized) -> None:
    _, function = function_resource(synthesized, FN)
    props = function["Properties"]
    assert (props["MemorySize"], props["Timeout"]) == (1024, 900)
    assert props["Handler"] == "functions.imports.handler.lambda_handler"


def test_its_event_source_mapping_reports_partial_failures(synthesized: Synthesized) -> None:
    (mapping,) = event_source_mappings(synthesized, FN)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_ids(synthesized)[spec.IMPORT_WORK.id], "Arn"]}
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}


def test_it_reads_uploads_and_writes_error_reports_and_nothing_else_in_s3(synthesized: Synthesized) -> None:
    bucket = bucket_ids(synthesized)[spec.IMPORTS_BUCKET.id]
    statements = s3_statements(role_statements(synthesized, FN))
    assert actions_on(statements, objects_under(bucket, "uploads/")) == {"s3:GetObject"}
    assert actions_on(statements, objects_under(bucket, "errors/")) == {
        "s3:PutObject",
        "s3:AbortMultipartUpload",
    }
    assert actions_on(statements, objects_under(bucket, "plans/")) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
    }
    assert len(statements) == 3  # no other prefix, nothing on the bucket itself, no other bucket


def test_its_table_grants_are_exactly_the_spec(synthesized: Synthesized) -> None:
    ids = table_ids(synthesized)
    statements = role_statements(synthesized, FN)
    granted: dict[str, set[str]] = {}
    for st in statements:
        for table_id, logical_id in ids.items():
            if logical_id in refs(st["Resource"]):
                granted.setdefault(table_id, set()).update(
                    a for a in as_list(st["Action"]) if a.startswith("dynamodb:")
                )
    assert granted == {
        spec.IMPORTS.id: set(TABLE_ACTIONS["read_write"]),
        spec.CATALOG.id: set(TABLE_ACTIONS["read_write"]),
        spec.CUSTOMERS.id: set(TABLE_ACTIONS["read_write"]),
        spec.ORDERS.id: set(TABLE_ACTIONS["read_write"]),
    }
    everything = {a for st in statements for a in as_list(st["Action"])}
    assert not {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"} & everything


def test_it_sends_only_its_own_chunks_and_its_poison(synthesized: Synthesized) -> None:
    ids = queue_ids(synthesized)
    statements = role_statements(synthesized, FN)
    assert "sqs:SendMessage" in sqs_actions_on(statements, ids[spec.IMPORT_WORK.id])
    assert "sqs:SendMessage" in sqs_actions_on(statements, ids[spec.IMPORT_WORK_DLQ.id])
    others = {q.id for q in spec.QUEUES} - {spec.IMPORT_WORK.id, spec.IMPORT_WORK_DLQ.id}
    assert all(not sqs_actions_on(statements, ids[q]) for q in others)
    assert any("events:PutEvents" in as_list(st["Action"]) for st in statements)  # ImportFinished


# --- the API's presigning grants ------------------------------------------------------------


def test_the_api_may_presign_puts_of_uploads_and_gets_of_error_reports_only(synthesized: Synthesized) -> None:
    bucket = bucket_ids(synthesized)[spec.IMPORTS_BUCKET.id]
    statements = [
        st for st in s3_statements(role_statements(synthesized, spec.API)) if bucket in refs(st["Resource"])
    ]
    assert actions_on(statements, objects_under(bucket, "uploads/")) == {"s3:PutObject"}
    assert actions_on(statements, objects_under(bucket, "errors/")) == {"s3:GetObject"}
    assert len(statements) == 2  # never an upload read back, never a report written


# --- the notification -----------------------------------------------------------------------


def test_the_imports_bucket_notifies_the_work_queue_of_uploads(synthesized: Synthesized) -> None:
    bucket = bucket_ids(synthesized)[spec.IMPORTS_BUCKET.id]
    queue = queue_ids(synthesized)[spec.IMPORT_WORK.id]
    (notification,) = synthesized.of_type("Custom::S3BucketNotifications").values()
    props = notification["Properties"]
    assert props["BucketName"] == {"Ref": bucket}
    assert props["NotificationConfiguration"] == {
        "QueueConfigurations": [
            {
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                "QueueArn": {"Fn::GetAtt": [queue, "Arn"]},
            }
        ]
    }
    # Configured once the queue policy lets S3 send (S3 checks it when the configuration is put).
    policy_ids = [
        lid
        for lid, r in synthesized.of_type("AWS::SQS::QueuePolicy").items()
        if {"Ref": queue} in r["Properties"]["Queues"]
    ]
    assert set(policy_ids) <= set(notification["DependsOn"])


def test_only_s3_from_the_imports_bucket_may_send_to_the_work_queue(synthesized: Synthesized) -> None:
    bucket = bucket_ids(synthesized)[spec.IMPORTS_BUCKET.id]
    queue = queue_ids(synthesized)[spec.IMPORT_WORK.id]
    (policy,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if r["Properties"]["Queues"] == [{"Ref": queue}]
    ]
    (allowed,) = [st for st in policy if st["Effect"] == "Allow"]
    assert allowed["Principal"] == {"Service": "s3.amazonaws.com"}
    assert "sqs:SendMessage" in as_list(allowed["Action"])
    assert allowed["Condition"] == {"ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [bucket, "Arn"]}}}
    assert allowed["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    others = [
        r
        for r in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if r["Properties"]["Queues"] != [{"Ref": queue}]
    ]
    # No other queue lets anyone in, but an event rule's EventBridge its queue and DLQ (test_event_rules.py)
    # and SES's feedback topic the notifications queue (test_notifications_infra.py).
    assert all(
        st["Effect"] == "Deny"
        or st["Principal"] in ({"Service": "events.amazonaws.com"}, {"Service": "sns.amazonaws.com"})
        for r in others
        for st in r["Properties"]["PolicyDocument"]["Statement"]
    )


def test_cdks_notification_handler_is_acknowledged_for_its_managed_policy_only(
    synthesized: Synthesized,
) -> None:
    roles = [
        r for lid, r in synthesized.of_type("AWS::IAM::Role").items() if lid.startswith(NOTIFICATIONS_HANDLER)
    ]
    (role,) = roles
    suppressed = [rule["id"] for rule in role["Metadata"]["cdk_nag"]["rules_to_suppress"]]
    assert suppressed == [
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
    ]
    (policy,) = [
        p
        for p in synthesized.of_type("AWS::IAM::Policy").values()
        if any(ref.startswith(NOTIFICATIONS_HANDLER) for ref in refs(p["Properties"]["Roles"]))
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "s3:PutBucketNotification"
    assert statement["Resource"] == {"Fn::GetAtt": [bucket_ids(synthesized)[spec.IMPORTS_BUCKET.id], "Arn"]}

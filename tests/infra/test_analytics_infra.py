"""Athena over the analytics export, as synthesised: the Glue database and its tables (JSON SerDe, the
layout's columns, partition projection on the business day over the analytics bucket's prefixes), the
workgroup (enforced, encrypted results under their prefix, a bytes-scanned limit), the named queries (the
text of infra/analytics_queries.py), the export function's grants and schedule, and the bucket's lifecycle
for query results. cdk-nag runs on every synth (tests/infra/conftest.py): clean."""

from __future__ import annotations

import json
from typing import Any

from infra import spec
from infra.analytics_queries import NAMED_QUERIES
from infra.constructs.analytics import GLUE_TYPES, JSON_SERDE
from infra.description import SCHEDULED_TIME
from shared.analytics.layout import TABLES
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, function_resource, refs, role_statements


def bucket_id(s: Synthesized) -> str:
    return s.logical_id(s.stack.buckets.bucket(spec.ANALYTICS_BUCKET))


def one(s: Synthesized, cfn_type: str) -> dict[str, Any]:
    (resource,) = s.of_type(cfn_type).values()
    return resource["Properties"]


def s3_url(s: Synthesized, prefix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["s3://", {"Ref": bucket_id(s)}, f"/{prefix}"]]}


def test_one_glue_database(synthesized: Synthesized) -> None:
    database = one(synthesized, "AWS::Glue::Database")
    assert database["DatabaseInput"]["Name"] == "oms_analytics" == spec.glue_database_name()
    assert database["CatalogId"] == {"Ref": "AWS::AccountId"}
    output = synthesized.template.to_json()["Outputs"]["AnalyticsDatabase"]["Value"]
    assert output == {"Ref": synthesized.logical_id(synthesized.stack.analytics.database)}


def test_a_glue_table_per_export_table_with_projection_on_the_day(synthesized: Synthesized) -> None:
    found = {
        t["Properties"]["TableInput"]["Name"]: t for t in synthesized.of_type("AWS::Glue::Table").values()
    }
    assert sorted(found) == sorted(t.name for t in TABLES)
    for table in TABLES:
        resource = found[table.name]
        assert resource["Properties"]["DatabaseName"] == "oms_analytics"
        assert synthesized.logical_id(synthesized.stack.analytics.database) in as_list(resource["DependsOn"])
        given = resource["Properties"]["TableInput"]
        assert given["TableType"] == "EXTERNAL_TABLE"
        assert given["PartitionKeys"] == [
            {"Name": "day", "Type": "string", "Comment": "The business day (YYYY-MM-DD)"}
        ]
        storage = given["StorageDescriptor"]
        assert storage["SerdeInfo"] == {"SerializationLibrary": JSON_SERDE}
        assert storage["Location"] == s3_url(synthesized, table.prefix)
        assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [
            (c.name, GLUE_TYPES[c.kind]) for c in table.columns
        ]
        params = given["Parameters"]
        assert {k: v for k, v in params.items() if k != "storage.location.template"} == {
            "classification": "json",
            "compressionType": "gzip",
            "projection.enabled": "true",
            "projection.day.type": "date",
            "projection.day.format": "yyyy-MM-dd",
            "projection.day.range": "2024-01-01,NOW",
            "projection.day.interval": "1",
            "projection.day.interval.unit": "DAYS",
        }
        assert params["storage.location.template"] == {
            "Fn::Join": ["", ["s3://", {"Ref": bucket_id(synthesized)}, f"/{table.prefix}day=${{day}}/"]]
        }
    money = {
        c["Name"]: c["Type"]
        for c in found["orders"]["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
    }
    assert money["net_sales"] == "decimal(18,2)" and money["cancelled"] == "boolean"
    assert "email" not in money and "name" not in money  # no personal data in the export's columns


def test_the_workgroup_enforces_encrypted_results_and_a_scan_limit(synthesized: Synthesized) -> None:
    workgroup = one(synthesized, "AWS::Athena::WorkGroup")
    assert workgroup["Name"] == "oms-analytics"
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == spec.ANALYTICS_CATALOG.bytes_scanned_cutoff == 50 * 1024**3
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["ResultConfiguration"] == {
        "OutputLocation": s3_url(synthesized, "athena-results/"),
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
        "ExpectedBucketOwner": {"Ref": "AWS::AccountId"},
    }


def test_the_named_queries_are_the_ones_oms_sql_runs(synthesized: Synthesized) -> None:
    workgroup_id = synthesized.logical_id(synthesized.stack.analytics.workgroup)
    queries = {
        q["Properties"]["Name"]: q["Properties"]
        for q in synthesized.of_type("AWS::Athena::NamedQuery").values()
    }
    assert sorted(queries) == sorted(q.name for q in NAMED_QUERIES)
    for query in NAMED_QUERIES:
        given = queries[query.name]
        assert given["QueryString"] == query.sql
        assert given["Database"] == "oms_analytics"
        assert given["WorkGroup"] == {"Ref": workgroup_id}


def test_athena_results_expire_and_the_export_is_kept(synthesized: Synthesized) -> None:
    bucket = synthesized.resources[bucket_id(synthesized)]["Properties"]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["Expire1"] == {
        "Id": "Expire1",
        "Prefix": "athena-results/",
        "ExpirationInDays": spec.ATHENA_RESULTS_DAYS,
        "Status": "Enabled",
    }
    assert not [r for r in rules.values() if "ExpirationInDays" in r and r.get("Prefix") != "athena-results/"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}


def test_the_export_function_writes_only_the_export_and_reads_only_its_tables(
    synthesized: Synthesized,
) -> None:
    statements = role_statements(synthesized, spec.ANALYTICS_EXPORT)
    s3 = [st for st in statements if any(a.startswith("s3:") for a in as_list(st["Action"]))]
    assert s3 == [
        {
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id(synthesized), "Arn"]}, "/analytics/*"]]},
        }
    ]
    dynamodb = [st for st in statements if any(a.startswith("dynamodb:") for a in as_list(st["Action"]))]
    tables = {
        synthesized.logical_id(synthesized.stack.tables.table(t)) for t in (spec.ORDERS, spec.INVENTORY_STATS)
    }
    assert set().union(*(refs(st["Resource"]) for st in dynamodb)) == tables
    actions = {a for st in dynamodb for a in as_list(st["Action"])}
    assert actions <= {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
    }
    assert not [
        st for st in statements if any(a.startswith(("athena:", "glue:")) for a in as_list(st["Action"]))
    ]
    _, function = function_resource(synthesized, spec.ANALYTICS_EXPORT)
    assert function["Properties"]["Timeout"] == 900


def test_the_export_runs_three_times_a_night_one_day_each(synthesized: Synthesized) -> None:
    schedules = {
        r["Properties"]["Description"].removeprefix("OMS: ").split(" ")[0]: r["Properties"]
        for r in synthesized.of_type("AWS::Scheduler::Schedule").values()
        if r["Properties"]["Description"].startswith("OMS: AnalyticsExport")
    }
    assert {k: s["ScheduleExpression"] for k, s in schedules.items()} == {
        "AnalyticsExport1": "cron(0 2 * * ? *)",
        "AnalyticsExport2": "cron(20 2 * * ? *)",
        "AnalyticsExport3": "cron(40 2 * * ? *)",
    }
    for n, schedule in enumerate(sorted(schedules), start=1):
        event = json.loads(schedules[schedule]["Target"]["Input"])
        assert event == {"schedule": "analytics-export", "scheduled_time": SCHEDULED_TIME, "days_ago": str(n)}
        assert schedules[schedule]["ScheduleExpressionTimezone"] == "UTC"


def test_the_analysts_policy_reaches_this_workgroup_database_and_prefixes_only(
    synthesized: Synthesized,
) -> None:
    analytics = synthesized.stack.analytics
    policy_id = synthesized.logical_id(analytics.query_policy)
    policy = synthesized.resources[policy_id]["Properties"]
    assert "Roles" not in policy and "Users" not in policy  # staff attach it to an analyst's role
    statements = policy["PolicyDocument"]["Statement"]
    by_action = {tuple(as_list(st["Action"])): st for st in statements}
    athena = next(st for actions, st in by_action.items() if actions[0].startswith("athena:"))
    assert synthesized.logical_id(analytics.workgroup) in refs(athena["Resource"])
    assert "athena:StartQueryExecution" in as_list(athena["Action"])
    glue = next(st for actions, st in by_action.items() if actions[0].startswith("glue:"))
    assert all(a.startswith("glue:Get") for a in as_list(glue["Action"]))  # reads only
    assert "table/oms_analytics/*" in json.dumps(glue["Resource"])
    s3 = {
        json.dumps(st["Resource"]): as_list(st["Action"])
        for st in statements
        if as_list(st["Action"])[0].startswith("s3:")
    }
    bucket = bucket_id(synthesized)
    objects = lambda prefix: json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{prefix}*"]]})  # noqa: E731
    assert s3[objects("analytics/")] == ["s3:GetObject"]  # the export: read only
    assert s3[objects("athena-results/")] == ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    listing = next(st for st in statements if as_list(st["Action"]) == ["s3:ListBucket"])
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["analytics/*", "athena-results/*"]}}
    assert not [
        a for st in statements for a in as_list(st["Action"]) if a.endswith(("*", "Delete", "DeleteObject"))
    ]
    outputs = synthesized.template.to_json()["Outputs"]
    assert outputs["AnalyticsQueryPolicyArn"]["Value"] == {"Ref": policy_id}


def test_another_stage_has_its_own_database_and_workgroup(staging: Synthesized) -> None:
    assert one(staging, "AWS::Glue::Database")["DatabaseInput"]["Name"] == "oms_staging_analytics"
    assert one(staging, "AWS::Athena::WorkGroup")["Name"] == "oms-staging-analytics"
    assert {q["Properties"]["Database"] for q in staging.of_type("AWS::Athena::NamedQuery").values()} == {
        "oms_staging_analytics"
    }

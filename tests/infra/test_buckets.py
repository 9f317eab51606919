"""The synthesised buckets match infra/spec.py: encryption, TLS only, no public access, versioning, owner
enforced, lifecycle, access logs to a bucket of their own, and exactly the grants each ``UsesBucket`` says
on exactly the functions that use the bucket; the bucket names in the functions' environment and outputs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra import spec
from infra.constructs.buckets import BUCKET_ACTIONS, NOTIFICATIONS_HANDLER, object_arn_pattern
from infra.description import Bucket, Function
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, function_resource, refs, role_statements

USERS = {fn.name for fn in spec.FUNCTIONS if fn.buckets}


def bucket_ids(s: Synthesized) -> dict[str, str]:
    """spec bucket id -> CloudFormation logical id."""
    return {b.id: s.logical_id(s.stack.buckets.bucket(b)) for b in spec.BUCKETS}


def access_logs_id(s: Synthesized) -> str:
    return s.logical_id(s.stack.buckets.access_logs)


def bucket_policy(s: Synthesized, logical_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in s.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    return policy


def s3_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [st for st in statements if any(a.startswith("s3:") for a in as_list(st["Action"]))]


def objects_under(logical_id: str, prefix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, f"/{object_arn_pattern(prefix)}"]]}


# --- the buckets ----------------------------------------------------------------------------


def test_the_reports_and_imports_buckets_are_in_the_spec() -> None:
    assert spec.BUCKETS == (spec.REPORTS_BUCKET, spec.IMPORTS_BUCKET, spec.ANALYTICS_BUCKET)
    assert spec.REPORTS_PREFIX == "reports/"
    assert (spec.IMPORT_UPLOADS_PREFIX, spec.IMPORT_ERRORS_PREFIX) == ("uploads/", "errors/")


def test_exactly_the_spec_buckets_and_one_for_their_access_logs(synthesized: Synthesized) -> None:
    assert set(synthesized.of_type("AWS::S3::Bucket")) == set(bucket_ids(synthesized).values()) | {
        access_logs_id(synthesized)
    }


def assert_closed_and_encrypted(resource: dict[str, Any]) -> None:
    props = resource["Properties"]
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControl" not in props  # no ACLs anywhere
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert "BucketName" not in props, "CloudFormation names the buckets"


@pytest.mark.parametrize("bucket", spec.BUCKETS, ids=lambda b: b.id)
def test_bucket_is_encrypted_closed_versioned_and_kept(synthesized: Synthesized, bucket: Bucket) -> None:
    resource = synthesized.resources[bucket_ids(synthesized)[bucket.id]]
    assert_closed_and_encrypted(resource)
    assert resource["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


@pytest.mark.parametrize("bucket", spec.BUCKETS, ids=lambda b: b.id)
def test_bucket_lifecycle_keeps_current_reports(synthesized: Synthesized, bucket: Bucket) -> None:
    rules = synthesized.resources[bucket_ids(synthesized)[bucket.id]]["Properties"]["LifecycleConfiguration"][
        "Rules"
    ]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    by_id = {rule["Id"]: {k: v for k, v in rule.items() if k not in ("Id", "Status")} for rule in rules}
    # Only the prefixes the spec names expire (Athena's query results in the analytics bucket).
    expiring = {
        f"Expire{n}": {"Prefix": prefix, "ExpirationInDays": days}
        for n, (prefix, days) in enumerate(bucket.expire, start=1)
    }
    assert by_id == {
        "AbortIncompleteUploads": {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
        "ExpireOldVersions": {"NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
        "InfrequentAccess": {"Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 90}]},
        **expiring,
    }
    # Reports are kept: no other rule expires a current version, and no other rule is limited to some keys.
    for rule in rules:
        if rule["Id"] in expiring:
            continue
        assert "ExpirationInDays" not in rule
        assert "ExpirationDate" not in rule
        assert "Prefix" not in rule
        assert "TagFilters" not in rule


@pytest.mark.parametrize("bucket", spec.BUCKETS, ids=lambda b: b.id)
def test_bucket_denies_anything_but_tls(synthesized: Synthesized, bucket: Bucket) -> None:
    logical_id = bucket_ids(synthesized)[bucket.id]
    (deny,) = bucket_policy(synthesized, logical_id)  # and nothing is allowed by the bucket's own policy
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == "s3:*"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [
        {"Fn::GetAtt": [logical_id, "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, "/*"]]},
    ]


@pytest.mark.parametrize("bucket", spec.BUCKETS, ids=lambda b: b.id)
def test_bucket_logs_its_requests_to_the_access_log_bucket(synthesized: Synthesized, bucket: Bucket) -> None:
    props = synthesized.resources[bucket_ids(synthesized)[bucket.id]]["Properties"]
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": access_logs_id(synthesized)},
        "LogFilePrefix": f"{bucket.id}/",
    }


def test_the_access_log_bucket(synthesized: Synthesized) -> None:
    logical_id = access_logs_id(synthesized)
    resource = synthesized.resources[logical_id]
    assert_closed_and_encrypted(resource)  # SSE-S3: the only encryption S3 log delivery supports
    assert "LoggingConfiguration" not in resource["Properties"]
    (rule,) = resource["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 365
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}

    deny, *allows = bucket_policy(synthesized, logical_id)
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    # Only S3 log delivery may write, only for our buckets, each under its own prefix.
    ids = bucket_ids(synthesized)
    assert len(allows) == len(spec.BUCKETS)
    for bucket, allow in zip(spec.BUCKETS, allows, strict=True):
        assert allow["Effect"] == "Allow"
        assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert allow["Action"] == "s3:PutObject"
        assert allow["Resource"] == {
            "Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, f"/{bucket.id}/*"]]
        }
        assert allow["Condition"]["ArnLike"] == {"aws:SourceArn": {"Fn::GetAtt": [ids[bucket.id], "Arn"]}}
        assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_only_the_access_log_bucket_goes_without_access_logs(synthesized: Synthesized) -> None:
    acknowledged = {
        lid
        for lid, r in synthesized.resources.items()
        for rule in r.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if re.match(r"AwsSolutions-S\d", rule["id"])  # the S3 rules (not SQS, SF, SMG...)
    }
    assert acknowledged == {access_logs_id(synthesized)}
    (rule,) = synthesized.resources[access_logs_id(synthesized)]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert rule["id"] == "AwsSolutions-S1"
    assert "log" in rule["reason"]


# --- grants ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_s3_access_is_exactly_what_uses_bucket_says(synthesized: Synthesized, fn: Function) -> None:
    statements = s3_statements(role_statements(synthesized, fn))
    ids = bucket_ids(synthesized)
    expected = [
        (sorted(BUCKET_ACTIONS[use.access]), objects_under(ids[use.bucket.id], use.prefix))
        for use in fn.buckets
    ]
    assert [(sorted(as_list(st["Action"])), st["Resource"]) for st in statements] == expected
    for st in statements:
        assert st["Effect"] == "Allow"
        assert "Condition" not in st


def test_the_api_may_only_read_reports_and_the_reports_function_only_write_them(
    synthesized: Synthesized,
) -> None:
    assert {
        spec.API.name,
        spec.REPORTS_FUNCTION.name,
        spec.IMPORTS_FUNCTION.name,
        spec.ANALYTICS_EXPORT.name,
    } == USERS
    ids = bucket_ids(synthesized)
    reports = objects_under(ids[spec.REPORTS_BUCKET.id], "reports/")
    (read,) = [
        st
        for st in s3_statements(role_statements(synthesized, spec.API))
        if ids[spec.REPORTS_BUCKET.id] in refs(st["Resource"])
    ]  # the imports bucket's grants: test_imports_infra.py
    assert (read["Action"], read["Resource"]) == ("s3:GetObject", reports)  # presigned GETs, nothing else
    (write,) = s3_statements(role_statements(synthesized, spec.REPORTS_FUNCTION))
    assert (sorted(write["Action"]), write["Resource"]) == (
        ["s3:AbortMultipartUpload", "s3:PutObject"],
        reports,
    )


def test_no_other_role_may_touch_a_bucket(synthesized: Synthesized) -> None:
    """Across the whole template: S3 actions only in the bucket users' policies, never a wildcard action,
    never a list or delete, never the bucket itself (only objects under a prefix). The one exception is
    CDK's BucketNotificationsHandler, which may put the imports bucket's notification configuration and
    nothing else (test_imports_infra.py)."""
    users = {
        synthesized.logical_id(synthesized.stack.functions.function(spec.function(name)).role)
        for name in USERS
    }
    ids = set(bucket_ids(synthesized).values())
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        statements = s3_statements(policy["Properties"]["PolicyDocument"]["Statement"])
        roles = {r["Ref"] for r in policy["Properties"]["Roles"]}
        if not statements:
            continue
        if all(r.startswith(NOTIFICATIONS_HANDLER) for r in roles):
            assert {a for st in statements for a in as_list(st["Action"])} == {"s3:PutBucketNotification"}
            continue
        assert roles <= users, roles
        for st in statements:
            actions = set(as_list(st["Action"]))
            assert actions <= {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}, actions
            assert refs(st["Resource"]) <= ids
            assert re.search(r"/(reports|uploads|errors|plans|analytics)/\*", json.dumps(st["Resource"]))


@pytest.mark.parametrize("fn", [fn for fn in spec.FUNCTIONS if fn.buckets], ids=lambda f: f.name)
def test_the_prefix_wildcard_is_acknowledged_for_the_grant_only(
    synthesized: Synthesized, fn: Function
) -> None:
    _, function = function_resource(synthesized, fn)
    (role_id,) = refs(function["Properties"]["Role"])
    (policy,) = [
        p
        for p in synthesized.of_type("AWS::IAM::Policy").values()
        if role_id in refs(p["Properties"]["Roles"])
    ]
    rules = {r["id"]: r["reason"] for r in policy["Metadata"]["cdk_nag"]["rules_to_suppress"]}
    ids = bucket_ids(synthesized)
    for use in fn.buckets:
        pattern = object_arn_pattern(use.prefix)
        reason = rules[f"AwsSolutions-IAM5[Resource::<{ids[use.bucket.id]}.Arn>/{pattern}]"]
        assert f"{pattern!r} only" in reason
        for action in BUCKET_ACTIONS[use.access]:
            assert action in reason


def test_a_grant_prefix_is_a_folder() -> None:
    assert object_arn_pattern("reports/") == "reports/*"
    assert object_arn_pattern("") == "*"
    with pytest.raises(ValueError, match="must end with '/'"):
        object_arn_pattern("reports")  # would also reach reports-private/...


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_function_environment_names_exactly_its_buckets(synthesized: Synthesized, fn: Function) -> None:
    _, function = function_resource(synthesized, fn)
    env = function["Properties"]["Environment"]["Variables"]
    ids = bucket_ids(synthesized)
    bucket_vars = {b.env_var for b in spec.BUCKETS}
    assert {k for k in env if k in bucket_vars} == {u.bucket.env_var for u in fn.buckets}
    for use in fn.buckets:
        assert env[use.bucket.env_var] == {"Ref": ids[use.bucket.id]}  # Ref of a bucket is its name


def test_bucket_names_are_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    for bucket in spec.BUCKETS:
        assert outputs[f"{bucket.id}BucketName"]["Value"] == {"Ref": bucket_ids(synthesized)[bucket.id]}

"""The customer-stats table (issue 18) in the synthesised stack: its sparse top index, its TTL, the AWS-owned
encryption (it holds no personal data), and who may do what with it."""

from __future__ import annotations

from infra import spec
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import as_list, refs, role_statements, table_ids


def actions_on(synthesized: Synthesized, fn: spec.Function, table: spec.Table) -> set[str]:
    ids = table_ids(synthesized)
    statements = role_statements(synthesized, fn)
    return {a for st in statements if ids[table.id] in refs(st["Resource"]) for a in as_list(st["Action"])}


def test_the_table_has_the_top_customers_index_and_expires_markers(synthesized: Synthesized) -> None:
    props = synthesized.resources[table_ids(synthesized)[spec.CUSTOMER_STATS.id]]["Properties"]
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "top_customers",
            "KeySchema": [
                {"AttributeName": "top_pk", "KeyType": "HASH"},
                {"AttributeName": "top_sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "StreamSpecification" not in props  # nothing consumes it
    # customer ids, counts and money, never a name: not personal data, no customer-managed key
    assert not spec.CUSTOMER_STATS.personal_data
    assert "KMSMasterKeyId" not in props["SSESpecification"]


def test_the_stream_writes_it_and_the_api_and_reports_only_read_it(synthesized: Synthesized) -> None:
    written = actions_on(synthesized, spec.SALES_AGGREGATES, spec.CUSTOMER_STATS)
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} <= written
    assert "dynamodb:DeleteItem" not in written and "dynamodb:Scan" not in written
    for reader in (spec.API, spec.REPORTS_FUNCTION):
        read = actions_on(synthesized, reader, spec.CUSTOMER_STATS)
        assert read == {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:ConditionCheckItem",
        }, reader.name
    users = {fn.name for fn in spec.FUNCTIONS if any(u.table is spec.CUSTOMER_STATS for u in fn.uses)}
    assert users == {"sales_aggregates", "api", "reports"}
    # the index is queried by the API (the top list): its grant reaches the table's indexes
    ids = table_ids(synthesized)
    on_index = [
        st
        for st in role_statements(synthesized, spec.API)
        if ids[spec.CUSTOMER_STATS.id] in refs(st["Resource"]) and "/index/" in str(st["Resource"])
    ]
    assert on_index, "no grant on the customer-stats table's indexes"

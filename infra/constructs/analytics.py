"""Athena over the nightly analytics export (``spec.ANALYTICS_CATALOG``): a Glue database, one Glue table
per export table (``shared.analytics.export.TABLES``), an Athena workgroup and the named queries
(``infra/analytics_queries.py``).

* The tables read gzipped JSON Lines with the Hive JSON SerDe (``org.apache.hive.hcatalog.data.JsonSerDe``,
  which Athena engine 3 reads natively: a decimal column is parsed from the value's text, so money as a
  JSON string lands in ``decimal(18,2)`` exactly). Not the OpenX SerDe: Athena documents that its results
  can be non-deterministic. The business day is the partition ``day`` (a string, YYYY-MM-DD), found by
  partition projection (type date, from ``projection_start`` to NOW): no crawler, no MSCK REPAIR, no
  partitions to add; a query that names days reads only their folders.
* The workgroup enforces its configuration (a query cannot send its results elsewhere or turn encryption
  off): results under ``results_prefix`` of the analytics bucket, SSE-S3 (the bucket's own encryption),
  expired after ``spec.ATHENA_RESULTS_DAYS``; at most ``bytes_scanned_cutoff`` bytes scanned per query;
  CloudWatch metrics on; Athena engine version 3 (Trino).
* The named queries are saved in that workgroup, on that database.

No function queries. People query with their own IAM identities: ``QueryPolicy`` (a managed policy, its
ARN in the ``AnalyticsQueryPolicyArn`` output) is what they need and no more, to attach to an analyst's
role: queries in this workgroup only (and its named queries), Glue reads of this database and its tables,
S3 reads of the export, and reads and writes of query results under their prefix.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import spec
from infra.analytics_queries import NAMED_QUERIES
from infra.description import AnalyticsCatalog
from infra.nag import acknowledge
from shared.analytics.layout import PARTITION, TABLES, ColumnKind, ExportTable

GLUE_TYPES: dict[ColumnKind, str] = {
    "string": "string",
    "money": "decimal(18,2)",
    "count": "bigint",
    "flag": "boolean",
    "strings": "array<string>",
}
JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
ENGINE_VERSION = "Athena engine version 3"
ATHENA_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:ListQueryExecutions",
    "athena:ListNamedQueries",
    "athena:GetNamedQuery",
    "athena:BatchGetNamedQuery",
)
GLUE_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
)


def projection(catalog: AnalyticsCatalog, bucket_name: str, table: ExportTable) -> dict[str, str]:
    """The table parameters that make Athena compute the ``day`` partitions instead of listing them."""
    return {
        "classification": "json",
        "compressionType": "gzip",
        "projection.enabled": "true",
        f"projection.{PARTITION}.type": "date",
        f"projection.{PARTITION}.format": "yyyy-MM-dd",
        f"projection.{PARTITION}.range": f"{catalog.projection_start},NOW",
        f"projection.{PARTITION}.interval": "1",
        f"projection.{PARTITION}.interval.unit": "DAYS",
        "storage.location.template": f"s3://{bucket_name}/{table.prefix}{PARTITION}=${{{PARTITION}}}/",
    }


class Analytics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        stage: str,
        catalog: AnalyticsCatalog = spec.ANALYTICS_CATALOG,
    ) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        self.database_name = spec.glue_database_name(stage)
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="OMS nightly analytics export: orders, lines, stock-out days (no personal data)",
            ),
        )
        self.tables: dict[str, glue.CfnTable] = {}
        for table in TABLES:
            cfn_table = glue.CfnTable(
                self,
                f"{table.name.capitalize()}Table",
                catalog_id=account,
                database_name=self.database_name,
                table_input=glue.CfnTable.TableInputProperty(
                    name=table.name,
                    description=table.description,
                    table_type="EXTERNAL_TABLE",
                    parameters=projection(catalog, bucket.bucket_name, table),
                    partition_keys=[
                        glue.CfnTable.ColumnProperty(
                            name=PARTITION, type="string", comment="The business day (YYYY-MM-DD)"
                        )
                    ],
                    storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                        location=f"s3://{bucket.bucket_name}/{table.prefix}",
                        input_format=INPUT_FORMAT,
                        output_format=OUTPUT_FORMAT,
                        compressed=True,
                        serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=JSON_SERDE),
                        columns=[
                            glue.CfnTable.ColumnProperty(
                                name=column.name, type=GLUE_TYPES[column.kind], comment=column.comment
                            )
                            for column in table.columns
                        ],
                    ),
                ),
            )
            cfn_table.node.add_dependency(self.database)
            self.tables[table.name] = cfn_table
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=spec.stage_name(catalog.workgroup, stage),
            description="OMS: ad-hoc queries over the nightly analytics export",
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=catalog.bytes_scanned_cutoff,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ENGINE_VERSION
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{bucket.bucket_name}/{catalog.results_prefix}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                    expected_bucket_owner=account,
                ),
            ),
        )
        self.named_queries: dict[str, athena.CfnNamedQuery] = {}
        for n, query in enumerate(NAMED_QUERIES, start=1):
            named = athena.CfnNamedQuery(
                self,
                f"Query{n}",
                name=query.name,
                description=query.description,
                database=self.database_name,
                query_string=query.sql,
                work_group=self.workgroup.ref,
            )
            named.node.add_dependency(self.database)
            self.named_queries[query.name] = named
        self.query_policy = self._query_policy(bucket, catalog)

    def _query_policy(self, bucket: s3.IBucket, catalog: AnalyticsCatalog) -> iam.ManagedPolicy:
        stack = Stack.of(self)
        workgroup_arn = stack.format_arn(
            service="athena", resource="workgroup", resource_name=self.workgroup.ref
        )
        glue_arns = [
            stack.format_arn(service="glue", resource="catalog"),
            stack.format_arn(service="glue", resource="database", resource_name=self.database_name),
            stack.format_arn(service="glue", resource="table", resource_name=f"{self.database_name}/*"),
        ]
        export, results = catalog.export_prefix, catalog.results_prefix
        policy = iam.ManagedPolicy(
            self,
            "QueryPolicy",
            description="OMS: query the nightly analytics export with Athena (attach to an analyst's role)",
            statements=[
                iam.PolicyStatement(actions=list(ATHENA_ACTIONS), resources=[workgroup_arn]),
                iam.PolicyStatement(actions=list(GLUE_ACTIONS), resources=glue_arns),
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{export}*")]
                ),
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                    resources=[bucket.arn_for_objects(f"{results}*")],
                ),
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{export}*", f"{results}*"]}},
                ),
                iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn]),
            ],
        )
        bucket_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))  # type: ignore[arg-type]
        for finding, reason in (
            (
                f"Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/{self.database_name}/*",
                "Glue reads (GetTable, GetPartitions...) of the tables of the analytics database only: the "
                "export's tables, whatever their number.",
            ),
            (
                f"Resource::<{bucket_id}.Arn>/{export}*",
                "s3:GetObject of the export's objects (one per table and business day, made nightly): what "
                "Athena reads on the analyst's behalf; nothing else of the bucket.",
            ),
            (
                f"Resource::<{bucket_id}.Arn>/{results}*",
                "Athena writes each query's results under the workgroup's results prefix (enforced) and the "
                "analyst reads them back: that prefix only.",
            ),
        ):
            acknowledge(policy, f"AwsSolutions-IAM5[{finding}]", reason)
        return policy

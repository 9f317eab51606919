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

Nobody's role is granted here: people query with their own IAM identities (Athena on this workgroup,
Glue reads on this database, S3 reads of the export and writes of results); the functions never query.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import spec
from infra.analytics_queries import NAMED_QUERIES
from infra.description import AnalyticsCatalog
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

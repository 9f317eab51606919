"""DynamoDB tables: one per ``spec.TABLES`` entry; a table with ``stream`` gets a stream with old and new
images (what a ``StreamTrigger`` on it reads).

Tables with ``personal_data`` are encrypted with one customer-managed KMS key (``PERSONAL_DATA_KEY_ALIAS``
in the stage, rotated yearly, kept when the stack goes; the personal-data queues use it too): who may read
them is then also who may use that key, and the key's use is in CloudTrail. The others use the AWS-managed
key. ``grant`` gives a role a spec access to a table together with the key actions that access needs; a
stream trigger's read (the event source mapping's ``grant_stream_read``) brings its own decrypt.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import spec
from infra.description import TABLE_ACTIONS, Access, Table

PERSONAL_DATA_KEY_ALIAS = "alias/oms-personal-data"
PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Tables(Construct):
    """The tables, keyed by ``Table.id``. CloudFormation names them; functions get the names."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str = spec.PROD_STAGE) -> None:
        super().__init__(scope, construct_id)
        self.personal_data_key: kms.Key | None = None
        if any(t.personal_data for t in spec.TABLES) or any(q.personal_data for q in spec.QUEUES):
            self.personal_data_key = kms.Key(
                self,
                "PersonalDataKey",
                alias=spec.stage_name(PERSONAL_DATA_KEY_ALIAS, stage),
                description="OMS: encrypts the DynamoDB tables and SQS queues that hold personal data "
                "(customers, orders, marketplace orders)",
                enable_key_rotation=True,
                # Retained with the tables: deleting it would make every retained table unreadable.
                removal_policy=RemovalPolicy.RETAIN,
            )
        self.by_id: dict[str, dynamodb.Table] = {t.id: self._table(t) for t in spec.TABLES}

    def table(self, table: Table) -> dynamodb.Table:
        return self.by_id[table.id]

    def grant(self, table: Table, grantee: iam.IGrantable, access: Access, index: str | None = None) -> None:
        """Exactly the spec's DynamoDB actions for ``access`` on the table and its indexes and, on a table
        encrypted with the personal-data key, that key's use: decrypt to read, encrypt too to write.
        ``query_index``: Query on that one index (``index``), nothing on the table."""
        if access == "query_index":
            if index is None:
                raise ValueError(f"{table.id}: query_index needs the index")
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(TABLE_ACTIONS[access]),
                resource_arns=[f"{self.table(table).table_arn}/index/{index}"],
            )
            if table.personal_data:
                self._key().grant_decrypt(grantee)  # a reader's key use
            return
        self.table(table).grant(grantee, *TABLE_ACTIONS[access])
        if not table.personal_data:
            return
        key = self._key()
        if access == "read":
            key.grant_decrypt(grantee)
        else:
            key.grant_encrypt_decrypt(grantee)

    def _key(self) -> kms.Key:
        if self.personal_data_key is None:  # pragma: no cover - created whenever a table needs it
            raise RuntimeError("no personal-data key")
        return self.personal_data_key

    def _table(self, table: Table) -> dynamodb.Table:
        resource = dynamodb.Table(
            self,
            table.id,
            partition_key=_string(table.partition_key),
            sort_key=_string(table.sort_key) if table.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED
                if table.personal_data
                else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=self._key() if table.personal_data else None,
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute=table.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if table.stream else None,
        )
        for index in table.indexes:
            resource.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string(index.partition_key),
                sort_key=_string(index.sort_key) if index.sort_key else None,
                projection_type=PROJECTIONS[index.projection],
            )
        return resource

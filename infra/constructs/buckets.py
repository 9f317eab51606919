"""S3 buckets: one per ``spec.BUCKETS`` entry, and one bucket for their server access logs.

Each bucket is encrypted (SSE-S3), TLS only, closed to the public, versioned, owner-enforced (no ACLs) and
kept when the stack goes. Its lifecycle: incomplete multipart uploads are aborted after a day, overwritten
or deleted versions expire after 30 days, current objects move to Standard-IA after 90 days and are never
expired (reports are kept), except under a prefix ``Bucket.expire`` names (Athena's query results).
SSE-S3 rather than a customer-managed key: the reports hold no personal data
(an orders export has identifiers, amounts and dates only: ``ExportRow`` in shared/models/reports.py), they
are reached only through the IAM grants below and every request is in the access logs; and a presigned
download link then needs no KMS grant on the role that signs it.

``grant`` gives a role exactly what a ``UsesBucket`` says, under its prefix only: ``read`` is
s3:GetObject (and so presigning GETs), ``write`` is s3:PutObject (single and multipart uploads) and
s3:AbortMultipartUpload, ``upload`` is s3:PutObject alone (presigned PUTs). No listing, no deletes.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import spec
from infra.description import Bucket, BucketNotification, UsesBucket
from infra.nag import acknowledge

BUCKET_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("s3:GetObject",),
    "write": ("s3:PutObject", "s3:AbortMultipartUpload"),
    "read_write": ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"),  # a worker's own objects
    "upload": ("s3:PutObject",),  # presigned PUTs: the API signs, the uploader sends one object
}
ABORT_INCOMPLETE_UPLOADS = Duration.days(1)
NONCURRENT_VERSIONS_EXPIRE = Duration.days(30)
INFREQUENT_ACCESS_AFTER = Duration.days(90)
ACCESS_LOGS_EXPIRE = Duration.days(365)
# The construct id CDK gives its one BucketNotificationsHandler per stack (aws-s3/lib/notifications-resource).
NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


def object_arn_pattern(prefix: str) -> str:
    """The object key pattern a grant covers: everything under ``prefix`` (which ends with '/')."""
    if prefix and not prefix.endswith("/"):
        raise ValueError(f"bucket prefix {prefix!r} must end with '/'")
    return f"{prefix}*"


class Buckets(Construct):
    """The buckets, keyed by ``Bucket.id``. CloudFormation names them; functions get the names."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption S3 log delivery writes to
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=ACCESS_LOGS_EXPIRE,
                    abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS,
                )
            ],
        )
        acknowledge(
            self.access_logs.node.find_child("Resource"),
            "AwsSolutions-S1",
            "This is the bucket the server access logs of the OMS buckets are delivered to: logging its own "
            "requests to itself would log each log delivery again, endlessly; to another bucket, that one "
            "would need one in turn. Only S3 log delivery writes here (its bucket policy).",
        )
        self.by_id: dict[str, s3.Bucket] = {}
        for bucket in spec.BUCKETS:
            if bucket.id in self.by_id:
                raise ValueError(f"bucket id {bucket.id!r} appears twice in spec.BUCKETS")
            self.by_id[bucket.id] = self._bucket(bucket)

    def bucket(self, bucket: Bucket) -> s3.Bucket:
        return self.by_id[bucket.id]

    def notify(self, notification: BucketNotification, queue: sqs.IQueue) -> None:
        """S3 sends ``queue`` an event for every object created under the notification's prefix. CDK adds
        the queue policy that lets s3.amazonaws.com send (for this bucket only) and configures the bucket
        through its BucketNotificationsHandler, a Lambda-backed custom resource, one per stack."""
        self.bucket(notification.bucket).add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.SqsDestination(queue),
            s3.NotificationKeyFilter(prefix=notification.prefix),
        )
        handler = Stack.of(self).node.try_find_child(NOTIFICATIONS_HANDLER)
        if handler is None:  # pragma: no cover - CDK names it so in every version this stack pins
            raise RuntimeError(f"CDK made no {NOTIFICATIONS_HANDLER}: its construct id changed")
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's BucketNotificationsHandler (a custom resource that runs only on deploy, setting the "
            "bucket's notification configuration) has AWSLambdaBasicExecutionRole for its logs; its role "
            "and function are CDK's, not configurable. What it may change is scoped by CDK to the one "
            "bucket (s3:PutBucketNotification on the imports bucket's ARN).",
        )

    def grant(self, use: UsesBucket, grantee: iam.IGrantable) -> None:
        """Exactly the actions of ``use.access`` on the objects under ``use.prefix``, not on the bucket."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(BUCKET_ACTIONS[use.access]),
                resources=[self.bucket(use.bucket).arn_for_objects(object_arn_pattern(use.prefix))],
            )
        )

    def _bucket(self, bucket: Bucket) -> s3.Bucket:
        return s3.Bucket(
            self,
            bucket.id,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{bucket.id}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS,
                ),
                s3.LifecycleRule(
                    id="ExpireOldVersions", noncurrent_version_expiration=NONCURRENT_VERSIONS_EXPIRE
                ),
                *(
                    s3.LifecycleRule(id=f"Expire{n}", prefix=prefix, expiration=Duration.days(days))
                    for n, (prefix, days) in enumerate(bucket.expire, start=1)
                ),
                s3.LifecycleRule(
                    id="InfrequentAccess",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=INFREQUENT_ACCESS_AFTER,
                        )
                    ],
                ),
            ],
        )

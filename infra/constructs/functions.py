"""Lambda functions: one per ``spec.FUNCTIONS`` entry, each with its own role, log group and grants.

A function's queue triggers become SQS event source mappings (which grant it consume on that queue
only); its stream triggers become DynamoDB stream mappings (stream read on that table, send to the
trigger's on-failure queue); each KMS key it ``keys`` is granted Encrypt or Decrypt only (its alias is in
the environment); its schedule triggers are EventBridge Scheduler schedules, made by
``infra/constructs/schedules.py`` (not here: they are no event source mapping). Each queue it ``sends``
to is granted send only and its URL passed in its environment; each of its ``dead_letters`` is granted
consume (receive, change visibility, delete, depth) and its source queue send, their URLs passed in
``OMS_DEAD_LETTERS``; each bus it ``publishes`` on is granted
PutEvents only (its name is in the environment); each bucket it uses is granted the ``spec.UsesBucket``
actions under its prefix only (its name is in the environment). Every function gets the business time
zone (``OMS_TIMEZONE``), the Powertools layer and the dependencies layer (``infra/constructs/layers.py``).

Queue access goes through ``Queues.grant``/``grant_key``: on a personal-data queue that adds the key use
the SQS actions need, through SQS only. A queue trigger's mapping polls at most ``max_concurrency`` wide;
with ``reserved_concurrency`` on, a function with ``description.Function.reserved_concurrency`` gets it.

A function with ``description.Function.snap_start`` has SnapStart on its published versions: each deploy that
changes it publishes a version (``current_version``, deleted by CloudFormation once the alias has moved on,
so no stale snapshot stays cached and billed), and its ``live`` alias points at that version. Whatever
invokes the function invokes ``Functions.target(fn)``: the alias there (API Gateway's integrations and
authorizer, event source mappings, with their permissions), the function everywhere else. Alarms and
graphs stay on the function: its metrics by FunctionName add up every version and alias.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from infra import description, spec
from infra.constructs.buckets import BUCKET_ACTIONS, Buckets, object_arn_pattern
from infra.constructs.email import Email
from infra.constructs.events import Buses
from infra.constructs.keys import Keys
from infra.constructs.layers import DepsLayer
from infra.constructs.queues import CONSUME_ACTIONS, Queues
from infra.constructs.tables import Tables
from infra.nag import acknowledge, logical_id
from shared.config import ALARM_PREFIX_ENV, DEFAULT_SENDER_EMAIL, DEFAULT_TIMEZONE, SES_CONFIGURATION_SET_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]

# The asset is the repository root filtered down to the code the functions import: handlers
# (functions/**) and the shared package (shared/**). Glob patterns are applied in order, the last
# match wins: exclude everything (dotfiles too), re-include the two packages, drop bytecode.
ASSET_EXCLUDE = [
    "*",
    ".*",
    "!functions",
    "!functions/**",
    "!shared",
    "!shared/**",
    "__pycache__",
    "*.pyc",
]


# The AWS-managed Powertools v3 layer (Powertools with its extras: aws-xray-sdk, pydantic) for this
# runtime and arm64, at exactly the version pyproject.toml pins for local runs (spec.POWERTOOLS_VERSION).
# Its ARN is the public SSM parameter Powertools publishes per version, resolved by CloudFormation at
# deploy time: no layer number to look up by hand, and no AWS call at synth.
def powertools_layer_parameter() -> str:
    return f"/aws/service/powertools/python/arm64/{spec.RUNTIME}/{spec.POWERTOOLS_VERSION}"


LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# The alias a SnapStart function's triggers invoke: always the version the last deploy published.
LIVE_ALIAS = "live"
# The first Python runtime SnapStart supports.
SNAP_START_MIN_PYTHON = (3, 12)


# Lambda's advice for an SQS event source: a visibility timeout of at least six times the function's
# timeout, so a batch that is still being retried never becomes visible to a second consumer. (AWS
# also advises adding the event source's batching window on top of that.)
VISIBILITY_TO_TIMEOUT = 6


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def check_triggers(fn: description.Function) -> None:
    """Fail the synth on a queue trigger whose queue would hand a batch out again while it is being
    retried. (A stream trigger has no visibility timeout: Lambda holds the shard until the batch is done.)"""
    for trigger in fn.triggers:
        if not isinstance(trigger, description.QueueTrigger):
            continue
        needed = VISIBILITY_TO_TIMEOUT * fn.timeout_s
        if trigger.queue.visibility_timeout_s < needed:
            raise ValueError(
                f"{fn.name} consumes {trigger.queue.id}: its visibility timeout "
                f"({trigger.queue.visibility_timeout_s}s) must be at least {VISIBILITY_TO_TIMEOUT} x the "
                f"function timeout ({fn.timeout_s}s) = {needed}s"
            )


def check_concurrency(fn: description.Function) -> None:
    """Fail the synth on a reservation under a queue trigger's MaximumConcurrency: the mapping would scale
    to invocations the reservation throttles, and throttled batches go back to the queue (and towards its
    dead-letter queue)."""
    if fn.reserved_concurrency is None:
        return
    if fn.reserved_concurrency < 1:
        raise ValueError(f"{fn.name}: reserved_concurrency must be at least 1")
    for trigger in fn.triggers:
        if (
            isinstance(trigger, description.QueueTrigger)
            and trigger.max_concurrency > fn.reserved_concurrency
        ):
            raise ValueError(
                f"{fn.name}: reserved_concurrency ({fn.reserved_concurrency}) is under the max_concurrency "
                f"({trigger.max_concurrency}) of its {trigger.queue.id} trigger"
            )


def python_version(runtime: str) -> tuple[int, int]:
    """(3, 13) for ``python3.13``."""
    major, minor = runtime.removeprefix("python").split(".")
    return int(major), int(minor)


def runtime() -> lambda_.Runtime:
    """``spec.RUNTIME``; SnapStart is accepted on it only from Python 3.12 (CDK refuses it otherwise)."""
    return lambda_.Runtime(
        spec.RUNTIME,
        lambda_.RuntimeFamily.PYTHON,
        supports_snap_start=python_version(spec.RUNTIME) >= SNAP_START_MIN_PYTHON,
    )


def check_snap_start(fn: description.Function) -> None:
    """Fail the synth on a SnapStart function whose trigger would invoke the unqualified function (no
    snapshot there): EventBridge Scheduler's target and the asynchronous invocation configuration
    (``infra/constructs/schedules.py``) are the function's, not the alias's."""
    if fn.snap_start and any(isinstance(t, description.ScheduleTrigger) for t in fn.triggers):
        raise ValueError(f"{fn.name}: SnapStart and a schedule: make the schedules invoke the alias first")


def stream_filters(trigger: description.StreamTrigger) -> list[Mapping[str, Any]]:
    """One Lambda event filter per sort-key prefix (a mapping ORs its filters); none: every record."""
    sort_key = trigger.table.sort_key
    if trigger.sort_key_prefixes and sort_key is None:
        raise ValueError(f"{trigger.table.id} has no sort key to filter its stream on")
    return [
        lambda_.FilterCriteria.filter(
            {"dynamodb": {"Keys": {sort_key: {"S": lambda_.FilterRule.begins_with(prefix)}}}}
        )
        for prefix in trigger.sort_key_prefixes
    ]


def alarm_arn(scope: Construct, name: str) -> str:
    """``arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`` (``name`` may end in ``*``)."""
    return Stack.of(scope).format_arn(
        service="cloudwatch", resource="alarm", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def alarm_nag_pattern(stack_name: str) -> str:
    """The alarms' resource as cdk-nag writes it in an IAM5 finding's id."""
    return (
        "arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:"
        f"{spec.alarm_prefix(stack_name)}*"
    )


class Functions(Construct):
    """The functions, keyed by ``description.Function.name``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: Tables,
        queues: Queues,
        buses: Buses,
        buckets: Buckets | None = None,
        keys: Keys | None = None,
        timezone: str = DEFAULT_TIMEZONE,
        currency: str = spec.CURRENCY,
        stage: str = spec.PROD_STAGE,
        reserved_concurrency: bool = False,
        email: Email | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._email = email
        self._stage = stage
        self._reserved_concurrency = reserved_concurrency
        self._keys = keys
        self._tables = tables
        self._queues = queues
        self._buses = buses
        self._buckets = buckets
        self._timezone = timezone
        self._currency = currency
        self._code = lambda_.Code.from_asset(str(REPO_ROOT), exclude=ASSET_EXCLUDE)
        layer_arn = ssm.StringParameter.value_for_string_parameter(self, powertools_layer_parameter())
        self._layer = lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", layer_arn)
        self.deps_layer = DepsLayer(self, "DepsLayer").layer
        # The ``live`` alias of each SnapStart function, keyed by name (filled by ``_function``).
        self.aliases: dict[str, lambda_.Alias] = {}
        self.by_name: dict[str, lambda_.Function] = {fn.name: self._function(fn) for fn in spec.FUNCTIONS}

    def function(self, fn: description.Function) -> lambda_.Function:
        return self.by_name[fn.name]

    def target(self, fn: description.Function) -> lambda_.IFunction:
        """What a trigger invokes: the ``live`` alias of a SnapStart function (a snapshot exists only for a
        published version), the function itself otherwise."""
        return self.aliases.get(fn.name) or self.function(fn)

    def _bucket_construct(self, fn: description.Function) -> Buckets:
        if self._buckets is None:
            raise ValueError(f"{fn.name} uses buckets: pass buckets= to Functions")
        return self._buckets

    def _function(self, fn: description.Function) -> lambda_.Function:
        check_triggers(fn)
        check_concurrency(fn)
        check_snap_start(fn)
        construct_id = pascal(fn.name)
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=LOG_RETENTION)
        # An own role instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"OMS {fn.name} function",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            f"{construct_id}Function",
            description=fn.description,
            runtime=runtime(),
            architecture=lambda_.Architecture.ARM_64,
            handler=fn.handler,
            code=self._code,
            layers=[self._layer, self.deps_layer],
            memory_size=fn.memory_mb,
            timeout=Duration.seconds(fn.timeout_s),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
            reserved_concurrent_executions=fn.reserved_concurrency if self._reserved_concurrency else None,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if fn.snap_start else None,
            # A replaced version is deleted: a SnapStart version is billed for its cached snapshot while
            # it exists, and nothing invokes an old one (the alias has moved on).
            current_version_options=(
                lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY) if fn.snap_start else None
            ),
            environment=spec.function_environment(
                fn,
                table_name=lambda table: self._tables.table(table).table_name,
                queue_url=lambda queue: self._queues.queue(queue).queue_url,
                bucket_name=lambda bucket: self._bucket_construct(fn).bucket(bucket).bucket_name,
                timezone=self._timezone,
                currency=self._currency,
                stage=self._stage,
                sender_email=self._email.sender if self._email else DEFAULT_SENDER_EMAIL,
            ),
        )
        if fn.snap_start:
            self.aliases[fn.name] = self._live_alias(fn, function, construct_id)
        target = self.aliases.get(fn.name) or function
        for use in fn.uses:
            self._tables.grant(use.table, role, use.access, use.index)
        for use_key in fn.keys:
            if self._keys is None:
                raise ValueError(f"{fn.name} uses KMS keys: pass keys= to Functions")
            self._keys.grant(use_key, role)
        for use_bucket in fn.buckets:
            self._bucket_construct(fn).grant(use_bucket, role)
        for trigger in fn.triggers:
            if not isinstance(trigger, description.ScheduleTrigger):  # a schedule is no event source mapping
                target.add_event_source(self._event_source(trigger))
            if isinstance(trigger, description.QueueTrigger):  # the mapping granted consume; its key use:
                self._queues.grant_key(trigger.queue, role, *CONSUME_ACTIONS)
        for queue in fn.sends:
            self._queues.grant_send(queue, role)
        self._grant_dead_letters(fn, role)
        for bus in fn.publishes:
            self._buses.bus(bus).grant_put_events_to(role)
        if fn.alarms:
            self._grant_alarms(function, role)
        if fn.sends_email:
            self._grant_email(fn, function, role)
        self._acknowledge(fn, function, role)
        return function

    def _grant_email(self, fn: description.Function, function: lambda_.Function, role: iam.Role) -> None:
        """Sending from the sender identity through the configuration set (infra/constructs/email.py),
        whose name the function gets in OMS_SES_CONFIGURATION_SET."""
        if self._email is None:
            raise ValueError(f"{fn.name} sends email: pass email= to Functions")
        self._email.grant_send(role)
        function.add_environment(
            SES_CONFIGURATION_SET_ENV, self._email.configuration_set.configuration_set_name
        )

    def _grant_alarms(self, function: lambda_.Function, role: iam.Role) -> None:
        """The stack's alarm name prefix in the environment, and cloudwatch:DescribeAlarms on the alarms
        named with it only: IAM scopes DescribeAlarms to alarm ARNs (a name pattern), so neither another
        stage's alarms nor anyone else's are readable. (Composite alarms would need Resource "*": the
        stack has none, and the function asks for metric alarms only.)"""
        prefix = spec.alarm_prefix(Stack.of(self).stack_name)
        function.add_environment(ALARM_PREFIX_ENV, prefix)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"],
                resources=[alarm_arn(self, f"{prefix}*")],
            )
        )

    def _live_alias(
        self, fn: description.Function, function: lambda_.Function, construct_id: str
    ) -> lambda_.Alias:
        """The ``live`` alias on the version this deploy publishes (a new one whenever the function's code or
        configuration changes; Lambda takes the snapshot while publishing it)."""
        Annotations.of(function).acknowledge_warning(
            "@aws-cdk/aws-lambda:snapStartRequirePublish",
            f"{fn.name} publishes a version on every deploy that changes it (current_version) and its "
            f"triggers invoke the {LIVE_ALIAS!r} alias on that version.",
        )
        return lambda_.Alias(
            self,
            f"{construct_id}LiveAlias",
            alias_name=LIVE_ALIAS,
            version=function.current_version,
            description=f"OMS {fn.name}: the version the last deploy published (SnapStart)",
        )

    def _grant_dead_letters(self, fn: description.Function, role: iam.Role) -> None:
        """Each of ``fn.dead_letters``: receive, change visibility (hold and release), delete and read the
        depth on the dead-letter queue itself, and send only on the queue it redrives to, each with the
        personal-data key's use through SQS where the queue is encrypted with it (``Queues.grant``).
        Nothing on any other queue; no purge, no StartMessageMoveTask (that is ``oms redrive --aws``)."""
        for dead_letter in fn.dead_letters:
            self._queues.grant_consume(dead_letter.queue, role)
            if dead_letter.redrive_to is not None:
                self._queues.grant_send(dead_letter.redrive_to, role)

    def _event_source(
        self, trigger: description.QueueTrigger | description.StreamTrigger
    ) -> lambda_.IEventSource:
        batching_window = (
            Duration.seconds(trigger.max_batching_window_s) if trigger.max_batching_window_s > 0 else None
        )
        if isinstance(trigger, description.QueueTrigger):
            # Grants the role consume (receive, delete, change visibility) on this queue only.
            return event_sources.SqsEventSource(
                self._queues.queue(trigger.queue),
                batch_size=trigger.batch_size,
                max_batching_window=batching_window,
                report_batch_item_failures=True,
                max_concurrency=trigger.max_concurrency,
            )
        # Grants the role stream read on this table and send on the on-failure queue. A failing batch
        # is split in two until the failing record is found; a record reported in batchItemFailures is
        # retried from there; a batch that still fails after retry_attempts is recorded in `failures`.
        return event_sources.DynamoEventSource(
            self._tables.table(trigger.table),
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=trigger.batch_size,
            max_batching_window=batching_window,
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            retry_attempts=trigger.retry_attempts,
            parallelization_factor=1,  # one batch per shard at a time: changes of an item stay in order
            on_failure=event_sources.SqsDlq(self._queues.queue(trigger.failures)),
            filters=stream_filters(trigger),
        )

    def _acknowledge(self, fn: description.Function, function: lambda_.Function, role: iam.Role) -> None:
        # The grants' statements are in the role's DefaultPolicy, and past IAM's size limit for a role's
        # inline policy CDK moves some into OverflowPolicyN (managed policies under the role, made at synth):
        # acknowledged on the role, a finding is accepted wherever its statement lands.
        policy: IConstruct = role
        acknowledge(
            function.node.find_child("Resource"),
            "AwsSolutions-L1",
            f"The runtime is pinned once, in infra/spec.py ({spec.RUNTIME}), together with the matching "
            "Powertools layer build; it is still supported by Lambda. Moving to a newer runtime is a "
            "deliberate spec change, tested locally first.",
        )
        streams = any(isinstance(t, description.StreamTrigger) for t in fn.triggers)
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level "
            "permissions, so AWS requires Resource '*' for them."
            + (
                " The same holds for dynamodb:ListStreams, which the stream event source mapping needs "
                "(reading the records is granted on the one table's stream ARN only)."
                if streams
                else ""
            ),
        )
        if any(use.table.personal_data and use.access != "read" for use in fn.uses):
            for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
                acknowledge(
                    policy,
                    f"AwsSolutions-IAM5[Action::{action}]",
                    f"{action} is part of the key use a function writing a DynamoDB table encrypted with a "
                    "customer-managed key needs (the CDK's grantEncryptDecrypt, as Table.grantWriteData "
                    "grants it); the statement's only resource is the personal-data key.",
                )
        for use in fn.uses:
            if not use.table.indexes or use.index is not None:
                continue  # grants reach table/index/* only on a table that has indexes, and not query_index
            table_id = logical_id(self._tables.table(use.table).node.default_child)
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
                f"The {use.table.id} grant covers that table's own global secondary indexes "
                "(<table arn>/index/*) so the function can Query them; no other table is reachable.",
            )
        if fn.alarms:
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{alarm_nag_pattern(Stack.of(self).stack_name)}]",
                "cloudwatch:DescribeAlarms (read only) on the alarms whose names start with this stack's "
                "prefix (infra/spec.py alarm_prefix: the stack names every one of its alarms so, and no "
                "other stage or stack has that prefix): the states GET /alarms shows. The wildcard is the "
                "end of the name.",
            )
        for use_bucket in fn.buckets:
            bucket_id = logical_id(self._bucket_construct(fn).bucket(use_bucket.bucket).node.default_child)
            pattern = object_arn_pattern(use_bucket.prefix)
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{pattern}]",
                f"The {use_bucket.bucket.id} bucket grant ({use_bucket.access}: "
                f"{', '.join(BUCKET_ACTIONS[use_bucket.access])}) covers the objects under {pattern!r} only, "
                "whose keys are made per report or import at run time; nothing on the bucket itself, no "
                "other prefix.",
            )

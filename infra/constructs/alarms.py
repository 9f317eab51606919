"""Alarms that reach someone: one SNS topic, and an alarm on everything a person has to look at.

The topic is encrypted with a key of its own (CloudWatch may use it, and only for this account's alarms:
an AWS-managed SNS key would refuse CloudWatch) and refuses anything but TLS. Whoever must hear the alarms
subscribes to it; the CDK context value ``alarm_email`` subscribes one address at deploy time.

The alarms, each derived from ``infra/spec.py`` so that a new queue, function or stream gets its own:

* every dead-letter, on-failure and schedule-failures queue that is not empty (made with the queues,
  ``infra/constructs/queues.py``);
* each function's Errors and Throttles;
* the API's 5XX rate and its p99 latency;
* ``IteratorAge`` of each stream mapping (its function's: Lambda publishes it per function);
* ``ApproximateAgeOfOldestMessage`` of each queue a function consumes;
* a report that could not be built (``REPORTS_FAILED``, which the reports function emits);
* a webhook endpoint disabled after 3 days of failed deliveries (``WEBHOOK_ENDPOINT_DISABLED_METRIC``, which
  the webhooks function emits).

Every alarm of the stack, these and any other, notifies the topic when it fires and when it is OK again,
and is named ``<stack name>.<construct id>`` (``spec.alarm_prefix``): ``Alarms`` is made last and gives
them their actions and names. The API reads their states by that prefix (``GET /alarms``), granted on
those alarms only.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import spec
from infra.constructs.api import Api
from infra.constructs.functions import Functions, pascal
from infra.constructs.queues import Queues
from infra.description import Function, Queue, QueueTrigger, StreamTrigger
from shared.metric_names import WEBHOOK_ENDPOINT_DISABLED_METRIC

TOPIC_KEY_ALIAS = "alias/oms-alarms"  # in a stage: spec.stage_name
# What the reports function emits (functions/reports/handler.py) when a report cannot be built.
REPORTS_FAILED = "ReportsFailed"

PERIOD = Duration.minutes(5)
API_5XX_RATE = 0.05  # a twentieth of the requests in five minutes answered 5XX
API_P99_LATENCY_MS = 3000  # what the API's callers wait, at the 99th percentile
API_LATENCY_PERIODS = 3  # ... in two of three five-minute periods
MIN_ITERATOR_AGE_S = 300
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


def alarm_name(stack_name: str, construct_id: str) -> str:
    """An alarm's name: the stack's alarm prefix, then its construct id (``OmsStack.ApiErrors``)."""
    return f"{spec.alarm_prefix(stack_name)}{construct_id}"


def app_metric(
    name: str, stage: str, *, statistic: str = cloudwatch.Stats.SUM, **dimensions: str
) -> cloudwatch.Metric:
    """A metric the functions emit through Powertools (namespace of the stage, dimension ``service``)."""
    return cloudwatch.Metric(
        namespace=spec.metrics_namespace(stage),
        metric_name=name,
        dimensions_map={"service": spec.SERVICE_NAME, **dimensions},
        statistic=statistic,
        period=PERIOD,
    )


def consumed_queues() -> list[tuple[Function, QueueTrigger]]:
    """Every (function, queue trigger) of the spec: the queues a function consumes."""
    return [(fn, t) for fn in spec.FUNCTIONS for t in fn.triggers if isinstance(t, QueueTrigger)]


def stream_triggers() -> list[tuple[Function, StreamTrigger]]:
    return [(fn, t) for fn in spec.FUNCTIONS for t in fn.triggers if isinstance(t, StreamTrigger)]


def oldest_message_threshold_s(queue: Queue) -> int:
    """How old a queue's oldest message may get before someone should look: every receive it may have
    (``max_receive_count`` visibility timeouts, then it goes to the DLQ) plus five minutes. Older means the
    consumer is not keeping up, or not running."""
    return queue.max_receive_count * queue.visibility_timeout_s + queue.scheduled_retries_s + 300


def iterator_age_threshold_s(fn: Function) -> int:
    """How far behind its stream a function may fall: two of its timeouts, at least five minutes. The
    records are gone from the stream after 24 hours."""
    return max(MIN_ITERATOR_AGE_S, 2 * fn.timeout_s)


class Alarms(Construct):
    """The alarm topic and the alarms, keyed by construct id (``by_id``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        queues: Queues,
        functions: Functions,
        api: Api,
        email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        self.topic = self._topic(stage)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.by_id: dict[str, cloudwatch.Alarm] = {}
        for fn in spec.FUNCTIONS:
            self._function_alarms(fn, functions)
        self._api_alarms(api)
        for fn, trigger in stream_triggers():
            self._iterator_age(fn, trigger, functions)
        for fn, queue_trigger in consumed_queues():
            self._oldest_message(fn, queue_trigger, queues)
        self._add(
            "ReportsFailed",
            "A report could not be built (the reports function marked it FAILED, with the reason staff "
            "see in GET /reports/{report_id}); the function's log has the error. Fix the cause, then ask "
            "for the report again.",
            app_metric(REPORTS_FAILED, stage),
            threshold=1,
        )
        self._add(
            "WebhookEndpointDisabled",
            "A webhook endpoint was disabled: its deliveries failed for 3 days (GET /webhooks shows which, "
            "and its delivery log why). Fix the receiver, then enable it again (PATCH enabled: true) and "
            "replay what it missed.",
            app_metric(WEBHOOK_ENDPOINT_DISABLED_METRIC, stage),
            threshold=1,
        )
        self.notified = self._notify_every_alarm()

    def _topic(self, stage: str) -> sns.Topic:
        stack = Stack.of(self)
        key = kms.Key(
            self,
            "TopicKey",
            alias=spec.stage_name(TOPIC_KEY_ALIAS, stage),
            description="OMS: encrypts the alarm topic's notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # nothing at rest: notifications are delivered, not kept
        )
        # CloudWatch publishes the alarms' notifications: SNS then uses the key on its behalf. The key
        # policy AWS documents for this (CloudWatch user guide, alarms to an encrypted topic) has no
        # condition; the topic's policy below is what limits CloudWatch to this account's alarms.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],  # in a key policy: this key
            )
        )
        topic = sns.Topic(
            self, "Topic", display_name=f"OMS alarms ({stage})", master_key=key, enforce_ssl=True
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        self.topic_key = key
        return topic

    def _add(
        self,
        construct_id: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
        comparison: cloudwatch.ComparisonOperator = AT_LEAST,
    ) -> cloudwatch.Alarm:
        if construct_id in self.by_id:
            raise ValueError(f"alarm {construct_id} twice")
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.by_id[construct_id] = alarm
        return alarm

    def _function_alarms(self, fn: Function, functions: Functions) -> None:
        function = functions.function(fn)
        name = pascal(fn.name)
        self._add(
            f"{name}Errors",
            f"The {fn.name} function failed (an error or a timeout, not a handled rejection): its log group "
            "has the error and the request id.",
            function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=1,
        )
        self._add(
            f"{name}Throttles",
            f"Lambda throttled the {fn.name} function: the account's concurrency (or this function's "
            "reservation) is used up. Callers got errors; queued and streamed work waits and is retried.",
            function.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=1,
        )

    def _api_alarms(self, api: Api) -> None:
        stage = api.rest_api.deployment_stage
        self._add(
            "Api5xxRate",
            f"More than {API_5XX_RATE:.0%} of the API's requests in five minutes were answered 5XX (a "
            "function failed or timed out, or the authorizer did): see the functions' Errors and the "
            "access logs.",
            stage.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.AVERAGE),
            threshold=API_5XX_RATE,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._add(
            "ApiLatencyP99",
            f"The API's p99 latency was over {API_P99_LATENCY_MS} ms in two of three five-minute periods: "
            "see the functions' durations and DynamoDB throttling.",
            stage.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
            threshold=API_P99_LATENCY_MS,
            evaluation_periods=API_LATENCY_PERIODS,
            datapoints_to_alarm=API_LATENCY_PERIODS - 1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    def _iterator_age(self, fn: Function, trigger: StreamTrigger, functions: Functions) -> None:
        limit = iterator_age_threshold_s(fn)
        self._add(
            f"{pascal(fn.name)}{trigger.table.id}StreamIteratorAge",
            f"The {fn.name} function is more than {limit} s behind the {trigger.table.id} table's stream "
            "(records leave the stream after 24 hours): it fails and retries a batch, or is throttled.",
            functions.function(fn).metric("IteratorAge", period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
            threshold=limit * 1000,  # milliseconds
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    def _oldest_message(self, fn: Function, trigger: QueueTrigger, queues: Queues) -> None:
        queue = trigger.queue
        limit = oldest_message_threshold_s(queue)
        self._add(
            f"{queue.id}OldestMessage",
            f"A message has waited in {queue.id} for more than {limit} s: {fn.name} is not keeping up "
            f"(see its Throttles, Errors and its trigger's max_concurrency of {trigger.max_concurrency}) "
            "or not running.",
            queues.queue(queue).metric_approximate_age_of_oldest_message(
                period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=limit,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    def _notify_every_alarm(self) -> list[cloudwatch.Alarm]:
        """Every alarm of the stack notifies the topic when it fires and when it is OK again, and is named
        with the stack's alarm prefix (what GET /alarms reads, and all its role may read)."""
        action = actions.SnsAction(self.topic)
        stack = Stack.of(self)
        alarms = [c for c in stack.node.find_all() if isinstance(c, cloudwatch.Alarm)]
        names: set[str] = set()
        for alarm in alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            name = alarm_name(stack.stack_name, alarm.node.id)
            if name in names:
                raise ValueError(f"two alarms would be named {name}: give one another construct id")
            names.add(name)
            resource = alarm.node.default_child
            if not isinstance(resource, cloudwatch.CfnAlarm):
                raise TypeError(f"{alarm.node.path} has no CfnAlarm to name")
            resource.alarm_name = name
        return alarms

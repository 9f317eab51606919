"""SQS queues: one per ``spec.QUEUES`` entry. Each dead-letter queue, each on-failure destination of a
stream trigger and each failures queue of a schedule trigger has an alarm on what it holds (its actions:
``infra/constructs/alarms.py``).

A queue with ``personal_data`` is encrypted with the personal-data key (the personal-data tables' key),
every other one with SQS-managed keys. ``Queues.grant`` is the one place that gives a role SQS actions on a
queue: on a personal-data queue it adds the key actions those SQS actions need, usable only through SQS in
the stack's region (``kms:ViaService``). That is why such a queue's key is set on the CloudFormation
resource and not on the L2 construct: the L2's own grants (``grant_send_messages``, the event source's
``grant_consume_messages``) would add key use without that condition.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import spec
from infra.description import Function, Queue, ScheduleTrigger, StreamTrigger
from infra.nag import acknowledge

# What Queue.grant_send_messages and Queue.grant_consume_messages grant on the queue itself.
SEND_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
CONSUME_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
)
# The key use SQS makes on the caller's behalf, per SQS action, on a queue encrypted with a customer-managed
# key (Amazon SQS developer guide, "key management"): a producer has SQS make a data key (and check one it
# reuses), a consumer has SQS decrypt it. Any other SQS action uses no key.
KEY_ACTIONS_FOR: dict[str, tuple[str, ...]] = {
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:ReceiveMessage": ("kms:Decrypt",),
}
DATA_KEY_REUSE = Duration.minutes(5)  # SQS's default: one GenerateDataKey per 5 minutes per producer


def key_actions(sqs_actions: tuple[str, ...] | list[str]) -> list[str]:
    """The KMS actions ``sqs_actions`` need on a queue encrypted with a customer-managed key, in order."""
    return list(dict.fromkeys(k for action in sqs_actions for k in KEY_ACTIONS_FOR.get(action, ())))


def dead_letter_queues() -> dict[str, list[Queue]]:
    """Dead-letter queue id -> the queues whose redrive policy names it."""
    sources: dict[str, list[Queue]] = {}
    for queue in spec.QUEUES:
        if queue.dead_letter is not None:
            sources.setdefault(queue.dead_letter.id, []).append(queue)
    return sources


def failure_destinations() -> dict[str, list[tuple[Function, StreamTrigger]]]:
    """On-failure queue id -> the stream triggers (and their functions) that record skipped batches there."""
    destinations: dict[str, list[tuple[Function, StreamTrigger]]] = {}
    for fn in spec.FUNCTIONS:
        for trigger in fn.triggers:
            if isinstance(trigger, StreamTrigger):
                destinations.setdefault(trigger.failures.id, []).append((fn, trigger))
    return destinations


def schedule_failure_destinations() -> dict[str, list[tuple[Function, ScheduleTrigger]]]:
    """Failures queue id -> the schedule triggers (and their functions) whose failed runs land there."""
    destinations: dict[str, list[tuple[Function, ScheduleTrigger]]] = {}
    for fn in spec.FUNCTIONS:
        for trigger in fn.triggers:
            if isinstance(trigger, ScheduleTrigger):
                destinations.setdefault(trigger.failures.id, []).append((fn, trigger))
    return destinations


def _spec_queue(queue_id: str) -> Queue:
    return next(q for q in spec.QUEUES if q.id == queue_id)


def _check(queue: Queue, created: dict[str, sqs.Queue]) -> None:
    if queue.id in created:
        raise ValueError(f"queue id {queue.id!r} appears twice in spec.QUEUES")
    dlq = queue.dead_letter
    if dlq is None:
        return
    if dlq.id not in created:
        raise ValueError(f"{queue.id}: its dead-letter queue {dlq.id} must come before it in spec.QUEUES")
    if dlq.dead_letter is not None:
        raise ValueError(f"{queue.id}: its dead-letter queue {dlq.id} must not have a dead-letter queue")
    if queue.personal_data and not dlq.personal_data:
        raise ValueError(f"{queue.id} holds personal data: so does its dead-letter queue {dlq.id}")
    # A message keeps its original enqueue time when SQS moves it, so a DLQ that retains less than
    # its source would drop failed messages before anyone could look at them.
    if dlq.retention_days < queue.retention_days:
        raise ValueError(
            f"{dlq.id} retains {dlq.retention_days} days, less than {queue.id} ({queue.retention_days})"
        )


class Queues(Construct):
    """The queues, keyed by ``Queue.id``. CloudFormation names them; functions get the URLs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, personal_data_key: kms.IKey | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.personal_data_key = personal_data_key
        if personal_data_key is None and any(q.personal_data for q in spec.QUEUES):
            raise ValueError("a queue holds personal data: pass personal_data_key")
        self.by_id: dict[str, sqs.Queue] = {}
        for queue in spec.QUEUES:  # dead-letter queues first: a redrive policy names its DLQ
            _check(queue, self.by_id)
            self.by_id[queue.id] = self._queue(queue)
        self.alarms: dict[str, cloudwatch.Alarm] = {
            dlq_id: self._dead_letter_alarm(dlq_id, sources)
            for dlq_id, sources in dead_letter_queues().items()
        }
        for queue_id, triggers in failure_destinations().items():
            if queue_id in self.alarms:
                raise ValueError(f"{queue_id} is both a dead-letter queue and a stream's on-failure queue")
            if queue_id not in self.by_id:
                raise ValueError(f"{queue_id} (a stream's on-failure queue) is not in spec.QUEUES")
            if _spec_queue(queue_id).personal_data:
                # Lambda's on-failure grant is the L2's (grant_send_messages): no key use through it.
                raise ValueError(f"{queue_id}: a stream's on-failure queue holds pointers, not personal data")
            self.alarms[queue_id] = self._failures_alarm(queue_id, triggers)
        for queue_id, schedules in schedule_failure_destinations().items():
            if queue_id in self.alarms:
                raise ValueError(f"{queue_id} is a schedule's failures queue and already has another role")
            if queue_id not in self.by_id:
                raise ValueError(f"{queue_id} (a schedule's failures queue) is not in spec.QUEUES")
            if _spec_queue(queue_id).personal_data:
                raise ValueError(f"{queue_id}: a schedule's failures queue holds no personal data")
            self.alarms[queue_id] = self._schedule_failures_alarm(queue_id, schedules)

    def queue(self, queue: Queue) -> sqs.Queue:
        return self.by_id[queue.id]

    def grant(self, queue: Queue, grantee: iam.IGrantable, *actions: str) -> None:
        """``actions`` on ``queue`` and, on a personal-data queue, the key use they need (``grant_key``)."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.queue(queue).queue_arn]
        )
        self.grant_key(queue, grantee, *actions)

    def grant_send(self, queue: Queue, grantee: iam.IGrantable) -> None:
        self.grant(queue, grantee, *SEND_ACTIONS)

    def grant_consume(self, queue: Queue, grantee: iam.IGrantable) -> None:
        self.grant(queue, grantee, *CONSUME_ACTIONS)

    def grant_key(self, queue: Queue, grantee: iam.IGrantable, *sqs_actions: str) -> None:
        """On a personal-data queue, the KMS actions ``sqs_actions`` need (``KEY_ACTIONS_FOR``) on the
        personal-data key, only when SQS in this region makes the call (``kms:ViaService``): the role can
        never decrypt with the key directly. Nothing on any other queue. For grants made elsewhere (an
        event source mapping's consume grant) on the queue's SQS actions."""
        actions = key_actions(sqs_actions)
        if not queue.personal_data or not actions:
            return
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=actions,
            resource_arns=[self._key().key_arn],
            conditions={"StringEquals": {"kms:ViaService": self.via_sqs()}},
        )

    def via_sqs(self) -> str:
        """The value of ``kms:ViaService`` when SQS in the stack's region calls KMS."""
        return f"sqs.{Stack.of(self).region}.amazonaws.com"

    def _key(self) -> kms.IKey:
        if self.personal_data_key is None:  # pragma: no cover - checked in __init__
            raise RuntimeError("no personal-data key")
        return self.personal_data_key

    def _queue(self, queue: Queue) -> sqs.Queue:
        dead_letter = (
            sqs.DeadLetterQueue(
                queue=self.by_id[queue.dead_letter.id], max_receive_count=queue.max_receive_count
            )
            if queue.dead_letter is not None
            else None
        )
        resource = sqs.Queue(
            self,
            queue.id,
            encryption=None if queue.personal_data else sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(queue.visibility_timeout_s),
            retention_period=Duration.days(queue.retention_days),
            dead_letter_queue=dead_letter,
        )
        if queue.personal_data:  # the key on the resource only: see the module's docstring
            cfn = resource.node.default_child
            if not isinstance(cfn, sqs.CfnQueue):  # pragma: no cover - an L2 Queue's resource
                raise TypeError(f"{queue.id}: no CfnQueue")
            cfn.kms_master_key_id = self._key().key_arn
            cfn.kms_data_key_reuse_period_seconds = int(DATA_KEY_REUSE.to_seconds())
        return resource

    def _dead_letter_alarm(self, dlq_id: str, sources: list[Queue]) -> cloudwatch.Alarm:
        dlq = self.by_id[dlq_id]
        acknowledge(
            dlq.node.find_child("Resource"),
            "AwsSolutions-SQS3",
            f"{dlq_id} is the dead-letter queue of {', '.join(q.id for q in sources)}: a dead-letter "
            "queue of its own would only move the same messages once more; an alarm fires as soon as "
            "it holds any.",
        )
        names = " and ".join(q.id for q in sources)
        return self._not_empty_alarm(
            dlq_id,
            f"{dlq_id}, the dead-letter queue of {names}, holds messages that could not be processed; "
            "a message the consumer set aside carries its reason in message attributes; inspect and "
            f"redrive them to {names} once the cause is fixed.",
        )

    def _failures_alarm(
        self, queue_id: str, triggers: list[tuple[Function, StreamTrigger]]
    ) -> cloudwatch.Alarm:
        sources = " and ".join(f"the {t.table.id} stream mapping of {fn.name}" for fn, t in triggers)
        acknowledge(
            self.by_id[queue_id].node.find_child("Resource"),
            "AwsSolutions-SQS3",
            f"{queue_id} is not a source queue but the on-failure destination of {sources}: Lambda "
            "writes one record per stream batch it gave up on, and nothing consumes it automatically. "
            "A dead-letter queue of its own would only move the same records once more; an alarm fires "
            "as soon as it holds any.",
        )
        return self._not_empty_alarm(
            queue_id,
            f"{queue_id} holds stream batches that {sources} skipped after every retry failed; each "
            "message names the stream and the first and last sequence numbers of the batch (the records "
            "stay readable in the stream for 24 hours); inspect them and repair the items by hand once "
            "the cause is fixed.",
        )

    def _schedule_failures_alarm(
        self, queue_id: str, schedules: list[tuple[Function, ScheduleTrigger]]
    ) -> cloudwatch.Alarm:
        sources = " and ".join(f"the {t.id} schedule of {fn.name}" for fn, t in schedules)
        acknowledge(
            self.by_id[queue_id].node.find_child("Resource"),
            "AwsSolutions-SQS3",
            f"{queue_id} is not a source queue but where the failed runs of {sources} end: EventBridge "
            "Scheduler's dead-letter queue and the function's asynchronous on-failure destination. Nothing "
            "consumes it automatically; a dead-letter queue of its own would only move the same runs once "
            "more; an alarm fires as soon as it holds any.",
        )
        return self._not_empty_alarm(
            queue_id,
            f"{queue_id} holds scheduled runs of {sources} that failed after every retry: a message from "
            "Scheduler is the run's event (why in its message attributes); one from Lambda names the event "
            "(requestPayload) and the error (responsePayload). Fix the cause, then run the function again "
            "with that event (its scheduled_time says which run it was).",
        )

    def _not_empty_alarm(self, queue_id: str, description: str) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            f"{queue_id}NotEmpty",
            alarm_description=description,
            metric=self.by_id[queue_id].metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

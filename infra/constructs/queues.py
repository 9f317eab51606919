"""SQS queues: one per ``spec.QUEUES`` entry, each dead-letter queue with an alarm on what it holds."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import spec
from infra.nag import acknowledge


def dead_letter_queues() -> dict[str, list[spec.Queue]]:
    """Dead-letter queue id -> the queues whose redrive policy names it."""
    sources: dict[str, list[spec.Queue]] = {}
    for queue in spec.QUEUES:
        if queue.dead_letter is not None:
            sources.setdefault(queue.dead_letter.id, []).append(queue)
    return sources


def _check(queue: spec.Queue, created: dict[str, sqs.Queue]) -> None:
    if queue.id in created:
        raise ValueError(f"queue id {queue.id!r} appears twice in spec.QUEUES")
    dlq = queue.dead_letter
    if dlq is None:
        return
    if dlq.id not in created:
        raise ValueError(f"{queue.id}: its dead-letter queue {dlq.id} must come before it in spec.QUEUES")
    if dlq.dead_letter is not None:
        raise ValueError(f"{queue.id}: its dead-letter queue {dlq.id} must not have a dead-letter queue")
    # A message keeps its original enqueue time when SQS moves it, so a DLQ that retains less than
    # its source would drop failed messages before anyone could look at them.
    if dlq.retention_days < queue.retention_days:
        raise ValueError(
            f"{dlq.id} retains {dlq.retention_days} days, less than {queue.id} ({queue.retention_days})"
        )


class Queues(Construct):
    """The queues, keyed by ``spec.Queue.id``. CloudFormation names them; functions get the URLs."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.by_id: dict[str, sqs.Queue] = {}
        for queue in spec.QUEUES:  # dead-letter queues first: a redrive policy names its DLQ
            _check(queue, self.by_id)
            self.by_id[queue.id] = self._queue(queue)
        self.alarms: dict[str, cloudwatch.Alarm] = {
            dlq_id: self._dead_letter_alarm(dlq_id, sources)
            for dlq_id, sources in dead_letter_queues().items()
        }

    def queue(self, queue: spec.Queue) -> sqs.Queue:
        return self.by_id[queue.id]

    def _queue(self, queue: spec.Queue) -> sqs.Queue:
        dead_letter = (
            sqs.DeadLetterQueue(
                queue=self.by_id[queue.dead_letter.id], max_receive_count=queue.max_receive_count
            )
            if queue.dead_letter is not None
            else None
        )
        return sqs.Queue(
            self,
            queue.id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(queue.visibility_timeout_s),
            retention_period=Duration.days(queue.retention_days),
            dead_letter_queue=dead_letter,
        )

    def _dead_letter_alarm(self, dlq_id: str, sources: list[spec.Queue]) -> cloudwatch.Alarm:
        dlq = self.by_id[dlq_id]
        acknowledge(
            dlq.node.find_child("Resource"),
            "AwsSolutions-SQS3",
            f"{dlq_id} is the dead-letter queue of {', '.join(q.id for q in sources)}: a dead-letter "
            "queue of its own would only move the same messages once more; an alarm fires as soon as "
            "it holds any.",
        )
        names = " and ".join(q.id for q in sources)
        return cloudwatch.Alarm(
            self,
            f"{dlq_id}NotEmpty",
            alarm_description=(
                f"The dead-letter queue of {names} holds marketplace orders that could not be "
                "processed; each message carries its reason in message attributes; inspect and redrive "
                "them once the cause is fixed."
            ),
            metric=dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

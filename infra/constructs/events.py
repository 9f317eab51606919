"""EventBridge buses: one per ``spec.BUSES`` entry, named as the spec names it in the stage
(``spec.stage_name``).

Every event the functions publish (sources ``spec.EVENT_SOURCES``) is also delivered to a CloudWatch
Logs group, so staff can see what was published (the local stack copies them to a tap queue
instead), and kept in an archive, so it can be replayed to a new subscriber.
"""

from __future__ import annotations

import jsii
from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from infra import spec
from infra.constructs.queues import Queues
from infra.description import Bus, EventRule

# EventBridge's own retries of a delivery to a rule's queue (it keeps trying for up to 24 hours); what it
# still cannot deliver goes to the queue's dead-letter queue.
RULE_TARGET_RETRIES = 185
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ARCHIVE_RETENTION = Duration.days(30)


def published_events() -> events.EventPattern:
    """Every event the functions publish."""
    return events.EventPattern(source=list(spec.EVENT_SOURCES))


@jsii.implements(events.IRuleTarget)
class LogGroupTarget:
    """A rule target that delivers events to a log group whose resource policy already lets EventBridge
    write to it. (``aws_events_targets.CloudWatchLogGroup`` writes that policy with a custom resource: a
    Lambda function of its own, for one static policy CloudFormation can create directly.)"""

    def __init__(self, log_group: logs.LogGroup) -> None:
        self._log_group = log_group

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        del rule, id  # one target, whatever the rule
        stack = Stack.of(self._log_group)
        return events.RuleTargetConfig(
            arn=stack.format_arn(
                service="logs",
                resource="log-group",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
                resource_name=self._log_group.log_group_name,
            ),
            target_resource=self._log_group,
        )


class Buses(Construct):
    """The buses, keyed by ``Bus.id``. Functions that publish get PutEvents on their buses only."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str = spec.PROD_STAGE) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        self.by_id: dict[str, events.EventBus] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for bus in spec.BUSES:
            if bus.id in self.by_id:
                raise ValueError(f"bus id {bus.id!r} appears twice in spec.BUSES")
            self.by_id[bus.id] = self._bus(bus)

    def bus(self, bus: Bus) -> events.EventBus:
        return self.by_id[bus.id]

    def _bus(self, bus: Bus) -> events.EventBus:
        name = spec.stage_name(bus.name, self._stage)
        resource = events.EventBus(
            self, bus.id, event_bus_name=name, description=f"OMS domain events ({bus.env_var})"
        )
        resource.archive(
            f"{bus.id}Archive",
            description=f"Every event published on {name}, for replay to a new subscriber",
            event_pattern=published_events(),
            retention=ARCHIVE_RETENTION,
        )
        log_group = logs.LogGroup(self, f"{bus.id}Logs", retention=LOG_RETENTION)
        # The one writer: EventBridge, for rules on this bus (a rule's ARN is rule/<bus name>/<rule>).
        stack = Stack.of(self)
        log_group.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                resources=[log_group.log_group_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="events", resource="rule", resource_name=f"{name}/*"
                        )
                    }
                },
            )
        )
        rule = events.Rule(
            self,
            f"{bus.id}ToLogs",
            description=f"Every event published on {name}, to a log group staff can read",
            event_bus=resource,
            event_pattern=published_events(),
            targets=[LogGroupTarget(log_group)],
        )
        # The target needs the resource policy in place before EventBridge delivers anything.
        policy = log_group.node.try_find_child("Policy")
        if policy is not None:
            rule.node.add_dependency(policy)
        self.log_groups[bus.id] = log_group
        return resource


class EventRules(Construct):
    """``spec.EVENT_RULES``: each an EventBridge rule on its bus with its queue as the one target. CDK's
    ``SqsQueue`` target writes the queue policy (SendMessage for events.amazonaws.com, only from this
    rule); the queue's dead-letter queue, when it has one, keeps what EventBridge could not deliver."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        buses: Buses,
        queues: Queues,
        rules: tuple[EventRule, ...] = spec.EVENT_RULES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_id: dict[str, events.Rule] = {}
        for rule in rules:
            if rule.id in self.by_id:
                raise ValueError(f"rule id {rule.id!r} appears twice in spec.EVENT_RULES")
            queue = queues.queue(rule.queue)
            dead_letter = queues.queue(rule.queue.dead_letter) if rule.queue.dead_letter else None
            self.by_id[rule.id] = events.Rule(
                self,
                rule.id,
                description=rule.description or f"{', '.join(rule.detail_types)} to {rule.queue.id}",
                event_bus=buses.bus(rule.bus),
                event_pattern=events.EventPattern(
                    detail_type=list(rule.detail_types), source=list(rule.sources) or None
                ),
                targets=[
                    targets.SqsQueue(queue, dead_letter_queue=dead_letter, retry_attempts=RULE_TARGET_RETRIES)
                ],
            )

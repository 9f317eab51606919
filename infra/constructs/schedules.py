"""EventBridge Scheduler schedules: one per ``ScheduleTrigger`` of a function.

Each schedule (the stable ``aws_scheduler`` L2 with a ``LambdaInvoke`` target) runs the trigger's cron
expression in the business time zone, with no flexible time window, and hands the function the trigger's
event as its input, verbatim: ``<aws.scheduler.scheduled-time>`` in it is replaced by Scheduler itself.

A run can fail in two places, and both end in the trigger's ``failures`` queue:

* delivery (Scheduler could not invoke the function: throttled, no permission): Scheduler retries up to
  ``retry_attempts`` times within ``MAX_EVENT_AGE``, then puts the event in ``failures`` (its dead-letter
  queue; the message attributes carry the error);
* the function itself: Scheduler invokes a function asynchronously, so a function error is retried by
  Lambda (``infra.schedule_time.function_error_retries``) and the run then goes to ``failures`` as an
  asynchronous invocation's on-failure record (the event and the error). For that the function's role may
  send to that queue, and nothing else changes on it.

Scheduler assumes a role of its own, one per schedule, which only Scheduler may assume, for schedules of
this account's default schedule group: lambda:InvokeFunction on that function (granted by the target) and
sqs:SendMessage on its dead-letter queue, nothing else.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from infra import spec
from infra.constructs.functions import Functions
from infra.constructs.queues import Queues
from infra.description import Function, ScheduleTrigger
from infra.nag import acknowledge, logical_id
from infra.schedule_time import business_timezone, function_error_retries

MAX_EVENT_AGE = Duration.hours(1)  # a daily run later than this is a stale run: it goes to `failures`


def schedule_triggers(
    functions: tuple[Function, ...] | None = None,
) -> list[tuple[Function, ScheduleTrigger]]:
    """Every (function, schedule trigger) of the spec, in spec order."""
    return [
        (fn, trigger)
        for fn in (spec.FUNCTIONS if functions is None else functions)
        for trigger in fn.triggers
        if isinstance(trigger, ScheduleTrigger)
    ]


def _check(fn: Function, triggers: list[ScheduleTrigger]) -> None:
    """A function has one asynchronous invocation configuration: its schedules must agree on it."""
    settings = {(t.failures.id, function_error_retries(t)) for t in triggers}
    if len(settings) > 1:
        raise ValueError(f"{fn.name}: its schedule triggers must share one failures queue and retry count")
    ids = [t.id for t in triggers]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{fn.name}: schedule trigger ids must be unique")


class Schedules(Construct):
    """The schedules, keyed by ``ScheduleTrigger.id``; all in the business time zone ``timezone``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, functions: Functions, queues: Queues, timezone: str
    ) -> None:
        super().__init__(scope, construct_id)
        business_timezone(timezone)
        self._functions = functions
        self._queues = queues
        self._timezone = TimeZone.of(timezone)
        self.by_id: dict[str, scheduler.Schedule] = {}
        by_function: dict[str, list[ScheduleTrigger]] = {}
        for fn, trigger in schedule_triggers():
            by_function.setdefault(fn.name, []).append(trigger)
            if trigger.id in self.by_id:
                raise ValueError(f"schedule trigger id {trigger.id!r} appears twice in spec.FUNCTIONS")
            self.by_id[trigger.id] = self._schedule(fn, trigger)
        for name, triggers in by_function.items():
            fn = spec.function(name)
            _check(fn, triggers)
            self._on_function_error(fn, triggers[0])

    def schedule(self, trigger: ScheduleTrigger) -> scheduler.Schedule:
        return self.by_id[trigger.id]

    def _schedule(self, fn: Function, trigger: ScheduleTrigger) -> scheduler.Schedule:
        function = self._functions.function(fn)
        failures = self._queues.queue(trigger.failures)
        role = self._role(trigger)
        target = targets.LambdaInvoke(
            function,
            role=role,
            input=scheduler.ScheduleTargetInput.from_text(json.dumps(trigger.event)),
            retry_attempts=trigger.retry_attempts,
            max_event_age=MAX_EVENT_AGE,
            dead_letter_queue=failures,
        )
        schedule = scheduler.Schedule(
            self,
            trigger.id,
            description=f"OMS: {trigger.id} -> {fn.name}, daily at {trigger.hour:02d}:{trigger.minute:02d}",
            schedule=scheduler.ScheduleExpression.expression(trigger.cron, self._timezone),
            target=target,
            time_window=scheduler.TimeWindow.off(),
        )
        self._acknowledge(fn, function, role)
        return schedule

    def _role(self, trigger: ScheduleTrigger) -> iam.Role:
        stack = Stack.of(self)
        default_group = stack.format_arn(
            service="scheduler", resource="schedule-group", resource_name="default"
        )
        return iam.Role(
            self,
            f"{trigger.id}Role",
            description=f"OMS: EventBridge Scheduler runs the {trigger.id} schedule",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account, "aws:SourceArn": default_group}
                },
            ),
        )

    def _on_function_error(self, fn: Function, trigger: ScheduleTrigger) -> None:
        """Lambda's retries of a failed scheduled run, then its on-failure record in ``failures``."""
        self._functions.function(fn).configure_async_invoke(
            retry_attempts=function_error_retries(trigger),
            max_event_age=MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self._queues.queue(trigger.failures)),
        )

    def _acknowledge(self, fn: Function, function: lambda_.Function, role: iam.Role) -> None:
        function_id = logical_id(function.node.default_child)
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]",
            f"Scheduler may invoke the {fn.name} function and its versions and aliases (<function arn>:*, as "
            "Function.grantInvoke grants it); no other function. The schedule invokes the unqualified "
            "function.",
        )

"""The business time zone and the times of a ``ScheduleTrigger``, as EventBridge Scheduler evaluates them.

Pure functions (no CDK, no boto3): the CDK stack validates the time zone with them at synth, and the local
stack (``infra/local/schedules.py``) runs its schedules with them, so both agree on when a run is due and on
what its event says.

EventBridge Scheduler evaluates a cron expression on the wall clock of the schedule's time zone: a time the
clocks skip (spring forward) has no run that day, a time the clocks pass twice (fall back) runs once, at
the first pass. A run's ``<aws.scheduler.scheduled-time>`` is the time it was due, in UTC
(``2026-11-25T00:00:00Z``), the same for every retry of that run.

Scheduler invokes a Lambda function asynchronously: its own retry policy covers delivering the invocation;
a function error is retried by Lambda's asynchronous invocation, at most ``LAMBDA_ASYNC_MAX_RETRIES`` times.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from infra.description import SCHEDULED_TIME, ScheduleTrigger

LAMBDA_ASYNC_MAX_RETRIES = 2  # Lambda's limit for MaximumRetryAttempts of an asynchronous invocation


def business_timezone(name: object, source: str = "the time zone") -> ZoneInfo:
    """The IANA zone ``name``, or a ``ValueError`` that says where the bad name came from."""
    if not isinstance(name, str) or name not in available_timezones():
        raise ValueError(
            f"{source} is {name!r}: not an IANA time zone name zoneinfo knows "
            "(examples: UTC, Europe/Berlin, America/New_York)"
        )
    return ZoneInfo(name)


def function_error_retries(trigger: ScheduleTrigger) -> int:
    """How often a run whose function fails is invoked again before it goes to ``trigger.failures``:
    ``retry_attempts``, capped at what Lambda's asynchronous invocation allows."""
    return min(trigger.retry_attempts, LAMBDA_ASYNC_MAX_RETRIES)


def _wall_clock_exists(moment: datetime) -> bool:
    """The local time ``moment`` names is on the clock that day (not skipped by a DST change)."""
    zone = moment.tzinfo
    back = moment.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def next_run(trigger: ScheduleTrigger, after: datetime, zone: ZoneInfo) -> datetime:
    """The first time strictly after ``after`` (aware) at which ``trigger`` is due, in ``zone``."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    day = after.astimezone(zone).date()
    for offset in range(3):  # today's run may be past, and a time the clocks skip has no run that day
        # fold=0: of a time the clocks pass twice, the first pass.
        candidate = datetime.combine(day + timedelta(days=offset), time(trigger.hour, trigger.minute), zone)
        # In UTC: aware datetimes of one zone compare by wall clock, blind to which pass of a repeat.
        if _wall_clock_exists(candidate) and candidate.astimezone(UTC) > after.astimezone(UTC):
            return candidate
    raise AssertionError("a daily schedule is due within three days")  # pragma: no cover


def scheduled_time_text(scheduled: datetime) -> str:
    """``<aws.scheduler.scheduled-time>`` as Scheduler renders it: UTC, to the second."""
    return scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(trigger: ScheduleTrigger, scheduled: datetime) -> dict[str, str]:
    """``trigger.event`` with every ``SCHEDULED_TIME`` value replaced by the run's scheduled time."""
    when = scheduled_time_text(scheduled)
    return {key: when if value == SCHEDULED_TIME else value for key, value in trigger.event.items()}

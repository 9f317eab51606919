"""Schedule triggers on the local clock (infra/local/schedules.py) and the times they share with the CDK
stack (infra/schedule_time.py): next runs across DST changes, the scheduled-time placeholder, retries and the
failures queue. A fake clock and sleep: nothing here waits."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from infra.description import SCHEDULED_TIME, ScheduleTrigger
from infra.local.schedules import MAX_SLEEP_S, LocalScheduler
from infra.local.workers import InvocationError
from infra.schedule_time import (
    business_timezone,
    function_error_retries,
    next_run,
    scheduled_event,
    scheduled_time_text,
)
from infra.spec import REPORTS_FUNCTION

BERLIN = ZoneInfo("Europe/Berlin")
(DAILY,) = [t for t in REPORTS_FUNCTION.triggers if isinstance(t, ScheduleTrigger)]
FAILURES_URL = "http://localhost/000000000000/oms-schedule-failures"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def at(hour: int, minute: int) -> ScheduleTrigger:
    return dataclasses.replace(DAILY, hour=hour, minute=minute)


# --- next runs ------------------------------------------------------------------------------


def test_the_next_run_is_today_when_it_is_still_ahead_and_tomorrow_once_it_passed() -> None:
    assert next_run(DAILY, utc(2026, 11, 24, 23, 59), BERLIN) == datetime(2026, 11, 25, 1, 0, tzinfo=BERLIN)
    # 01:00 in Berlin in winter is 00:00 UTC: exactly then is not "after"
    assert next_run(DAILY, utc(2026, 11, 25, 0, 0), BERLIN) == datetime(2026, 11, 26, 1, 0, tzinfo=BERLIN)
    assert next_run(DAILY, utc(2026, 11, 24, 12, 0), ZoneInfo("UTC")) == utc(2026, 11, 25, 1, 0)


def test_the_next_run_keeps_the_wall_clock_when_berlin_moves_to_summer_time() -> None:
    """29 March 2026: 02:00 CET becomes 03:00 CEST. 01:00 stays 01:00 on the wall, so in UTC the run
    moves an hour earlier."""
    before = next_run(DAILY, utc(2026, 3, 28, 12, 0), BERLIN)
    after = next_run(DAILY, before, BERLIN)
    assert before.astimezone(UTC) == utc(2026, 3, 29, 0, 0)  # 01:00 CET
    assert after.astimezone(UTC) == utc(2026, 3, 29, 23, 0)  # 01:00 CEST
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=23)  # a 23-hour day
    assert (after.hour, after.minute) == (before.hour, before.minute) == (1, 0)


def test_a_time_the_clocks_skip_has_no_run_that_day() -> None:
    """As EventBridge Scheduler: 02:30 does not exist in Berlin on 29 March 2026, so that day has none."""
    run = next_run(at(2, 30), utc(2026, 3, 28, 12, 0), BERLIN)
    assert run == datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)
    assert run.astimezone(UTC) == utc(2026, 3, 30, 0, 30)


def test_a_time_the_clocks_pass_twice_runs_once_at_the_first_pass() -> None:
    """25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice; Scheduler runs once."""
    first = next_run(at(2, 30), utc(2026, 10, 24, 12, 0), BERLIN)
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    # From the first pass, and from between the passes (02:10 CET, after 02:30 CEST), the next is the 26th.
    assert next_run(at(2, 30), first, BERLIN).astimezone(UTC) == utc(2026, 10, 26, 1, 30)
    assert next_run(at(2, 30), utc(2026, 10, 25, 1, 10), BERLIN).astimezone(UTC) == utc(2026, 10, 26, 1, 30)


def test_the_next_run_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_run(DAILY, datetime(2026, 11, 24, 12, 0), BERLIN)


def test_an_unknown_time_zone_is_refused_by_name() -> None:
    assert business_timezone("Europe/Berlin") == BERLIN
    with pytest.raises(ValueError, match=r"\$OMS_TIMEZONE is 'Berlin': not an IANA time zone"):
        business_timezone("Berlin", "$OMS_TIMEZONE")


# --- the event ------------------------------------------------------------------------------


def test_the_placeholder_becomes_the_scheduled_time_in_utc() -> None:
    due = datetime(2026, 11, 25, 1, 0, tzinfo=BERLIN)
    assert scheduled_time_text(due) == "2026-11-25T00:00:00Z"  # as Scheduler renders it
    assert DAILY.event["scheduled_time"] == SCHEDULED_TIME == "<aws.scheduler.scheduled-time>"
    assert scheduled_event(DAILY, due) == {
        "schedule": "daily-reports",
        "scheduled_time": "2026-11-25T00:00:00Z",
    }
    assert DAILY.event["scheduled_time"] == SCHEDULED_TIME, "the trigger's own event is left as it is"


def test_only_values_equal_to_the_placeholder_are_replaced() -> None:
    trigger = dataclasses.replace(
        DAILY, event={"a": SCHEDULED_TIME, "b": f"at {SCHEDULED_TIME}", "c": "x", "d": SCHEDULED_TIME}
    )
    event = scheduled_event(trigger, utc(2026, 1, 2, 3, 4, 5))
    assert event == {
        "a": "2026-01-02T03:04:05Z",
        "b": f"at {SCHEDULED_TIME}",
        "c": "x",
        "d": "2026-01-02T03:04:05Z",
    }


# --- the local scheduler --------------------------------------------------------------------


class FakeTime:
    """A clock that moves only when something sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        return False  # not stopping


class FakeSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, str]:
        self.sent.append({"url": QueueUrl, "body": json.loads(MessageBody)})
        return {"MessageId": "m1"}


class Invoker:
    """Fails the first ``failures`` invocations, then succeeds; records what it was given and when."""

    def __init__(self, time: FakeTime, failures: int = 0) -> None:
        self.time = time
        self.failures = failures
        self.calls: list[tuple[datetime, dict[str, Any]]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.calls.append((self.time.now, event))
        if len(self.calls) <= self.failures:
            raise InvocationError("RuntimeError", "the report could not be written")


def scheduler(time: FakeTime, invoke: Any, sqs: FakeSqs, trigger: ScheduleTrigger = DAILY) -> LocalScheduler:
    return LocalScheduler(
        trigger,
        invoke,
        sqs,
        FAILURES_URL,
        BERLIN,
        function_name="reports",
        clock=time.clock,
        sleep=time.sleep,
    )


def test_a_run_waits_for_its_time_and_hands_over_the_event() -> None:
    time = FakeTime(utc(2026, 11, 24, 12, 0))
    invoke, sqs = Invoker(time), FakeSqs()
    runner = scheduler(time, invoke, sqs)
    assert (
        runner.describe() == "DailyReports -> reports at 01:00 Europe/Berlin (next 2026-11-25T01:00:00+01:00)"
    )

    assert runner.run_once() is True
    ((when, event),) = invoke.calls
    assert when == utc(2026, 11, 25, 0, 0)
    assert event == {"schedule": "daily-reports", "scheduled_time": "2026-11-25T00:00:00Z"}
    assert max(time.sleeps) <= MAX_SLEEP_S  # the clock is looked at again at least every minute
    assert sqs.sent == []

    # The next run is the next day, never the same one again.
    assert runner.run_once() is True
    assert [e["scheduled_time"] for _, e in invoke.calls] == ["2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"]


def test_a_run_missed_while_asleep_runs_once_on_waking_with_the_time_it_was_due() -> None:
    time = FakeTime(utc(2026, 11, 24, 23, 59, 30))
    invoke, sqs = Invoker(time), FakeSqs()
    runner = scheduler(time, invoke, sqs)

    def suspended(seconds: float) -> bool:  # the laptop sleeps through 01:00 and wakes at 07:00
        time.now = utc(2026, 11, 25, 6, 0)
        return False

    runner._sleep = suspended
    assert runner.run_once() is True
    ((when, event),) = invoke.calls
    assert when == utc(2026, 11, 25, 6, 0)
    assert event["scheduled_time"] == "2026-11-25T00:00:00Z"
    assert runner.next_run() == datetime(2026, 11, 26, 1, 0, tzinfo=BERLIN)


def test_a_failing_run_is_retried_with_the_same_event_and_then_succeeds() -> None:
    time = FakeTime(utc(2026, 11, 25, 0, 0))
    invoke, sqs = Invoker(time, failures=2), FakeSqs()
    assert scheduler(time, invoke, sqs).fire(utc(2026, 11, 25, 0, 0)) is True
    assert len(invoke.calls) == 3
    assert len({json.dumps(e) for _, e in invoke.calls}) == 1  # every retry: the same scheduled time
    assert time.sleeps == [1.0, 2.0]  # a short backoff
    assert sqs.sent == []


def test_a_run_that_keeps_failing_goes_to_the_failures_queue_as_lambdas_on_failure_record() -> None:
    time = FakeTime(utc(2026, 11, 25, 0, 0))
    invoke, sqs = Invoker(time, failures=99), FakeSqs()
    assert scheduler(time, invoke, sqs).fire(utc(2026, 11, 25, 0, 0)) is False

    # retry_attempts is 3; Lambda retries an asynchronous invocation at most twice, and so does this.
    assert DAILY.retry_attempts == 3
    assert function_error_retries(DAILY) == 2
    assert len(invoke.calls) == 3
    ((message,),) = [sqs.sent]
    assert message["url"] == FAILURES_URL
    record = message["body"]
    assert record["requestPayload"] == {"schedule": "daily-reports", "scheduled_time": "2026-11-25T00:00:00Z"}
    assert record["responsePayload"] == {
        "errorType": "RuntimeError",
        "errorMessage": "the report could not be written",
    }
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:reports:$LATEST")
    assert record["responseContext"]["functionError"] == "Unhandled"


def test_fewer_retry_attempts_are_honoured() -> None:
    time = FakeTime(utc(2026, 11, 25, 0, 0))
    invoke, sqs = Invoker(time, failures=99), FakeSqs()
    once = dataclasses.replace(DAILY, retry_attempts=0)
    assert scheduler(time, invoke, sqs, once).fire(utc(2026, 11, 25, 0, 0)) is False
    assert len(invoke.calls) == 1
    assert len(sqs.sent) == 1


def test_any_exception_from_the_invoker_counts_as_a_function_error() -> None:
    time = FakeTime(utc(2026, 11, 25, 0, 0))
    sqs = FakeSqs()

    def broken(event: dict[str, Any]) -> None:
        raise BrokenPipeError("worker gone")

    assert scheduler(time, broken, sqs).fire(utc(2026, 11, 25, 0, 0)) is False
    assert sqs.sent[0]["body"]["responsePayload"] == {
        "errorType": "BrokenPipeError",
        "errorMessage": "worker gone",
    }


def test_stopping_while_waiting_runs_nothing() -> None:
    time = FakeTime(utc(2026, 11, 24, 12, 0))
    invoke, sqs = Invoker(time), FakeSqs()
    runner = scheduler(time, invoke, sqs)
    runner._sleep = lambda seconds: True  # stop() was called
    assert runner.run_once() is False
    assert invoke.calls == []


def test_the_thread_starts_and_stops_promptly() -> None:
    invoke, sqs = Invoker(FakeTime(utc(2026, 11, 24, 12, 0))), FakeSqs()
    runner = LocalScheduler(DAILY, invoke, sqs, FAILURES_URL, BERLIN, function_name="reports").start()
    runner.stop()  # the real sleep is the stop event's wait: it returns at once
    assert not runner._thread.is_alive()
    assert invoke.calls == []

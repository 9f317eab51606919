"""What GET /alarms answers, without AWS: none on the local stack, and the firing alarms first."""

from __future__ import annotations

from shared.dal.alarms import AlarmSource
from shared.models.alarms import AlarmView
from shared.services.alarms import NO_ALARMS, alarm_list


class FakeAlarms:
    def __init__(self, *items: AlarmView) -> None:
        self.items = list(items)

    def alarms(self) -> list[AlarmView]:
        return list(self.items)


def view(name: str, state: str) -> AlarmView:
    return AlarmView.model_validate({"name": name, "state": state, "reason": None, "updated_at": None})


def test_no_source_is_the_local_stack_and_says_it_has_no_alarms() -> None:
    answer = alarm_list(None)
    assert answer.model_dump() == {"source": "none", "detail": "The local stack has no alarms.", "items": []}
    assert NO_ALARMS == "The local stack has no alarms."


def test_alarms_that_fired_come_first_then_missing_data_then_ok_each_by_name() -> None:
    source: AlarmSource = FakeAlarms(
        view("S.B", "OK"),
        view("S.Z", "ALARM"),
        view("S.A", "OK"),
        view("S.C", "INSUFFICIENT_DATA"),
        view("S.D", "ALARM"),
    )
    answer = alarm_list(source)
    assert (answer.source, answer.detail) == ("cloudwatch", None)
    assert [(a.name, a.state) for a in answer.items] == [
        ("S.D", "ALARM"),
        ("S.Z", "ALARM"),
        ("S.C", "INSUFFICIENT_DATA"),
        ("S.A", "OK"),
        ("S.B", "OK"),
    ]


def test_a_stack_without_alarms_is_an_empty_cloudwatch_list() -> None:
    assert alarm_list(FakeAlarms()).model_dump() == {"source": "cloudwatch", "detail": None, "items": []}

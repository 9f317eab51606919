"""The alarms' states, as ``GET /alarms`` shows them: CloudWatch's in AWS, none on the local stack."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.models.common import Model

AlarmState = Literal["ALARM", "INSUFFICIENT_DATA", "OK"]
AlarmSourceName = Literal["cloudwatch", "none"]


class AlarmView(Model):
    name: str = Field(description="The alarm's name in CloudWatch (the stack's name, a dot, what it watches)")
    state: AlarmState = Field(
        description="ALARM: someone should look; INSUFFICIENT_DATA: not enough data yet"
    )
    reason: str | None = Field(description="CloudWatch's reason for the state (StateReason)")
    updated_at: str | None = Field(description="When the state last changed (UTC, ISO 8601)")
    description: str | None = Field(
        default=None, description="What the alarm watches and what to do when it fires"
    )


class AlarmList(Model):
    source: AlarmSourceName = Field(
        description="cloudwatch: this stack's alarms, read now; none: this deployment has no alarms"
    )
    detail: str | None = Field(description="Why there are no alarms to show, when source is none")
    items: list[AlarmView] = Field(
        description="Alarms in ALARM first, then INSUFFICIENT_DATA, then OK; by name"
    )

"""GET /alarms: CloudWatch's alarms of this stack (moto's CloudWatch), none on the local stack, and a 503
problem (never a 500) when CloudWatch does not answer."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.api import wiring
from shared.aws import reset
from shared.config import ALARM_PREFIX_ENV
from shared.dal.alarms import AlarmsUnavailable, CloudWatchAlarms
from shared.services.alarms import NO_ALARMS
from tests.support.http import ApiClient

PREFIX = "OmsTest."


@pytest.fixture
def cloudwatch(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's CloudWatch, and the API told the stack's alarm prefix (as CDK tells it)."""
    monkeypatch.setenv(ALARM_PREFIX_ENV, PREFIX)
    reset()
    return boto3.client("cloudwatch")


def alarm(cloudwatch: Any, name: str, state: str, reason: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=f"{name}: look at the logs",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


def test_the_stacks_alarms_are_listed_those_firing_first(cloudwatch: Any, viewer: ApiClient) -> None:
    alarm(cloudwatch, f"{PREFIX}ApiErrors", "OK", "Threshold Crossed: no datapoints were breaching")
    alarm(cloudwatch, f"{PREFIX}Api5xxRate", "ALARM", "Threshold Crossed: 1 datapoint [0.2] > 0.05")
    alarm(cloudwatch, f"{PREFIX}ReportsFailed", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    alarm(cloudwatch, "OmsTest-staging.Api5xxRate", "ALARM", "another stage's")
    alarm(cloudwatch, "someone-elses-alarm", "ALARM", "not this stack's")

    reply = viewer.get("/alarms")

    assert reply.status == 200, reply.body
    body = reply.json()
    assert (body["source"], body["detail"]) == ("cloudwatch", None)
    assert [(a["name"], a["state"]) for a in body["items"]] == [
        (f"{PREFIX}Api5xxRate", "ALARM"),
        (f"{PREFIX}ReportsFailed", "INSUFFICIENT_DATA"),
        (f"{PREFIX}ApiErrors", "OK"),
    ]
    firing = body["items"][0]
    assert firing["reason"] == "Threshold Crossed: 1 datapoint [0.2] > 0.05"
    assert firing["description"] == f"{PREFIX}Api5xxRate: look at the logs"
    assert firing["updated_at"].endswith("Z") and firing["updated_at"][:2] == "20"


def test_every_page_is_read(cloudwatch: Any) -> None:
    for i in range(105):
        alarm(cloudwatch, f"{PREFIX}Queue{i:03d}OldestMessage", "OK", "fine")
    assert len(CloudWatchAlarms(boto3.client("cloudwatch"), PREFIX).alarms()) == 105


def test_the_local_stack_has_no_alarms_and_says_so(viewer: ApiClient) -> None:
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="OmsTest.ApiErrors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    reply = viewer.get("/alarms")
    assert reply.status == 200, reply.body
    assert reply.json() == {"source": "none", "detail": NO_ALARMS, "items": []}
    assert NO_ALARMS == "The local stack has no alarms."


class Failing:
    """A CloudWatch client whose DescribeAlarms fails as ``error`` says."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def describe_alarms(self, **_: Any) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DescribeAlarms"),
        ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeAlarms"),
        EndpointConnectionError(endpoint_url="https://monitoring.us-east-1.amazonaws.com"),
    ],
    ids=["throttled", "refused", "unreachable"],
)
def test_cloudwatch_failing_is_a_503_problem(
    viewer: ApiClient, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    monkeypatch.setattr(wiring, "alarm_source", lambda: CloudWatchAlarms(Failing(error), PREFIX))
    reply = viewer.get("/alarms")
    assert reply.status == 503, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.header("Retry-After") == "5"
    problem = reply.json()
    assert problem["type"] == "urn:oms:problem:alarms-unavailable"
    assert problem["detail"] == "CloudWatch cannot be reached now; retry shortly."
    assert "Rate exceeded" not in reply.body.decode() and "monitoring" not in reply.body.decode()
    with pytest.raises(AlarmsUnavailable):
        CloudWatchAlarms(Failing(error), PREFIX).alarms()


def test_alarms_are_for_people_only(web: ApiClient, staff: ApiClient, admin: ApiClient) -> None:
    assert web.get("/alarms").status == 403
    assert staff.get("/alarms").status == 200 and admin.get("/alarms").status == 200


def test_the_route_is_documented(viewer: ApiClient) -> None:
    document = viewer.get("/openapi.json", key="dev-staff-key").json()
    operation = document["paths"]["/alarms"]["get"]
    assert "(viewer)" in operation["summary"]
    assert set(operation["responses"]) >= {"200", "401", "403", "503"}
    schema = document["components"]["schemas"]["AlarmList"]
    assert set(schema["properties"]) == {"source", "detail", "items"}

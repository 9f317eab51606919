"""GET /alarms in AWS: every alarm of the stack is named with the stack's prefix, and the functions that
read alarm states may call cloudwatch:DescribeAlarms on those alarms and nothing else."""

from __future__ import annotations

import json
from typing import Any

from infra import spec
from infra.constructs.alarms import alarm_name
from shared.config import ALARM_PREFIX_ENV
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import function_resource, role_statements


def alarm_names(s: Synthesized) -> list[str]:
    return [r["Properties"]["AlarmName"] for r in s.of_type("AWS::CloudWatch::Alarm").values()]


def describe_statements(s: Synthesized) -> dict[str, list[dict[str, Any]]]:
    """Per function of the spec: its role's statements that name a CloudWatch action."""
    return {
        fn.name: [st for st in role_statements(s, fn) if "cloudwatch:" in json.dumps(st["Action"])]
        for fn in spec.FUNCTIONS
    }


def resolved_arn(s: Synthesized, arn: Any) -> str:
    """A Fn::Join ARN as text, its pseudo parameters named as cdk-nag names them."""
    parts = arn["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)


def test_every_alarm_is_named_with_the_stacks_prefix(synthesized: Synthesized, staging: Synthesized) -> None:
    for s in (synthesized, staging):
        names = alarm_names(s)
        assert len(names) == len(s.of_type("AWS::CloudWatch::Alarm")) and len(set(names)) == len(names)
        prefix = spec.alarm_prefix(s.stack.stack_name)
        assert all(isinstance(n, str) and n.startswith(prefix) for n in names), names
    assert alarm_name("OmsStack", "ApiErrors") == "OmsStack.ApiErrors" in alarm_names(synthesized)
    # No stage reads another's: neither prefix starts the other's names.
    prod, staging_prefix = (spec.alarm_prefix(s.stack.stack_name) for s in (synthesized, staging))
    assert not any(n.startswith(prod) for n in alarm_names(staging))
    assert not any(n.startswith(staging_prefix) for n in alarm_names(synthesized))


def test_only_the_functions_that_read_alarms_may_describe_them(synthesized: Synthesized) -> None:
    readers = {fn.name for fn in spec.FUNCTIONS if fn.alarms}
    assert readers == {"api"}
    granted = describe_statements(synthesized)
    assert {name for name, statements in granted.items() if statements} == readers
    (statement,) = granted["api"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "cloudwatch:DescribeAlarms"  # read only: no Set/Put/Delete/Disable
    prefix = spec.alarm_prefix(synthesized.stack.stack_name)
    assert resolved_arn(synthesized, statement["Resource"]) == (
        f"arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:{prefix}*"
    )


def test_the_api_gets_the_prefix_and_no_other_function_does(
    synthesized: Synthesized, staging: Synthesized
) -> None:
    for s in (synthesized, staging):
        for fn in spec.FUNCTIONS:
            _, function = function_resource(s, fn)
            variables = function["Properties"]["Environment"]["Variables"]
            if fn.alarms:
                assert variables[ALARM_PREFIX_ENV] == spec.alarm_prefix(s.stack.stack_name)
            else:
                assert ALARM_PREFIX_ENV not in variables
    assert spec.alarm_prefix(staging.stack.stack_name) == "OmsStack-staging."

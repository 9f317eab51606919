"""cfn-lint over the synthesised templates (prod and staging): no errors.

Errors (E*) fail the test: a template CloudFormation would refuse, or a property that does nothing.
Warnings are not failures, and these rules are ignored, each for a reason:

* W3005 (DependsOn already enforced by a GetAtt): CDK makes each function depend on its role's default
  policy *and* its role, so the policy exists before the function is invoked; the redundant role entry is
  CDK's, harmless, and not ours to remove.
"""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, Match, lint

from tests.infra.conftest import Synthesized

IGNORED = ["W3005"]
REGIONS = ["us-east-1"]  # one region: its resource specs load in seconds; the stack uses no regional extras


def lint_template(s: Synthesized) -> list[Match]:
    return lint(s.template_path.read_text(), config=ManualArgs(regions=REGIONS, ignore_checks=IGNORED))


def describe(matches: list[Match]) -> str:
    return "\n".join(f"{m.rule.id} {'/'.join(map(str, m.path))}: {m.message}" for m in matches)


@pytest.mark.parametrize("which", ["synthesized", "staging"])
def test_the_template_has_no_cfn_lint_errors(which: str, request: pytest.FixtureRequest) -> None:
    s: Synthesized = request.getfixturevalue(which)
    errors = [m for m in lint_template(s) if m.rule.id.startswith("E")]
    assert errors == [], describe(errors)


def test_cfn_lint_finds_an_error_when_there_is_one() -> None:
    """The check can fail: a queue with a property SQS does not have is an E3002 error."""
    broken = json.dumps(
        {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeOut": 30}}}}
    )
    matches = lint(broken, config=ManualArgs(regions=REGIONS, ignore_checks=IGNORED))
    assert [m.rule.id for m in matches] == ["E3002"], describe(matches)

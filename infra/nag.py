"""cdk-nag wiring: the rule pack every synth runs, and one way to acknowledge a finding.

cdk-nag 3 is a CDK validation plugin: ``Validations.of(app).add_plugins(...)`` runs it after the
templates are written, and any finding that is not acknowledged (errors *and* warnings) fails the
synth. Findings are acknowledged with CDK's own ``Validations.of(construct).acknowledge(...)``,
which applies to the construct and everything below it; a rule that reports several findings on
one resource (IAM5) needs one acknowledgment per finding, ``AwsSolutions-IAM5[Resource::...]``.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag(scope: IConstruct) -> None:
    """Run AwsSolutions on every synth of ``scope`` (an App or Stage); fail the synth on findings."""
    checks = AwsSolutionsChecks(scope, verbose=True, write_suppressions_to_cloud_formation=True)
    Validations.of(scope).add_plugins(checks)


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept a finding on ``scope`` and below it, for a reason anyone reading the stack can check."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def logical_id(element: IConstruct | None) -> str:
    """The CloudFormation logical id of an L1 element, as cdk-nag writes it in finding ids."""
    if not isinstance(element, CfnElement):
        raise TypeError(f"{element} is not a CloudFormation element")
    stack = Stack.of(element)
    return str(stack.resolve(stack.get_logical_id(element)))

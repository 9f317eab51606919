"""One synth of the real app per test session: building and synthesising the stack takes seconds. The
staging stack (``-c stage=staging`` with every ops toggle flipped) is synthesised once too, when a test asks
for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.constructs.buckets import NOTIFICATIONS_HANDLER
from infra.stack import OmsStack


@dataclass(frozen=True)
class Synthesized:
    app: App
    stack: OmsStack
    template: Template
    outdir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.to_json()["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == cfn_type}

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        """The spec's Lambda functions: every one but CDK's own BucketNotificationsHandler (a custom
        resource's, deploy-time only; test_imports_infra.py)."""
        return {
            lid: r
            for lid, r in self.of_type("AWS::Lambda::Function").items()
            if not lid.startswith(NOTIFICATIONS_HANDLER)
        }

    @property
    def template_path(self) -> Path:
        """The template file the synth wrote (what ``cdk deploy`` deploys)."""
        return self.outdir / f"{self.stack.stack_name}.template.json"

    def logical_id(self, construct: Any) -> str:
        """Logical id of an L2 construct's (or an L1's own) CloudFormation resource."""
        element = getattr(construct.node, "default_child", None) or construct
        return str(self.stack.resolve(self.stack.get_logical_id(element)))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(outdir=str(outdir))
    app.synth()  # runs cdk-nag; raises if any finding is not acknowledged
    return Synthesized(app=app, stack=stack, template=Template.from_stack(stack), outdir=outdir)


# The staging stack's context: a second stage in the same account (no account-wide API Gateway role),
# reserved concurrency on and an alarm email: the opposite of every default the prod fixture uses.
STAGING_CONTEXT = {
    "stage": "staging",
    "api_gateway_account_role": "false",
    "reserved_concurrency": "true",
    "alarm_email": "ops@example.com",
    "currency": "eur",  # checked and upper-cased: every function's OMS_CURRENCY is EUR
}


@pytest.fixture(scope="session")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out.staging")
    app, stack = build_app(outdir=str(outdir), context=dict(STAGING_CONTEXT))
    app.synth()  # cdk-nag too
    return Synthesized(app=app, stack=stack, template=Template.from_stack(stack), outdir=outdir)

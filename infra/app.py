"""CDK app entry point: ``python -m infra.app`` (or ``cdk synth``) writes the cloud assembly.

cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App

from infra.nag import add_nag
from infra.stack import OmsStack

STACK_NAME = "OmsStack"


def build_app(**app_options: Any) -> tuple[App, OmsStack]:
    app = App(**app_options)
    stack = OmsStack(app, STACK_NAME, description="OMS: serverless order management system")
    add_nag(app)
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()

"""CDK app entry point: ``python -m infra.app`` (or ``cdk synth``) writes the cloud assembly.

cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_cdk import App

from infra.nag import add_nag
from infra.stack import OmsStack

STACK_NAME = "OmsStack"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTDIR = REPO_ROOT / "cdk.out"

# Feature flags live here rather than in cdk.json so that `cdk synth`, `python -m infra.app` and the
# tests all build the same template (only the CDK CLI reads cdk.json).
FEATURE_FLAGS: dict[str, Any] = {
    # Redeploy the stage when the authorizer's configuration changes, not only its routes.
    "@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId": True,
    # Access log destination without the trailing ':*', as API Gateway stores it (no false drift).
    "@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard": True,
}


def build_app(**app_options: Any) -> tuple[App, OmsStack]:
    context = {**FEATURE_FLAGS, **app_options.pop("context", {})}
    app = App(context=context, **app_options)
    stack = OmsStack(app, STACK_NAME, description="OMS: serverless order management system")
    add_nag(app)
    return app, stack


def main() -> None:
    # The CDK CLI passes its output directory in CDK_OUTDIR; run directly, write ./cdk.out.
    app, _ = build_app(outdir=os.environ.get("CDK_OUTDIR", str(DEFAULT_OUTDIR)))
    app.synth()


if __name__ == "__main__":
    main()

"""CDK app entry point: ``python -m infra.app`` (or ``cdk synth``) writes the cloud assembly.

cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App

from infra.nag import add_nag
from infra.stack import STACK_NAME, OmsStack, context_stage, stack_name

__all__ = ["STACK_NAME", "build_app"]
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTDIR = REPO_ROOT / "cdk.out"

# Feature flags live here rather than in cdk.json so that `cdk synth`, `python -m infra.app` and the
# tests all build the same template (only the CDK CLI reads cdk.json).
FEATURE_FLAGS: dict[str, Any] = {
    # Redeploy the stage when the authorizer's configuration changes, not only its routes.
    "@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId": True,
    # Access log destination without the trailing ':*', as API Gateway stores it (no false drift).
    "@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard": True,
    # S3 server access logs are delivered under a bucket policy for logging.s3.amazonaws.com (no ACLs:
    # the log bucket is owner-enforced, like every bucket of the stack).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(**app_options: Any) -> tuple[App, OmsStack]:
    context = {**FEATURE_FLAGS, **app_options.pop("context", {})}
    app = App(context=context, **app_options)
    stage = context_stage(app)  # the CDK context value `stage` (default prod) names the stack
    stack = OmsStack(app, stack_name(stage), description=f"OMS: serverless order management system ({stage})")
    add_nag(app)
    return app, stack


def cdk_json_context(path: Path = REPO_ROOT / "cdk.json") -> dict[str, Any]:
    """The ``context`` of cdk.json (the business ``timezone``): what the CDK CLI passes to the app, read
    here too so that `make synth` builds what `cdk deploy` deploys. Context the CLI passes overrides it."""
    context = json.loads(path.read_text()).get("context", {})
    return context if isinstance(context, dict) else {}


def main() -> None:
    # The CDK CLI passes its output directory in CDK_OUTDIR; run directly, write ./cdk.out.
    app, _ = build_app(outdir=os.environ.get("CDK_OUTDIR", str(DEFAULT_OUTDIR)), context=cdk_json_context())
    app.synth()


if __name__ == "__main__":
    main()

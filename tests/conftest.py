"""Settings every test layer shares: never reach a real AWS account, never need an X-Ray daemon."""

from __future__ import annotations

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_SERVICE_NAME="oms",
    POWERTOOLS_METRICS_NAMESPACE="OMS",
    JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
    # No account-based DynamoDB endpoints (https://<account>.ddb...): moto routes only the regional one.
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# Table names as the local stack sets them: handler modules read them when first imported.
from tests.support.environment import local_environment

os.environ.update(local_environment())
# Queue URLs are known once the queues exist; handler modules need a value at import.
from infra.spec import BUSES, FUNCTIONS, MARKETPLACE_FEED

for _queue in {q for fn in FUNCTIONS for q in fn.sends} | {b.local_tap for b in BUSES if b.local_tap}:
    os.environ.setdefault(
        _queue.env_var, f"https://sqs.us-east-1.amazonaws.com/123456789012/{_queue.local_name}"
    )

# In one process every handler shares one environment: give it the feed's too.
os.environ.update(MARKETPLACE_FEED.environment)

# moto as the local stack runs it: a cancelled transaction rolled back item by item, not by copying whole
# tables (infra/local/moto_transactions.py), in every test that uses moto, whatever runs first.
from infra.local import moto_transactions  # noqa: E402 - after the environment, as the imports above

moto_transactions.install()

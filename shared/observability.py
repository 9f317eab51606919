"""Logger, Tracer and Metrics shared by every function (service and namespace from the environment).

Rules for anything that logs: never log a request body, a customer, an address or an email.
Log identifiers (order_id, sku, channel, key_id) and outcomes only.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# Reads and health checks publish no business metrics; that is expected, not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
# Patch only botocore: patching every library Powertools knows imports requests and more at init.
tracer = Tracer(patch_modules=["botocore"])
metrics = Metrics()

"""Invoke one function with a sample event, in this process, against the local stack's AWS endpoint.

    make run                                   # in another terminal
    make invoke FN=api EVENT=events/api/post_order.json

The function gets the environment the local stack gives it (infra/spec.py) and prints the result.
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

import boto3

from infra.local.__main__ import LOCAL_CREDENTIALS
from infra.local.resources import local_function_environment
from infra.local.workers import LambdaContext
from infra.spec import CURRENCY, function
from shared.config import CURRENCY_ENV, DEFAULT_TIMEZONE, TIMEZONE_ENV, check_currency


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m infra.invoke <function> <event.json>", file=sys.stderr)
        return 2
    fn = function(argv[0])
    event = json.loads(Path(argv[1]).read_text())
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    endpoint = os.environ.setdefault(
        "AWS_ENDPOINT_URL", os.environ.get("OMS_AWS_ENDPOINT", "http://127.0.0.1:4566")
    )
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    os.environ.update(
        local_function_environment(
            fn,
            lambda queue: sqs.get_queue_url(QueueName=queue.local_name)["QueueUrl"],
            os.environ.get(TIMEZONE_ENV) or DEFAULT_TIMEZONE,
            check_currency(os.environ.get(CURRENCY_ENV) or CURRENCY, f"${CURRENCY_ENV}"),
        )
    )
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    module_name, _, attribute = fn.handler.rpartition(".")
    handler = getattr(import_module(module_name), attribute)
    result = handler(
        event,
        LambdaContext(
            fn.name, fn.memory_mb, fn.timeout_s, "invoke-local", deadline=time.monotonic() + fn.timeout_s
        ),
    )
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

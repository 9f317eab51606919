"""Lambda SnapStart: what the snapshot holds, and what a restored execution environment refreshes.

With SnapStart (``infra.description.Function.snap_start``), Lambda runs a function's init once, when a
version is published, snapshots the memory of that environment, and starts every later environment of the
version by resuming the snapshot. Whatever init made is shared, byte for byte, by every restored
environment, days after it was made. Only the handlers of SnapStart functions import this module (Lambda
runs the hooks of modules the handler imports, at init); ``register`` is a no-op anywhere else: on the
local stack, in tests, and in an environment Lambda initialises on demand (the unqualified function).

What init makes, and what becomes of it (an audit of ``functions/``, ``shared/``; keep it current):

* **boto3 clients** (``shared.aws``) **and everything built on them** (the function's stores and services,
  cached once per environment): their connection pools are empty in the snapshot (init sends no request;
  a pooled socket would be dead after a restore), and their credentials come from Lambda's container
  credentials endpoint, which botocore refreshes. Still, a restored environment forgets all of them
  (``shared.aws.reset()``) and the first request builds fresh ones: fresh pools, fresh credentials, and
  the fresh caches below. Rebuilding the session and a DynamoDB client costs about 60-80 ms (measured
  locally; a further client far less, from the same session); the snapshot still saves every import,
  which is most of the init.
* **The order service's caches** (``shared.services.orders``): the price cache, whose expiries are
  ``time.monotonic()`` readings (the one time-derived state that outlives a request), and the customer
  cache. Both are empty in the snapshot (no request at init), and both go with the service on a restore.
* **Settings** (``shared.config.settings()``): the version's environment, which a restore does not
  change; rebuilt with the rest all the same.
* **``random``**: the Mersenne Twister's state, seeded from ``os.urandom`` at import, would be the same in
  every restored environment, so ``shared.retry.pause`` would draw the same jitter everywhere and two
  writers that collided would retry in step: exactly what the jitter is there to prevent. Reseeded from
  ``os.urandom`` after each restore.
* **``uuid.uuid4``, ``secrets``** (API keys, salts), ``random.SystemRandom``: they read ``os.urandom``, the
  kernel's generator, which SnapStart keeps unique per restored environment (AWS: "Handling uniqueness
  with Lambda SnapStart"). Safe as they are: order ids made after a restore never repeat.
* **The clock**: nothing derived from it is computed at init; every ``datetime.now(UTC)`` and monotonic
  reading is taken per request (the services take a clock callable). Powertools' cold-start flag is set
  at import and cleared by the first invocation, so a restored environment's first invocation reports a
  cold start, as it should.
* **The resolver** (``functions.api.app``): built at import and kept in the snapshot. Powertools builds
  each route's validation models on that route's first request; the API's before-snapshot hook
  (``functions/api/handler.py``) builds them all by generating the OpenAPI document, which the snapshot
  then holds too (GET /openapi.json is served from it).
* **Logger, Metrics, Tracer**: stdout and the X-Ray daemon's UDP address; nothing connected, nothing to
  refresh. ``AWS_LAMBDA_LOG_GROUP_NAME``/``AWS_LAMBDA_LOG_STREAM_NAME`` are not set in SnapStart
  functions: nothing reads them.

An after-restore hook must finish within Lambda's 10-second restore limit (``SnapStartTimeoutException``
otherwise): ``after_restore`` sends no request and builds nothing.
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable

from shared import aws

# Lambda sets it to ``snap-start`` in the init it snapshots (``on-demand`` for the unqualified function).
INITIALIZATION_TYPE_ENV = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
# The runtime hooks library of Lambda's Python runtimes (3.12 and later); not installed anywhere else.
HOOKS_MODULE = "snapshot_restore_py"


def register(warm: Callable[[], object] | None = None) -> bool:
    """Register ``warm`` to run before the snapshot and ``after_restore`` after each restore, when this
    init is the one Lambda snapshots; whether it did. Call it at import time of the handler."""
    if os.environ.get(INITIALIZATION_TYPE_ENV) != SNAP_START:
        return False
    try:
        hooks = importlib.import_module(HOOKS_MODULE)
    except ImportError:
        return False
    if warm is not None:
        hooks.register_before_snapshot(warm)
    hooks.register_after_restore(after_restore)
    return True


def after_restore() -> None:
    """What a restored environment must not share with its siblings: the PRNG's state, and the clients
    (with their connections, credentials and every cache built on them)."""
    random.seed()  # from os.urandom: the jitter differs per environment again
    aws.reset()  # every client, setting and collaborator is built anew on first use

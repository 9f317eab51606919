"""``make run``: the whole system on a laptop, in the foreground until Ctrl-C.

* an embedded AWS endpoint (moto) on 127.0.0.1:$OMS_AWS_PORT (4566), or $OMS_AWS_ENDPOINT if set;
* the tables, queues, buckets and event buses infra/spec.py declares, created when missing, and the local
  API keys; every event put on a bus is copied to the bus's tap queue (oms-events-tap) for people and tests
  to read;
* every function in its own worker processes, with its own environment, in the business time zone
  $OMS_TIMEZONE (an IANA name, UTC if unset: set it as the stack's CDK context ``timezone`` is set);
* a poller per queue trigger and per stream trigger, as Lambda's event source mappings;
* the KMS keys (alias/oms-secrets: the connections' webhook secrets);
* a timer per schedule trigger, as EventBridge Scheduler (infra/local/schedules.py), on the local clock;
* the API on 127.0.0.1:$OMS_API_PORT (3000), with the local stack's own test hooks under /_local (the mail
  box, and the functions' clock: infra/local/clock.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import urllib.request
from typing import Any

from infra.description import QueueTrigger, ScheduleTrigger
from infra.local.clock import CLOCK_ENV, LocalClock
from infra.local.keys import DEFAULT_KEYS, parse_keys
from infra.local.resources import (
    ensure_buckets,
    ensure_buses,
    ensure_email_sender,
    ensure_event_rules,
    ensure_keys,
    ensure_notifications,
    ensure_queues,
    ensure_tables,
    local_function_environment,
    sent_emails,
)
from infra.local.throttle import BURST_ENV, RATE_ENV, ChannelLimits
from infra.schedule_time import business_timezone
from infra.spec import AUTHORIZER, BUSES, CURRENCY, FUNCTIONS
from shared.config import CURRENCY_ENV, DEFAULT_TIMEZONE, LOCAL_STACK_ENV, TIMEZONE_ENV, check_currency

HOST = "127.0.0.1"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class LocalStack:
    def __init__(self, env: dict[str, str]) -> None:
        self.aws_port = int(env.get("OMS_AWS_PORT", "4566"))
        self.api_port = int(env.get("OMS_API_PORT", "3000"))
        self.external_endpoint = env.get("OMS_AWS_ENDPOINT") or None
        self.keys = parse_keys(env.get("OMS_LOCAL_KEYS") or DEFAULT_KEYS)
        self.workers = int(env.get("OMS_WORKERS", "2"))
        self.timezone = env.get(TIMEZONE_ENV) or DEFAULT_TIMEZONE
        self.zone = business_timezone(self.timezone, f"${TIMEZONE_ENV}")
        # The functions' clock: the real time unless a test moves it (infra/local/clock.py).
        self.clock = LocalClock(env.get(CLOCK_ENV) or None)
        self.currency = check_currency(env.get(CURRENCY_ENV) or CURRENCY, f"${CURRENCY_ENV}")
        self._stopping = threading.Event()
        self._closers: list[Any] = []

    def _ensure_buckets(self, sqs: Any) -> tuple[list[str], list[str]]:
        """The buckets, and their notifications to the queues (uploads start imports)."""
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.endpoint)
        return ensure_buckets(s3), ensure_notifications(s3, sqs, self.queue_urls)

    def _ensure_events(self, sqs: Any) -> tuple[dict[str, str], list[str]]:
        """The buses with their tap queues, and the rules that put events on their consumers' queues."""
        import boto3

        events = boto3.client("events", endpoint_url=self.endpoint)
        return ensure_buses(events, sqs), ensure_event_rules(events, sqs, self.queue_urls)

    def start(self) -> None:
        for name, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        if self.external_endpoint:
            self.endpoint = self.external_endpoint.rstrip("/")
        else:
            from infra.local.moto_server import EmbeddedAws

            aws = EmbeddedAws(HOST, self.aws_port).start()
            self._closers.append(aws.stop)
            self.endpoint = aws.url
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint

        import boto3

        dynamodb = boto3.client("dynamodb", endpoint_url=self.endpoint)
        ensure_tables(dynamodb)
        sqs = boto3.client("sqs", endpoint_url=self.endpoint)
        self.queue_urls = ensure_queues(sqs)
        self.tap_urls, self.event_rules = self._ensure_events(sqs)
        self.buckets, self.notifications = self._ensure_buckets(sqs)
        self.kms_keys, self.sender = (
            ensure_keys(boto3.client("kms", endpoint_url=self.endpoint)),
            ensure_email_sender(boto3.client("ses", endpoint_url=self.endpoint)),  # moto refuses unverified
        )
        self._seed_keys()

        from infra.local.workers import FunctionPool

        pools = {
            fn.name: FunctionPool(fn, self._function_env(fn), self.workers, self.clock) for fn in FUNCTIONS
        }
        self._closers += [pool.stop for pool in pools.values()]
        warmers = [threading.Thread(target=pool.warm) for pool in pools.values()]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join()

        from infra.local.pollers import QueuePoller, StreamPoller
        from infra.local.schedules import LocalScheduler

        streams = boto3.client("dynamodbstreams", endpoint_url=self.endpoint)
        self.pollers: list[str] = []
        self.schedules: list[LocalScheduler] = []
        for fn in FUNCTIONS:
            for trigger in fn.triggers:
                poller: QueuePoller | StreamPoller
                if isinstance(trigger, ScheduleTrigger):  # not an event source mapping: a timer
                    scheduler = LocalScheduler(
                        trigger,
                        pools[fn.name].invoke,
                        sqs,
                        self.queue_urls[trigger.failures.local_name],
                        self.zone,
                        function_name=fn.name,
                    )
                    self._closers.insert(0, scheduler.start().stop)
                    self.schedules.append(scheduler)
                    continue
                if isinstance(trigger, QueueTrigger):
                    source = trigger.queue.local_name
                    poller = QueuePoller(sqs, self.queue_urls[source], trigger, pools[fn.name].invoke)
                else:
                    source = f"{trigger.table.local_name} stream"
                    poller = StreamPoller(
                        dynamodb,
                        streams,
                        sqs,
                        trigger,
                        pools[fn.name].invoke,
                        self.queue_urls[trigger.failures.local_name],
                        function_name=fn.name,
                    )
                self._closers.insert(0, poller.start().stop)
                self.pollers.append(f"{source} -> {fn.name}")

        self._serve_api(pools)
        self._check_health()

    def _serve_api(self, pools: dict[str, Any]) -> None:
        from infra.local.gateway import Gateway, serve

        # GET /_local/emails reads the embedded endpoint's SES (an external endpoint: its own /moto-api).
        emails = None if self.external_endpoint else sent_emails
        gateway = Gateway(
            pools,
            FUNCTIONS,
            AUTHORIZER.name,
            emails=emails,
            clock=self.clock,
            schedules={scheduler.trigger.id: scheduler.fire for scheduler in self.schedules},
        )
        server = serve(gateway, HOST, self.api_port)
        self.api_url = f"http://{HOST}:{server.server_port}"
        threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
        self._closers.insert(0, server.shutdown)

    def _function_env(self, fn: Any) -> dict[str, str]:
        return {
            **{k: os.environ[k] for k in LOCAL_CREDENTIALS},
            **local_function_environment(
                fn,
                lambda q: self.queue_urls[q.local_name],
                self.timezone,
                self.currency,
                public_url=f"http://{HOST}:{self.api_port}",
            ),
            "AWS_ENDPOINT_URL": self.endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon on a laptop
            LOCAL_STACK_ENV: "true",
        }

    def _seed_keys(self) -> None:
        import boto3

        from infra.spec import API_KEYS, CONNECTIONS
        from shared.dal.api_keys import ApiKeyStore

        store = ApiKeyStore(
            boto3.client("dynamodb", endpoint_url=self.endpoint), API_KEYS.local_name, CONNECTIONS.local_name
        )
        for key in self.keys:
            store.put(key.key, key.role, key.channel, name=key.stored_name)  # type: ignore[arg-type]

    def _check_health(self) -> None:
        with urllib.request.urlopen(f"{self.api_url}/health", timeout=30) as response:  # noqa: S310 - our own URL
            if response.status != 200:
                raise RuntimeError(f"/health answered {response.status}")

    def banner(self) -> str:
        keys = "\n".join(f"    {key.describe()}" for key in self.keys)
        plans = ChannelLimits.from_env(os.environ)
        channel, staff = plans.plan("any").throttle, plans.plan(None).throttle
        limits = (
            f"(limits: {channel.rate_limit} requests/s, burst {channel.burst_limit}, per channel; staff keys "
            f"together {staff.rate_limit}/s, burst {staff.burst_limit}; then 429. {RATE_ENV} and {BURST_ENV} "
            "change them locally)"
        )
        queues = "\n".join(f"    {url}" for url in self.queue_urls.values())
        pollers = "\n".join(f"    {poller}" for poller in self.pollers)
        schedules = "\n".join(f"    {scheduler.describe()}" for scheduler in self.schedules) or "    (none)"
        buckets = "\n".join(f"    {name}" for name in self.buckets)
        buckets += "".join(f"\n    notifies: {line}" for line in self.notifications)
        buses = "\n".join(
            f"    {bus.name}"
            + (
                f"   (every event is copied to {self.tap_urls[bus.local_tap.local_name]})"
                if bus.local_tap
                else ""
            )
            for bus in BUSES
        )
        return (
            "\nOMS local stack is ready.\n"
            f"  API:           {self.api_url}   (try: curl {self.api_url}/health)\n"
            f"  AWS endpoint:  {self.endpoint}   (region us-east-1, any credentials)\n"
            f"  API keys (send as X-Api-Key; a person's key also signs in: POST /session):\n{keys}\n"
            f"    {limits}\n"
            f"  Staff console: {self.api_url}/console   (sign in with a person's key above)\n"
            f"  Docs (staff):  {self.api_url}/console/swagger   (signed in to the console)\n"
            f"  Catalog currency: {self.currency}   (${CURRENCY_ENV})\n"
            f"  Queues (send with any SQS client at the AWS endpoint):\n{queues}\n"
            f"  Event buses (read a tap queue to see what was published):\n{buses}\n"
            f"  Event source mappings:\n{pollers}\n"
            f"  Schedules (business time zone {self.timezone}, on this machine's clock):\n{schedules}\n"
            f"  Buckets (S3 at the AWS endpoint):\n{buckets}\n"
            f"  KMS keys: {', '.join(self.kms_keys)}\n"
            f"  Webhooks (no key; signed, see PUT /channels/{{channel}}/connection):\n"
            f"    POST {self.api_url}/hooks/shopify/{{channel}}\n"
            f"    POST {self.api_url}/hooks/woocommerce/{{channel}}\n"
            "    (not throttled locally; API Gateway throttles them per route)\n"
            "Press Ctrl-C to stop.\n"
        )

    def wait(self) -> None:
        self._stopping.wait()

    def stop(self, *_: Any) -> None:
        self._stopping.set()

    def close(self) -> None:
        for close in self._closers:
            close()


def main() -> int:
    try:
        stack = LocalStack(dict(os.environ))
    except ValueError as exc:  # a setting that cannot work (an unknown time zone): say which, not a trace
        print(f"local stack could not start: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stack.stop)
    signal.signal(signal.SIGINT, stack.stop)
    try:
        stack.start()
        print(stack.banner(), flush=True)
        stack.wait()
    except OSError as exc:
        print(f"local stack could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.close()
    print("OMS local stack stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""API Gateway on a laptop: real HTTP in, REST proxy events out, the authorizer in front.

Routes come from ``infra/spec.py``, the same entries CDK turns into API Gateway methods. What
API Gateway itself answers (no route, no key, a Lambda error) is answered here with the same
problem JSON and security headers the CDK stack configures as gateway responses (``shared/problems.py``,
``shared/security_headers.py``).

The body reaches the function as API Gateway (REST, no binary media types) passes it: a UTF-8 body as
text, ``isBase64Encoded`` false, so the function gets back the exact bytes that were sent (the webhook
routes verify signatures on them); bytes that are not UTF-8 are passed base64-encoded. Routes without an
authorizer (``authorized=False``: /health, the webhooks) skip it.

Authorized requests are limited per channel (staff keys: the "staff" channel) with the limits of the
channel's usage plan in ``infra/spec.py``, as API Gateway applies them: over them, 429 with API Gateway's
THROTTLED body and a ``Retry-After`` (``infra/local/throttle.py``). A route's own ``throttle`` is API
Gateway's alone: this gateway does not apply it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.description import Function, Route
from infra.local.clock import LOCAL_CLOCK_PATH, LocalClock, parse_instant
from infra.local.throttle import ChannelLimits
from infra.local.workers import FunctionPool, InvocationError
from shared.problems import LOCAL_GATEWAY_PROBLEMS, PROBLEM_JSON
from shared.security_headers import API_HEADERS, with_security_headers

STAGE = "local"
# The local stack's own routes, never in infra/spec.py and never in CDK: what moto's SES sent (issue 17).
LOCAL_EMAILS_PATH = "/_local/emails"
# Issue 18: the functions' clock (infra/local/clock.py), and a schedule run on demand at that time.
LOCAL_SCHEDULE_RUN = re.compile(r"^/_local/schedules/(?P<trigger>[A-Za-z0-9-]+)/run$")
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit; the function enforces a lower one


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    function: Function
    pattern: re.Pattern[str]

    @staticmethod
    def compile(route: Route, function: Function) -> CompiledRoute:
        # One {name} is one segment of the path as sent: a %2F inside it does not split it.
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
        return CompiledRoute(route, function, re.compile(f"^{regex}$"))


class Gateway:
    def __init__(
        self,
        pools: Mapping[str, FunctionPool],
        functions: tuple[Function, ...],
        authorizer: str,
        limits: ChannelLimits | None = None,
        emails: Callable[[], list[dict[str, Any]]] | None = None,
        clock: LocalClock | None = None,
        schedules: Mapping[str, Callable[[datetime], bool]] | None = None,
    ) -> None:
        self._pools = pools
        self._emails = emails
        self._clock = clock
        self._schedules = dict(schedules or {})
        self._authorizer = authorizer
        # The plans' limits, or the ones $OMS_LOCAL_THROTTLE_RATE/_BURST set.
        self._limits = limits or ChannelLimits.from_env(os.environ)
        self._routes = [CompiledRoute.compile(r, fn) for fn in functions for r in fn.routes]

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        """The route of a (still percent-encoded) path, and its path parameters, decoded."""
        for compiled in self._routes:
            found = compiled.pattern.match(path)
            if found and compiled.route.method == method:
                return compiled, {name: unquote(value) for name, value in found.groupdict().items()}
        return None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(raw_path).path
        if method == "GET" and self._emails is not None and path == LOCAL_EMAILS_PATH:
            return self._local_emails()
        if self._clock is not None and path == LOCAL_CLOCK_PATH:
            return self._local_clock(self._clock, method, body)
        run = LOCAL_SCHEDULE_RUN.match(path)
        if self._clock is not None and run and method == "POST" and run["trigger"] in self._schedules:
            succeeded = self._schedules[run["trigger"]](self._clock.now())
            return _json(200 if succeeded else 502, {"schedule": run["trigger"], "succeeded": succeeded})
        return self._route(method, raw_path, headers, body, source_ip)

    def _local_clock(self, clock: LocalClock, method: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """``GET|PUT|DELETE /_local/clock``: the functions' time (infra/local/clock.py)."""
        if method == "PUT":
            try:
                clock.set(parse_instant(str(json.loads(body or b"{}")["now"])))
            except (ValueError, KeyError, TypeError):
                return _json(400, {"title": 'Send {"now": "2026-03-02T10:00:00Z"}', "status": 400})
        elif method == "DELETE":
            clock.reset()
        elif method != "GET":
            return _problem(404)
        return _json(200, clock.describe())

    def _route(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(raw_path)
        path = url.path.rstrip("/") or "/"
        if len(body) > MAX_PAYLOAD_BYTES:
            return _problem(413)
        matched = self.match(method, path)
        if matched is None:
            return _problem(
                404
            )  # API Gateway says 403 Missing Authentication Token; the stack maps it to 404
        compiled, path_parameters = matched
        query = parse_qs(url.query, keep_blank_values=True)
        event = proxy_event(
            method, compiled.route.path, path, headers, query, body, path_parameters, source_ip=source_ip
        )
        if compiled.route.authorized:
            authorized = self._authorize(event)
            if isinstance(authorized, int):
                return _problem(authorized)
            # After the authorizer, before the function, as API Gateway applies a usage plan.
            retry_after = self._limits.check(authorized.get("channel") or None)
            if retry_after is not None:
                status, problem_headers, problem = _problem(429)
                return status, {**problem_headers, "Retry-After": str(retry_after)}, problem
            event["requestContext"]["authorizer"] = authorized
        try:
            result = self._pools[compiled.function.name].invoke(event)
        except InvocationError:
            return _problem(502)
        return _http_response(result)

    def _local_emails(self) -> tuple[int, dict[str, str], bytes]:
        """``GET /_local/emails``: every email moto's SES sent, with no key (a laptop's own mail box)."""
        assert self._emails is not None
        body = json.dumps({"emails": self._emails()}).encode()
        return 200, with_security_headers({"Content-Type": "application/json"}, API_HEADERS), body

    def _authorize(self, proxy: dict[str, Any]) -> dict[str, Any] | int:
        """API Gateway's REQUEST authorizer flow, as the CDK stack configures it (no identity sources, no
        cache): the authorizer decides. A request with neither an X-Api-Key nor a Cookie is refused here,
        as the authorizer would refuse it, without a call; Deny -> 403."""
        headers = proxy["headers"] or {}
        if not any(k.lower() in ("x-api-key", "cookie") and v for k, v in headers.items()):
            return 401
        event = authorizer_event(proxy)
        try:
            policy = self._pools[self._authorizer].invoke(event)
        except InvocationError as exc:
            return 401 if exc.message == "Unauthorized" else 500
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not any(s.get("Effect") == "Allow" for s in statements):
            return 403
        return {**(policy.get("context") or {}), "principalId": policy.get("principalId")}


def proxy_event(
    method: str,
    resource: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, list[str]] | None = None,
    body: bytes = b"",
    path_parameters: Mapping[str, str] | None = None,
    *,
    source_ip: str = "127.0.0.1",
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API (v1) Lambda proxy event, as API Gateway sends it.

    ``resource`` is the route's template, ``path`` the path as the client sent it (percent-encoding
    kept: ``/products/TEE%2FRED%2FM``) and ``path_parameters`` are decoded (``{"sku": "TEE/RED/M"}``).
    """
    query = query or {}
    request_context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": path,  # the path as called: served at the root here, as behind a custom domain
        "stage": STAGE,
        "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": int(time.time() * 1000),
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": headers.get("host") or headers.get("Host") or "localhost",
        "identity": {
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent") or headers.get("User-Agent"),
        },
    }
    if authorizer is not None:
        request_context["authorizer"] = dict(authorizer)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers) or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": dict(query) or None,
        "pathParameters": dict(path_parameters or {}) or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": _body_text(body),
        "isBase64Encoded": _is_binary(body),
    }


def authorizer_event(proxy: Mapping[str, Any]) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway sends before the proxy event."""
    context = proxy["requestContext"]
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:{context['accountId']}:{context['apiId']}/{STAGE}/"
        f"{proxy['httpMethod']}{proxy['path']}",
        "resource": proxy["resource"],
        "path": proxy["path"],
        "httpMethod": proxy["httpMethod"],
        "headers": proxy["headers"] or {},
        "queryStringParameters": proxy["queryStringParameters"] or {},
        "pathParameters": proxy["pathParameters"] or {},
        "stageVariables": {},
        "requestContext": context,
    }


def _is_binary(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _body_text(body: bytes) -> str | None:
    if not body:
        return None
    return base64.b64encode(body).decode() if _is_binary(body) else body.decode("utf-8")


def _http_response(result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    return int(result.get("statusCode", 502)), headers, body


def _json(status: int, answer: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(answer).encode()
    return status, with_security_headers({"Content-Type": "application/json"}, API_HEADERS), body


def _problem(status: int) -> tuple[int, dict[str, str], bytes]:
    """What API Gateway itself answers, with the bodies the CDK stack configures (shared/problems.py)."""
    problem = LOCAL_GATEWAY_PROBLEMS[status]
    body = problem.body(request_id=str(uuid.uuid4()))
    return status, with_security_headers({"Content-Type": PROBLEM_JSON}, API_HEADERS), body.encode()


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        status, out_headers, out_body = self.gateway.handle(
            self.command, self.path, headers, body, self.client_address[0]
        )
        self.send_response(status)
        for name, value in out_headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(out_body)))
        self.end_headers()
        self.wfile.write(out_body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY...) gets what API Gateway answers when no route declares it,
        # a 404 problem, rather than http.server's 501 for a method it has no do_ handler for.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        # One access line per request, without query strings or bodies (they may hold personal data).
        print(
            f"[gateway] {self.command} {urlsplit(self.path).path} -> {args[1] if len(args) > 1 else ''}",
            flush=True,
        )


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of concurrent clients (the e2e test's 32 buyers)
    # overflowed it while the accepting thread waited for the GIL, and some connections were reset.
    request_queue_size = 128


def serve(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("GatewayHandler", (_Handler,), {"gateway": gateway})
    server = _Server((host, port), handler)
    server.daemon_threads = True
    return server

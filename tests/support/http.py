"""A tiny HTTP-ish client over the local gateway, for in-process (moto) integration tests.

It routes exactly as `make run` does (infra/local/gateway.py, routes from infra/spec.py) and runs
the authorizer and the API handler in this process, so a test exercises the whole request path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

from infra.description import Function
from infra.local.gateway import Gateway
from infra.local.workers import InvocationError, LambdaContext
from infra.spec import AUTHORIZER, FUNCTIONS


class InProcess:
    """Stands in for a FunctionPool: the handler runs here, errors surface as Lambda reports them."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn

    def invoke(self, event: dict[str, Any]) -> Any:
        module_name, _, attribute = self.fn.handler.rpartition(".")
        handler = getattr(import_module(module_name), attribute)
        try:
            return handler(
                event, LambdaContext(self.fn.name, self.fn.memory_mb, self.fn.timeout_s, "test-request")
            )
        except Exception as exc:
            raise InvocationError(type(exc).__name__, str(exc)) from exc


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class ApiClient:
    def __init__(self, key: str | None = "dev-staff-key") -> None:
        self.key = key
        self.gateway = Gateway({fn.name: InProcess(fn) for fn in FUNCTIONS}, FUNCTIONS, AUTHORIZER.name)  # type: ignore[misc]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = ...,  # type: ignore[assignment]
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        sent = {"Host": "localhost"}
        api_key = self.key if key is ... else key
        if api_key:
            sent["X-Api-Key"] = api_key
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        if data and raw is None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        target = path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
        status, out_headers, out_body = self.gateway.handle(method, target, sent, data, "127.0.0.1")
        return Reply(status, out_headers, out_body)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)

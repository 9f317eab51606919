"""The staff console's files, served by the ``console`` function (``GET /console/...``, no authorizer).

The console is static: a page shell (``index.html``), its scripts and its style, committed under
``functions/console/static/``, and Swagger UI's two files from the installed Powertools package (a layer
in AWS). Every datum on a page comes from the API, called by the browser with the session cookie; this
module never reads a table and never sees a credential.

* ``/console/assets/<file>`` serves one file of a fixed allow-list built once, at init, from the folder's
  listing (plus Swagger UI's files): a name not on it is a 404, so no path reaches the file system.
* ``/console/swagger`` is Swagger UI's page; every other console path answers the page shell, and the
  browser's router shows the page the path names.
* Caching: every file carries a strong ``ETag`` (a hash of its content) and ``Cache-Control: no-cache``:
  the browser keeps its copy and revalidates it on each load (a 304 without a body), so a deploy is seen
  at once and the shell never runs with scripts of another version.
* Every response carries ``shared.security_headers.CONSOLE_HEADERS``: a policy allowing only the console's
  own files (no inline script or style, no eval), no framing, no sniffing, no referrer.

Cheap to import: no pydantic, no Powertools (the handler is a plain function, not a resolver).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from shared.problems import NO_SUCH_ROUTE, PROBLEM_JSON, StandardProblem
from shared.security_headers import CONSOLE_HEADERS, with_security_headers

CONSOLE_PREFIX = "/console"
ASSETS_PAGE = "assets"
SWAGGER_PAGE = "swagger"
SHELL = "index.html"
SWAGGER_SHELL = "swagger.html"
# Written in the shells where the assets' URL goes: the stage's path to /console/assets/ (``/prod/...`` in
# AWS, ``/`` on the local stack), so the same files work at any stage and base path.
ASSETS_MARK = "{{ASSETS}}"
SWAGGER_FILES = ("swagger-ui-bundle.min.js", "swagger-ui.min.css")
# Only these kinds of file are served; anything else in the folder is left out of the allow-list.
CONTENT_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
CACHE_CONTROL = "no-cache"  # keep, but revalidate by ETag on every use
NO_SUCH_FILE = StandardProblem(404, "not-found", "Not Found", "No such console file.")
_STAGE_PATH = re.compile(r"^[A-Za-z0-9._~/-]*$")


@dataclass(frozen=True)
class Asset:
    name: str
    body: str
    content_type: str

    @cached_property
    def etag(self) -> str:
        digest = hashlib.sha256(self.body.encode("utf-8")).digest()
        return '"' + base64.urlsafe_b64encode(digest[:18]).decode() + '"'


def swagger_ui_folder() -> Path | None:
    """Where the installed Powertools package keeps Swagger UI's files, found without importing the
    package (its event handler is heavy, and unused here); None when it is not installed."""
    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "event_handler" / "openapi" / "swagger_ui"
    return folder if folder.is_dir() else None


def load_assets(static: Path, swagger: Path | None) -> dict[str, Asset]:
    """The allow-list: each file directly in ``static`` of a known kind, and Swagger UI's files."""
    found = [p for p in sorted(static.iterdir()) if p.is_file() and p.suffix in CONTENT_TYPES]
    if swagger is not None:
        found += [swagger / name for name in SWAGGER_FILES if (swagger / name).is_file()]
    return {p.name: Asset(p.name, p.read_text(encoding="utf-8"), CONTENT_TYPES[p.suffix]) for p in found}


class ConsoleSite:
    """Answers the console's routes from the files loaded once."""

    def __init__(self, assets: Mapping[str, Asset]) -> None:
        if SHELL not in assets or SWAGGER_SHELL not in assets:
            raise ValueError(f"the console needs {SHELL} and {SWAGGER_SHELL}")
        self._assets = dict(assets)
        self._shells: dict[tuple[str, str], Asset] = {}

    @classmethod
    def load(cls, static: Path) -> ConsoleSite:
        return cls(load_assets(static, swagger_ui_folder()))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._assets)

    def answer(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The response to one API Gateway proxy event of a console route."""
        if (event.get("httpMethod") or "GET") != "GET":
            return _problem(NO_SUCH_ROUTE)
        params = event.get("pathParameters") or {}
        page, item = params.get("page"), params.get("item")
        if page == ASSETS_PAGE:
            asset = self._assets.get(item or "")
            if asset is None or asset.name in (SHELL, SWAGGER_SHELL):
                return _problem(NO_SUCH_FILE)
        else:
            asset = self._shell(SWAGGER_SHELL if page == SWAGGER_PAGE else SHELL, stage_path(event))
        headers = _headers(event)
        if headers.get("if-none-match") == asset.etag:
            return _response(304, {"ETag": asset.etag, "Cache-Control": CACHE_CONTROL}, "")
        return _response(
            200,
            {"Content-Type": asset.content_type, "ETag": asset.etag, "Cache-Control": CACHE_CONTROL},
            asset.body,
        )

    def _shell(self, name: str, stage: str) -> Asset:
        """A page shell with the assets' URL filled in for the stage (kept per stage path)."""
        key = (name, stage)
        if key not in self._shells:
            template = self._assets[name]
            body = template.body.replace(ASSETS_MARK, f"{stage}{CONSOLE_PREFIX}/{ASSETS_PAGE}/")
            self._shells[key] = Asset(name, body, template.content_type)
        return self._shells[key]


def stage_path(event: Mapping[str, Any]) -> str:
    """What comes before the route's path in the URL the browser used: ``/prod`` on API Gateway's own
    domain (``requestContext.path`` is ``/prod/console``, ``path`` is ``/console``), a base path on a
    custom domain, nothing on the local stack. Anything but plain path characters: nothing."""
    path = str(event.get("path") or "")
    full = str((event.get("requestContext") or {}).get("path") or path)
    prefix = full[: len(full) - len(path)] if path and full.endswith(path) else ""
    return prefix.rstrip("/") if _STAGE_PATH.match(prefix) else ""


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items() if v is not None}


def _problem(problem: StandardProblem) -> dict[str, Any]:
    return _response(
        problem.status, {"Content-Type": PROBLEM_JSON, "Cache-Control": "no-store"}, problem.body()
    )


def _response(status: int, headers: Mapping[str, str], body: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": with_security_headers(headers, CONSOLE_HEADERS),
        "body": body,
        "isBase64Encoded": False,
    }

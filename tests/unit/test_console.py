"""The console function: its allow-list of files, the page shell for every page, the headers on every answer,
and rules over the committed files themselves (no inline script or style, nothing written as markup, the size
budget)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from functions.console import handler
from shared.console import (
    ASSETS_MARK,
    CACHE_CONTROL,
    CONTENT_TYPES,
    SWAGGER_FILES,
    ConsoleSite,
    load_assets,
    stage_path,
    swagger_ui_folder,
)
from shared.security_headers import CONSOLE_CSP, CONSOLE_HEADERS

STATIC = Path(handler.__file__).resolve().parent / "static"
OWN_FILES = sorted(p for p in STATIC.iterdir() if p.is_file())
BUDGET_BYTES = 300 * 1024  # the whole console, uncompressed, Swagger UI's files left out


def event(path: str, *, stage: str = "", method: str = "GET", **headers: str) -> dict[str, Any]:
    """A proxy event as API Gateway sends it for a console route (``stage``: what precedes the path)."""
    parts = path.strip("/").split("/", 2)  # API Gateway's {page} and {item}: one segment each as sent
    params = dict(zip(("page", "item"), parts[1:], strict=False)) or None
    resource = ["/console", "/console/{page}", "/console/{page}/{item}"][len(parts) - 1]
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "pathParameters": params,
        "requestContext": {"path": f"{stage}{path}", "stage": "prod"},
    }


@pytest.fixture(scope="module")
def site() -> ConsoleSite:
    return handler.site


def assert_console_headers(response: dict[str, Any]) -> None:
    for name, value in CONSOLE_HEADERS.items():
        assert response["headers"][name] == value
    csp = response["headers"]["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(
    "name", [p.name for p in OWN_FILES if p.suffix in CONTENT_TYPES and p.suffix != ".html"]
)
def test_each_committed_file_is_served_with_its_type_and_a_content_hash(site: ConsoleSite, name: str) -> None:
    response = site.answer(event(f"/console/assets/{name}"))

    assert response["statusCode"] == 200
    assert response["body"] == (STATIC / name).read_text(encoding="utf-8")
    assert response["headers"]["Content-Type"] == CONTENT_TYPES[Path(name).suffix]
    assert response["headers"]["Cache-Control"] == CACHE_CONTROL
    assert re.fullmatch(r'"[A-Za-z0-9_-]{24}"', response["headers"]["ETag"])
    assert_console_headers(response)


def test_a_file_already_held_is_not_sent_again(site: ConsoleSite) -> None:
    etag = site.answer(event("/console/assets/app.js"))["headers"]["ETag"]

    again = site.answer(event("/console/assets/app.js", **{"If-None-Match": etag}))
    changed = site.answer(event("/console/assets/app.js", **{"If-None-Match": '"other"'}))

    assert (again["statusCode"], again["body"], again["headers"]["ETag"]) == (304, "", etag)
    assert_console_headers(again)
    assert changed["statusCode"] == 200


@pytest.mark.parametrize(
    "item",
    [
        "../handler.py",
        "..%2Fhandler.py",
        "handler.py",
        "__init__.py",
        "index.html",
        "swagger.html",
        "nope.js",
        "",
    ],
)
def test_only_the_allow_list_is_served(site: ConsoleSite, item: str) -> None:
    response = site.answer(event(f"/console/assets/{item}") if item else event("/console/assets"))

    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert_console_headers(response)


@pytest.mark.parametrize("path", ["/console", "/console/orders", "/console/orders/ORD-1", "/console/keys"])
def test_every_other_console_path_answers_the_page_shell(site: ConsoleSite, path: str) -> None:
    response = site.answer(event(path))

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/console/assets/app.js"></script>' in response["body"]
    assert ASSETS_MARK not in response["body"]
    assert_console_headers(response)


def test_the_shell_names_its_assets_under_the_stage_it_was_called_at(site: ConsoleSite) -> None:
    response = site.answer(event("/console/orders/ORD-1", stage="/prod"))

    assert 'src="/prod/console/assets/app.js"' in response["body"]
    assert 'href="/prod/console/assets/app.css"' in response["body"]
    assert site.answer(event("/console"))["headers"]["ETag"] != response["headers"]["ETag"]


@pytest.mark.parametrize(
    ("path", "full", "expected"),
    [
        ("/console", "/console", ""),
        ("/console", "/prod/console", "/prod"),
        ("/console/x", "/shop/v1/console/x", "/shop/v1"),
        ("/console", "/a<b/console", ""),  # not a plain path: left out
        ("/console", "/other", ""),
    ],
)
def test_stage_path(path: str, full: str, expected: str) -> None:
    assert stage_path({"path": path, "requestContext": {"path": full}}) == expected


def test_swagger_is_its_own_page_with_swagger_ui_served_from_the_powertools_package(
    site: ConsoleSite,
) -> None:
    page = site.answer(event("/console/swagger"))
    folder = swagger_ui_folder()

    assert page["statusCode"] == 200
    assert "swagger-init.js" in page["body"] and "swagger-ui-bundle.min.js" in page["body"]
    assert_console_headers(page)
    assert folder is not None
    for name in SWAGGER_FILES:
        served = site.answer(event(f"/console/assets/{name}"))
        assert served["statusCode"] == 200
        assert served["body"] == (folder / name).read_text(encoding="utf-8")
        assert_console_headers(served)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_nothing_but_get(site: ConsoleSite, method: str) -> None:
    response = site.answer(event("/console/orders", method=method))

    assert response["statusCode"] == 404
    assert_console_headers(response)


def test_a_console_without_its_shells_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text("")
    with pytest.raises(ValueError, match=r"index\.html"):
        ConsoleSite(load_assets(tmp_path, None))


def test_files_of_other_kinds_are_left_out_of_the_allow_list(tmp_path: Path) -> None:
    for name in ("index.html", "swagger.html", "app.js", "notes.md", "secret.py"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.js").write_text("x")

    assert set(ConsoleSite(load_assets(tmp_path, None)).names) == {"index.html", "swagger.html", "app.js"}


def test_the_lambda_handler_answers_through_the_site() -> None:
    response = handler.lambda_handler(event("/console/assets/app.css"), None)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/css; charset=utf-8"


# --- the committed files ----------------------------------------------------------------------------------

SCRIPTS = [p for p in OWN_FILES if p.suffix == ".js"]
PAGES = [p for p in OWN_FILES if p.suffix == ".html"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_have_no_inline_script_or_style(path: Path) -> None:
    """What the policy would block (and what would need 'unsafe-inline') is simply not there."""
    text = path.read_text(encoding="utf-8")

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == []
    assert "<style" not in text
    assert re.findall(r"\sstyle\s*=", text) == []
    assert re.findall(r"\son[a-z]+\s*=", text) == []
    assert "javascript:" not in text


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_never_write_markup_or_evaluate_text(path: Path) -> None:
    """Values from the API are set as text (textContent, createElement): never parsed as HTML."""
    text = path.read_text(encoding="utf-8")

    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert forbidden not in text, f"{path.name} uses {forbidden}"
    assert "localStorage" not in text and "sessionStorage" not in text  # no secret kept in the browser
    assert ".style." not in text and 'setAttribute("style"' not in text  # styles live in app.css


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_module_a_script_imports_is_served(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    imported = set(re.findall(r"""(?:from|import\()\s*["']\./([^"']+)["']""", text))

    assert imported <= {p.name for p in SCRIPTS}


def test_the_whole_console_is_under_its_budget() -> None:
    assert sum(p.stat().st_size for p in OWN_FILES) < BUDGET_BYTES


def test_the_policy_allows_only_the_consoles_own_files() -> None:
    directives = dict(d.split(" ", 1) for d in CONSOLE_CSP.split("; "))

    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == directives["style-src"] == directives["connect-src"] == "'self'"


@pytest.mark.parametrize("path", sorted(Path("events/console").glob("*.json")), ids=lambda p: p.stem)
def test_console_sample_events(path: Path) -> None:
    """The samples (``make invoke FN=console EVENT=events/console/...``) are API Gateway's events at the prod
    stage: the shells name their assets under /prod."""
    response = handler.lambda_handler(json.loads(path.read_text()), None)

    assert response["statusCode"] == 200
    assert_console_headers(response)
    if response["headers"]["Content-Type"].startswith("text/html"):
        assert "/prod/console/assets/" in response["body"]

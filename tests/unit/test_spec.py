"""infra/spec.py against the code: handlers exist, environments fit, API routes agree with Powertools."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from infra.spec import API, FUNCTIONS, TABLES, Function, Table, function, function_environment

ROOT = Path(__file__).resolve().parents[2]
TABLE_VARIABLES = {table.env_var for table in TABLES}
SWAGGER_ASSETS = re.compile(r"^/swagger\.(css|js)$")


def physical(table: Table) -> str:
    return f"physical-{table.id}"


def module_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_every_function_has_a_handler_module_with_lambda_handler(fn: Function) -> None:
    module, _, attribute = fn.handler.rpartition(".")
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")

    assert path == ROOT / "functions" / fn.name / "handler.py"
    assert path.is_file()
    assert attribute == "lambda_handler"
    assert "lambda_handler" in module_functions(path)


def test_function_names_are_unique_and_found_by_name() -> None:
    names = [fn.name for fn in FUNCTIONS]

    assert len(names) == len(set(names))
    assert all(function(name).name == name for name in names)
    with pytest.raises(KeyError):
        function("nope")


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_environment_names_exactly_the_tables_a_function_uses(fn: Function) -> None:
    env = function_environment(fn, physical)

    used = {use.table.env_var: physical(use.table) for use in fn.uses}
    assert {k: v for k, v in env.items() if k in TABLE_VARIABLES} == used
    assert env["OMS_FUNCTION"] == fn.name
    assert env["POWERTOOLS_SERVICE_NAME"] == "oms"


def test_api_and_authorizer_tables() -> None:
    assert set(function_environment(function("api"), physical)) & TABLE_VARIABLES == {
        "OMS_ORDERS_TABLE",
        "OMS_CATALOG_TABLE",
    }
    assert set(function_environment(function("authorizer"), physical)) & TABLE_VARIABLES == {
        "OMS_API_KEYS_TABLE"
    }


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
def test_table_variables_a_function_reads_are_in_its_environment(fn: Function) -> None:
    """Every OMS_*_TABLE named in the function's own folder must be set for it."""
    sources = "\n".join(p.read_text() for p in (ROOT / "functions" / fn.name).rglob("*.py"))
    named = set(re.findall(r"OMS_[A-Z_]+_TABLE", sources))

    assert named, f"functions/{fn.name} reads no table variable?"
    assert named <= set(function_environment(fn, physical))


def powertools_routes() -> set[tuple[str, str]]:
    from functions.api.app import app

    routes = {(route.method, route.path) for route in [*app._static_routes, *app._dynamic_routes]}
    return {
        (method, re.sub(r"<(\w+)>", r"{\1}", path))
        for method, path in routes
        if not SWAGGER_ASSETS.match(path)
    }


def test_api_routes_in_the_spec_are_the_routes_of_the_resolver() -> None:
    spec_routes = {(route.method, route.path) for route in API.routes}

    assert len(spec_routes) == len(API.routes), "duplicate routes in the spec"
    assert powertools_routes() == spec_routes


def test_route_keys_agree_with_the_route_lists() -> None:
    from functions.api.app import app

    keys = {re.sub(r"<(\w+)>", r"{\1}", key) for key in app._route_keys}

    assert keys == {method + path for method, path in powertools_routes()}


def test_only_health_is_open() -> None:
    assert [(r.method, r.path) for fn in FUNCTIONS for r in fn.routes if not r.authorized] == [
        ("GET", "/health")
    ]


def test_only_the_api_function_has_routes() -> None:
    assert [fn.name for fn in FUNCTIONS if fn.routes] == ["api"]

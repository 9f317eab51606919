"""The dependencies layer (infra/constructs/layers.py): xlsxwriter and tzdata at their pyproject pins, copied
as pure Python (no compiled file), laid out as python/<package>, on every function after Powertools."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from infra import spec
from infra.constructs.layers import LAYER_PACKAGES, build_layer_directory, copy_distribution, pinned_versions
from infra.description import Function
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import function_resource

COMPILED = (".so", ".pyd", ".dylib", ".dll", ".pyc")


def layer(s: Synthesized) -> tuple[str, dict[str, Any]]:
    (item,) = s.of_type("AWS::Lambda::LayerVersion").items()
    return item


def layer_asset(s: Synthesized) -> Path:
    _, resource = layer(s)
    key = resource["Properties"]["Content"]["S3Key"]
    asset = s.outdir / f"asset.{key.removesuffix('.zip')}"
    assert asset.is_dir()
    return asset


def test_the_layer_packages_are_the_pinned_runtime_dependencies_lambda_lacks() -> None:
    assert LAYER_PACKAGES == ("xlsxwriter", "tzdata", "standardwebhooks")
    pins = pinned_versions()
    assert pins["xlsxwriter"] == "3.3.1" == version("xlsxwriter")
    assert pins["tzdata"] == "2026.6" == version("tzdata")
    assert pins["standardwebhooks"] == "1.3.0" == version("standardwebhooks")
    # What the runtime (boto3) and the Powertools layer (powertools, pydantic) bring stays out.
    assert {"boto3", "pydantic", "aws-lambda-powertools"} <= set(pins)


def test_one_layer_for_python_on_arm64(synthesized: Synthesized) -> None:
    lid, resource = layer(synthesized)
    props = resource["Properties"]
    assert lid == synthesized.logical_id(synthesized.stack.functions.deps_layer)
    assert props["CompatibleRuntimes"] == [spec.RUNTIME]
    assert props["CompatibleArchitectures"] == ["arm64"]
    assert "xlsxwriter==3.3.1" in props["Description"]
    assert "tzdata==2026.6" in props["Description"]
    assert "standardwebhooks==1.3.0" in props["Description"]


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda f: f.name)
def test_every_function_has_the_layer_after_powertools(synthesized: Synthesized, fn: Function) -> None:
    lid, _ = layer(synthesized)
    _, function = function_resource(synthesized, fn)
    powertools, deps = function["Properties"]["Layers"]
    assert deps == {"Ref": lid}
    assert "Ref" in powertools and powertools != deps


def test_the_layer_holds_the_packages_and_their_metadata_only(synthesized: Synthesized) -> None:
    asset = layer_asset(synthesized)
    assert [p.name for p in asset.iterdir()] == ["python"]  # Lambda puts /opt/python on sys.path
    assert {p.name for p in (asset / "python").iterdir()} == {
        "xlsxwriter",
        "xlsxwriter-3.3.1.dist-info",
        "tzdata",
        "tzdata-2026.6.dist-info",
        "standardwebhooks",
        "standardwebhooks-1.3.0.dist-info",
    }
    assert (asset / "python/xlsxwriter/workbook.py").is_file()
    assert (asset / "python/tzdata/zoneinfo/Europe/Berlin").is_file()


def test_the_layer_holds_no_compiled_file(synthesized: Synthesized) -> None:
    files = [p for p in layer_asset(synthesized).rglob("*") if p.is_file()]
    assert len(files) > 100  # tzdata alone is hundreds of zone files
    assert not [p for p in files if p.name.endswith(COMPILED) or ".so." in p.name]
    assert not [p for p in files if "__pycache__" in p.parts]


def test_the_layer_alone_brings_xlsxwriter_and_every_time_zone(synthesized: Synthesized) -> None:
    """As on Lambda: no system time zone database, only the layer (and the standard library)."""
    python = layer_asset(synthesized) / "python"
    script = (
        f"import sys; sys.path[:] = [{str(python)!r}, *sys.path[1:]]; "
        "import io, xlsxwriter, zoneinfo; "
        f"assert xlsxwriter.__file__.startswith({str(python)!r}), xlsxwriter.__file__; "
        "book = xlsxwriter.Workbook(io.BytesIO(), {'in_memory': True}); book.add_worksheet().write(0, 0, 1); "
        "book.close(); "
        "import datetime as d; "
        "assert d.datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Berlin')).utcoffset().seconds == 7200"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        env={"PATH": "/usr/bin:/bin", "PYTHONTZPATH": ""},  # no /usr/share/zoneinfo
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_synth_refuses_a_compiled_extension(tmp_path: Path) -> None:
    # pydantic-core is installed here and is a compiled extension: it could never go into this layer.
    with pytest.raises(ValueError, match="compiled extension"):
        copy_distribution("pydantic-core", version("pydantic-core"), tmp_path)


def test_the_synth_refuses_a_version_that_is_not_the_pin(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"xlsxwriter 3\.3\.1 is installed, pyproject.toml pins 9\.9\.9"):
        copy_distribution("xlsxwriter", "9.9.9", tmp_path)
    with pytest.raises(ValueError, match="no exact pin"):
        copy_distribution("xlsxwriter", None, tmp_path)
    with pytest.raises(ValueError, match="not installed"):
        copy_distribution("no-such-package-here", "1.0", tmp_path)


def test_building_twice_gives_the_same_files(tmp_path: Path) -> None:
    first = build_layer_directory(tmp_path / "deps")
    listing = sorted(p.relative_to(first).as_posix() for p in first.rglob("*"))
    (first / "python" / "stray.txt").write_text("left over")
    second = build_layer_directory(tmp_path / "deps")
    assert sorted(p.relative_to(second).as_posix() for p in second.rglob("*")) == listing

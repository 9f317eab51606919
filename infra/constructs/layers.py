"""The dependencies layer: the runtime libraries neither Lambda nor the Powertools layer brings.

Lambda's python runtime has boto3; the AWS-managed Powertools layer has Powertools and pydantic. The functions
need three more, ``LAYER_PACKAGES``: xlsxwriter (XLSX files), standardwebhooks (signs webhook deliveries)
and tzdata (the IANA time zone database:
Lambda's Amazon Linux 2023 runtimes ship without /usr/share/zoneinfo, so ``zoneinfo`` needs it for any zone
but UTC, and every function gets the business time zone, ``OMS_TIMEZONE``). The layer goes to every
function: it costs nothing until imported.

It is built at synth without Docker (no bundling image is needed, and this machine has none): the
packages are pure Python, so the installed distributions are copied as they are from the environment that
runs the synth into ``<cloud assembly>/layers/deps/python/`` (the layout Lambda puts on ``sys.path`` from
``/opt/python``), and that directory is the layer's asset. The synth fails when an installed version is not
the pin in pyproject.toml (the layer is exactly what the tests ran with) or when anything copied is a
compiled extension (it would be built for this machine, not for Lambda's arm64).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from aws_cdk import Stage
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import spec

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYER_PACKAGES = ("xlsxwriter", "tzdata", "standardwebhooks")
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
_PIN = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)")  # name[extras]==version


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_versions(pyproject: Path = REPO_ROOT / "pyproject.toml") -> dict[str, str]:
    """Runtime dependency -> its exact pin (``name==version``) in pyproject.toml."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return {_normalise(m[1]): m[2] for d in dependencies if (m := _PIN.match(d))}


def _is_compiled(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(COMPILED_SUFFIXES) or ".so." in name


def copy_distribution(name: str, pin: str | None, target: Path) -> list[Path]:
    """Copy the installed distribution ``name`` (its modules and its dist-info, no bytecode, nothing outside
    site-packages such as scripts) under ``target``; returns the files copied."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        raise ValueError(f"{name} is not installed: run `make install` before synthesising") from None
    if pin is None:
        raise ValueError(f"{name} goes into the dependencies layer but has no exact pin in pyproject.toml")
    if dist.version != pin:
        raise ValueError(f"{name} {dist.version} is installed, pyproject.toml pins {pin}: run `make install`")
    copied: list[Path] = []
    for file in dist.files or ():
        parts = Path(str(file)).parts
        if ".." in parts or "__pycache__" in parts or file.name.endswith(".pyc"):
            continue
        source = Path(str(dist.locate_file(file)))
        if _is_compiled(source):
            raise ValueError(f"{name} holds a compiled extension ({file}): it cannot go into the layer as is")
        destination = target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(destination)
    if not copied:
        raise ValueError(f"{name}: no files found to copy (installed without a RECORD?)")
    return copied


def build_layer_directory(root: Path, packages: tuple[str, ...] = LAYER_PACKAGES) -> Path:
    """A fresh ``root`` laid out as a Python layer (``python/<package>``); returns ``root``."""
    shutil.rmtree(root, ignore_errors=True)
    pins = pinned_versions()
    for name in packages:
        copy_distribution(name, pins.get(_normalise(name)), root / "python")
    compiled = [p for p in root.rglob("*") if p.is_file() and _is_compiled(p)]
    if compiled:  # pragma: no cover - copy_distribution refuses them first
        raise ValueError(f"compiled files in the dependencies layer: {compiled}")
    return root


def layer_description(packages: tuple[str, ...] = LAYER_PACKAGES) -> str:
    pins = pinned_versions()
    listed = ", ".join(f"{name}=={pins[_normalise(name)]}" for name in packages)
    return f"OMS: pure-Python runtime dependencies ({listed}), as pinned in pyproject.toml"


class DepsLayer(Construct):
    """The dependencies layer, built into the cloud assembly's directory on every synth."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        outdir = Stage.of(self)
        if outdir is None:  # pragma: no cover - every construct is in an App
            raise ValueError("the dependencies layer needs an App to build into")
        self.directory = build_layer_directory(Path(outdir.outdir) / "layers" / "deps")
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(self.directory)),
            compatible_runtimes=[lambda_.Runtime(spec.RUNTIME, lambda_.RuntimeFamily.PYTHON)],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description=layer_description(),
        )

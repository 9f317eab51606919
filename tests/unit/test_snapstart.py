"""SnapStart's runtime hooks (shared/snapstart.py), with a fake ``snapshot_restore_py`` in place of the one
Lambda's Python runtimes ship: what is registered, where, and what a restore refreshes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra import spec
from shared import aws, snapstart
from shared.retry import pause

REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeHooks(types.ModuleType):
    """``snapshot_restore_py``'s two registration functions, recording what they were given."""

    def __init__(self) -> None:
        super().__init__(snapstart.HOOKS_MODULE)
        self.before: list[Callable[[], object]] = []
        self.after: list[Callable[[], object]] = []

    def register_before_snapshot(self, func: Callable[[], object]) -> Callable[[], object]:
        self.before.append(func)
        return func

    def register_after_restore(self, func: Callable[[], object]) -> Callable[[], object]:
        self.after.append(func)
        return func


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHooks]:
    fake = FakeHooks()
    monkeypatch.setitem(sys.modules, snapstart.HOOKS_MODULE, fake)
    monkeypatch.setenv(snapstart.INITIALIZATION_TYPE_ENV, snapstart.SNAP_START)
    yield fake
    aws.reset()


def warm() -> None:
    """A before-snapshot hook."""


def test_registers_both_hooks_in_the_init_lambda_snapshots(hooks: FakeHooks) -> None:
    assert snapstart.register(warm=warm) is True
    assert hooks.before == [warm]
    assert hooks.after == [snapstart.after_restore]


def test_registers_nothing_in_an_init_on_demand(hooks: FakeHooks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(snapstart.INITIALIZATION_TYPE_ENV, "on-demand")
    assert snapstart.register(warm=warm) is False
    assert hooks.before == [] and hooks.after == []


def test_a_no_op_where_the_hooks_library_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(snapstart.INITIALIZATION_TYPE_ENV, snapstart.SNAP_START)
    monkeypatch.setitem(sys.modules, snapstart.HOOKS_MODULE, None)  # import raises ImportError
    assert snapstart.register(warm=warm) is False


def test_a_restore_forgets_every_client(hooks: FakeHooks) -> None:
    snapstart.register()
    dynamodb, s3 = aws.client("dynamodb"), aws.s3_client()
    assert aws.client("dynamodb") is dynamodb  # once per environment...

    for hook in hooks.after:
        hook()

    assert aws.client("dynamodb") is not dynamodb  # ...and anew after a restore
    assert aws.s3_client() is not s3


def test_a_restore_calls_shared_aws_reset(hooks: FakeHooks, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(aws, "reset", lambda: calls.append("reset"))
    snapstart.register()
    for hook in hooks.after:
        hook()
    assert calls == ["reset"]


def jitter_after_restore(snapshot: object, hooks: FakeHooks) -> list[float]:
    """The pauses ``shared.retry`` would take in an environment restored from ``snapshot``."""
    random.setstate(snapshot)  # type: ignore[arg-type]
    for hook in hooks.after:
        hook()
    pauses: list[float] = []
    for attempt in range(4):
        pause(attempt, pauses.append)
    return pauses


def test_restored_environments_draw_different_jitter(hooks: FakeHooks) -> None:
    snapstart.register()
    snapshot = random.getstate()  # what every environment restored from one snapshot starts with

    first, second = jitter_after_restore(snapshot, hooks), jitter_after_restore(snapshot, hooks)

    assert len(first) == 4  # a pause after each attempt but the last (MAX_ATTEMPTS)
    assert first != second  # without the reseed both would pause in step, value for value


def test_without_the_hook_restored_environments_pause_in_step() -> None:
    """What the reseed is for: the same PRNG state draws the same jitter."""
    snapshot = random.getstate()
    runs = []
    for _ in range(2):
        random.setstate(snapshot)
        pauses: list[float] = []
        for attempt in range(4):
            pause(attempt, pauses.append)
        runs.append(pauses)
    assert runs[0] == runs[1]


# A fake ``snapshot_restore_py`` for a fresh interpreter: the registrations, as JSON on stdout.
_FAKE_HOOKS = """
before, after = [], []
def register_before_snapshot(func, *args, **kwargs):
    before.append(func)
    return func
def register_after_restore(func, *args, **kwargs):
    after.append(func)
    return func
"""

_PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    importlib.import_module(sys.argv[1])
    import snapshot_restore_py as hooks
    names = lambda fs: [f"{f.__module__}.{f.__qualname__}" for f in fs]
    found = {"before": names(hooks.before), "after": names(hooks.after)}
    if "--run" in sys.argv:
        from shared import aws
        client = aws.client("dynamodb")
        for hook in reversed(hooks.before):  # Lambda runs them in reverse order of registration
            hook()
        from functions.api.routes.meta import openapi_json
        found["openapi_built"] = openapi_json.cache_info().currsize == 1
        for hook in hooks.after:
            hook()
        found["client_renewed"] = aws.client("dynamodb") is not client
    print(json.dumps(found))
    """
)


def registered_by(fn: spec.Function, tmp_path: Path, *extra: str) -> dict[str, object]:
    """Import ``fn``'s handler in a fresh interpreter, as Lambda's snapshotting init would."""
    (tmp_path / f"{snapstart.HOOKS_MODULE}.py").write_text(_FAKE_HOOKS)
    env = {
        **os.environ,
        snapstart.INITIALIZATION_TYPE_ENV: snapstart.SNAP_START,
        "PYTHONPATH": os.pathsep.join((str(tmp_path), str(REPO_ROOT))),
    }
    module = fn.handler.rsplit(".", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module, *extra],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("fn", spec.FUNCTIONS, ids=lambda fn: fn.name)
def test_hooks_are_registered_exactly_by_the_snap_start_functions(fn: spec.Function, tmp_path: Path) -> None:
    found = registered_by(fn, tmp_path)
    expected = ["shared.snapstart.after_restore"] if fn.snap_start else []
    assert found["after"] == expected


def test_the_api_warms_its_routes_before_the_snapshot_and_renews_clients_after(tmp_path: Path) -> None:
    found = registered_by(spec.API, tmp_path, "--run")
    assert found["before"] == ["functions.api.routes.meta.openapi_json"]
    assert found["openapi_built"] is True
    assert found["client_renewed"] is True

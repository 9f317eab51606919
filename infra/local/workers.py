"""Lambda execution environments on a laptop: one spawned process per environment.

Each process gets exactly its function's environment (as CDK sets it), imports the same handler
module that deploys to Lambda, and serves one invocation at a time, like a Lambda sandbox. A pool
grows up to ``size`` environments per function, so concurrent requests run concurrently.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from importlib import import_module
from multiprocessing.connection import Connection
from typing import Any

from infra.description import Function
from infra.local.clock import LocalClock, moved


@dataclass
class LambdaContext:
    """What Powertools and handlers read from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"
    deadline: float = 0.0

    def __post_init__(self) -> None:
        if not self.deadline:  # the invocation starts now and may run for the function's timeout
            self.deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class InvocationError(RuntimeError):
    """The function raised, timed out or crashed: what Lambda reports as a function error."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _serve(
    conn: Connection, fn_name: str, handler: str, env: dict[str, str], memory: int, timeout: int
) -> None:
    # Ctrl-C reaches the whole process group: the stack stops its workers itself, quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    module_name, _, attribute = handler.rpartition(".")
    try:
        entry = getattr(import_module(module_name), attribute)
    except Exception as exc:  # an init error: report it for every invocation, as Lambda does
        init_error: Exception | None = exc
        traceback.print_exc()
    else:
        init_error = None
    conn.send(("ready", None))
    while True:
        try:
            event, offset_s = conn.recv()
        except EOFError:
            return
        if init_error is not None:
            conn.send(("error", (type(init_error).__name__, str(init_error))))
            continue
        context = LambdaContext(
            fn_name, memory, timeout, str(uuid.uuid4()), deadline=time.monotonic() + timeout
        )
        try:
            with moved(offset_s):  # the local clock hook (infra/local/clock.py); 0: the real time
                result = entry(event, context)
            conn.send(("ok", result))
        except Exception as exc:
            traceback.print_exc()
            conn.send(("error", (type(exc).__name__, str(exc))))


class Worker:
    def __init__(self, fn: Function, env: dict[str, str]) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._conn, child = spawn.Pipe()
        self._fn = fn
        self._process = spawn.Process(
            target=_serve,
            args=(child, fn.name, fn.handler, env, fn.memory_mb, fn.timeout_s),
            name=f"lambda-{fn.name}",
            daemon=True,
        )
        self._process.start()
        child.close()

    def wait_ready(self, timeout: float = 60) -> None:
        if not self._conn.poll(timeout):
            raise InvocationError("InitTimeout", f"{self._fn.name} did not initialise in {timeout}s")
        self._conn.recv()

    def invoke(self, event: dict[str, Any], offset_s: float = 0.0) -> Any:
        self._conn.send((event, offset_s))
        if not self._conn.poll(self._fn.timeout_s):
            self.stop()
            raise InvocationError("Timeout", f"{self._fn.name} timed out after {self._fn.timeout_s}s")
        try:
            status, payload = self._conn.recv()
        except EOFError as exc:
            raise InvocationError("Crash", f"{self._fn.name} exited during the invocation") from exc
        if status == "error":
            raise InvocationError(*payload)
        return payload

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        self._process.kill()
        self._process.join(5)


class FunctionPool:
    """Up to ``size`` warm environments of one function; a dead one is replaced on demand."""

    def __init__(
        self, fn: Function, env: dict[str, str], size: int = 2, clock: LocalClock | None = None
    ) -> None:
        self.fn = fn
        self._clock = clock
        self._env = env
        self._size = size
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Start the first environment now, so the first request does not pay for the cold start."""
        worker = self._spawn()
        if worker:
            self._ready(worker)
            self._idle.put(worker)

    def invoke(self, event: dict[str, Any]) -> Any:
        worker = self._acquire()
        try:
            return worker.invoke(event, self._clock.offset_s if self._clock else 0.0)
        finally:
            if worker.alive:
                self._idle.put(worker)
            else:
                self._discard(worker)

    def _acquire(self) -> Worker:
        """An idle environment, a new one while below ``size``, or the next to free up. Never waits
        forever: a busy environment that dies frees its slot, and the next turn spawns anew."""
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            worker = self._spawn()
            if worker:
                self._ready(worker)
                return worker
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue

    def _ready(self, worker: Worker) -> None:
        try:
            worker.wait_ready()
        except InvocationError:
            self._discard(worker)
            raise

    def _discard(self, worker: Worker) -> None:
        worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def _spawn(self) -> Worker | None:
        with self._lock:
            if len(self._all) >= self._size:
                return None
            worker = Worker(self.fn, self._env)
            self._all.append(worker)
            return worker

    def stop(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.stop()
            self._all.clear()

"""The embedded AWS endpoint: moto's server, serving one request at a time.

moto keeps its state in plain Python objects and is not thread-safe. Serialising every request
also makes a TransactWriteItems or a conditional write atomic here, as it is on DynamoDB.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local import moto_transactions


class OneAtATime:
    """WSGI middleware: one request in the app at a time, the response body included."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class EmbeddedAws:
    def __init__(self, host: str, port: int) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS call
        moto_transactions.install()  # a transaction's cost independent of its tables' size
        app = OneAtATime(DomainDispatcherApplication(create_backend_app))
        # threaded: slow clients do not block each other; the lock keeps moto itself single-file.
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self.url = f"http://{host}:{self._server.server_port}"

    def start(self) -> EmbeddedAws:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

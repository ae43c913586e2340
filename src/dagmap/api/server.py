"""Running the API application (``dagmap.api.create_app``) with uvicorn: in the foreground for
``dagmap api-server``, or as a ``standalone`` component in a background thread of the standalone process."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dagmap.config import get_settings
from dagmap.store import db

log = logging.getLogger(__name__)
START_TIMEOUT = 20.0


def _config(host: str, port: int) -> Any:
    import uvicorn

    from dagmap.api import create_app

    return uvicorn.Config(create_app(), host=host, port=port, log_level="warning", access_log=False, workers=1)


def serve(*, host: str | None = None, port: int | None = None) -> None:
    """Migrate the database, then serve until SIGINT/SIGTERM (uvicorn handles the signals)."""
    import uvicorn

    settings = get_settings()
    host = host or settings.api.host
    port = settings.api.port if port is None else port
    db.migrate()
    print(f"dagmap api-server: http://{_display_host(host)}:{port}/ (API under /api/v1)", flush=True)
    uvicorn.Server(_config(host, port)).run()


def _display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class ApiServerComponent:
    """The API server as a ``standalone`` component: uvicorn in a daemon thread (it installs no signal
    handlers there; standalone's scheduler keeps Ctrl-C). A port already in use is reported in the banner
    and leaves the scheduler running."""

    name = "api-server"

    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        settings = get_settings()
        self.host = host or settings.api.host
        self.port = settings.api.port if port is None else port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{_display_host(self.host)}:{self.port}/"

    def start(self) -> str:
        import uvicorn

        self._server = uvicorn.Server(_config(self.host, self.port))
        self._thread = threading.Thread(target=self._server.run, name="dagmap-api-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._server.started:
            self.stop()
            return f"API and UI:   not started (could not listen on {self.host}:{self.port}; set --api-port)"
        return f"API and UI:   {self.url} (API under {self.url}api/v1)"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                log.warning("the API server did not stop within 10s")
        self._server = None
        self._thread = None

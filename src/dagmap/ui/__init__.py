"""The web UI: static pages (HTML, CSS and plain JavaScript modules, no build step) that read the REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"


def mount_ui(app: Any) -> None:
    """Serve the UI's pages and assets from ``app`` (a FastAPI application), outside ``/api``."""
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

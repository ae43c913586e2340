"""The web UI: static pages (HTML, CSS and plain JavaScript modules, no build step) that read the REST API.

One HTML shell (``static/index.html``) is served at every page path; the JavaScript modules under
``static/js`` route on the URL and draw the page from ``/api/v1``. Nothing is rendered on the server, so the
UI needs no database access of its own and works wherever the API does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"

# The pages the shell answers (deep links included); everything else under / is left to the API or a 404.
PAGES = (
    "/",
    "/assets",
    "/dags/{dag_id}",
    "/dags/{dag_id}/grid",
    "/dags/{dag_id}/graph",
    "/dags/{dag_id}/runs/{run_id}",
    "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}",
)

# Scripts and styles only from this origin, no inline ones: user text is always inserted as text, and this is
# the second fence. (Styles set through the DOM, element.style, are not inline styles to CSP.)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _shell() -> bytes:
    return (STATIC / "index.html").read_bytes()


def _static_files() -> Any:
    """The assets, revalidated on every load (a cheap 304 when unchanged): after an upgrade the browser never
    mixes new pages with old modules."""
    from fastapi.staticfiles import StaticFiles

    class Assets(StaticFiles):
        def file_response(self, *args: Any, **kwargs: Any) -> Any:
            response = super().file_response(*args, **kwargs)
            response.headers["Cache-Control"] = "no-cache"
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response

    return Assets(directory=STATIC)


def mount_ui(app: Any) -> None:
    """Serve the UI's pages and assets from ``app`` (a FastAPI application), outside ``/api``."""
    from fastapi import Response

    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    def page() -> Response:
        return Response(_shell(), media_type="text/html; charset=utf-8", headers=headers)

    for path in PAGES:
        app.add_api_route(path, page, methods=["GET"], include_in_schema=False, name=f"ui:{path}")
    app.mount("/static", _static_files(), name="static")

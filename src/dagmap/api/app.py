"""``create_app()``: the FastAPI application of ``dagmap api-server`` and ``dagmap standalone``: the JSON API
under ``/api/v1`` (optionally behind a bearer token) and the web UI (``dagmap.ui``) under ``/``."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.exceptions import HTTPException

from dagmap.api import problems
from dagmap.api.routes import assets, dags, health, instances, pools, runs
from dagmap.config import get_settings

PREFIX = "/api/v1"


def _token_check(token: str) -> Callable[[Request], None]:
    expected = f"Bearer {token}".encode()

    def check(request: Request) -> None:
        given = request.headers.get("authorization", "").encode()
        if not secrets.compare_digest(given, expected):
            raise HTTPException(401, "missing or wrong bearer token (Authorization: Bearer <DAGMAP__API__AUTH_TOKEN>)")

    return check


def create_app() -> FastAPI:
    """The application; ``api.auth_token`` (read now) protects every ``/api/v1`` route but ``/health``."""
    from dagmap import ui

    app = FastAPI(
        title="dagmap",
        description="dagmap's REST API (docs/api.md)",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    problems.install(app)
    token = get_settings().api.auth_token
    protected = [Depends(_token_check(token))] if token else []
    app.include_router(health.open_router, prefix=PREFIX)
    api = APIRouter(dependencies=protected)
    for module in (health, dags, runs, instances, pools, assets):
        api.include_router(module.router)
    app.include_router(api, prefix=PREFIX)
    ui.mount_ui(app)
    return app

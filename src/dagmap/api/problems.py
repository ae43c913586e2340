"""The one place where HTTP status codes are chosen: dagmap's errors, validation errors and authentication
failures become ``application/problem+json`` answers (``type``, ``title``, ``status``, ``detail``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dagmap import errors
from dagmap.services.api_actions import PoolAlreadyExists

PROBLEM = "application/problem+json"
NOT_FOUND: tuple[type[errors.DagmapError], ...] = (
    errors.DagNotFound,
    errors.TaskNotFound,
    errors.DagRunNotFound,
    errors.TaskInstanceNotFound,
    errors.PoolNotFound,
    errors.AssetNotFound,
    errors.XComNotFound,
    errors.ConnectionNotFound,
    errors.VariableNotFound,
)
CONFLICT: tuple[type[errors.DagmapError], ...] = (
    errors.DagRunAlreadyExists,
    errors.DagRunInProgress,
    errors.IllegalStateTransition,
    PoolAlreadyExists,
)
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
}


def status_of(error: errors.DagmapError) -> int:
    if isinstance(error, NOT_FOUND):
        return 404
    if isinstance(error, CONFLICT):
        return 409
    return 400


def problem(status: int, detail: str, *, kind: str | None = None, **extra: Any) -> JSONResponse:
    body = {"type": kind or "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


async def _dagmap_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.DagmapError)
    return problem(status_of(error), str(error), kind=type(error).__name__)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ()))
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return problem(422, "; ".join(parts) or "invalid request", kind="ValidationError")


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return problem(error.status_code, str(error.detail))


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    """A bug: a problem+json 500 (Starlette re-raises the error after answering, so the server logs it)."""
    return problem(500, f"internal error: {type(error).__name__} (the server's log has the traceback)")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DagmapError, _dagmap_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

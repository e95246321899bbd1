"""Errors as the API answers them, in one shape, mapped to HTTP in one place (`install`).

Every error body is FastAPI's validation shape, `{"detail": [{"loc": [...], "msg": "...",
"type": "..."}]}`, whether it is a malformed field (422), a missing token (401), a wrong role
(403), an unknown id (404), a state conflict (409), an oversized body (413) or a failure (500).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("familycard.errors")

Loc = Sequence[str | int]


class ServiceError(Exception):
    """An error the API reports: status code, where (loc), what (msg), and a stable type."""

    def __init__(
        self, status_code: int, loc: Loc, msg: str, kind: str, extra: dict[str, Any] | None = None,
        items: list[dict[str, Any]] | None = None,
    ):
        super().__init__(msg)
        self.items = items
        self.status_code = status_code
        self.loc = list(loc)
        self.msg = msg
        self.kind = kind
        self.extra = extra or {}
        self.headers: dict[str, str] | None = None

    def detail(self) -> list[dict[str, Any]]:
        """The error as entries of `detail` (one, unless several were found at once)."""
        return self.items if self.items else [item(self.loc, self.msg, self.kind)]


def item(loc: Loc, msg: str, kind: str) -> dict[str, Any]:
    """One error entry."""
    return {"loc": list(loc), "msg": msg, "type": kind}


def clean(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors reduced to loc/msg/type (no echo of the input, no exception objects)."""
    return [item([p for p in e.get("loc", ())], str(e.get("msg", "")), str(e.get("type", "value_error")))
            for e in errors]


def response(status_code: int, detail: list[dict[str, Any]], extra: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response in the one shape."""
    return JSONResponse({"detail": detail, **(extra or {})}, status_code=status_code, headers=headers)


_HTTP_TYPES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "body_too_large", 415: "unsupported_media_type"}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one shape."""

    @app.exception_handler(ServiceError)
    async def _service(_request: Request, exc: ServiceError) -> JSONResponse:
        return response(exc.status_code, exc.detail(), exc.extra, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return response(422, clean(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        msg = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        kind = _HTTP_TYPES.get(exc.status_code, f"http_{exc.status_code}")
        return response(exc.status_code, [item([], msg, kind)], headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return response(500, [item([], f"internal error ({type(exc).__name__}); the request changed nothing",
                                   "internal_error")])

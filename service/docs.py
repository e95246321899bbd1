"""The API documentation: the OpenAPI schema behind a token, Swagger UI served from this service.

FastAPI's default `/docs` loads its scripts from a CDN (whatever that CDN serves runs with the
page's origin) and, like `/openapi.json`, is open to anyone. Here `/openapi.json` needs a valid
token of any role; `/docs` is a page that asks for that token, fetches the schema with it and
shows it with Swagger UI's files from the `swagger-ui-bundle` package, served under
`/docs/static/` with a Content-Security-Policy that allows scripts from this origin only.
`FAMILYCARD_DOCS=off` serves neither the page nor its files (the schema stays behind a token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from service.auth import ROLES, Caller
from service.deps import require

OWN_STATIC = Path(__file__).resolve().parent / "docs_static"
FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "docs.js": "text/javascript; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>familycard API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body>
<form id="token-form" style="margin:2em;font-family:sans-serif">
<label for="token">A familycard token (any role) to read the API description:</label><br>
<input id="token" type="password" autocomplete="off" size="60" required>
<button type="submit">Show the API</button> <span id="status" role="alert"></span>
</form>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/docs.js"></script>
</body></html>
"""
AnyRole = Annotated[Caller, Depends(require(*ROLES))]


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


def install(app: FastAPI, *, page: bool) -> None:
    """Serve the schema behind a token, and (if `page`) the documentation page and its files."""
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(_caller: AnyRole) -> JSONResponse:
        """The OpenAPI schema, for callers with a token."""
        schema: dict[str, Any] = app.openapi()
        return JSONResponse(schema)

    if page:

        @router.get("/docs")
        async def docs_page() -> HTMLResponse:
            """Swagger UI, with every file from this service."""
            return HTMLResponse(
                PAGE,
                headers={
                    "Content-Security-Policy": CSP,
                    "X-Content-Type-Options": "nosniff",
                    "Cache-Control": "no-store",
                },
            )

        @router.get("/docs/static/{name}")
        async def docs_file(name: str, request: Request) -> Response:
            """Swagger UI's files (a fixed list, from the installed package) and this page's script."""
            media = FILES.get(name)
            if media is None:
                return Response(status_code=404)
            folder = OWN_STATIC if name == "docs.js" else _swagger_dir()
            return FileResponse(
                folder / name,
                media_type=media,
                headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
            )

    app.include_router(router)

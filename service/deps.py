"""The dependencies routes declare: the application context, a read connection, a caller with a role.

`Caller` checks the bearer token against the tokens file and the route's roles: no or unknown
token → 401, a known token of the wrong role → 403. The token itself is never logged.

The hot routes (`POST /v1/eligibility`, `POST /v1/events`) are declared the same way, but their
routers use `service.direct.DirectRoute`, which resolves these same arguments without FastAPI's per-request
dependency solver (see its docstring for why and how exactly).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.auth import Caller
from service.context import AppContext
from service.errors import ServiceError
from service.store import uow

_bearer = HTTPBearer(auto_error=False, description="A token from FAMILYCARD_TOKENS_FILE")

CallerDependency = Callable[..., Coroutine[Any, Any, Caller]]
ROLES: dict[Callable[..., Any], tuple[str, ...]] = {}  # each `require(...)` dependency and the roles it admits


async def get_ctx(request: Request) -> AppContext:
    """The application context built at start-up (async: a plain `def` would cost a thread-pool hop)."""
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def read_db(ctx: Ctx) -> AsyncIterator[sa.Connection]:
    """A connection in a read transaction (WAL readers never wait for the writer)."""
    with uow.UnitOfWork(ctx.db, write=False) as work:
        yield work.conn


Db = Annotated[sa.Connection, Depends(read_db)]


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header as `HTTPBearer` reads it; '' when there is none."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authorize(ctx: AppContext, token: str, roles: tuple[str, ...], client: str | None = None) -> Caller:
    """The caller a token belongs to, if its role is one of `roles` (401, 403, or 429 after many unknown tokens)."""
    if not token:
        raise _unauthorized("missing bearer token (Authorization: Bearer <token>)")
    wait = ctx.throttle.retry_after(client)
    if wait is not None:
        raise throttled(wait)
    found = ctx.tokens.authenticate(token)
    if found is None:
        ctx.throttle.failed(client)
        raise _unauthorized("unknown or revoked token")
    if found.role not in roles:
        raise ServiceError(403, ["header", "Authorization"],
                           f"role '{found.role}' may not do this; it needs one of: {', '.join(roles)}", "forbidden")
    return found


def require(*roles: str) -> CallerDependency:
    """A dependency admitting callers whose token has one of `roles`."""

    async def caller(
        request: Request, ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Caller:
        return authorize(ctx, credentials.credentials if credentials is not None else "", roles,
                         client_address(request))

    ROLES[caller] = roles
    return caller


def client_address(request: Request) -> str | None:
    """The address failed authentications are counted against."""
    return request.client.host if request.client is not None else None


def throttled(wait: float) -> ServiceError:
    """429 for an address that failed to authenticate too often (it may try again after `wait` s)."""
    error = ServiceError(429, ["header", "Authorization"],
                         "too many failed authentications from this address; try again later", "too_many_attempts")
    error.headers = {"Retry-After": str(max(1, int(wait + 0.999)))}
    return error


def _unauthorized(msg: str) -> ServiceError:
    error = ServiceError(401, ["header", "Authorization"], msg, "unauthorized")
    error.headers = {"WWW-Authenticate": "Bearer"}
    return error


Bus = Annotated[Caller, Depends(require("bus"))]
Reviewer = Annotated[Caller, Depends(require("reviewer"))]
Analyst = Annotated[Caller, Depends(require("analyst"))]
Auditor = Annotated[Caller, Depends(require("auditor"))]
BusOrAnalyst = Annotated[Caller, Depends(require("bus", "analyst"))]
BusOrAuditor = Annotated[Caller, Depends(require("bus", "auditor"))]
CaseReader = Annotated[Caller, Depends(require("reviewer", "auditor"))]

"""`DirectRoute`: the hot routes' arguments resolved without FastAPI's per-request dependency solver.

FastAPI still documents these routes from their endpoints' signatures (OpenAPI is unchanged);
at request time `DirectRoute` builds the same arguments itself. See the class docstring.
"""

from __future__ import annotations

import copy
import email.message
import functools
import inspect
import json
import types
import typing
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request, Response, params
from fastapi import routing as fastapi_routing
from fastapi._compat import ModelField
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from service.context import AppContext
from service.deps import ROLES, authorize, bearer_token, get_ctx
from service.middleware import BodyTooLarge


class DirectRoute(APIRoute):
    """A route that FastAPI documents from its endpoint's signature, but whose arguments are resolved here.

    FastAPI's generic handler (`solve_dependencies` with `HTTPBearer` as a sub-dependency,
    `request_params_to_args`, `json.loads` then `validate_python` for the body) costs about 0.1 ms
    per request on `POST /v1/eligibility`, as much as a whole echo request in-process: the hot
    routes cannot afford it. For an endpoint whose parameters are only a `Request`, `Ctx`, callers
    from `require(...)`, optional scalar query parameters and one body model, this class builds the
    same arguments itself and calls the endpoint. The body is validated by pydantic-core straight
    from the JSON bytes; only when that fails is it parsed again as FastAPI does, so that every
    error is FastAPI's own (same order, `loc`, `msg` and `type`, and a JSON syntax error still comes
    before authentication). One deliberate difference: a chunked body over FAMILYCARD_MAX_BODY_BYTES
    is answered 413 by `BodyLimit`, where FastAPI's handler made it a 400. Any other signature,
    route- or router-level dependencies, or a dependency override: FastAPI serves the route itself.
    tests/service/test_direct_routes.py compares the two handlers request by request.
    """

    served_directly = False  # whether the handler last built for this route is the direct one

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        generic = super().get_route_handler()
        served = _as_served(self)
        plan = _Plan.of(served) if served is not None else None
        self.served_directly = plan is not None
        if served is None or plan is None:
            return generic
        overrides = served.dependency_overrides_provider
        serve = plan.serve

        async def handler(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await generic(request)
            return await serve(request)

        return handler


class _Served(Protocol):
    """What FastAPI builds a handler for: an `APIRoute`, or its context in the router including it."""

    @property
    def dependant(self) -> Dependant | None: ...

    @property
    def strict_content_type(self) -> bool | DefaultPlaceholder: ...

    @property
    def dependency_overrides_provider(self) -> Any: ...


def _as_served(route: APIRoute) -> _Served | None:
    """The route, or the inclusion context whose handler FastAPI is building now; None if that is unknowable.

    FastAPI 0.165 builds an included route's handler once per inclusion, for a context that adds the
    including router's dependencies, and names that context only in a private context variable.
    Without it (another FastAPI) the route is served by FastAPI rather than planned from half the picture.
    """
    current = getattr(fastapi_routing, "_effective_route_context_var", None)
    if current is None:
        return None
    context = current.get()
    if context is not None and getattr(context, "original_route", None) is route:
        served: _Served = context
        return served
    return route


_MISSING: Any = object()  # a body or parameter that was not sent
_PARSE_ERROR = "There was an error parsing the body"


@dataclass(frozen=True)
class _Validated:
    """A body model validated straight from the JSON bytes."""

    value: BaseModel


@dataclass(frozen=True)
class _Plan:
    """How an endpoint's arguments are built from a request, decided once per route."""

    call: Callable[..., Awaitable[Response]]
    request_name: str | None
    dependencies: tuple[tuple[str, tuple[str, ...] | None], ...]  # (argument, roles); no roles: the context
    query: tuple[ModelField, ...]
    # Per query parameter, the default an absent one takes as it is (immutable, not validated), or
    # _MISSING when `_resolve` must work it out: three absent parameters cost no copies and no calls.
    query_defaults: tuple[Any, ...]
    body: ModelField | None
    model: type[BaseModel] | None

    @classmethod
    def of(cls, served: _Served) -> _Plan | None:
        """The plan for this route, or None if its signature needs FastAPI's generic handler."""
        dependant = served.dependant
        strict = served.strict_content_type
        if dependant is None or dependant.call is None or not _returns_response(dependant.call):
            return None
        if (strict.value if isinstance(strict, DefaultPlaceholder) else strict) is not True:
            return None
        special = (dependant.path_params, dependant.header_params, dependant.cookie_params,
                   dependant.websocket_param_name, dependant.http_connection_param_name,
                   dependant.response_param_name, dependant.background_tasks_param_name,
                   dependant.security_scopes_param_name)
        if any(special) or not all(_plain_query(f) for f in dependant.query_params):
            return None
        dependencies: list[tuple[str, tuple[str, ...] | None]] = []
        for sub in dependant.dependencies:
            roles = ROLES.get(sub.call) if sub.call is not None else None
            if sub.name is None or getattr(sub, "concurrency", None) is not None or (
                    sub.call is not get_ctx and roles is None):
                return None
            dependencies.append((sub.name, roles))
        body = model = None
        if dependant.body_params:
            body = dependant.body_params[0]
            model = _body_model(body)
            if len(dependant.body_params) != 1 or model is None or getattr(served, "_embed_body_fields", False):
                return None
        query = tuple(dependant.query_params)
        return cls(dependant.call, dependant.request_param_name, tuple(dependencies), query,
                   tuple(_plain_default(f) for f in query), body, model)

    async def serve(self, request: Request) -> Response:
        """Resolve the arguments as FastAPI would, then call the endpoint."""
        body = await self._read_body(request) if self.body is not None else _MISSING
        values: dict[str, Any] = {}
        if self.request_name is not None:
            values[self.request_name] = request
        if self.dependencies:
            ctx: AppContext = request.app.state.ctx
            for name, roles in self.dependencies:
                values[name] = ctx if roles is None else authorize(
                    ctx, bearer_token(request.headers.get("authorization")), roles,
                    request.client.host if request.client is not None else None)
        errors: list[dict[str, Any]] = []
        if self.query:
            received = request.query_params
            for field, default in zip(self.query, self.query_defaults, strict=True):
                value = received.get(field.alias, _MISSING)
                if value is _MISSING and default is not _MISSING:
                    values[field.name] = default
                else:
                    _resolve(field, value, ("query", field.alias), values, errors)
        if self.body is not None:
            if isinstance(body, _Validated):
                values[self.body.name] = body.value
            else:
                _resolve(self.body, body, ("body",), values, errors)
        if errors:
            raise RequestValidationError(errors, body=None if body is _MISSING else body)
        return await self.call(**values)

    async def _read_body(self, request: Request) -> Any:
        """The body: a validated model when it is valid JSON of it, else what FastAPI would validate."""
        try:
            raw = await request.body()
        except (HTTPException, BodyTooLarge):
            raise
        except Exception as exc:  # a client that went away mid-body, as FastAPI answers it
            raise HTTPException(400, _PARSE_ERROR) from exc
        if not raw:
            return _MISSING
        content_type = request.headers.get("content-type")
        if not content_type or not _is_json(content_type):
            return raw  # FastAPI's strict content type: the bytes, which fail validation
        assert self.model is not None
        try:
            return _Validated(self.model.model_validate_json(raw))
        except ValidationError:
            pass  # parsed again below exactly as FastAPI does, so that the errors are its own
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {},
                     "ctx": {"error": exc.msg}}
            raise RequestValidationError([error], body=exc.doc) from exc
        except Exception as exc:  # not UTF-8, or nested too deep
            raise HTTPException(400, _PARSE_ERROR) from exc


def _resolve(field: ModelField, value: Any, loc: tuple[str, ...], values: dict[str, Any],
             errors: list[dict[str, Any]]) -> None:
    """Validate one parameter as FastAPI does: a missing one is an error if required, else its default."""
    if value is _MISSING:
        if field.field_info.is_required():
            errors.append({"type": "missing", "loc": loc, "msg": "Field required", "input": None})
            return
        value = copy.deepcopy(field.default)
        if not field.field_info.validate_default:
            values[field.name] = value
            return
    result, problems = field.validate(value, values, loc=loc)
    if problems:
        errors.extend(problems)
    else:
        values[field.name] = result


def _plain_default(field: ModelField) -> Any:
    """The value an absent optional parameter takes when it is immutable and not validated, else _MISSING."""
    info = field.field_info
    if info.is_required() or info.validate_default or info.default_factory is not None:
        return _MISSING
    default = field.default
    return default if default is None or type(default) in (str, int, float, bool) else _MISSING


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """FastAPI's test of a JSON content type (`application/json`, `application/*+json`)."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _returns_response(call: Callable[..., Any]) -> bool:
    """An async endpoint annotated to return a `Response` (the direct handler does not serialise)."""
    if not inspect.iscoroutinefunction(call):
        return False
    try:
        returned = typing.get_type_hints(call).get("return")
    except Exception:  # an annotation that cannot be resolved: leave the route to FastAPI
        return False
    return isinstance(returned, type) and issubclass(returned, Response)


def _plain_query(field: ModelField) -> bool:
    """A query parameter read by its own name and holding one scalar value (no list, no model).

    A `Literal` of strings or numbers is a scalar too (`?lang=ru`, `?explain=full`).
    """
    info = field.field_info
    if not isinstance(info, params.Query) or info.validation_alias is not None or field.alias != field.name:
        return False
    annotation = info.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    kinds = typing.get_args(annotation) if union else (annotation,)
    return all(_scalar_literal(k) or (isinstance(k, type) and not issubclass(
        k, BaseModel | list | tuple | set | frozenset | dict | bytes)) for k in kinds)


def _scalar_literal(kind: Any) -> bool:
    """`Literal["a", "b"]` (or of numbers): one value from a fixed set."""
    return typing.get_origin(kind) is typing.Literal and all(
        isinstance(v, str | int | float) for v in typing.get_args(kind))


def _body_model(field: ModelField) -> type[BaseModel] | None:
    """The model of a plain JSON body parameter (not embedded, no form, no constraints), else None."""
    info = field.field_info
    model = info.annotation
    if (not isinstance(info, params.Body) or isinstance(info, params.Form) or getattr(info, "embed", False)
            or info.metadata or not isinstance(model, type) or not issubclass(model, BaseModel)):
        return None
    return model

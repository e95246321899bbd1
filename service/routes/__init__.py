"""The HTTP routes, one module per resource; each route parses, calls one use case, shapes the answer."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorBody

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or an unknown one"},
    403: {"model": ErrorBody, "description": "The token's role may not do this"},
    413: {"model": ErrorBody, "description": "The body is larger than FAMILYCARD_MAX_BODY_BYTES"},
    422: {"model": ErrorBody, "description": "A malformed request; `loc` names the field"},
    429: {"model": ErrorBody, "description": "Too many failed authentications from this address (`Retry-After`)"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such resource"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "Conflicts with the state"}}

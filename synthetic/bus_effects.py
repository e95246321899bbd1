"""Reading what the service says an event changed: offers created and closed, entitlements, reviews.

The answer to an applied event lists its effects (contract, "Bus events"; `service.intake`):
`{"status": "applied", "family_id", "late", "effects": {"offers_created": [...],
"offers_closed": [...], "entitlements_changed": [...], "reviews_opened": [...], ...}}`. A
duplicate answers the original's answer with `"status": "duplicate"`, and `GET /v1/events/{id}`
holds the original answer under `effects`. Everything that knows these shapes lives here, so a
change on the service side is a change in one module.
"""

from __future__ import annotations

from typing import Any


def effects(answer: dict[str, Any] | None) -> dict[str, Any]:
    """The `effects` object of an event answer (empty when absent)."""
    if not isinstance(answer, dict):
        return {}
    found = answer.get("effects")
    return found if isinstance(found, dict) else {}


def stored_answer(event_status: dict[str, Any]) -> dict[str, Any]:
    """The original answer inside a `GET /v1/events/{id}` body."""
    found = event_status.get("effects")
    return found if isinstance(found, dict) else {}


def _items(answer: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    value = effects(answer).get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def offers_created(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Offers the event created (each with `offer_id`, `benefit`, ...)."""
    return [o for o in _items(answer, "offers_created") if o.get("offer_id")]


def offers_closed(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Offers the event closed without an answer (expired, superseded, withdrawn)."""
    return [o for o in _items(answer, "offers_closed") if o.get("offer_id")]


def reviews_opened(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Human reviews the event opened."""
    return _items(answer, "reviews_opened")


def entitlements_changed(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Entitlements the event started, changed or ended."""
    return _items(answer, "entitlements_changed")


def offer_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every offer in a `GET /v1/families/{id}/offers` answer (status as of now)."""
    found = body.get("offers")
    return [o for o in found if isinstance(o, dict) and o.get("offer_id")] if isinstance(found, list) else []


def open_offers(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The offers of a `GET /v1/families/{id}` record still waiting for the citizen's answer."""
    found = record.get("open_offers")
    return [o for o in found if isinstance(o, dict) and o.get("offer_id")] if isinstance(found, list) else []


def snapshot(record: dict[str, Any]) -> dict[str, Any]:
    """The family snapshot inside a `GET /v1/families/{id}` record."""
    found = record.get("snapshot")
    return found if isinstance(found, dict) else {}

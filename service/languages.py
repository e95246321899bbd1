"""Which language an eligibility answer's texts are in: `?lang=`, else `Accept-Language`, else Kazakh.

Kazakh is the default as in the caseworkers' console (the state language); `all` (kk, ru and en
together) only when a caller asks for it by `?lang=all`.
"""

from __future__ import annotations

import functools

from engine.decision import Lang

DEFAULT_LANG: Lang = "kk"
_SUPPORTED: dict[str, Lang] = {"kk": "kk", "ru": "ru", "en": "en"}
CONTENT_LANGUAGE: dict[str, str] = {"kk": "kk", "ru": "ru", "en": "en", "all": "kk, ru, en"}


def choose(requested: Lang | None, accept_language: str | None) -> Lang:
    """`?lang=` when given, else the best of kk, ru, en by `Accept-Language`, else Kazakh."""
    if requested is not None:
        return requested
    if not accept_language:
        return DEFAULT_LANG
    return negotiate(accept_language)


@functools.lru_cache(maxsize=256)
def negotiate(accept_language: str) -> Lang:
    """The supported language a caller prefers by its `Accept-Language` header (RFC 9110 weights).

    A tag counts by its primary subtag (`ru-RU` is Russian); `q=0` means "not this one"; among
    equal weights the first listed wins; `*` and malformed entries are ignored. Callers send a
    handful of distinct headers, so the answers are kept (at most 256 of them).
    """
    best: tuple[float, Lang] | None = None
    for part in accept_language.split(","):
        tag, _, params = part.partition(";")
        lang = _SUPPORTED.get(tag.strip().split("-")[0].lower())
        if lang is None:
            continue
        weight = 1.0
        params = params.strip()
        if params:
            name, _, value = params.partition("=")
            if name.strip().lower() != "q":
                continue
            try:
                weight = float(value)
            except ValueError:
                continue
            if not 0.0 <= weight <= 1.0:
                continue
        if weight > 0.0 and (best is None or weight > best[0]):
            best = (weight, lang)
    return best[1] if best is not None else DEFAULT_LANG

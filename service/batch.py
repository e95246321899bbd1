"""Eligibility for many families in one request: the body read as it arrives, the answers streamed.

A batch is a JSON array of family snapshots or NDJSON (one snapshot per line). The answer is
NDJSON in the same order: one line per family, either its eligibility answer (the same bytes the
single route gives) or an error for that family alone, `{"index", "family_id", "status",
"detail"}`, where `detail` is the one error shape with `loc` starting `["body", index]`.

NDJSON is read line by line while the answers are written, so memory stays flat whatever the
batch's length: a family is validated, evaluated and written before the next line is read. A
JSON array is parsed whole (bounded by FAMILYCARD_BATCH_MAX_BODY_BYTES, 4 MB: about 3,000 typical
snapshots) and answered as a stream.

The engine runs on the event-loop thread (durable-rules must), so the stream hands the loop back
after every few families: other requests on the same worker wait at most that long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Literal

import orjson
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from engine import model
from engine.errors import EvaluationError
from service.errors import clean, item
from service.middleware import BodyTooLarge

log = logging.getLogger("familycard.batch")

MEDIA_TYPE = "application/x-ndjson"
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
                          "application/jsonlines"})
FLUSH_FAMILIES = 16  # answers written (and the loop handed back) at least this often
FLUSH_BYTES = 64 * 1024

Format = Literal["array", "ndjson"]
Evaluate = Callable[[model.Family], bytes]  # a family's answer as JSON bytes; raises EvaluationError


def body_format(content_type: str | None) -> Format | None:
    """`ndjson` for the NDJSON media types, `array` for JSON (`application/json`, `*+json`), else None."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media in NDJSON_TYPES:
        return "ndjson"
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return "array"
    return None


async def ndjson_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """(line number from 1, line) for each non-blank line of a body arriving in chunks."""
    pending = bytearray()
    number = 0
    async for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                pending += chunk[start:]
                break
            number += 1
            if pending:
                pending += chunk[start:end]
                line = bytes(pending)
                pending.clear()
            else:
                line = chunk[start:end]
            start = end + 1
            if line.strip():
                yield number, line
    if pending.strip():
        yield number + 1, bytes(pending)


def array_items(body: bytes) -> list[Any]:
    """The elements of a JSON array body; `ValueError` naming the position when it is not one."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(parsed, list):
        raise ValueError("a batch is a JSON array of family snapshots, or NDJSON (one snapshot per line)")
    return parsed


def error_line(index: int, status: int, detail: list[dict[str, Any]], family_id: object = None,
               line: int | None = None) -> bytes:
    """One family's error as an NDJSON line."""
    body: dict[str, Any] = {"index": index, "family_id": family_id if isinstance(family_id, str) else None,
                            "status": status, "detail": detail}
    if line is not None:
        body["line"] = line
    return orjson.dumps(body) + b"\n"


def _family_id(raw: bytes) -> object:
    """The family id of a snapshot that failed, when the line is a JSON object that names one."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return parsed.get("family_id") if isinstance(parsed, dict) else None


def answer_line(index: int, raw: bytes, evaluate: Evaluate, line: int | None = None) -> bytes:
    """One family's answer, or its error, as an NDJSON line; nothing a family sends stops the batch."""
    try:
        family = model.Family.model_validate_json(raw)
    except ValidationError as exc:
        detail = clean(exc.errors())
        for entry in detail:
            entry["loc"] = ["body", index, *entry["loc"]]
        return error_line(index, 422, detail, _family_id(raw), line)
    try:
        return evaluate(family) + b"\n"
    except EvaluationError as exc:
        loc: list[str | int] = ["body", index, *str(exc.field).split(".")]
        return error_line(index, 422, [item(loc, exc.message, "evaluation_error")], family.family_id, line)
    except Exception as exc:  # a fault of ours on one family: that family's line says so, the rest go on
        log.exception("batch: family %d could not be evaluated", index)
        return error_line(index, 500, [item(["body", index], f"internal error ({type(exc).__name__})",
                                            "internal_error")], family.family_id, line)


async def answer_array(items: Iterable[Any], evaluate: Evaluate) -> AsyncIterator[bytes]:
    """The answers to a parsed JSON array, in order, a few families per chunk."""
    out = bytearray()
    count = 0
    for index, element in enumerate(items):
        # Each element is validated from JSON as the single route does, so the same errors come out.
        out += answer_line(index, orjson.dumps(element), evaluate)
        count += 1
        if count >= FLUSH_FAMILIES or len(out) >= FLUSH_BYTES:
            yield bytes(out)
            out.clear()
            count = 0
            await asyncio.sleep(0)
    if out:
        yield bytes(out)


async def answer_ndjson(chunks: AsyncIterator[bytes], evaluate: Evaluate, *, max_families: int,
                        max_bytes: int) -> AsyncIterator[bytes]:
    """The answers to an NDJSON body read as it arrives; a line past the limits ends the batch with an error."""
    out = bytearray()
    count = 0
    index = 0
    try:
        async for number, raw in ndjson_lines(chunks):
            if index >= max_families:
                out += error_line(index, 413, [item(["body", index], f"a batch holds at most {max_families} families;"
                                                    " this one and any after it were not evaluated",
                                                    "batch_too_large")], None, number)
                break
            out += answer_line(index, raw, evaluate, number)
            index += 1
            count += 1
            if count >= FLUSH_FAMILIES or len(out) >= FLUSH_BYTES:
                yield bytes(out)
                out.clear()
                count = 0
                await asyncio.sleep(0)
    except BodyTooLarge:
        out += error_line(index, 413, [item(["body", index], f"the body is larger than {max_bytes} bytes; "
                                            "this family and any after it were not read", "body_too_large")])
    if out:
        yield bytes(out)


def timed(evaluate: Evaluate, observe: Callable[[float], object]) -> Evaluate:
    """`evaluate` with each family's evaluation time observed (the engine-evaluation histogram)."""

    def run(family: model.Family) -> bytes:
        started = time.perf_counter()
        try:
            return evaluate(family)
        finally:
            observe(time.perf_counter() - started)

    return run


class NdjsonStream(StreamingResponse):
    """A streamed NDJSON answer whose lines may be made while the request body is still being read.

    Starlette's `StreamingResponse` may listen for a disconnect on `receive` while it streams,
    which would take body chunks meant for the batch; this one only sends, and a client that went
    away ends the stream quietly.
    """

    def __init__(
        self, lines: AsyncIterator[bytes], status_code: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(lines, status_code=status_code, media_type=MEDIA_TYPE, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes) else str(chunk).encode()
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except (ClientDisconnect, OSError):
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


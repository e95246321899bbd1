"""`POST /v1/eligibility` in its shapes (default, trace) and `/v1/eligibility/batch`: the same decisions.

The default answer is every decision with its name and summary in one language and no trace; the
trace (`?explain=full`) is the answer as it was; a batch answers many families as NDJSON. For
the same 1,000 synthetic families each shape is compared with `familycard evaluate`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.assessment import LANGUAGES
from engine.decision import EligibilityAnswer, EligibilityResponse
from engine.errors import EvaluationError
from service import batch, languages
from service.middleware import BodyTooLarge
from tests.service import builders as b
from tests.service.conftest import RULES, auth

AS_OF = "2026-03-01"
FAMILY = b.make_family("FAM-SHAPES", children=4, first_child_born="2012-01-05")
JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}
LANGS = ("kk", "ru", "en", "all")
# What every shape must say alike about each benefit.
DECIDED = ("benefit", "eligible", "status", "amount_kzt", "amount_exact_kzt", "period", "requires_human_review",
           "review_reasons", "legal_basis")


def synthetic_families(n: int, seed: int) -> list[dict[str, Any]]:
    from synthetic.rich import generate_families

    return [dict(f.get("snapshot", f)) for f in generate_families(n, seed, dt.date.fromisoformat(AS_OF))]


def rare_families() -> list[dict[str, Any]]:
    """Families for the two issue-13 payments that 1,000 synthetic families at realistic rates miss.

    A professional foster family (one family in ten with a ward, 0.3% of children) and the ГФСС
    survivor payment (an insured breadwinner's death with a known record).
    """
    foster = b.make_family("FAM-SHAPES-FOSTER", spouse=False)
    foster["members"][0]["professional_foster_parent"] = True
    foster["members"] += [b.member("ward", "2014-03-01"), b.member("ward", "2016-03-01", "male")]
    survivor = b.make_family("FAM-SHAPES-SURVIVOR", children=1, first_child_born="2012-01-10", spouse=False)
    dead = b.member("spouse", "1983-01-01", "male")
    survivor["deceased"] = [{"iin": dead["iin"], "relation": "spouse", "date_of_death": "2026-01-15",
                             "employment": "employed", "gfss_participant": True,
                             "avg_insured_income_24m_kzt": 300000, "insurance_record_months": 65}]
    return [foster, survivor]


def lines(response: Any) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == batch.MEDIA_TYPE
    return [json.loads(line) for line in response.text.splitlines()]


def decided(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(d[k] for k in DECIDED) for d in answer["decisions"]]


def test_every_shape_gives_the_same_decisions_as_familycard_evaluate_for_1000_families(
        client: TestClient, tmp_path: Path) -> None:
    families = synthetic_families(1000, seed=15)[:998] + rare_families()  # a batch holds at most 1,000
    source = tmp_path / "families.jsonl"
    source.write_text("".join(json.dumps(f) + "\n" for f in families), encoding="utf-8")
    command = Path(sys.executable).with_name("familycard")  # the installed command, as a user runs it
    cli = subprocess.run([str(command), "evaluate", str(source), "--jsonl", "--as-of", AS_OF, "--rules", str(RULES)],
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stderr[-2000:]
    evaluated = [json.loads(line) for line in cli.stdout.splitlines()]
    assert len(evaluated) == len(families)

    body = "".join(json.dumps(f) + "\n" for f in families).encode()
    batched = lines(client.post(f"/v1/eligibility/batch?as_of={AS_OF}&lang=all", content=body,
                                headers={**NDJSON, **auth("bus")}))
    traced_batch = lines(client.post(f"/v1/eligibility/batch?as_of={AS_OF}&explain=full",
                                     content=json.dumps(families[:200]), headers={**JSON, **auth("analyst")}))
    assert len(batched) == len(families) and len(traced_batch) == 200
    eligible: set[str] = set()
    reviewed = 0
    for n, (family, expected) in enumerate(zip(families, evaluated, strict=True)):
        lang = LANGS[n % 4]
        trace = client.post("/v1/eligibility", json=family, params={"as_of": AS_OF, "explain": "full"},
                            headers=auth("bus"))
        default = client.post("/v1/eligibility", json=family, params={"as_of": AS_OF, "lang": lang},
                              headers=auth("bus"))
        assert trace.status_code == default.status_code == 200
        # The trace is exactly the answer `familycard evaluate` prints (today's shape), field for field.
        assert trace.json() == expected
        answer = default.json()
        assert answer["lang"] == lang and "explanation" not in answer["decisions"][0]
        assert [answer[k] for k in ("family_id", "as_of", "ruleset_version")] == \
               [expected[k] for k in ("family_id", "as_of", "ruleset_version")]
        assert decided(answer) == decided(expected) == decided(batched[n]), family["family_id"]
        assert answer["wellbeing"]["level"] == expected["wellbeing"]["level"] == batched[n]["wellbeing"]["level"]
        shown = LANGUAGES[lang]
        for brief, full, line in zip(answer["decisions"], expected["decisions"], batched[n]["decisions"], strict=True):
            assert brief["summary"] == {k: full["explanation"]["summary"][k] for k in shown}
            assert brief["name"] == {k: full["name"][k] for k in shown}
            assert line["summary"] == full["explanation"]["summary"]
            if brief["eligible"]:
                eligible.add(brief["benefit"])
            reviewed += brief["requires_human_review"]
        if n < 200:
            assert traced_batch[n] == expected
    # Varied enough for the comparison to mean something: every benefit granted to some family, some reviews.
    assert len(eligible) == len(evaluated[0]["decisions"]) and reviewed > 0


def test_the_default_answer_is_in_the_language_asked_for(client: TestClient) -> None:
    def ask(params: dict[str, str], header: str | None = None) -> Any:
        headers = {**auth("analyst"), **({"accept-language": header} if header is not None else {})}
        return client.post("/v1/eligibility", json=FAMILY, params={"as_of": AS_OF, **params}, headers=headers)

    cases = [({}, None, "kk"), ({}, "ru-RU,ru;q=0.9,en;q=0.8", "ru"), ({}, "de-DE, en;q=0.5, ru;q=0.4", "en"),
             ({}, "ru;q=0, en;q=0.1", "en"), ({}, "fr, *", "kk"), ({"lang": "en"}, "ru", "en"),
             ({"lang": "all"}, "ru", "all")]
    for params, header, lang in cases:
        response = ask(params, header)
        assert response.status_code == 200, response.text
        answer = response.json()
        EligibilityAnswer.model_validate(answer)
        assert answer["lang"] == lang, (params, header)
        assert response.headers["content-language"] == languages.CONTENT_LANGUAGE[lang]
        assert "accept-language" in response.headers["vary"].lower()
        keys = set(LANGUAGES[lang])
        assert {k for d in answer["decisions"] for k in d["summary"]} == keys
        assert set(answer["wellbeing"]["label"]) == keys
    wrong = ask({"lang": "de"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "lang"]


def test_the_trace_is_todays_answer_whatever_the_language(client: TestClient) -> None:
    plain = client.post("/v1/eligibility", json=FAMILY, params={"as_of": AS_OF, "explain": "full"},
                        headers=auth("analyst"))
    asked = client.post("/v1/eligibility", json=FAMILY, params={"as_of": AS_OF, "explain": "full", "lang": "ru"},
                        headers={**auth("analyst"), "accept-language": "en"})
    assert plain.status_code == asked.status_code == 200
    assert plain.content == asked.content
    assert plain.headers["content-language"] == "kk, ru, en"
    trace = EligibilityResponse.model_validate(plain.json())
    assert all(set(d.explanation.summary.model_dump()) == {"kk", "ru", "en"} for d in trace.decisions)
    assert any(d.explanation.conditions for d in trace.decisions)
    bad = client.post("/v1/eligibility", json=FAMILY, params={"explain": "some"}, headers=auth("analyst"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "explain"]


def test_the_schema_documents_both_shapes_the_languages_and_the_batch(client: TestClient) -> None:
    schema = client.get("/openapi.json", headers=auth("analyst")).json()  # the schema needs a token (issue 11)
    single = schema["paths"]["/v1/eligibility"]["post"]
    answer_schema = single["responses"]["200"]["content"]["application/json"]["schema"]
    refs = {option["$ref"].rsplit("/", 1)[1] for option in answer_schema["anyOf"]}
    assert refs == {"EligibilityAnswer", "EligibilityResponse"}
    parameters = {p["name"]: p for p in single["parameters"]}
    assert parameters["lang"]["schema"]["anyOf"][0]["enum"] == ["kk", "ru", "en", "all"]
    assert parameters["explain"]["schema"]["enum"] == ["none", "full"]
    assert parameters["Accept-Language"]["in"] == "header"
    assert "summary" in schema["components"]["schemas"]["BriefDecision"]["required"]
    several = schema["paths"]["/v1/eligibility/batch"]["post"]
    assert set(several["requestBody"]["content"]) == {"application/json", batch.MEDIA_TYPE}
    assert batch.MEDIA_TYPE in several["responses"]["200"]["content"]
    assert {"413", "415"} <= set(several["responses"])


def test_a_batch_answers_in_order_with_an_error_for_each_bad_family_alone(client: TestClient) -> None:
    bad_iin = {**FAMILY, "family_id": "FAM-BAD",
               "members": [{**FAMILY["members"][0], "iin": "1"}, *FAMILY["members"][1:]]}
    second = {**FAMILY, "family_id": "FAM-SECOND"}
    array = client.post(f"/v1/eligibility/batch?as_of={AS_OF}&lang=ru", json=[FAMILY, bad_iin, 7, second],
                        headers=auth("bus"))
    assert array.status_code == 200 and array.headers["content-language"] == "ru"
    got = lines(array)
    assert [g.get("family_id") for g in got] == ["FAM-SHAPES", "FAM-BAD", None, "FAM-SECOND"]
    single = client.post("/v1/eligibility", json=FAMILY, params={"as_of": AS_OF, "lang": "ru"}, headers=auth("bus"))
    assert got[0] == got[3] | {"family_id": "FAM-SHAPES"} == single.json()
    assert got[1]["index"] == 1 and got[1]["status"] == 422
    assert got[1]["detail"][0]["loc"] == ["body", 1, "members", 0, "iin"]
    single_error = client.post("/v1/eligibility", json=bad_iin, headers=auth("bus")).json()["detail"]
    assert [e["loc"][2:] for e in got[1]["detail"]] == [e["loc"][1:] for e in single_error]
    assert got[2]["index"] == 2 and got[2]["detail"][0]["loc"] == ["body", 2]

    text = "\r\n".join([json.dumps(FAMILY), "", "{not json", json.dumps(second)]) + "\r\n"
    chunks = [text[i:i + 97].encode() for i in range(0, len(text), 97)]  # lines split across chunks
    streamed = lines(client.post(f"/v1/eligibility/batch?as_of={AS_OF}&lang=ru", content=iter(chunks),
                                 headers={**NDJSON, **auth("bus")}))
    assert [s.get("family_id") for s in streamed] == ["FAM-SHAPES", None, "FAM-SECOND"]
    assert streamed[0] == got[0]
    assert (streamed[1]["index"], streamed[1]["line"], streamed[1]["detail"][0]["type"]) == (1, 3, "json_invalid")
    assert client.post("/v1/eligibility/batch", content=b"", headers={**NDJSON, **auth("bus")}).text == ""


def test_a_batch_past_its_limits_is_refused_or_ended_with_an_error_line(client_for: Any, sqlite_url: str) -> None:
    small = client_for(sqlite_url, batch_max_families=2)
    four = [{**FAMILY, "family_id": f"FAM-{n}"} for n in range(4)]
    refused = small.post("/v1/eligibility/batch", json=four, headers=auth("bus"))
    assert refused.status_code == 413 and refused.json()["detail"][0]["type"] == "batch_too_large"
    ndjson = "".join(json.dumps(f) + "\n" for f in four).encode()
    ended = lines(small.post(f"/v1/eligibility/batch?as_of={AS_OF}", content=ndjson,
                             headers={**NDJSON, **auth("bus")}))
    assert [e.get("family_id") for e in ended] == ["FAM-0", "FAM-1", None]
    assert (ended[2]["index"], ended[2]["status"], ended[2]["detail"][0]["type"]) == (2, 413, "batch_too_large")

    roomy = client_for(sqlite_url, batch_max_families=10, batch_max_body_bytes=3 * len(json.dumps(FAMILY)))
    pieces = [json.dumps(f).encode() + b"\n" for f in four]  # streamed: no Content-Length to refuse early
    cut = lines(roomy.post(f"/v1/eligibility/batch?as_of={AS_OF}", content=iter(pieces),
                           headers={**NDJSON, **auth("bus")}))
    # (The test client hands the body over in one piece: over the limit before its first family.)
    assert cut == [{"index": 0, "family_id": None, "status": 413, "detail": [
        {"loc": ["body", 0], "msg": f"the body is larger than {3 * len(json.dumps(FAMILY))} bytes; this family and "
                                    "any after it were not read", "type": "body_too_large"}]}]
    declared = roomy.post("/v1/eligibility/batch", content=b"".join(pieces), headers={**NDJSON, **auth("bus")})
    assert declared.status_code == 413  # a Content-Length over the limit is refused before anything is read
    assert client_for(sqlite_url, max_body_bytes=1024).post(
        "/v1/eligibility/batch", content=b"".join(pieces), headers={**NDJSON, **auth("bus")}).status_code == 200


def test_a_body_cut_by_its_limit_mid_stream_ends_with_the_first_family_not_read() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"family_id": "F0"}\n{"family_id": '
        yield b'"F1"}\n{"family_id": "F2"'
        raise BodyTooLarge

    async def answers() -> list[dict[str, Any]]:
        out = b"".join([chunk async for chunk in batch.answer_ndjson(
            body(), lambda family: b"{}", max_families=10, max_bytes=2048)])
        return [json.loads(line) for line in out.splitlines()]

    got = asyncio.run(answers())
    assert len(got) == 3 and got[0]["status"] == got[1]["status"] == 422  # (not snapshots: errors of their own)
    assert (got[2]["index"], got[2]["status"], got[2]["detail"][0]["type"]) == (2, 413, "body_too_large")


@pytest.mark.parametrize(("body", "headers", "status", "kind"), [
    (b"[]", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    (b"[]", {}, 415, "unsupported_media_type"),
    (b"[{]", JSON, 422, "json_invalid"),
    (b'{"family_id": "x"}', JSON, 422, "json_invalid"),
])
def test_a_batch_that_is_not_one_is_refused_whole(client: TestClient, body: bytes, headers: dict[str, str],
                                                  status: int, kind: str) -> None:
    response = client.post("/v1/eligibility/batch", content=body, headers={**headers, **auth("bus")})
    assert response.status_code == status and response.json()["detail"][0]["type"] == kind
    assert client.post("/v1/eligibility/batch", content=b"[]", headers=JSON).status_code == 401


def test_an_ndjson_batch_is_answered_while_it_is_still_being_read() -> None:
    """Memory stays flat: the first answers leave before most of the body has been read."""
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for n in range(200):
            read += 1
            yield json.dumps({"family_id": f"F{n}"}).encode() + b"\n"

    async def first_chunk() -> tuple[bytes, int]:
        stream = batch.answer_ndjson(body(), lambda family: b"{}", max_families=1000, max_bytes=10**9)
        chunk = await stream.__anext__()
        await stream.aclose()
        return chunk, read

    chunk, consumed = asyncio.run(first_chunk())
    assert chunk.count(b"\n") == batch.FLUSH_FAMILIES
    assert consumed <= batch.FLUSH_FAMILIES + 1


def test_an_evaluation_failure_is_that_familys_line_alone() -> None:
    def evaluate(family: Any) -> bytes:
        if family.family_id == "FAM-2":
            raise EvaluationError("members.0.birth_date", "a birth date after the evaluation date")
        if family.family_id == "FAM-3":
            raise RuntimeError("a fault of ours")
        return json.dumps({"family_id": family.family_id}).encode()

    raw = [json.dumps({**FAMILY, "family_id": f"FAM-{n}"}).encode() for n in range(1, 5)]
    out = [json.loads(batch.answer_line(n, r, evaluate)) for n, r in enumerate(raw)]
    assert out[0] == {"family_id": "FAM-1"} and out[3] == {"family_id": "FAM-4"}
    assert out[1]["status"] == 422 and out[1]["detail"][0]["loc"] == ["body", 1, "members", "0", "birth_date"]
    assert out[1]["family_id"] == "FAM-2"
    assert out[2]["status"] == 500 and out[2]["detail"][0]["type"] == "internal_error"


@pytest.mark.parametrize(("header", "lang"), [
    (None, "kk"), ("", "kk"), ("ru", "ru"), ("EN-gb", "en"), ("kk-KZ;q=0.5, ru;q=0.8", "ru"), ("ru;q=0", "kk"),
    ("en;q=abc, ru", "ru"), ("en;q=2", "kk"), ("en;level=1", "kk"), ("ru;q=0.5, en;q=0.5", "ru"),
])
def test_accept_language_picks_the_best_supported_language(header: str | None, lang: str) -> None:
    assert languages.choose(None, header) == lang
    assert languages.choose("all", header) == "all"

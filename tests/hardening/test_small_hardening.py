"""Issue 11, item 13: the smaller findings, each as a class.

- the IIN mask in logs leaves hex ids (trace ids, digests) alone and still masks every IIN;
- a failed SQL statement's parameters never reach an error message or a log line;
- validation messages name no IIN digit or date, so dead-letter reasons and audit entries do not;
- `/docs` loads nothing from a CDN and the schema is not open without a token;
- a database directory the service cannot write ends `familycard serve` with one clear line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service import logs
from service.store import db, migrate
from tests.service import builders as b
from tests.service.conftest import REPO, RULES, TOKENS, auth

IIN = "850101300123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"iin {IIN} refused", "iin ********0123 refused"),
        (f'{{"iin":"{IIN}"}}', '{"iin":"********0123"}'),
        (f"member e-{IIN}", "member e-********0123"),
        (f"trace 3f{IIN}ab and digest {IIN}a7c1", f"trace 3f{IIN}ab and digest {IIN}a7c1"),
        (f"sha256:a9{IIN}", f"sha256:a9{IIN}"),
        (f"dl_{IIN}", f"dl_{IIN}"),
        ("1234567890123 thirteen digits", "1234567890123 thirteen digits"),
    ],
)
def test_the_iin_mask_masks_iins_and_leaves_hex_ids_alone(text: str, expected: str) -> None:
    assert logs.mask(text) == expected


def _failing_insert(engine: sa.Engine) -> BaseException:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t_i11a (iin VARCHAR(12) PRIMARY KEY)")
        conn.execute(sa.text("INSERT INTO t_i11a (iin) VALUES (:iin)"), {"iin": IIN})
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t_i11a (iin) VALUES (:iin)"), {"iin": IIN})
    except sa.exc.IntegrityError as exc:
        return exc
    raise AssertionError("the duplicate insert should have failed")


def _json_log(exc: BaseException) -> str:
    record = logging.LogRecord(
        "familycard.test", logging.ERROR, __file__, 1, "failed: %s", (str(exc),), (type(exc), exc, exc.__traceback__)
    )
    return logs.JsonFormatter().format(record)


def test_a_failed_statement_s_parameters_reach_neither_the_error_nor_the_log(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        exc = _failing_insert(engine)
    finally:
        engine.dispose()
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(exc)
    line = _json_log(exc)
    assert IIN not in line and IIN[-4:] not in line  # PostgreSQL's DETAIL quotes the value: left out too


def test_the_log_leaves_out_parameters_even_from_an_engine_that_shows_them(tmp_path: Path) -> None:
    plain = sa.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")  # not ours: parameters in the message
    try:
        exc = _failing_insert(plain)
    finally:
        plain.dispose()
    assert IIN in str(exc)
    line = _json_log(exc)
    assert IIN not in line and "[parameters: not logged]" in line and IIN[-4:] not in line


def test_a_refused_iin_is_named_by_field_not_by_its_digits_in_the_dead_letter_and_the_audit(client: Any) -> None:
    family = b.make_family("FAM-DIGITS", children=1)
    member = family["members"][1]
    # (Since issue 13 digits that disagree with the registry are accepted as a finding; an IIN whose
    # digits 1-6 are no date is still refused, and its message must not echo them either.)
    member["iin"] = b.impossible_iin()
    refused = client.post("/v1/events", json=b.event("family.registered", family), headers=auth("bus"))
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert any("digits 1-6 are not a date" in d["msg"] for d in detail)
    leaked = [member["iin"][:6], member["iin"][6], member["iin"]]
    reasons = json.dumps(detail) + json.dumps(client.get("/v1/audit", headers=auth("auditor")).json())
    for digits in leaked[:1] + leaked[2:]:
        assert digits not in reasons


def test_docs_load_nothing_from_outside_and_the_schema_needs_a_token(client: Any) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers and "script-src 'self'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/static/") for s in sources), sources
    assert "http" not in page.text.replace('lang="en"', "")
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100
    assert client.get("/docs/static/../../settings.py").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 401
    schema = client.get("/openapi.json", headers=auth("bus"))
    assert schema.status_code == 200 and "/v1/events" in schema.json()["paths"]


def test_docs_can_be_switched_off(client_for: Any, sqlite_url: str) -> None:
    off = client_for(sqlite_url, docs="off")
    assert off.get("/docs").status_code == 404 and off.get("/docs/static/docs.js").status_code == 404
    assert off.get("/openapi.json", headers=auth("analyst")).status_code == 200


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """A directory nobody may create files in (root ignores modes, so it is made immutable)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root and chattr +i is not supported here: cannot make a read-only directory")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_read_only_database_directory_ends_start_up_with_one_clear_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": "bus-1", "role": "bus", "token": TOKENS["bus"]}]}))
    env = {
        **os.environ,
        "FAMILYCARD_DATABASE_URL": f"sqlite:///{folder / 'familycard.db'}",
        "FAMILYCARD_TOKENS_FILE": str(tokens),
        "FAMILYCARD_RULES_DIR": str(RULES),
    }
    with _read_only(folder):
        done = _serve(env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"familycard serve: cannot open the database: the database directory {folder} is not "
        "writable (SQLite writes its journal beside the file)"
    ], done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_an_existing_database_in_a_directory_made_read_only_is_refused_the_same_way(tmp_path: Path) -> None:
    folder = tmp_path / "ro2"
    folder.mkdir()
    engine = db.create_engine(f"sqlite:///{folder / 'familycard.db'}")
    migrate.upgrade(engine)
    engine.dispose()
    env = {
        **os.environ,
        "FAMILYCARD_DATABASE_URL": f"sqlite:///{folder / 'familycard.db'}",
        "FAMILYCARD_TOKENS_FILE": str(tmp_path / "missing-tokens.json"),
    }
    with _read_only(folder):
        done = _serve(env)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "is not writable" in done.stderr and "Traceback" not in done.stderr
    env["FAMILYCARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fine.db'}"
    missing = _serve(env)  # the next problem is named as plainly: the tokens file
    assert missing.returncode == 2 and missing.stderr.strip().splitlines() == [
        f"familycard serve: {tmp_path / 'missing-tokens.json'}: cannot read the tokens file (No such file or directory)"
    ]

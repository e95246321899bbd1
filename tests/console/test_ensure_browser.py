"""`scripts/ensure_browser.py`: finds the browser, or says clearly why it cannot install it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts import ensure_browser


def test_an_executable_browser_counts_as_installed_and_a_missing_one_does_not(tmp_path: Path) -> None:
    binary = tmp_path / "chromium"
    assert not ensure_browser.installed(binary)
    binary.write_text("#!/bin/sh\n")
    assert not ensure_browser.installed(binary)  # not executable
    binary.chmod(0o755)
    assert ensure_browser.installed(binary)


def test_check_mode_reports_a_missing_browser_with_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ensure_browser, "CHROMIUM", tmp_path / "chromium")
    assert ensure_browser.main(["--check"]) == 1
    assert "is missing" in capsys.readouterr().err


def test_without_root_it_explains_what_to_run_instead_of_failing_obscurely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ensure_browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(ensure_browser, "_run", lambda command: pytest.fail(f"ran {command}"))
    assert ensure_browser.main([]) == 1
    err = capsys.readouterr().err
    assert "not running as root" in err and "apt-get install -y chromium" in err

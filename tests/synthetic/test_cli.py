"""`familycard synth` options: the format it picks, its errors, and the JSONL it writes."""

from __future__ import annotations

import argparse
import json

from engine import model
from synthetic import cli, rich
from tests.synthetic.conftest import AS_OF, synth


def test_an_out_path_ending_in_jsonl_gets_one_snapshot_per_line(tmp_path, capsys):
    out = tmp_path / "pop.jsonl"
    assert synth(out, families=500, seed=3) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 500
    snaps = [json.loads(line) for line in lines]
    for snap in snaps:
        model.Family.model_validate(snap)
    assert snaps == list(rich.generate_families(500, 3, AS_OF))
    printed = capsys.readouterr().out
    assert "families 500" in printed and "pensioners" in printed


def test_any_other_out_path_gets_a_parquet_directory(tmp_path):
    assert synth(tmp_path / "pop", families=200) == 0
    assert sorted(p.name for p in (tmp_path / "pop").iterdir()) == [
        "deceased.parquet",
        "families.parquet",
        "members.parquet",
    ]


def test_format_can_force_jsonl_for_any_name(tmp_path):
    out = tmp_path / "snapshots.txt"
    assert synth(out, families=50, fmt="jsonl") == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 50


def test_non_positive_families_and_bad_dates_are_refused_with_the_option_named(tmp_path, capsys):
    assert synth(tmp_path / "x", families=0) == 2
    assert "--families" in capsys.readouterr().err
    args = argparse.Namespace(families=5, seed=1, out=str(tmp_path / "y"), format="auto", as_of="2026-13-01")
    assert cli.synth_command(args) == 2
    assert "--as-of" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()


def test_an_existing_file_is_not_taken_for_a_parquet_directory(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("keep me", encoding="utf-8")
    assert synth(out, families=5) == 2
    assert "not a directory" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me"

"""The command line: the main job, and bad input as one clear line (exit 2), never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app

runner = CliRunner()


@pytest.fixture()
def db(tmp_path, esco_subset):
    path = tmp_path / "cli.duckdb"
    res = runner.invoke(app, ["esco", "import", str(esco_subset), "--db", str(path)])
    assert res.exit_code == 0, res.output
    return path


def one_line_error(res) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip() and not ln.startswith("✓")]
    assert len(lines) == 1, res.output  # progress lines of finished steps aside, one line: the error
    assert lines[0].startswith("error:")
    return lines[0]


def test_normalize_prints_summary_and_writes(db, tmp_path, tiny_model, eures_sample):
    out = tmp_path / "r.parquet"
    res = runner.invoke(
        app,
        [
            "normalize",
            str(eures_sample),
            "--db",
            str(db),
            "--model",
            str(tiny_model),
            "--out",
            str(out),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "matched" in res.output and "total" in res.output
    assert len(pd.read_parquet(out)) == 120


def test_missing_title_column(db, tmp_path, tiny_model):
    src = tmp_path / "no_title.csv"
    src.write_text("id,company\n1,ACME\n")
    line = one_line_error(
        runner.invoke(app, ["normalize", str(src), "--db", str(db), "--model", str(tiny_model)])
    )
    assert "no_title.csv" in line and "title" in line


def test_named_column_missing(db, tmp_path, tiny_model):
    src = tmp_path / "p.csv"
    src.write_text("id,title\n1,nurse\n")
    line = one_line_error(
        runner.invoke(
            app,
            ["normalize", str(src), "--db", str(db), "--model", str(tiny_model), "--title-col", "jobtitle"],
        )
    )
    assert "jobtitle" in line


def test_missing_file(db, tmp_path, tiny_model):
    line = one_line_error(
        runner.invoke(
            app, ["normalize", str(tmp_path / "nope.csv"), "--db", str(db), "--model", str(tiny_model)]
        )
    )
    assert "nope.csv" in line


def test_esco_folder_without_occupations(tmp_path):
    (tmp_path / "esco").mkdir()
    (tmp_path / "esco" / "readme.txt").write_text("not ESCO")
    line = one_line_error(
        runner.invoke(app, ["esco", "import", str(tmp_path / "esco"), "--db", str(tmp_path / "x.duckdb")])
    )
    assert "esco" in line


def test_model_folder_missing(db, eures_sample, tmp_path):
    line = one_line_error(
        runner.invoke(
            app, ["normalize", str(eures_sample), "--db", str(db), "--model", str(tmp_path / "no_model")]
        )
    )
    assert "no_model" in line


def test_store_without_esco(tmp_path, tiny_model, eures_sample):
    line = one_line_error(
        runner.invoke(
            app,
            ["normalize", str(eures_sample), "--db", str(tmp_path / "e.duckdb"), "--model", str(tiny_model)],
        )
    )
    assert "esco import" in line

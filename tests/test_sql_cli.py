"""`jobmarket sql` (formats, the shell) and `jobmarket search` on the small store."""

from __future__ import annotations

import io
import json
import shutil

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.cli.shell import repl
from jobmarket.market import Market

runner = CliRunner()
COUNTS = "SELECT status, count(*) AS n FROM posting_occupations GROUP BY 1 ORDER BY 1"


def invoke(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_sql_formats(small_store, tmp_path):
    db = str(small_store)
    res = invoke("sql", COUNTS, "--db", db, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(io.StringIO(res.stdout))["n"].sum() == 120
    res = invoke("sql", COUNTS, "--db", db, "--format", "json")
    assert sum(r["n"] for r in json.loads(res.stdout)) == 120
    out = tmp_path / "r.parquet"
    assert invoke("sql", COUNTS, "--db", db, "--format", "parquet", "--out", str(out)).exit_code == 0
    assert pd.read_parquet(out)["n"].sum() == 120
    res = invoke("sql", "SELECT count(*) AS n_titles FROM titles", "--db", db)
    with Market.open(small_store, model=None, read_only=True) as m:
        n = m.sql("SELECT count(*) AS n FROM titles")["n"][0]
    assert res.exit_code == 0 and "n_titles" in res.stdout and str(n) in res.stdout


def test_sql_user_errors_are_one_line(small_store):
    res = invoke("sql", COUNTS, "--db", str(small_store), "--format", "parquet")
    assert res.exit_code == 2 and "needs --out" in res.output
    res = invoke("sql", "SELECT * FROM no_such_table", "--db", str(small_store))
    assert res.exit_code == 2 and "no_such_table" in res.output and "Traceback" not in res.output
    res = invoke("sql", "DELETE FROM titles", "--db", str(small_store))
    assert res.exit_code == 2 and "read-only" in res.output


def test_wrong_model_vector_fails_in_cli(small_store, tiny_router_model, tmp_path):
    db = tmp_path / "copy.duckdb"  # a file no other connection of this process has open
    shutil.copy(small_store, db)
    res = invoke("sql", "SELECT * FROM similar_titles(embed('welder'), 3)", "--db", str(db),
                 "--model", str(tiny_router_model))
    assert res.exit_code == 2 and "the store's embeddings come from model" in res.output


def test_search_titles_and_occupations(small_store):
    with Market.open(small_store, model=None, read_only=True) as m:
        title = m.sql("SELECT title_clean FROM titles ORDER BY n_postings DESC, title_id LIMIT 1")
        title = title["title_clean"][0]
    # No --model: the store's own model (recorded at normalize) is used.
    res = invoke("search", title, "--db", str(small_store), "--k", "3")
    assert res.exit_code == 0, res.output
    assert title[:20] in res.stdout and "3 rows" in res.stdout
    res = invoke("search", "software developer", "--db", str(small_store), "--what", "occupations",
                 "--k", "2")
    assert res.exit_code == 0 and "2512" in res.stdout and "exact" in res.stdout


def test_shell(small_store):
    console = Console(record=True, width=200, file=io.StringIO())
    with Market.open(small_store, model=None, read_only=True) as m:
        failures = repl(m, console, lines=[
            ".tables", "SELECT count(*) AS n_rows", "FROM posting_occupations;", ".schema titles",
            ".lang de", "SELECT occupation FROM occupation_isco WHERE isco_code = '2512' ORDER BY 1 LIMIT 1;",
            "SELECT * FROM nope;", ".bogus", ".quit", "SELECT 'after quit';",
        ])
    text = console.export_text()
    assert failures == 2
    assert "posting_occupations" in text and "similar_titles" in text and "table macro" in text
    assert "120" in text and "embedding" in text and "FLOAT[32]" in text  # typed to the model (tiny: 32-d)
    assert "entwickler" in text.lower() and "nope" in text and "unknown command .bogus" in text
    assert "after quit" not in text


def test_shell_from_cli(small_store):
    res = invoke("sql", "--db", str(small_store), input="SELECT 42 AS answer;\n.quit\n")
    assert res.exit_code == 0 and "42" in res.stdout and "read-only" in res.stdout


@pytest.mark.parametrize("fmt", ["xml"])
def test_unknown_format(small_store, fmt):
    res = invoke("sql", "SELECT 1", "--db", str(small_store), "--format", fmt)
    assert res.exit_code == 2 and "--format must be one of" in res.output

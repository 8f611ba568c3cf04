"""Reruns and changed files: the same input is idempotent; a changed file is a new run that says which
current run of the same path it supersedes, and `--replace` deletes that run in the same transaction."""

from __future__ import annotations

from typer.testing import CliRunner

from jobmarket.cli.app import app
from tests.procs import esco_store, postings_file

runner = CliRunner()


def normalize(src, db, model, *args):
    res = runner.invoke(app, ["normalize", str(src), "--db", str(db), "--model", str(model), "--no-progress",
                              *args])
    assert res.exit_code == 0, res.output
    return res.output


def runs(db):
    from jobmarket.store import connection as store

    con = store.connect(db, read_only=True)
    try:
        return con.execute("SELECT r.run_id, (SELECT count(*) FROM assignments a WHERE a.run_id = r.run_id) "
                           "FROM runs r ORDER BY started").fetchall()
    finally:
        con.close()


def test_same_file_rerun_is_idempotent_and_changed_file_supersedes(tmp_path, esco_subset, tiny_model):
    db = esco_store(tmp_path / "c.duckdb", esco_subset, tiny_model)
    src = postings_file(tmp_path / "postings.csv", 30)
    first_out = normalize(src, db, tiny_model)
    assert "supersedes" not in first_out
    [(first, n1)] = runs(db)
    assert n1 == 30
    assert "supersedes" not in normalize(src, db, tiny_model)  # same sha: same run, replaced in place
    assert runs(db) == [(first, 30)]

    postings_file(src, 40, seed=3)  # the file changes under the same path
    out = normalize(src, db, tiny_model)
    assert f"supersedes run {first}" in " ".join(out.split())
    assert "stays in the store as history" in " ".join(out.split())
    (r1, _), (second, n2) = runs(db)
    assert r1 == first and second != first and n2 == 40

    postings_file(src, 25, seed=5)
    out = " ".join(normalize(src, db, tiny_model, "--replace").split())
    # Only the current run of the path is superseded (the first is already history), and deleted.
    assert f"replaces run {second}" in out and "were deleted" in out
    (r1, _), (third, n3) = runs(db)
    assert r1 == first
    assert third not in (first, second) and n3 == 25

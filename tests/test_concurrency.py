"""Readers while a normalize run writes, with a real writer subprocess: DuckDB allows one writing process
and no readers from other processes while it writes, so a reader gets one clear "store busy" line (or,
waiting long enough, the last committed state), never a crash or a damaged file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.market import Market
from jobmarket.store import connection as store
from jobmarket.store.connection import StoreBusyError
from tests.procs import esco_store, postings_file, start_normalize

runner = CliRunner()
N_ROWS = 40


def wait_paused(proc, step: str) -> None:
    """Read the writer's stderr until it says it holds at ``step`` (it then holds the store's lock)."""
    for line in proc.stderr:
        if f"paused at {step}" in line:
            return
    proc.wait()
    pytest.fail(f"writer ended (rc {proc.returncode}) before pausing at {step}")


@pytest.fixture()
def setup(tmp_path, esco_subset, tiny_model):
    db = esco_store(tmp_path / "conc.duckdb", esco_subset, tiny_model)
    return db, postings_file(tmp_path / "postings.csv", N_ROWS), tiny_model


def test_readers_get_store_busy_while_normalize_writes(setup, monkeypatch):
    db, src, model = setup
    writer = start_normalize(src, db, model, pause_at="write", pause_s=20)
    try:
        wait_paused(writer, "write")  # inside the run's transaction
        with pytest.raises(StoreBusyError, match="is busy"):
            store.connect(db, read_only=True, retry_s=0.3)
        with pytest.raises(StoreBusyError):
            Market.open(db, read_only=True)  # the API, as the dashboard's Market opens it
        monkeypatch.setenv("JOBMARKET_BUSY_WAIT_S", "0.3")
        res = runner.invoke(app, ["sql", "SELECT count(*) FROM assignments", "--db", str(db)])
        assert res.exit_code == 2 and "Traceback" not in res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: store") and "is busy" in lines[0]
        # A second writer waits its JOBMARKET_WRITE_WAIT_S, then is refused the same way.
        monkeypatch.setenv("JOBMARKET_WRITE_WAIT_S", "0.3")
        with pytest.raises(StoreBusyError):
            Market.open(db)
        assert writer.poll() is None  # the writer was not disturbed
    finally:
        _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err[-2000:]
    # After the writer: the committed run, whole, and the file is fine.
    res = runner.invoke(app, ["sql", "SELECT status, count(*) AS n FROM assignments GROUP BY ALL",
                              "--db", str(db), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert sum(int(line.rsplit(",", 1)[1]) for line in res.output.strip().splitlines()[1:]) == N_ROWS


def test_dashboard_reader_says_busy(setup):
    pytest.importorskip("streamlit")
    from jobmarket.dashboard import data

    db, src, model = setup
    writer = start_normalize(src, db, model, pause_at="write", pause_s=15)
    try:
        wait_paused(writer, "write")  # only the write holds the lock
        with pytest.raises(StoreBusyError), data.connect(str(db)):
            pass
    finally:
        writer.communicate(timeout=300)
    assert writer.returncode == 0


def test_a_waiting_reader_gets_the_committed_run(setup):
    db, src, model = setup
    writer = start_normalize(src, db, model, pause_at="write", pause_s=2)
    try:
        wait_paused(writer, "write")
        con = store.connect(db, read_only=True, retry_s=300)  # waits with backoff for the lock
        try:
            rows = con.execute("SELECT r.status, count(a.posting_id) FROM runs r "
                               "LEFT JOIN assignments a USING (run_id) GROUP BY ALL").fetchall()
        finally:
            con.close()
    finally:
        writer.communicate(timeout=300)
    assert rows == [("finished", N_ROWS)]


def test_dashboard_queries_and_search_while_normalize_writes(setup, tmp_path):
    """The dashboard's queries, search included, while a normalize run matches and then writes: every
    query answers (a run locks the store only for its short write) and the run finishes."""
    pytest.importorskip("streamlit")
    import time

    from jobmarket.dashboard import data
    from tests.procs import run_normalize

    db, src, model = setup
    assert run_normalize(src, db, model).returncode == 0  # something to show
    other = postings_file(tmp_path / "week2.csv", N_ROWS + 5, seed=4)
    names = ["store_facts", "countries", "totals", "by_country_status", "by_language", "isco_by_country"]
    filters = (("countries", None), ("d0", None), ("d1", None), ("isco", None))

    def read_all(stamp: float) -> None:
        for name in names:
            assert len(data.query(str(db), stamp, "en", name, filters)) >= 1
        assert len(data.search(str(db), str(model), stamp, "en", "accountant", "occupations", 3)) == 3
        assert len(data.search(str(db), str(model), stamp, "en", "accountant", "titles", 3)) >= 1

    writer = start_normalize(other, db, model, pause_at="match", pause_s=4)
    try:
        wait_paused(writer, "match")  # the run holds no lock while it matches
        read_all(1.0)
        n = 0
        while writer.poll() is None:  # through its write: readers wait for the short transaction
            read_all(2.0 + n)
            n += 1
            time.sleep(0.05)
    finally:
        _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err[-2000:]
    facts = data.query(str(db), time.time(), "en", "store_facts")
    assert int(facts["n_postings"][0]) == N_ROWS * 2 + 5  # two files, each counted once

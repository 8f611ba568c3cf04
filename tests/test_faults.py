"""Crash safety: a normalize run killed with SIGKILL at any point leaves the store as it was (no half-written
run visible to a reader), and the rerun finishes with exactly one assignment per input row.

Real subprocesses (`python -m jobmarket normalize`) with the tiny model and the real ESCO subset; the run is
killed at named step boundaries (a checkpoint hook that only tests install: tests/fault_hook.py) and at
random times.
"""

from __future__ import annotations

import random
import signal
import time

import pytest

from jobmarket.store import connection as store
from tests.procs import esco_store, postings_file, run_normalize, start_normalize

N_ROWS = 90


@pytest.fixture()
def setup(tmp_path, esco_subset, tiny_model):
    db = esco_store(tmp_path / "faults.duckdb", esco_subset, tiny_model)
    src = postings_file(tmp_path / "postings.csv", N_ROWS)
    return db, src, tiny_model


def snapshot(db) -> dict:
    """What a reader sees: runs with their status, and per run its postings, assignments and duplicates."""
    con = store.connect(db, read_only=True)
    try:
        runs = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
        per_run = {r: con.execute(
            "SELECT (SELECT count(*) FROM postings WHERE run_id = $r), "
            "(SELECT count(*) FROM assignments WHERE run_id = $r), "
            "(SELECT count(*) - count(DISTINCT posting_id) FROM assignments WHERE run_id = $r)",
            {"r": r}).fetchall()[0] for r in runs}
        orphans = con.execute("SELECT count(*) FROM assignments WHERE run_id NOT IN (SELECT run_id FROM runs)"
                              ).fetchall()[0][0]
    finally:
        con.close()
    return {"runs": runs, "per_run": per_run, "orphans": orphans}


def assert_whole(snap: dict, n_rows: int) -> None:
    """Every visible run is finished and complete: one assignment per input row, no duplicates."""
    assert snap["orphans"] == 0
    for run_id, status in snap["runs"].items():
        assert status == "finished", f"run {run_id} visible while {status}"
        assert snap["per_run"][run_id] == (n_rows, n_rows, 0)


def test_killed_at_each_step_leaves_nothing_then_rerun_completes(setup):
    db, src, model = setup
    for step in ("read", "titles", "match", "write"):
        killed = run_normalize(src, db, model, kill_at=step)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        snap = snapshot(db)  # a reader between the kill and the rerun
        assert snap["runs"] == {} and snap["orphans"] == 0, step
    done = run_normalize(src, db, model)
    assert done.returncode == 0, done.stderr[-2000:]
    snap = snapshot(db)
    assert len(snap["runs"]) == 1
    assert_whole(snap, N_ROWS)


def test_kill_while_rewriting_a_run_keeps_the_committed_one(setup):
    """A rerun of the same run deletes its old rows inside the transaction; killed before COMMIT, the
    reader still sees the previous committed run, whole."""
    db, src, model = setup
    assert run_normalize(src, db, model).returncode == 0
    before = snapshot(db)
    assert_whole(before, N_ROWS)
    killed = run_normalize(src, db, model, kill_at="write")
    assert killed.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    killed = run_normalize(src, db, model, kill_at="commit")  # after COMMIT: the run stands
    assert killed.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    assert run_normalize(src, db, model).returncode == 0
    assert snapshot(db) == before  # idempotent


@pytest.mark.slow  # four subprocesses, ~1 minute on 2 shared cores
def test_random_time_kills_then_rerun(setup):
    db, src, model = setup
    rng = random.Random(7)
    for _ in range(3):
        proc = start_normalize(src, db, model)
        time.sleep(rng.uniform(0.5, 8.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert_whole(snapshot(db), N_ROWS)  # nothing, or a whole run if it got that far
    done = run_normalize(src, db, model)
    assert done.returncode == 0, done.stderr[-2000:]
    snap = snapshot(db)
    assert len(snap["runs"]) == 1
    assert_whole(snap, N_ROWS)

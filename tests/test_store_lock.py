"""A reader while another process writes: DuckDB allows one writer process, so a read-only open waits
with backoff and then says the store is busy, in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobmarket.store import connection as store
from jobmarket.store.connection import StoreBusyError

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold_write_lock(db, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "busy.duckdb"
    store.connect(path).close()
    return path


def test_reader_gets_store_busy_while_another_process_writes(db):
    writer = hold_write_lock(db, 30)
    try:
        with pytest.raises(StoreBusyError, match="is busy: another jobmarket process is writing"):
            store.connect(db, read_only=True, retry_s=0.6)
        with pytest.raises(StoreBusyError):
            store.connect(db, retry_s=0.6)  # a second writer waits (JOBMARKET_WRITE_WAIT_S), then says so
    finally:
        writer.kill()
        writer.wait()


def test_reader_retries_until_the_writer_finishes(db):
    writer = hold_write_lock(db, 1.5)
    try:
        con = store.connect(db, read_only=True, retry_s=30)
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM posting_occupations").fetchall() == [(0,)]
        con.close()
    finally:
        writer.wait(timeout=30)

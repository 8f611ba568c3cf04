"""A run's private DuckDB: the long work happens here, the store is locked only while it is used.

DuckDB allows one writing process per file and no readers from other processes while it writes. A run
therefore reads, cleans and matches in its own in-memory database (spilling to a private temp folder),
attaches the store read-only only for the moments it reads ESCO, the model binding or the embedding
cache, and read-write only for its one write transaction. Readers (the dashboard, ``jobmarket sql``)
wait for that short write; the run's write waits, with backoff, for their short reads.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from jobmarket.errors import JobmarketError
from jobmarket.store.connection import MAX_BACKOFF_S, StoreBusyError, _duckdb_config, write_wait_s
from jobmarket.store.transaction import transaction

ALIAS = "store"


class Workspace:
    """``with Workspace(db) as ws``: ``ws.con`` is private; ``with ws.reading():`` / ``ws.writing():``
    attach the store (as the default catalog, so the store's SQL runs unchanged beside the TEMP tables)."""

    def __init__(self, db: str | Path) -> None:
        self.db = str(Path(db).resolve())
        if not Path(self.db).exists():
            raise JobmarketError(f"store {db} does not exist")
        self._tmp = tempfile.TemporaryDirectory(prefix="jobmarket-run-")
        self.con = duckdb.connect(":memory:", config={"temp_directory": self._tmp.name, **_duckdb_config()})
        self._mode: str | None = None

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The store attached read-only (re-entrant: inside reading() or writing() it is already there)."""
        if self._mode is not None:
            yield self.con
            return
        self._attach(read_only=True)
        try:
            yield self.con
        finally:
            self._detach()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The store attached read-write, in one transaction: committed when the block ends, else rolled
        back."""
        if self._mode is not None:
            raise JobmarketError("a run writes the store once, outside its reads")
        self._attach(read_only=False)
        try:
            with transaction(self.con):
                yield self.con
        finally:
            self._detach()

    def _attach(self, read_only: bool) -> None:
        wait = float(os.environ.get("JOBMARKET_BUSY_WAIT_S", "10")) if read_only else write_wait_s()
        deadline = time.monotonic() + wait
        delay = 0.05
        quoted = self.db.replace("'", "''")
        mode = " (READ_ONLY)" if read_only else ""
        while True:
            try:
                self.con.execute(f"ATTACH '{quoted}' AS {ALIAS}{mode}")
                break
            except duckdb.Error as exc:
                text = str(exc).lower()
                if "lock" not in text:
                    raise JobmarketError(f"cannot open store {self.db}: {str(exc).splitlines()[0]}") from exc
                if time.monotonic() + delay > deadline:
                    raise StoreBusyError(f"store {self.db} is busy: another jobmarket process is writing to "
                                         "it; retry when it finishes") from exc
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
        self.con.execute(f"USE {ALIAS}")
        self._mode = "read" if read_only else "write"

    def _detach(self) -> None:
        self.con.execute("USE memory")
        self.con.execute(f"DETACH {ALIAS}")
        self._mode = None

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

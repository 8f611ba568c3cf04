"""Opening the DuckDB store (created and migrated on first use), and its key-value metadata."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from jobmarket.errors import JobmarketError
from jobmarket.store.meta import esco_versions, get_meta, set_meta  # noqa: F401 - store.get_meta(...)

DEFAULT_DB = "market.duckdb"


class StoreBusyError(JobmarketError):
    """Another process holds the store's write lock."""


# Short steps between tries: a reader's query leaves the file free only for moments.
MAX_BACKOFF_S = 0.25


def write_wait_s() -> float:
    """How long a writer waits for readers to let go (``JOBMARKET_WRITE_WAIT_S``, default 120 s): longer
    than a reader waits, since giving up throws away a run's work."""
    return float(os.environ.get("JOBMARKET_WRITE_WAIT_S", "120"))


def connect(
    path: str | Path = DEFAULT_DB, read_only: bool = False, retry_s: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create and migrate) a store, with its views and macros.

    DuckDB allows one writing process, and no writer while readers hold the file; an open that finds the
    lock taken is retried with backoff for ``retry_s`` seconds (readers: ``JOBMARKET_BUSY_WAIT_S``, 10 s;
    writers: ``JOBMARKET_WRITE_WAIT_S``, 120 s, since readers such as the dashboard hold the file only
    for a query), then a busy store gives :class:`StoreBusyError`: one clear line instead of a crash.
    """
    import time

    from jobmarket.store import objects as sqlobjects
    from jobmarket.store import schema as migrations

    path = str(path)
    if read_only and path != ":memory:" and not Path(path).exists():
        raise JobmarketError(f"store {path} does not exist: run `jobmarket normalize` first")
    if retry_s is None:
        retry_s = float(os.environ.get("JOBMARKET_BUSY_WAIT_S", "10")) if read_only else write_wait_s()
    deadline = time.monotonic() + retry_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only, config=_duckdb_config())
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise JobmarketError(f"cannot open store {path}: {exc}") from exc
            if time.monotonic() + delay > deadline:
                raise StoreBusyError(
                    f"store {path} is busy: another jobmarket process is writing to it; "
                    "retry when it finishes"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
    try:
        if read_only:
            migrations.check_readable(con, db=path)
        else:
            apply_schema(con, db=path)
        sqlobjects.install(con, read_only=read_only)
    except BaseException:
        con.close()
        raise
    return con


def _duckdb_config() -> dict[str, str]:
    """JOBMARKET_DUCKDB_MEMORY (e.g. ``2GB``) caps DuckDB's memory; beyond it DuckDB spills to disk."""
    limit = os.environ.get("JOBMARKET_DUCKDB_MEMORY")
    return {"memory_limit": limit} if limit else {}


def apply_schema(
    con: duckdb.DuckDBPyConnection, migrations_dir: Path | None = None, db: str = "the store"
) -> None:
    """The v1 base, every ``sql/schema_*.sql``, then the migrations the store has not had yet."""
    from jobmarket.store import schema as migrations

    migrations.upgrade(con, migrations_dir, db=db)

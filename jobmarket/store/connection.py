"""The DuckDB store: schema, connections, the embedding cache and run bookkeeping."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections

SCHEMA_VERSION = 1  # what sql/schema.sql creates; migrations.code_version() is the current version
DEFAULT_DB = "market.duckdb"
RUN_TABLES = ("assignments", "assignment_candidates", "postings")


class StoreBusyError(JobmarketError):
    """Another process holds the store's write lock."""


def connect(
    path: str | Path = DEFAULT_DB, read_only: bool = False, retry_s: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create and migrate) a store, with its views and macros.

    DuckDB allows one writing process; a read-only open while another process writes is retried with
    backoff for ``retry_s`` seconds (default 10 for read-only, 0 for read-write), then a busy store
    gives :class:`StoreBusyError`: one clear line instead of a crash.
    """
    import time

    from jobmarket.store import objects as sqlobjects
    from jobmarket.store import schema as migrations

    path = str(path)
    if read_only and path != ":memory:" and not Path(path).exists():
        raise JobmarketError(f"store {path} does not exist: run `jobmarket normalize` first")
    if retry_s is None:  # JOBMARKET_BUSY_WAIT_S: how long readers wait for a writer (default 10 s)
        retry_s = float(os.environ.get("JOBMARKET_BUSY_WAIT_S", "10")) if read_only else 0.0
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
            delay = min(delay * 2, 1.0)
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


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute(sql_sections("store.sql")["meta_get"], [key]).fetchall()
    return rows[0][0] if rows else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(sql_sections("store.sql")["meta_set"], [key, value])


def esco_versions(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql_sections("store.sql")["esco_versions"]).fetchall()[0][0]


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    command: str,
    *,
    source_file: str | None,
    source_sha256: str | None,
    model_id: str | None,
    model_dim: int | None,
    params: dict,
) -> None:
    """Record a run as started and drop any rows a previous attempt of the same run left.

    Call inside the transaction that writes the run's rows, so readers never see a half-written run.
    """
    sections = sql_sections("store.sql")
    for table in RUN_TABLES:
        con.execute(sections["delete_run"].format(table=table), [run_id])
    con.execute(
        sections["run_start"],
        [run_id, command, source_file, source_sha256, model_id, model_dim, esco_versions(con),
         json.dumps(params, sort_keys=True, default=str)],
    )


def delete_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Delete a run and its rows (inside the caller's transaction, as ``--replace`` does)."""
    sections = sql_sections("store.sql")
    for table in (*RUN_TABLES, "posting_skills"):  # fixed names, never user text
        con.execute(sections["delete_run"].format(table=table), [run_id])
    con.execute(sections["run_delete"], [run_id])


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, counts: dict) -> None:
    con.execute(sql_sections("store.sql")["run_finish"], [json.dumps(counts), run_id])


class DuckEmbeddingStore:
    """The embedding cache kept in the store, so a second file reuses the first file's work."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def get(self, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {}
        cur = self.con.cursor()
        cur.register("_cache_query", pa.table({"text": pa.array(list(texts), pa.string())}))
        try:
            query = sql_sections("store.sql")["cache_lookup"]
            tbl = cur.sql(query, params=[model_id, route]).to_arrow_table()
        finally:
            cur.unregister("_cache_query")
            cur.close()
        if tbl.num_rows == 0:
            return {}
        emb = tbl.column("embedding").combine_chunks()
        dim = len(emb[0])
        matrix = np.asarray(emb.flatten(), dtype=np.float32).reshape(-1, dim)
        return dict(zip(tbl.column("text").to_pylist(), matrix, strict=True))

    def put(self, model_id: str, route: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        if not len(texts):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        emb = pa.ListArray.from_arrays(
            pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32)),
            pa.array(vectors.ravel()),
        )
        cur = self.con.cursor()
        cur.register("_cache_new", pa.table({"text": pa.array(list(texts), pa.string()), "embedding": emb}))
        try:
            cur.execute(sql_sections("store.sql")["cache_insert"], [model_id, route, model_id, route])
        finally:
            cur.unregister("_cache_new")
            cur.close()

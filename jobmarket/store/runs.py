"""Run bookkeeping: a run is recorded, its rows replaced, and finished, inside the caller's transaction."""

from __future__ import annotations

import json

import duckdb

from jobmarket.sql import sql_sections
from jobmarket.store.connection import esco_versions

RUN_TABLES = ("assignments", "assignment_candidates", "postings")


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

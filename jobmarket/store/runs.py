"""Run bookkeeping: a run is recorded, its rows replaced, and finished, inside the caller's transaction."""

from __future__ import annotations

import json

import duckdb

from jobmarket.sql import sql_sections
from jobmarket.store.meta import esco_versions

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


def list_runs(con: duckdb.DuckDBPyConnection):
    """Every run, newest first, with ``current`` (counted by the views) and its supersession links."""
    return con.execute(sql_sections("current.sql")["runs_list"]).fetch_df()


def resolve_run_id(con: duckdb.DuckDBPyConnection, prefix: str) -> str:
    """The run whose id is ``prefix`` or starts with it; unknown or ambiguous prefixes say so."""
    from jobmarket.errors import JobmarketError

    query = sql_sections("current.sql")["run_ids_like"]
    ids = [r for (r,) in con.execute(query, [prefix.strip()]).fetchall()]
    if prefix.strip() in ids:
        return prefix.strip()
    if not ids:
        raise JobmarketError(f"no run {prefix} in the store: `jobmarket runs list` shows them")
    if len(ids) > 1:
        raise JobmarketError(f"run id {prefix} is ambiguous ({', '.join(ids[:3])}…): give more of it")
    return ids[0]


def run_info(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    """One run's row of ``runs`` as a dict, with ``current`` and its number of postings."""
    run_id = resolve_run_id(con, run_id)
    row = list_runs(con).set_index("run_id").loc[run_id]
    full = con.execute(sql_sections("current.sql")["run_row"], [run_id]).fetch_df().iloc[0].to_dict()
    for key in ("params", "counts"):
        if isinstance(full.get(key), str):
            full[key] = json.loads(full[key])
    supersedes = full.get("supersedes")
    full["supersedes"] = list(supersedes) if supersedes is not None else []
    return {**full, "current": bool(row["current"]), "n_postings": int(row["n_postings"])}

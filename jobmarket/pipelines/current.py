"""Keep what counts postings in step with the current runs (``views.sql``: ``current_runs``).

Views follow the current runs by themselves; a few tables store counts for speed or because they are
the output of a model run: ``titles.n_postings``, the postings side of ``skill_profiles``, and the sizes,
country and language mixes of ``clusters``. :func:`refresh` recomputes them, and is called inside every
write transaction that changes which runs are current (a normalize run, ``jobmarket runs delete``), so a
reader never sees counts of another set of runs than the views show.
"""

from __future__ import annotations

import duckdb

from jobmarket.sql import sql_sections
from jobmarket.store import connection as store


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the stored counts from the current postings (inside the caller's transaction)."""
    sections = sql_sections("current.sql")
    con.execute(sections["refresh_title_counts"])
    if con.execute(sections["has_profiles"]).fetchall()[0][0]:
        from jobmarket.pipelines.skills import build_profiles

        # The model's own rows (occupation title vs skill) do not count postings: kept as they are.
        model_rank = con.execute(sections["model_profile_rows"]).fetch_df()
        build_profiles(con, model_rank)
    current = con.execute(sections["current_cluster_run"]).fetchall()
    if current:
        lang = store.get_meta(con, "cluster_lang") or None
        cluster = sql_sections("cluster.sql")
        con.execute(cluster["clear_clusters"])
        con.execute(cluster["insert_clusters"], [current[0][0], lang, lang or "en"])


def delete_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    """Delete a run, its rows and the skills runs made from it, in one transaction; the runs it
    superseded go to the run that superseded it (current again if it was current), and counts follow."""
    from jobmarket.store import runs
    from jobmarket.store.transaction import transaction

    sections = sql_sections("current.sql")
    with transaction(con):
        n_postings = con.execute("SELECT count(*) FROM postings WHERE run_id = ?", [run_id]).fetchall()[0][0]
        by = con.execute("SELECT superseded_by FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
        derived = [r for (r,) in con.execute(sections["runs_of_source"], [run_id]).fetchall()]
        for other in derived:
            runs.delete_run(con, other)
        runs.delete_run(con, run_id)
        restored = [r for (r,) in con.execute(
            "SELECT run_id FROM runs WHERE superseded_by = ? ORDER BY run_id", [run_id]).fetchall()]
        con.execute(sections["restore_superseded"], {"by": by, "run": run_id})
        refresh(con)
    return {"run_id": run_id, "postings": int(n_postings), "skills_runs": derived,
            "current_again": restored if by is None else [], "superseded_by": by}

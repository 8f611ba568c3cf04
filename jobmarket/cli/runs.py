"""`jobmarket runs list|show|delete`: the store's runs, which of them are current, and their history."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from jobmarket.cli._common import Db, err, one_line_errors, out
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def runs_list(
    db: Db = DEFAULT_DB,
    all_commands: Annotated[bool, typer.Option("--all", help="Also skills runs.")] = False,
) -> None:
    """Every normalize run, newest first: current ones are what the views count; superseded ones are
    history."""
    from jobmarket.market import Market

    with Market.open(db, read_only=True) as market:
        df = market.runs()
    if not all_commands:
        df = df[df["command"] == "normalize"]
    t = Table(title=f"runs of {db}")
    t.add_column("run", no_wrap=True, min_width=16)  # ids are what `runs show/delete` take: never cut
    for c in ("command", "source", "status", "current", "superseded by", "postings", "finished"):
        t.add_column(c, justify="right" if c == "postings" else "left", overflow="fold")
    for r in df.itertuples(index=False):
        t.add_row(r.run_id, r.command, _text(r.source), r.status, "yes" if r.current else "no",
                  _text(r.superseded_by), f"{int(r.n_postings):,}", _text(r.finished))
    out.print(t)


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


@one_line_errors
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id, or a unique prefix of one.")],
    db: Db = DEFAULT_DB,
) -> None:
    """One run: source, model, parameters, counts, and what it superseded or was superseded by."""
    from jobmarket.market import Market

    with Market.open(db, read_only=True) as market:
        info = market.run(run_id)
    for key in ("run_id", "command", "source_file", "source_path", "source_sha256", "status", "current",
                "started", "finished", "model_id", "esco_versions", "supersedes", "superseded_by",
                "n_postings", "counts", "params"):
        out.print(f"{key}: {info.get(key)}", highlight=False, soft_wrap=True)


@one_line_errors
def runs_delete(
    run_id: Annotated[str, typer.Argument(help="A run id, or a unique prefix of one.")],
    db: Db = DEFAULT_DB,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a run and its rows in one transaction; the runs it superseded become current again."""
    from jobmarket.market import Market

    with Market.open(db) as market:
        info = market.run(run_id)
        if not yes:
            typer.confirm(f"delete run {info['run_id']} ({info['n_postings']:,} postings of "
                          f"{info.get('source_file')})?", abort=True)
        done = market.delete_run(info["run_id"])
    again = ", ".join(done["current_again"]) or "none"
    err.print(f"deleted run {done['run_id']} ({done['postings']:,} postings); current again: {again}",
              highlight=False)

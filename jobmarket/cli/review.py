"""`jobmarket review export`: the titles most worth a coder's time, as a file to fill in and import back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jobmarket.cli._common import Db, one_line_errors, out
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def review_export(
    result: Annotated[Path, typer.Option("--out", help="File to write: .csv, .tsv or .parquet.")],
    db: Db = DEFAULT_DB,
    status: Annotated[str, typer.Option(help="Which assignments: abstained | matched | all.")] = "abstained",
    order: Annotated[str, typer.Option(help="uncertainty (least confident first) | postings (most first).")]
    = "uncertainty",
    limit: Annotated[int | None, typer.Option(help="At most this many titles (default: all).")] = None,
    lang: Annotated[str, typer.Option(help="Language of the candidate labels (English where missing).")]
    = "en",
    country: Annotated[list[str] | None, typer.Option(help="Only these countries' postings.")] = None,
    include_coded: Annotated[bool, typer.Option(help="Keep titles the coding index already holds.")]
    = False,
) -> None:
    """Write the review queue: one row per title, country and language of the current runs, with its
    postings, top-5 candidates and an empty `answer` column; fill it in, then `jobmarket codes import`."""
    from jobmarket.market import Market

    with Market.open(db, model=None, read_only=True) as market:
        done = market.export_review(result, status=status, order=order, limit=limit, lang=lang,
                                    countries=country or None, include_coded=include_coded)
    out.print(f"{done.n_titles:,} titles ({done.n_postings:,} postings, {done.status}, by {done.order}) "
              f"written to {done.path}; fill in the answer column (an ESCO URI, code or label), then "
              f"`jobmarket codes import {done.path} --db {db}`", highlight=False, soft_wrap=True)

"""`jobmarket codes ...`: the coding index (titles coded by hand) the matcher learns from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jobmarket.cli._common import Db, err, one_line_errors, out
from jobmarket.store.connection import DEFAULT_DB

MAX_REJECTS_SHOWN = 20


@one_line_errors
def codes_import(
    file: Annotated[Path, typer.Argument(help="Coded titles: CSV, TSV, Parquet or JSONL.")],
    db: Db = DEFAULT_DB,
    title_col: Annotated[str | None, typer.Option(help="Title column (auto-detected).")] = None,
    occupation_col: Annotated[
        str | None, typer.Option(help="Occupation column: ESCO URI or ESCO code like 2512.4 (auto-detected).")
    ] = None,
    lang_col: Annotated[str | None, typer.Option(help="Language column (auto-detected).")] = None,
    country_col: Annotated[str | None, typer.Option(help="Country column (auto-detected).")] = None,
    lang: Annotated[
        str | None, typer.Option(help="Language of every title (else the column, else detected).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Name the rows are kept under (default: file name); "
            "a changed file under the same source replaces it."
        ),
    ] = None,
) -> None:
    """Import hand-coded titles into the store's coding index; bad rows are listed and kept as rejects."""
    from jobmarket.market import Market

    with Market.open(db, model=None) as market:
        rep = market.import_codes(
            file,
            title_col=title_col,
            occupation_col=occupation_col,
            lang_col=lang_col,
            country_col=country_col,
            lang=lang,
            source=source,
        )
    if rep.unchanged:
        out.print(
            f"{file}: already imported as source {rep.source!r} (same content): nothing changed",
            highlight=False,
            soft_wrap=True,
        )
    else:
        extra = f", replacing {rep.replaced:,} earlier coded titles" if rep.replaced else ""
        out.print(
            f"{file}: {rep.n_rows:,} rows → {rep.n_coded:,} coded titles, {rep.n_rejected:,} rejected "
            f"(source {rep.source!r}{extra}); coding index version {rep.index_version}",
            highlight=False,
            soft_wrap=True,
        )
    if len(rep.rejects):
        shown = "" if len(rep.rejects) <= MAX_REJECTS_SHOWN else f", the first {MAX_REJECTS_SHOWN}"
        t = Table(title=f"rejected rows (kept in code_rejects{shown})")
        for c in ("row", "column", "value", "reason"):
            t.add_column(c)
        for r in rep.rejects.head(MAX_REJECTS_SHOWN).itertuples(index=False):
            t.add_row(str(r.source_row), _cell(r.column_name) or "-", _cell(r.value)[:60], str(r.reason))
        err.print(t)


@one_line_errors
def codes_list(db: Db = DEFAULT_DB) -> None:
    """The coding index per source: coded titles, occupations, rejects, files, last import."""
    from jobmarket.market import Market

    with Market.open(db, model=None, read_only=True) as market:
        df = market.codes()
    if not len(df):
        out.print(f"{db}: no coded titles (import some with `jobmarket codes import FILE`)")
        return
    t = Table(title=f"coding index of {db}")
    for c in ("source", "coded titles", "occupations", "rejected", "imports", "files", "imported at"):
        t.add_column(c)
    for r in df.itertuples(index=False):
        t.add_row(
            str(r.source),
            f"{r.coded_titles:,}",
            f"{r.occupations:,}",
            f"{r.rejected:,}",
            str(r.imports),
            str(r.files or "-"),
            str(r.imported_at)[:19],
        )
    out.print(t)


@one_line_errors
def codes_remove(
    source: Annotated[str, typer.Option("--source", help="The source to delete (see `codes list`).")],
    db: Db = DEFAULT_DB,
) -> None:
    """Delete one source's coded titles from the coding index."""
    from jobmarket.market import Market

    with Market.open(db, model=None) as market:
        n = market.remove_codes(source)
    out.print(f"removed source {source!r}: {n:,} coded titles")


def _cell(value) -> str:
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(value)

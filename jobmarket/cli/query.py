"""`jobmarket sql` and `jobmarket search`: query the store (the shell itself is in shell.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jobmarket.cli._common import Db, Model, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL to run; none: an interactive shell.")] = None,
    db: Db = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json | parquet.")] = "table",
    result: Annotated[Path | None, typer.Option("--out", help="Write the result to this file.")] = None,
    model: Model = DEFAULT_MODEL,
    write: Annotated[bool, typer.Option("--write", help="Open read-write (default read-only).")] = False,
    label_lang: Annotated[str | None, typer.Option(help="Language of ESCO labels in the views.")] = None,
) -> None:
    """Run SQL against the store: tables, views (posting_occupations…), macros (similar_titles…) and
    embed('text'). With no query, an interactive shell (.tables, .quit)."""
    from jobmarket.cli.shell import repl, write_result
    from jobmarket.market import Market

    with Market.open(db, model=model, read_only=not write) as market:
        if label_lang:
            market.use_language(label_lang)
        if query is None:
            repl(market, out)
        else:
            write_result(market, query, fmt, result, out)


@one_line_errors
def search(
    text: Annotated[str, typer.Argument(help="A job title, occupation or skill, in any language.")],
    db: Db = DEFAULT_DB,
    model: Model = DEFAULT_MODEL,
    what: Annotated[str, typer.Option(help="titles (the store's) | occupations (ESCO) | skills (ESCO).")]
    = "titles",
    lang: Annotated[str | None, typer.Option(help="Language of the text (titles: only titles in it).")]
    = None,
    k: Annotated[int, typer.Option(help="How many.")] = 10,
) -> None:
    """Nearest titles, occupations or skills to a free text, by the store's model."""
    from jobmarket.cli.shell import rich_table
    from jobmarket.market import Market

    with Market.open(db, model=model, read_only=True) as market:
        if lang:
            market.use_language(lang)
        df = market.search(text, what=what, k=k, lang=lang)
    out.print(rich_table(df, title=f"{what} nearest to {text!r}"))

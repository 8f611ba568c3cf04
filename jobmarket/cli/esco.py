"""`jobmarket esco ...`: ESCO classification packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jobmarket.cli._common import Db, one_line_errors, out
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def esco_import(
    paths: Annotated[list[Path], typer.Argument(help="ESCO CSV packages: zips, folders or files.")],
    db: Db = DEFAULT_DB,
) -> None:
    """Load official ESCO CSV packages of any languages and versions into the store."""
    from jobmarket.market import Market

    with Market.open(db, model=None) as market:
        counts = market.import_esco(paths, progress=True)
    t = Table(title=f"ESCO in {db}")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for k, v in counts.items():
        t.add_row(k, f"{v:,}")
    out.print(t)

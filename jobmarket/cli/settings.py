"""`jobmarket settings`: show or change a store's settings (``descriptions``: keep | redact | skills |
none)."""

from __future__ import annotations

from typing import Annotated

import typer

from jobmarket.cli._common import Db, one_line_errors, out
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def settings(
    key: Annotated[str | None, typer.Argument(help="Setting to show or change: descriptions.")] = None,
    value: Annotated[str | None, typer.Argument(
        help="New value (descriptions: keep, redact, skills, none).")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Show the store's settings, or change one. ``descriptions`` says what of posting descriptions later
    runs store: keep (as given), redact (default: e-mail addresses and phone numbers removed), skills (only
    the redacted text skill extraction reads) or none; a run may keep less, never more."""
    from jobmarket.market import Market

    with Market.open(db, model=None) as market:
        if value is not None:
            market.set_setting(key or "", value)
        for name, current in market.settings().items():
            if key is None or key == name:
                out.print(f"{name} = {current}", highlight=False)

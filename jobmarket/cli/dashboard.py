"""`jobmarket dashboard`: serve the Streamlit dashboard (jobmarket/dashboard/) over a store."""

from __future__ import annotations

from typing import Annotated

import typer

from jobmarket.cli._common import Db, Model, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def dashboard(
    db: Db = DEFAULT_DB,
    model: Model = DEFAULT_MODEL,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")]
    = "127.0.0.1",
) -> None:
    """Serve the Streamlit dashboard over a store (read-only): overview, skill gap, titles across countries,
    search."""
    from jobmarket.dashboard.serve import serve, streamlit_command

    streamlit_command(db, model, port, address)  # checks the store and streamlit before saying anything
    out.print(f"dashboard of {db} on http://{address}:{port} (Ctrl+C stops it)")
    raise typer.Exit(serve(db, model, port, address))

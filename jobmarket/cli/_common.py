"""What every command shares: the consoles, the --db and --model options, one-line user errors."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import duckdb
import typer
from rich.console import Console

from jobmarket.errors import JobmarketError

out = Console()
err = Console(stderr=True)

Db = Annotated[str, typer.Option("--db", help="DuckDB store file.")]
Model = Annotated[str, typer.Option("--model", help="Hub id or local folder; 'auto': JobBERT-V3 if cached, "
                                                    "else the offline multilingual-e5-small.")]
Precision = Annotated[str, typer.Option(
    "--precision", help="Encoder precision: auto (bf16 autocast on CPUs with AVX-512 BF16/AMX and on GPUs, "
                        "else fp32; JOBMARKET_PRECISION overrides auto) | fp32 | bf16 | fp16 (GPU).")]


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is meant for the user: printed as one line, no traceback."""
    from jobmarket.encoders.offline.install import OfflineModelError
    from jobmarket.esco.discover import EscoError
    from jobmarket.io.errors import PostingsError

    return (JobmarketError, EscoError, PostingsError, OfflineModelError, duckdb.Error, FileNotFoundError)


P = ParamSpec("P")
R = TypeVar("R")


def one_line_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Errors meant for the user as one red line and exit status 2, not a traceback
    (``JOBMARKET_DEBUG=1`` re-raises them).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except _user_errors() as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            err.print(f"[bold red]error:[/bold red] {msg}", highlight=False, soft_wrap=True)
            if os.environ.get("JOBMARKET_DEBUG"):
                raise
            raise typer.Exit(2) from None

    return wrapper

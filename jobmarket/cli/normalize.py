"""`jobmarket normalize`: map postings to ESCO occupations, then print the run's summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jobmarket.cli._common import Db, Model, err, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def normalize(
    file: Annotated[Path, typer.Argument(help="Postings: CSV, TSV, Parquet or JSONL.")],
    db: Db = DEFAULT_DB,
    model: Model = DEFAULT_MODEL,
    esco: Annotated[
        list[Path] | None, typer.Option(help="ESCO package(s) to import first if the store has none.")
    ] = None,
    title_col: Annotated[str | None, typer.Option(help="Title column (auto-detected).")] = None,
    id_col: Annotated[str | None, typer.Option(help="Id column (auto-detected).")] = None,
    country_col: Annotated[str | None, typer.Option(help="Country column (auto-detected).")] = None,
    lang_col: Annotated[str | None, typer.Option(help="Language column (auto-detected).")] = None,
    description_col: Annotated[str | None, typer.Option(help="Description column (auto-detected).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of all postings (else detected).")] = None,
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
    replace: Annotated[bool, typer.Option("--replace", help="Delete earlier runs over this path whose file "
                                                            "has changed, in the same transaction.")] = False,
    engine: Annotated[str, typer.Option(help="Encode and match on: local | ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster (--engine ray; default: RAY_ADDRESS or a local Ray).")] = None,
    num_gpus: Annotated[float, typer.Option(help="GPUs per Ray worker (--engine ray).")] = 0.0,
) -> None:
    """Map each posting to an ESCO occupation and ISCO-08 code, with score, margin and top-k alternatives."""
    from jobmarket.market import Market

    with Market.open(db, model=model) as market:
        if esco and not market.has_esco():
            err.print(f"importing ESCO from {', '.join(map(str, esco))}")
            market.import_esco(esco, progress=progress)
        run = market.normalize(
            file, out=result, top_k=top_k, threshold=threshold, progress=progress, title_col=title_col,
            id_col=id_col, country_col=country_col, lang_col=lang_col, description_col=description_col,
            lang=lang, label_lang=label_lang, index_langs=index_lang or None, delimiter=delimiter,
            encoding=encoding, replace_changed=replace, engine=engine, ray_address=ray_address,
            ray_num_gpus=num_gpus,
        )
        _print_summary(market, run.report, result)


def _print_superseded(rep) -> None:
    """Say that a changed file was reprocessed as a new run, and what became of the earlier runs."""
    if not rep.supersedes:
        return
    runs = ", ".join(rep.supersedes)
    if rep.replaced:
        err.print(f"{rep.source} changed since run {runs}: reprocessed as run {rep.run_id}; "
                  f"the earlier run's rows were deleted (--replace)", highlight=False)
    else:
        err.print(f"{rep.source} changed since run {runs}: reprocessed as new run {rep.run_id}, which "
                  "supersedes it; both stay in the store (--replace deletes the earlier one)",
                  highlight=False)


def _print_summary(market, rep, result: Path | None) -> None:
    _print_superseded(rep)
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
    top = market.top_occupations(rep.run_id, 10)
    if len(top):
        tt = Table(title="top occupations")
        for c in ("occupation", "ISCO", "postings"):
            tt.add_column(c)
        for row in top.itertuples(index=False):
            tt.add_row(str(row.label), str(row.isco_code), f"{row.n:,}")
        out.print(tt)
    if result:
        out.print(f"results written to {result}")

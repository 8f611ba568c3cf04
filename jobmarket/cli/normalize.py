"""`jobmarket normalize`: map postings to ESCO occupations, then print the run's summary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jobmarket.cli._common import Db, Model, Precision, err, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def normalize(
    files: Annotated[list[str], typer.Argument(
        help="Postings: CSV/TSV/JSONL (also .gz/.zst), Parquet (or a *.parquet folder), xlsx/xls/ods; or a "
             "folder or a quoted glob ('exports/2026-*.csv'): each file its own run.")],
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
    date_col: Annotated[str | None, typer.Option(help="Date column (auto-detected).")] = None,
    lang: Annotated[str | None, typer.Option(
        help="Language of all postings, any tag or name: de, de-DE, German (else the column, else detected).")
    ] = None,
    country: Annotated[str | None, typer.Option(
        help="Country of all postings, a code or a name: DE, DEU, Deutschland (else the country column).")
    ] = None,
    sheet: Annotated[list[str] | None, typer.Option(help="Workbook sheet(s) to read (default: every "
                                                         "non-empty sheet).")] = None,
    descriptions: Annotated[str | None, typer.Option(
        help="What of descriptions the store keeps: keep | redact (default: e-mails and phone numbers "
             "removed) | skills (only the requirement and task sentences skill extraction reads, redacted) "
             "| none; never more than the store's setting.")] = None,
    no_descriptions: Annotated[bool, typer.Option(
        "--no-descriptions", help="Store no descriptions (= --descriptions none).")] = False,
    label_lang: Annotated[str, typer.Option(help="Language of the occupation labels in the output.")] = "en",
    index_lang: Annotated[list[str] | None, typer.Option(help="ESCO label languages to match against "
                                                              "(default: English + the postings').")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (sniffed).")] = None,
    encoding: Annotated[str | None, typer.Option(help="File encoding (sniffed).")] = None,
    top_k: Annotated[int, typer.Option(help="Alternatives kept per posting.")] = 5,
    threshold: Annotated[float | None, typer.Option(
        help="Abstain below this similarity (default: by calibrated confidence).")] = None,
    target_precision: Annotated[float | None, typer.Option(
        help="Abstain below the confidence at which the calibration reaches this precision, e.g. 0.9 "
             "(default: abstain below confidence 0.1).")] = None,
    result: Annotated[Path | None, typer.Option("--out", help="Also write results to .parquet/.csv.")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress.")] = True,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Delete the runs this one supersedes (earlier runs of this path), in the same "
                          "transaction.")] = False,
    keep_both: Annotated[bool, typer.Option(
        "--keep-both", help="Keep the earlier runs of this path current too (counted twice if the rows "
                            "overlap).")]
    = False,
    engine: Annotated[str, typer.Option(help="Encode and match on: local | ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster (--engine ray; default: RAY_ADDRESS or a local Ray).")] = None,
    num_gpus: Annotated[float, typer.Option(help="GPUs per Ray worker (--engine ray).")] = 0.0,
    precision: Precision = "auto",
) -> None:
    """Map each posting to an ESCO occupation and ISCO-08 code, with score, margin and top-k alternatives."""
    from jobmarket.market import Market

    with Market.open(db, model=model, precision=precision) as market:
        if esco and not market.has_esco():
            err.print(f"importing ESCO from {', '.join(map(str, esco))}")
            market.import_esco(esco, progress=progress)
        if no_descriptions:
            descriptions = "none"
        run = market.normalize(
            files[0] if len(files) == 1 else files,
            out=result, top_k=top_k, threshold=threshold, target_precision=target_precision,
            progress=progress, title_col=title_col,
            id_col=id_col, country_col=country_col, lang_col=lang_col, description_col=description_col,
            lang=lang, label_lang=label_lang, index_langs=index_lang or None, delimiter=delimiter,
            encoding=encoding, replace_changed=replace, keep_both=keep_both, engine=engine,
            ray_address=ray_address,
            ray_num_gpus=num_gpus, date_col=date_col, country=country, sheet=sheet or None,
            descriptions=descriptions,
        )
        if len(run.files) == 1 and len(files) == 1 and run.files[0] is run:
            _print_summary(market, run.report, result)
            _print_notes(run.report)
        else:
            _print_files(market, run, result)


def _print_notes(rep, prefix: str = "") -> None:
    """What the reader could not understand or changed: unknown countries/languages, unparsed dates,
    redacted descriptions, the sheets read."""
    notes = getattr(rep, "read_notes", None) or {}
    lines = []
    for key, what in (("unknown_countries", "countries not understood"),
                      ("unknown_languages", "languages not understood")):
        if notes.get(key):
            values = ", ".join(f"{v!r} ({n:,} rows)" for v, n in notes[key].items())
            lines.append(f"{what} (kept raw, standard value empty): {values}")
    if notes.get("unparsed_dates"):
        lines.append(f"{notes['unparsed_dates']:,} dates not understood (kept raw in date_raw, date empty)")
    if notes.get("sheets"):
        lines.append("sheets read: " + ", ".join(f"{k} ({v:,} rows)" for k, v in notes["sheets"].items()))
    policy = notes.get("descriptions")
    if policy == "none":
        lines.append("descriptions not stored (--no-descriptions)")
    elif policy == "redact" and notes.get("redacted_descriptions"):
        lines.append(f"{notes['redacted_descriptions']:,} descriptions stored with e-mail addresses or phone "
                     "numbers removed")
    elif policy == "skills":
        lines.append(f"descriptions stored as the text skill extraction reads (--descriptions skills): "
                     f"{notes.get('skill_descriptions', 0):,}; with none of it: "
                     f"{notes.get('descriptions_without_skill_text', 0):,}")
    for line in lines:
        err.print(f"{prefix}{line}", highlight=False)


def _print_files(market, runs, result: Path | None) -> None:
    """One line per file and the total: every input row of every file accounted for."""
    folder = os.path.commonpath([str(Path(f.report.source).parent) for f in runs.files])
    t = Table(title=f"normalize {len(runs.files)} files in {folder} → {market.db}", show_header=True)
    for c in ("file", "rows", "matched", "abstained", "rejected", "run"):
        t.add_column(c, justify="left" if c in ("file", "run") else "right",
                     no_wrap=c in ("file", "run"), overflow="fold" if c == "file" else "ellipsis")
    for f in runs.files:
        rep = f.report
        counts = (f"{rep.counts.get(s, 0):,}" for s in ("matched", "abstained", "rejected"))
        t.add_row(os.path.relpath(rep.source, folder), f"{rep.n_rows:,}", *counts, rep.run_id)
    total = runs.counts
    t.add_row("[bold]total[/bold]", f"[bold]{runs.n_rows:,}[/bold]",
              *(f"[bold]{total.get(s, 0):,}[/bold]" for s in ("matched", "abstained", "rejected")), "")
    out.print(t)
    for f in runs.files:
        _print_superseded(f.report)
        _print_notes(f.report, prefix=f"{f.report.source}: ")
    if result:
        out.print(f"results of every file written to {result} (column source)")


def _print_superseded(rep) -> None:
    """Say which earlier runs of the path this run superseded, and what became of them."""
    if not rep.supersedes:
        return
    runs = ", ".join(rep.supersedes)
    if rep.replaced:
        err.print(f"{rep.source}: run {rep.run_id} replaces run {runs}, whose rows were deleted (--replace)",
                  highlight=False)
    else:
        err.print(f"{rep.source}: run {rep.run_id} supersedes run {runs}, which stays in the store as "
                  "history (`jobmarket runs list`) and out of the current views (--keep-both keeps both "
                  "current, --replace deletes the earlier one)", highlight=False)


def _print_changed(rep) -> None:
    """How many assignments the run changed against the path's previous run (e.g. after a coding-index
    change: the review loop's effect)."""
    if rep.changed_from is None or rep.n_changed is None or rep.changed_from == rep.run_id:
        return
    index = f"; coding index {rep.coding_index}" if rep.coding_index != "empty" else ""
    out.print(f"{rep.n_changed:,} of {sum(rep.counts.values()):,} assignments changed compared with run "
              f"{rep.changed_from}{index}", highlight=False)


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
    if rep.threshold is not None:
        thr = f"similarity threshold {rep.threshold:.3f}"
    elif getattr(rep, "min_confidence", None) is not None:
        target = f" (target precision {rep.target_precision:g})" if rep.target_precision else ""
        thr = f"confidence threshold {rep.min_confidence:.3f}{target}"
    else:
        thr = "threshold none"
    cal = getattr(rep, "calibration", None)
    cal = f"; calibration {cal} ({rep.calibration_kind})" if cal else ""
    out.print(f"unique titles {rep.n_unique_titles:,}; matched by {methods or '-'}; model {rep.model}; "
              f"{thr}{cal}; run {rep.run_id}", highlight=False)
    _print_changed(rep)
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

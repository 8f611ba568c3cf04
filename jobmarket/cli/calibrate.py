"""`jobmarket calibrate`: the matcher's confidence calibration, its precision–coverage table and plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jobmarket.cli._common import Db, Model, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL
from jobmarket.store.connection import DEFAULT_DB


@one_line_errors
def calibrate(
    db: Db = DEFAULT_DB,
    model: Model = DEFAULT_MODEL,
    lang: Annotated[
        list[str] | None, typer.Option(help="ESCO label languages (default: English and the coded titles').")
    ] = None,
    plot: Annotated[Path, typer.Option(help="Where to write the precision–coverage plot (PNG).")] = Path(
        "calibration.png"
    ),
    refit: Annotated[
        bool, typer.Option("--refit", help="Fit again even if a calibration is stored.")
    ] = False,
    no_codes: Annotated[
        bool, typer.Option("--no-codes", help="Ignore the coding index (ESCO-label recipe).")
    ] = False,
) -> None:
    """Fit (or show) the calibration of the matcher's confidence on the store's coded titles (k-fold), or
    on ESCO's labels held out; print coverage and realised precision at confidence 0.5–0.95."""
    from jobmarket.coding import report
    from jobmarket.market import Market

    with Market.open(db, model=model) as market:
        cal = market.calibrate(lang or None, refit=refit, use_codes=not no_codes)
    where = "coded titles, k-fold" if cal.kind == "coded-kfold" else "ESCO labels held out per occupation"
    out.print(
        f"calibration {cal.calibration_id}: {cal.n_examples:,} held-out examples ({where}); model "
        f"{cal.model_id}; coding index {cal.index_version}; labels {', '.join(cal.label_langs)}",
        highlight=False,
    )
    if cal.kind == "coded-kfold":
        chosen = cal.provenance.get("chosen", {})
        out.print(
            f"combination: k={chosen.get('k')} neighbours, vote temperature {chosen.get('tau')}; "
            f"out-of-fold acc@1 {cal.provenance.get('oof_acc@1')}",
            highlight=False,
        )
    t = Table(title="held-out precision by confidence")
    for c in ("confidence ≥", "coverage", "precision"):
        t.add_column(c, justify="right")
    for r in report.precision_table(cal).itertuples(index=False):
        t.add_row(f"{r[0]:.2f}", f"{r[1]:.1%}", "-" if r[1] == 0 else f"{r[2]:.1%}")
    out.print(t)
    t = Table(title="normalize --target-precision")
    for c in ("target", "confidence threshold", "coverage", "precision"):
        t.add_column(c, justify="right")
    for r in report.target_table(cal).itertuples(index=False):
        t.add_row(
            f"{r[0]:g}",
            "none reaches it" if r[1] is None else f"{r[1]:.3f}",
            f"{r[2]:.1%}",
            "-" if r[2] == 0 else f"{r[3]:.1%}",
        )
    out.print(t)
    out.print(f"plot written to {report.plot(cal, plot)}")

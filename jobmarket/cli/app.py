"""The ``jobmarket`` command line: a thin shell over :class:`jobmarket.market.Market`.

This module only assembles the commands, which live one group per module beside it.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from jobmarket.cli import (
    analysis,
    calibrate,
    codes,
    dashboard,
    esco,
    evaluate,
    model,
    normalize,
    query,
    review,
    runs,
    settings,
)

app = typer.Typer(help="Multilingual labor-market analytics: postings → ESCO occupations in DuckDB.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
esco_app = typer.Typer(help="ESCO classification packages.", no_args_is_help=True)
model_app = typer.Typer(help="Models: the offline model, training.", no_args_is_help=True)
app.add_typer(esco_app, name="esco")
app.add_typer(model_app, name="model")
codes_app = typer.Typer(help="The coding index: titles coded by hand, which the matcher learns from.",
                        no_args_is_help=True)
app.add_typer(codes_app, name="codes")
review_app = typer.Typer(help="The review loop: titles for a coder to code.", no_args_is_help=True)
app.add_typer(review_app, name="review")
runs_app = typer.Typer(help="The store's runs: which are current (counted), which are history.",
                       no_args_is_help=True)
app.add_typer(runs_app, name="runs")


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


# Registered in the order `jobmarket --help` lists them.
app.command()(normalize.normalize)
app.command()(query.sql)
app.command()(query.search)
app.command()(analysis.skills)
app.command()(analysis.cluster)
app.command()(dashboard.dashboard)
app.command()(evaluate.evaluate)
app.command()(calibrate.calibrate)
app.command()(settings.settings)
esco_app.command("import")(esco.esco_import)
runs_app.command("list")(runs.runs_list)
runs_app.command("show")(runs.runs_show)
runs_app.command("delete")(runs.runs_delete)
codes_app.command("import")(codes.codes_import)
codes_app.command("list")(codes.codes_list)
codes_app.command("remove")(codes.codes_remove)
review_app.command("export")(review.review_export)
model_app.command("install-offline")(model.install_offline)
model_app.command("info")(model.model_info)
model_app.command("list")(model.model_list)
model_app.command("fit-defaults")(model.model_fit_defaults)
# `model train` forwards every argument, --help included, to model_training's own command.
model_app.command("train", add_help_option=False,
                  context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    model.model_train)


def run() -> None:  # pragma: no cover - console entry
    sys.exit(app())

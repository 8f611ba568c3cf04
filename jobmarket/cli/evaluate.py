"""`jobmarket evaluate`: evaluate a model on job-title tasks (jobmarket/evaluation/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jobmarket.cli._common import one_line_errors, out


@one_line_errors
def evaluate(
    model: Annotated[str, typer.Argument(help="Hub id, model folder, or 'auto' (the offline model).")],
    task: Annotated[list[str] | None, typer.Option("--task", help="talentclef-a[:de|:en-de], esco-norm, "
                                                                 "skills-rank, align-uniform, all.")] = None,
    data: Annotated[Path | None, typer.Option(help="Folder with talentclef2025/, jobbert_eval/, esco/.")]
    = None,
    esco: Annotated[list[Path] | None, typer.Option(help="ESCO packages (default: DATA/esco/...).")] = None,
    norm_limit: Annotated[int | None, typer.Option(help="Sample this many titles for esco-norm.")] = None,
    codes: Annotated[Path | None, typer.Option(help="esco-norm: a coding file (title, occupation) as the "
                                                    "coding index of the full matcher.")] = None,
    half: Annotated[str | None, typer.Option(help="esco-norm: evaluate on the tune or report half of the "
                                                  "fixed split (jobmarket/evaluation/split.py).")] = None,
    target_precision: Annotated[float | None, typer.Option(
        help="esco-norm: also report coverage and realised precision at this target (0.8 and 0.9 always).")]
    = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON.")] = None,
) -> None:
    """Evaluate any model on job-title tasks (no store needed): TalentCLEF Task A, ESCO normalization, ..."""
    import json

    from jobmarket.evaluation.runner import evaluate as run_eval
    from jobmarket.evaluation.runner import results_table

    if threads:
        import torch

        torch.set_num_threads(threads)
    norm_options = {k: v for k, v in (("codes", str(codes) if codes else None), ("half", half),
                                      ("target_precision", target_precision)) if v is not None}
    report = run_eval(model, task or ["all"], data_dir=data, esco=esco or [], norm_limit=norm_limit,
                      norm_options=norm_options)
    out.print(results_table(report))
    for k, v in report["summary"].items():
        out.print(f"{k}: {v:.4f}")
    if json_out:
        json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out.print(f"report written to {json_out}")

"""Evaluate any model (hub id, folder, offline, trained) on job-title tasks; WorkRB-style task registry.

:data:`TASKS` maps a task name to a factory; a new task is a module under ``tasks/`` (a
:class:`~jobmarket.evaluation._base.Task`) plus one line there. :func:`evaluate` runs the tasks on a model
and reports their metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from jobmarket.errors import JobmarketError
from jobmarket.evaluation._base import Task
from jobmarket.evaluation.data import EvalData
from jobmarket.evaluation.tasks.align_uniform import AlignUniform
from jobmarket.evaluation.tasks.esco_normalization import EscoNormalization
from jobmarket.evaluation.tasks.skill_ranking import SkillRanking
from jobmarket.evaluation.tasks.talentclef import TalentClefTaskA

DEFAULT_CROSS = ("en-de", "en-es", "en-zh")

# A factory gets the data and the task name's spec (after ":", "" when none), so a task with variants
# ("talentclef-a:en-de", "esco-norm:max") needs no special case in make_tasks.
TaskFactory = Callable[[EvalData, str], list[Task]]


def _talentclef(data: EvalData, spec: str = "") -> list[Task]:
    if spec:
        q, _, c = spec.partition("-")
        return [TalentClefTaskA(data, q, c or None)]
    return [TalentClefTaskA(data, lang) for lang in ("de", "en", "es", "zh")] + [
        TalentClefTaskA(data, *pair.split("-")) for pair in DEFAULT_CROSS
    ]


TASKS: dict[str, TaskFactory] = {
    "talentclef-a": _talentclef,
    "esco-norm": lambda d, spec: [EscoNormalization(d, plain_max=spec == "max")],
    "skills-rank": lambda d, _spec: [SkillRanking(d)],
    "align-uniform": lambda d, _spec: [AlignUniform(d)],
}


def make_tasks(names: Sequence[str], data: EvalData, norm_limit: int | None = None,
               norm_options: dict | None = None) -> list[Task]:
    """Task names: ``talentclef-a`` (all its runs), ``talentclef-a:de`` / ``talentclef-a:en-de``,
    ``esco-norm`` (``esco-norm:max``: best label only), ``skills-rank``, ``align-uniform``, or ``all``."""
    names = list(TASKS) if not names or "all" in names else list(names)
    tasks: list[Task] = []
    for name in names:
        base, _, spec = name.partition(":")
        if base not in TASKS:
            raise JobmarketError(f"unknown task {name}: choose from {', '.join(TASKS)}, all")
        tasks += TASKS[base](data, spec)
    for t in tasks:
        if isinstance(t, EscoNormalization):
            t.limit = norm_limit
            for key, value in (norm_options or {}).items():  # codes, half, target_precision
                setattr(t, key, value)
    return tasks


def evaluate(
    model: str,
    tasks: Sequence[str] = ("all",),
    data_dir: str | Path | None = None,
    esco: Sequence[str | Path] = (),
    norm_limit: int | None = None,
    norm_options: dict | None = None,
    batch_size: int = 64,
    progress: bool = True,
    encoder=None,
    occupations: set[str] | None = None,
) -> dict:
    """Run the tasks on a model; return ``{"model", "results": [{task, metrics..., seconds}], ...}``.

    A task whose data cannot be judged (e.g. cross-lingual into Chinese) is reported with an ``error``.
    skills-rank and align-uniform run on ``occupations`` when given (compare a base model on a trained
    model's held-out set), else on the model's own held-out occupations if it was trained here.
    """
    from rich.console import Console

    from jobmarket.encoders.sentence_transformer import Encoder

    console = Console(stderr=True, highlight=False, quiet=not progress)
    data = EvalData(Path(data_dir).expanduser() if data_dir else None, [Path(p) for p in esco])
    task_list = make_tasks(tasks, data, norm_limit, norm_options)
    enc = encoder or Encoder(model, batch_size=batch_size)
    held_out = occupations if occupations is not None else held_out_occupations(enc.name)
    for task in task_list:
        if held_out is not None and isinstance(task, (SkillRanking, AlignUniform)):
            task.occupations = held_out  # only what the model never trained on
    results = []
    for task in task_list:
        started = time.perf_counter()
        try:
            metrics: dict = task.run(enc)
        except JobmarketError as exc:
            metrics = {"error": str(exc)}
        metrics = {"task": task.name, **metrics, "seconds": round(time.perf_counter() - started, 1)}
        results.append(metrics)
        shown = ", ".join(
            f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float) and k != "seconds"
        )
        console.print(f"{task.name}: {shown or metrics.get('error')} ({metrics['seconds']} s)")
    summary = summarize(results)
    return {
        "model": enc.name,
        "model_id": enc.model_id,
        "title_route": enc.title_route,
        "skill_route": enc.skill_route,
        "held_out_occupations": len(held_out) if held_out is not None else None,
        "results": results,
        "summary": summary,
    }


def held_out_occupations(model: str) -> set[str] | None:
    """The occupations a model trained by ``model_training`` held out (``dev_occupations.json`` beside
    it); None for a model trained elsewhere, whose training data we cannot know."""
    path = Path(model).expanduser() / "dev_occupations.json"
    if not path.is_file():
        return None
    import json

    return set(json.loads(path.read_text(encoding="utf-8")))


def summarize(results: Sequence[dict]) -> dict[str, float]:
    """The TalentCLEF Task A MAP averaged over the monolingual de/en/es/zh runs (the done-criterion)."""
    mono = [
        r["MAP"]
        for r in results
        if r["task"] in {f"talentclef-a:{x}" for x in ("de", "en", "es", "zh")} and "MAP" in r
    ]
    return (
        {"talentclef_a_map_mono_avg": float(np.mean(mono)), "talentclef_a_runs": float(len(mono))}
        if mono
        else {}
    )


def results_table(report: dict):
    """A rich table of one report: one row per task and metric (tasks differ in their metrics)."""
    from rich.table import Table

    t = Table(title=f"evaluate {report['model']}")
    for c, justify in (("task", "left"), ("metric", "left"), ("value", "right"), ("s", "right")):
        t.add_column(c, justify=justify)
    for r in report["results"]:
        if "error" in r:
            t.add_row(r["task"], "[yellow]not run[/yellow]", f"[yellow]{r['error']}[/yellow]", "")
            continue
        metrics = [k for k in r if k not in ("task", "seconds")]
        for i, k in enumerate(metrics):
            t.add_row(r["task"] if i == 0 else "", k, _fmt(r[k]), str(r["seconds"]) if i == 0 else "")
    return t


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and v.is_integer() and v > 1:
        return f"{int(v):,}"
    return f"{v:.4f}" if isinstance(v, float) else str(v)

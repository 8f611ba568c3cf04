"""Base vs trained encoder (issue 16): does the CPU preset's model pay off where users look?

    python -m model_training train --config model_training/configs/cpu_e5_small.yaml   # the CPU preset
    python benchmarks/training.py --trained ~/.cache/jobmarket/models/jobbert-style-e5-small-cpu \\
        [--freeze-run DIR ...]

For the base model (the offline multilingual-e5-small) and the trained one, on data the trained model never
saw: the JobBERT titles' REPORT half through the full matcher (zero-shot, and with the TUNE half as coding
index; the trained model learned from the tune half, never the report half), TalentCLEF 2025 Task A
validation (MAP per language and cross-lingual), and skills-rank / align-uniform on the occupations held
out from training (``dev_occupations.json`` beside the model, the same set for both models). Training
cost comes from the model's ``training_metrics.json``; ``--freeze-run`` adds short runs of other freezing
choices (steps/s and dev metrics).

Writes benchmarks/results/training.md and training.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script
from _provenance import commit_label, load_note  # noqa: E402

STARTED_ON = commit_label()  # the tree the run starts on, before it writes any result file

sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
TITLES = DATA / "jobbert_eval" / "titles.csv"
RESULTS = ROOT / "benchmarks" / "results"
TASKS = ("talentclef-a", "skills-rank", "align-uniform")


def evaluate_model(path: str, held_out: set[str], cache: str) -> dict:
    from jobmarket.encoders.cache import DuckEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.coding import evaluate_coding
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.runner import evaluate
    from jobmarket.evaluation.split import split_titles
    from jobmarket.store.connection import connect

    encoder = Encoder(path, cache=DuckEmbeddingStore(connect(cache)))
    tune, report = split_titles(TITLES, "tune"), split_titles(TITLES, "report")
    con = EvalData(DATA).con()
    from jobmarket.matching.defaults import model_defaults, resolve_config

    cfg = resolve_config(None, encoder)  # what normalize runs it with: its own fit, else the constants
    out: dict = {"model": path, "model_id": encoder.model_id, "jobbert_report_half": {},
                 "matcher": {"temperature": cfg.temperature, "preferred_bonus": cfg.preferred_bonus,
                             "fitted": model_defaults(encoder) is not None}}
    for name, codes in (("zero-shot", None), ("tune-all", tune)):
        t0 = time.perf_counter()
        m = evaluate_coding(con, encoder, report, codes)
        m["seconds"] = round(time.perf_counter() - t0, 1)
        out["jobbert_report_half"][name] = m
        print(path, name, {k: round(v, 4) for k, v in m.items()}, flush=True)
    rep = evaluate(path, TASKS, data_dir=DATA, encoder=encoder, occupations=held_out, progress=True)
    out["tasks"] = rep["results"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trained", required=True, help="the trained model folder")
    ap.add_argument("--base", default="offline", help="the base model (default: the offline e5-small)")
    ap.add_argument("--freeze-run", nargs="*", default=[], help="model folders of short freezing runs")
    ap.add_argument("--keep-freeze-runs", action="store_true",
                    help="carry the freezing runs of the committed results/training.json over (their folders "
                         "are gone on a fresh machine); the table says which run they come from")
    ap.add_argument("--cache", default="/tmp/jobmarket_training_bench_cache.duckdb")
    args = ap.parse_args()

    from jobmarket.encoders.sentence_transformer import resolve_model
    from jobmarket.evaluation.runner import held_out_occupations

    trained = str(Path(args.trained).expanduser())
    held_out = held_out_occupations(trained)
    if held_out is None:
        sys.exit(f"{trained} has no dev_occupations.json: not a model trained by model_training")
    load = load_note()
    results = {
        "base": evaluate_model(resolve_model(args.base), held_out, args.cache),
        "trained": evaluate_model(trained, held_out, args.cache),
        "training": json.loads((Path(trained) / "training_metrics.json").read_text()),
        "config": json.loads((Path(trained) / "training_config.json").read_text()),
        "freeze_runs": [
            {
                "folder": f,
                "config": json.loads((Path(f) / "training_config.json").read_text()),
                "metrics": json.loads((Path(f) / "training_metrics.json").read_text())["metrics"],
            }
            for f in args.freeze_run
        ],
        "meta": {
            "date": dt.date.today().isoformat(),
            "commit": STARTED_ON,
            "machine": f"{platform.machine()}, {platform.platform()}",
            "load": f"{load} at the start",
            "held_out_occupations": len(held_out),
        },
    }
    previous = RESULTS / "training.json"
    if args.keep_freeze_runs and not args.freeze_run and previous.is_file():
        old = json.loads(previous.read_text())
        results["freeze_runs"] = old.get("freeze_runs", [])
        results["freeze_runs_from"] = old.get("freeze_runs_from") or old["meta"]["commit"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "training.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "training.md").write_text(render(results))
    print("wrote benchmarks/results/training.md and training.json")


def _f(v, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _task(rep: dict, name: str) -> dict:
    return next((r for r in rep["tasks"] if r["task"] == name), {})


def render(r: dict) -> str:
    meta, tr, cfg = r["meta"], r["training"], r["config"]
    m = tr["metrics"]
    base, trained = r["base"], r["trained"]
    lines = [
        "# Base vs trained encoder (issue 16)",
        "",
        f"Date {meta['date']}, commit {meta['commit']}, {meta['machine']}, {meta['load']}. "
        "Script: `benchmarks/training.py`; model: `model_training/configs/cpu_e5_small.yaml` "
        "(the CPU preset plus the shared data).",
        "",
        "Figures are on the JobBERT titles' **report half** (the model learned from the tune half only; "
        "split by `jobmarket/evaluation/split.py`), TalentCLEF 2025 Task A **validation**, and skills-rank / "
        f"align-uniform on the **{meta['held_out_occupations']} occupations held out** from training (the "
        "same set for both). "
        + ("No training pair contained a TalentCLEF validation title (`exclude_titles`)."
           if any("talentclef" in str(p).lower() for p in cfg.get("exclude_titles") or ())
           else "**TalentCLEF validation is not held out:** this model's training pairs were not filtered by "
           "`exclude_titles`, and ESCO labels are most of that set's queries, so its TalentCLEF rows "
           "include texts it trained on."),
        "",
        "## Normalization: JobBERT report half, the full matcher",
        "",
        "Each model runs with the matcher settings normalize gives it: "
        + "; ".join(
            f"{label} temperature {x['matcher']['temperature']}, preferred-label bonus "
            f"{x['matcher']['preferred_bonus']} "
            f"({'fitted on the tune half' if x['matcher']['fitted'] else 'the constants'})"
            for label, x in (("base", base), ("trained", trained)) if "matcher" in x
        ) + ".",
        "",
        "| model | setting | acc@1 | MRR@10 | R@10 | coverage@p0.9 | precision@p0.9 | coverage@p0.8 | "
        "precision@p0.8 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, rep in (("base", base), ("trained", trained)):
        for setting, x in rep["jobbert_report_half"].items():
            lines.append(
                f"| {label} | {setting} | {_f(x['acc@1'])} | {_f(x['MRR@10'])} | {_f(x['recall@10'])} | "
                f"{_f(x.get('coverage@p0.9'))} | {_f(x.get('precision@p0.9'))} | "
                f"{_f(x.get('coverage@p0.8'))} | {_f(x.get('precision@p0.8'))} |"
            )
    lines += ["", "## TalentCLEF 2025 Task A validation, skills-rank and align-uniform", "",
              "| task | metric | base | trained |", "|---|---|---|---|"]
    names = [t["task"] for t in base["tasks"]]
    for name in names:
        b, t = _task(base, name), _task(trained, name)
        for key in ("MAP", "MRR", "nDCG@10", "alignment", "uniformity"):
            if key in b:
                lines.append(f"| {name} | {key} | {_f(b.get(key), 4)} | {_f(t.get(key), 4)} |")
    tc = [n for n in names if n.startswith("talentclef-a:") and n.split(":")[1] in ("de", "en", "es", "zh")]
    if tc:
        mean = {k: sum(_task(rep, n).get("MAP", 0) for n in tc) / len(tc)
                for k, rep in (("b", base), ("t", trained))}
        lines.append(f"| talentclef-a mean of {'/'.join(n.split(':')[1] for n in tc)} | MAP | "
                     f"{mean['b']:.4f} | {mean['t']:.4f} |")
    src = tr["data"].get("sources", {})
    lines += [
        "",
        "## Training",
        "",
        f"- Sources drawn (pairs): {', '.join(f'{k} {v:,}' for k, v in src.items())}; mix {cfg.get('mix')}.",
        f"- {m['steps']} steps of {cfg['batch_size']} pairs, bf16 {cfg.get('bf16')}, lowest "
        f"{cfg['freeze_layers']} layers and token embeddings frozen "
        f"({tr['params']['trainable']:,} of {tr['params']['total']:,} parameters trained), lr "
        f"{cfg['learning_rate']}, {cfg.get('num_threads')} threads.",
        f"- Wall time {m['wall_s'] / 60:.1f} min (train loop {m['train_runtime_s'] / 60:.1f} min, "
        f"{_f(m.get('steps_per_s'))} steps/s), peak RSS {m.get('peak_rss_mb')} MB.",
        "- Dev (held-out occupations), before → after: "
        + ", ".join(
            f"{k} {m['dev_before'][k]:.3f} → {m['dev'][k]:.3f}"
            for k in ("dev_cosine_map@100", "dev_titles_cosine_map@100", "dev_titles_cosine_accuracy@1")
            if k in m.get("dev", {}) and k in m.get("dev_before", {})
        ),
    ]
    if r["freeze_runs"]:
        origin = (f"carried over from the run at {r['freeze_runs_from']}" if r.get("freeze_runs_from")
                  else "same machine")
        lines += ["", f"## Freezing choices (short runs of the same mix, {origin})", "",
                  "| frozen layers | steps | s/step | dev MAP (skills) | dev MAP (titles) |",
                  "|---|---|---|---|---|"]
        for run in r["freeze_runs"]:
            x = run["metrics"]
            sps = x.get("steps_per_s") or x["steps"] / x["train_runtime_s"]
            lines.append(
                f"| {run['config']['freeze_layers']} | {x['steps']} | {1 / sps:.2f} | "
                f"{_f(x['dev'].get('dev_cosine_map@100'))} | "
                f"{_f(x['dev'].get('dev_titles_cosine_map@100'))} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

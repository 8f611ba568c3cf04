"""Per-model matcher settings (issue 16): the embedding stage's temperature and preferred-label bonus fitted
on the TUNE half of the JobBERT titles, and what they give on the REPORT half.

    python benchmarks/matcher_defaults.py [--trained FOLDER] [--save]

For the base model (the offline multilingual-e5-small) and a trained one: the grid fit on the tune half
(jobmarket.evaluation.tuning, not saved unless --save), then the full matcher zero-shot on the report half
(jobmarket.evaluation.coding) with the constants 0.01 / 0.01 and with the fitted settings. The trained model
learned from the tune half (its coded titles), never from the report half.

Writes benchmarks/results/matcher_defaults.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _provenance import commit_label, load_note, write_results  # noqa: E402

STARTED_ON = commit_label()
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def measure(model: str, save: bool, cache: str) -> dict:
    from jobmarket.encoders.cache import DuckEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.coding import evaluate_coding
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.split import split_titles
    from jobmarket.evaluation.tuning import fit_model_defaults
    from jobmarket.matching import defaults
    from jobmarket.matching._base import MatchConfig
    from jobmarket.store.connection import connect

    encoder = Encoder(model, cache=DuckEmbeddingStore(connect(cache)))
    data = EvalData(DATA)
    t0 = time.perf_counter()
    fitted = fit_model_defaults(encoder, data, save=save)
    fit_s = time.perf_counter() - t0
    report = split_titles(DATA / "jobbert_eval" / "titles.csv", "report")
    out = {"model": model, "model_id": encoder.model_id, "precision": encoder.precision,
           "fit": {k: v for k, v in fitted.items() if k != "grid"}, "grid": fitted["grid"],
           "fit_seconds": round(fit_s, 1), "report_half": {}}
    settings = {"constants": (defaults.TEMPERATURE, defaults.PREFERRED_BONUS),
                "fitted on tune": (fitted["temperature"], fitted["preferred_bonus"])}
    for name, (t, b) in settings.items():
        m = evaluate_coding(data.con(), encoder, report, None,
                            config=MatchConfig(temperature=t, preferred_bonus=b))
        out["report_half"][name] = {"temperature": t, "preferred_bonus": b, **m}
        print(model, name, {k: round(v, 4) for k, v in m.items()}, flush=True)
    return out


def render(r: dict) -> str:
    m = r["meta"]
    lines = ["# Matcher settings per model: fitted on the tune half, measured on the report half", "",
             f"- date {m['date']}; commit {m['commit']}; {m['machine']}; {m['load']}; no GPU in this task",
             "- fit: grid over temperature × preferred-label bonus, embedding-stage acc@1 (then MRR@10) of "
             "the **tune** half's titles (cleaned as normalize cleans them) against ESCO's English labels",
             "- report: the full matcher (exact, fuzzy, embedding; ESCO-labels calibration), zero-shot, on "
             "the **report** half, which neither the fit nor the training saw", ""]
    lines += ["| model | precision | setting | temperature | bonus | tune acc@1 (fit) | report acc@1 | "
              "report MRR@10 | report R@10 |", "|---|---|---|---|---|---|---|---|---|"]
    for key in ("base", "trained"):
        res = r.get(key)
        if not res:
            continue
        name = Path(res["model"]).name
        grid = {(p["temperature"], p["preferred_bonus"]): p for p in res["grid"]}
        for setting, v in res["report_half"].items():
            tune = grid.get((v["temperature"], v["preferred_bonus"]), {}).get("acc@1")
            tune_s = f"{tune:.3f}" if tune is not None else "-"
            lines.append(f"| {name} | {res['precision']} | {setting} | {v['temperature']} | "
                         f"{v['preferred_bonus']} | {tune_s} | {v['acc@1']:.3f} | {v['MRR@10']:.3f} | "
                         f"{v['recall@10']:.3f} |")
    if r.get("base") and r.get("trained"):
        b, t = r["base"]["report_half"], r["trained"]["report_half"]
        for setting in ("constants", "fitted on tune"):
            lines.append("")
            lines.append(f"Trained − base, each with its **{setting}** settings, report half: acc@1 "
                         f"{100 * (t[setting]['acc@1'] - b[setting]['acc@1']):+.1f} points, MRR@10 "
                         f"{100 * (t[setting]['MRR@10'] - b[setting]['MRR@10']):+.1f} points.")
    lines.append("")
    if r.get("notes"):
        lines += ["## reading", ""] + [f"- {n}" for n in r["notes"]] + [""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="offline")
    ap.add_argument("--trained", default="~/.cache/jobmarket/models/jobbert-style-e5-small-cpu")
    ap.add_argument("--save", action="store_true", help="save the trained model's fit beside it")
    ap.add_argument("--cache", default="/tmp/jobmarket_matcher_defaults_cache.duckdb")
    args = ap.parse_args()
    from jobmarket.encoders.sentence_transformer import resolve_model

    load = load_note()
    res = {"base": measure(resolve_model(args.base), False, args.cache)}
    trained = Path(args.trained).expanduser()
    if (trained / "modules.json").is_file():
        res["trained"] = measure(str(trained), args.save, args.cache)
    res["meta"] = {"date": dt.date.today().isoformat(), "commit": STARTED_ON,
                   "machine": f"{platform.machine()}, 2 CPUs" if platform.machine() else platform.platform(),
                   "load": f"{load} at the start"}
    write_results("matcher_defaults", res, render(res))


if __name__ == "__main__":
    main()

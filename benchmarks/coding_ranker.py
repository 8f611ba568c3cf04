"""How the coding index's signals combine: a pointwise logistic regression or a listwise conditional logit,
and do the coded titles nearest in spelling (character n-gram neighbours) add to those nearest in meaning?

Chosen on the TUNE half only: its titles are split again (sha256("ranker|" + key): a fifth as queries, the
rest as coding index), and the full matcher runs with each variant (``jobmarket.coding.fit.RANKER`` and
the spelling neighbours' ``lex_k``, 0 = off).
The report half is not read.

    .venv/bin/python benchmarks/coding_ranker.py [--cache /tmp/jobmarket_training_bench_cache.duckdb]

Writes benchmarks/results/coding_ranker.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script
from _provenance import commit_label, load_note  # noqa: E402

STARTED_ON = commit_label()

sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
TITLES = DATA / "jobbert_eval" / "titles.csv"
RESULTS = ROOT / "benchmarks" / "results"
# name → (ranker, spelling neighbours that vote)
VARIANTS = {
    "pointwise": ("pointwise", 0),
    "softmax": ("softmax", 0),
    "softmax + spelling neighbours": ("softmax", 10),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default="/tmp/jobmarket_training_bench_cache.duckdb")
    ap.add_argument("--model", default="offline")
    ap.add_argument("--variants", nargs="*", choices=list(VARIANTS), help="run only these (default: all)")
    args = ap.parse_args()

    from jobmarket.coding import fit
    from jobmarket.encoders.cache import DuckEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.coding import evaluate_coding
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.split import split_titles
    from jobmarket.store.connection import connect

    load = load_note()
    tune = split_titles(TITLES, "tune")
    inner = tune["key"].map(lambda k: hashlib.sha256(f"ranker|{k}".encode()).digest()[0] % 5 == 0)
    queries, index = tune[inner], tune[~inner]
    encoder = Encoder(args.model, cache=DuckEmbeddingStore(connect(args.cache)))
    con = EvalData(DATA).con()
    rows = {}
    grid = fit.GRID
    for name, (ranker, lex_k) in VARIANTS.items():
        if args.variants and name not in args.variants:
            continue
        fit.RANKER = ranker
        fit.GRID = tuple(replace(p, lex_k=lex_k) for p in grid)
        t0 = time.perf_counter()
        m = evaluate_coding(con, encoder, queries, index)
        m["seconds"] = round(time.perf_counter() - t0, 1)
        rows[name] = m
        print(name, {k: round(v, 4) for k, v in m.items()}, flush=True)
    out = {
        "rows": rows,
        "meta": {
            "date": dt.date.today().isoformat(),
            "commit": STARTED_ON,
            "machine": f"{platform.machine()}, {platform.platform()}",
            "load": load,
            "model": encoder.model_id,
            "queries": len(queries),
            "index": len(index),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coding_ranker.json").write_text(json.dumps(out, indent=2) + "\n")
    meta = out["meta"]
    lines = [
        "# Coding index: how the signals combine, and which signals (chosen on the tune half)",
        "",
        f"Date {meta['date']}, commit {meta['commit']}, {meta['machine']}, {meta['load']}; model "
        f"{meta['model']}. Script: `benchmarks/coding_ranker.py`.",
        "",
        f"The tune half split again by sha256(\"ranker|\" + key): {meta['queries']} titles as queries, "
        f"{meta['index']} as the coding index. The report half is not read.",
        "",
        "| variant | acc@1 | MRR@10 | R@10 | coverage@p0.9 | precision@p0.9 | coverage@p0.8 "
        "| precision@p0.8 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in rows.items():
        lines.append(
            f"| {name} | {m['acc@1']:.3f} | {m['MRR@10']:.3f} | {m['recall@10']:.3f} | "
            f"{m.get('coverage@p0.9', 0):.3f} | {m.get('precision@p0.9', 0):.3f} | "
            f"{m.get('coverage@p0.8', 0):.3f} | {m.get('precision@p0.8', 0):.3f} |"
        )
    (RESULTS / "coding_ranker.md").write_text("\n".join(lines) + "\n")
    print("wrote benchmarks/results/coding_ranker.md")


if __name__ == "__main__":
    main()

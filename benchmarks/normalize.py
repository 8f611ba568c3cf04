"""Accuracy and throughput of `jobmarket normalize`.

Accuracy on ../shared/data/jobbert_eval/titles.csv (15,463 real English vacancy titles, each with its
ESCO occupation): accuracy@1, MRR@10, recall@5/@10 of a rapidfuzz-only baseline, the model zero-shot
(embedding stage alone) and the full staged matcher; plus accuracy and coverage at a range of abstention
thresholds, from which the model's calibrated threshold is chosen.

Throughput: the whole run (read → clean → match → store) on the 2,372 EURES postings and on a 200k-row
file resampled from them, each in a fresh process so peak RSS is the run's own.

    python benchmarks/normalize.py [--model auto] [--limit N] [--skip-scale]

Writes benchmarks/results/normalize.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / ".work"


def ranking_metrics(ranked: list[list[str]], gold: list[str]) -> dict[str, float]:
    """accuracy@1, MRR@10, recall@5/@10 for one gold occupation per title."""
    ranks = []
    for cands, g in zip(ranked, gold, strict=True):
        ranks.append(cands.index(g) + 1 if g in cands[:10] else None)
    n = len(gold)
    return {
        "acc@1": sum(r == 1 for r in ranks) / n,
        "MRR@10": sum(1 / r for r in ranks if r) / n,
        "R@5": sum(1 for r in ranks if r and r <= 5) / n,
        "R@10": sum(1 for r in ranks if r and r <= 10) / n,
    }


def esco_store(db: Path):
    from jobmarket.esco.load import import_esco
    from jobmarket.store.connection import connect, esco_versions

    con = connect(db)
    if not esco_versions(con):
        import_esco(con, [DATA / "esco"], progress=False)
    return con


def fuzzy_baseline(index, titles: list[str]) -> list[list[str]]:
    """Rank occupations by their best rapidfuzz WRatio over English labels: the classic string matcher."""
    from rapidfuzz import fuzz, process

    from jobmarket.text.clean import clean_title
    from jobmarket.text.keys import normalize_label

    en = index.by_lang["en"]
    choices = [index.keys[i] for i in en]
    out = []
    # Shortlist with the fast ratio, then rescore with WRatio (STACK_NOTES: WRatio is ~100x slower).
    for t in titles:
        q = normalize_label(clean_title(t).title)
        short = process.extract(q, choices, scorer=fuzz.ratio, limit=200)
        rescored = sorted(((fuzz.WRatio(q, c), j) for c, _, j in short), reverse=True)
        seen: list[str] = []
        for _, j in rescored:
            uri = index.uris[en[j]]
            if uri not in seen:
                seen.append(uri)
            if len(seen) == 10:
                break
        out.append(seen)
    return out


def accuracy(model: str, limit: int | None) -> dict:
    from jobmarket.encoders.cache import DuckEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.matching.label_index import LabelIndex
    from jobmarket.matching.matcher import MatchConfig, Matcher
    from jobmarket.text.clean import clean_title

    df = pd.read_csv(DATA / "jobbert_eval" / "titles.csv")
    if limit:
        df = df.sample(limit, random_state=0)
    titles, gold = df["vacancyTitle"].astype(str).tolist(), df["conceptUri"].tolist()
    WORK.mkdir(parents=True, exist_ok=True)
    con = esco_store(WORK / "bench.duckdb")
    enc = Encoder(model, cache=DuckEmbeddingStore(con), batch_size=128)
    index = LabelIndex.from_store(con, ["en"])
    t0 = time.perf_counter()
    index.embed(enc)
    label_s = time.perf_counter() - t0
    clean = [clean_title(t).title for t in titles]
    t0 = time.perf_counter()
    vecs = enc.encode_titles(clean)
    enc_s = time.perf_counter() - t0
    rows = {}
    t0 = time.perf_counter()
    rows["rapidfuzz only (WRatio, en labels)"] = ranking_metrics(fuzzy_baseline(index, titles), gold)
    fuzzy_s = time.perf_counter() - t0
    zero = Matcher(index, enc, MatchConfig(top_k=10, use_exact=False, use_fuzzy=False, threshold=-1))
    zs = zero.match(clean, ["en"] * len(clean), vecs)
    rows[f"{Path(enc.name).name} zero-shot (embedding only)"] = ranking_metrics(
        [[u for u, _ in m.candidates] for m in zs], gold
    )
    full = Matcher(index, enc, MatchConfig(top_k=10, threshold=-1))
    fm = full.match(clean, ["en"] * len(clean), vecs)
    rows["full staged matcher (exact → fuzzy → embedding)"] = ranking_metrics(
        [[u for u, _ in m.candidates] for m in fm], gold
    )
    methods = pd.Series([m.method for m in fm]).value_counts().to_dict()
    method_acc = {
        k: float(np.mean([m.occupation_uri == g for m, g in zip(fm, gold, strict=True) if m.method == k]))
        for k in methods
    }
    # Abstention: accuracy of what is kept, and how much is kept, at each threshold (embedding stage only).
    curve = []
    for thr in np.round(np.arange(0.80, 0.95, 0.01), 2):
        kept = [
            (m.occupation_uri == g)
            for m, g in zip(fm, gold, strict=True)
            if m.method != "embedding" or m.score >= thr
        ]
        curve.append(
            {
                "threshold": float(thr),
                "coverage": len(kept) / len(gold),
                "accuracy_kept": float(np.mean(kept)) if kept else 0.0,
            }
        )
    return {
        "model": enc.name,
        "n_titles": len(titles),
        "rows": rows,
        "methods": methods,
        "method_accuracy": method_acc,
        "abstention": curve,
        "seconds": {
            "label_index": round(label_s, 1),
            "encode_titles": round(enc_s, 1),
            "fuzzy_baseline": round(fuzzy_s, 1),
        },
    }


def run_timed(args: list[str]) -> dict:
    """Run a command in a fresh process; its wall time and peak RSS (children's maxrss)."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": round(wall, 1), "peak_rss_mb": round(rss), "stdout": proc.stdout[-3000:]}


def throughput(model: str, sizes: list[int]) -> list[dict]:
    eures = pd.read_csv(DATA / "postings" / "European_jobs_batch2.csv", dtype=str, keep_default_na=False)
    out = []
    for n in sizes:
        src = WORK / f"eures_{n}.parquet"
        df = eures if n == len(eures) else eures.sample(n, replace=True, random_state=0)
        df.to_parquet(src)
        db = WORK / f"tp_{n}.duckdb"
        db.unlink(missing_ok=True)
        # A warm store: ESCO imported and the label index cached, as a second file of a user's would find it.
        subprocess.run(
            [sys.executable, "-m", "jobmarket", "esco", "import", str(DATA / "esco"), "--db", str(db)],
            check=True,
            capture_output=True,
        )
        cmd = [
            sys.executable,
            "-m",
            "jobmarket",
            "normalize",
            str(src),
            "--db",
            str(db),
            "--model",
            model,
            "--no-progress",
        ]
        cold = run_timed(cmd)
        uniq = df["job_title"].nunique()
        out.append(
            {
                "rows": n,
                "unique_titles": int(uniq),
                "cold_seconds": cold["seconds"],
                "postings_per_s": round(n / cold["seconds"], 1),
                "unique_titles_per_s": round(uniq / cold["seconds"], 1),
                "peak_rss_mb": cold["peak_rss_mb"],
            }
        )
    return out


def machine() -> str:
    import os

    import torch

    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads()
    return f"{platform.system()} {cpu}, {os.cpu_count()} cores, torch {torch.__version__} (threads {threads})"


def write(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "normalize.json").write_text(json.dumps(result, indent=2))
    acc = result["accuracy"]
    lines = [
        "# normalize benchmark",
        "",
        f"- date: {result['date']}; commit: {result['commit']}; machine: {result['machine']}",
        f"- model: `{acc['model']}`; data: jobbert_eval/titles.csv "
        f"({acc['n_titles']:,} English vacancy titles); "
        "label index: ESCO English labels (v1.1.1 + v1.2)",
        "",
        "| matcher | acc@1 | MRR@10 | R@5 | R@10 |",
        "|---|---|---|---|---|",
    ]
    for name, m in acc["rows"].items():
        lines.append(f"| {name} | {m['acc@1']:.3f} | {m['MRR@10']:.3f} | {m['R@5']:.3f} | {m['R@10']:.3f} |")
    lines += [
        "",
        "Stages of the full matcher (share of titles, accuracy@1 of that stage):",
        "",
        "| stage | titles | acc@1 |",
        "|---|---|---|",
    ]
    for k, v in acc["methods"].items():
        lines.append(f"| {k} | {v:,} | {acc['method_accuracy'][k]:.3f} |")
    lines += [
        "",
        "Abstention (embedding-stage matches kept when score ≥ threshold):",
        "",
        "| threshold | coverage | accuracy of kept |",
        "|---|---|---|",
    ]
    for c in acc["abstention"]:
        lines.append(f"| {c['threshold']:.2f} | {c['coverage']:.3f} | {c['accuracy_kept']:.3f} |")
    if result.get("throughput"):
        lines += [
            "",
            "Throughput of the whole run (fresh process, ESCO already imported, label embeddings cached "
            "after the first run):",
            "",
            "| rows | unique titles | seconds | postings/s | unique titles/s | peak RSS (MB) |",
            "|---|---|---|---|---|---|",
        ]
        for t in result["throughput"]:
            lines.append(
                f"| {t['rows']:,} | {t['unique_titles']:,} | {t['cold_seconds']} | {t['postings_per_s']:,} "
                f"| {t['unique_titles_per_s']:,} | {t['peak_rss_mb']:,} |"
            )
    lines += ["", f"Timings (s): {json.dumps(acc['seconds'])}", ""]
    (RESULTS / "normalize.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="auto")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    result = {
        "date": dt.date.today().isoformat(),
        "commit": commit,
        "machine": machine(),
        "accuracy": accuracy(args.model, args.limit),
    }
    if not args.skip_scale:
        result["throughput"] = throughput(args.model, [2372, 200_000])
    write(result)


if __name__ == "__main__":
    main()

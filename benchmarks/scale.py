"""Memory and throughput of `jobmarket normalize` at 100k, 1M and 5M postings.

The postings are resampled from real titles (the shared EURES postings and the JobBERT evaluation titles)
with light perturbation: case, gender markers, seniority and contract words, extra whitespace, and one of
four countries. A pool of ``--base-titles`` real titles (``--spellings`` each) caps the unique titles, so
the model's work stays affordable on 2 shared CPU cores while the postings grow 50-fold.

Each size runs in a fresh subprocess (`Market.normalize`, the offline model, ESCO English labels) while
the parent samples the child's resident memory (VmRSS) every 0.25 s. 100k and 1M run cold: a store with
ESCO only, so every unique clean title is encoded. 5M runs on a copy of the 1M store, so its titles come
from the store's embedding cache (the precomputed-vector path): that run measures reading, cleaning,
dedupe, matching and writing at 5M rows, not the encoder.

    python benchmarks/scale.py [--sizes 100000 1000000 5000000] [--base-titles 2000]

Writes benchmarks/results/scale.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / ".work" / "scale"

MARKERS = ["", "", " (m/w/d)", " (h/f)", " (m/f/x)", " /-in"]
SENIORITY = ["", "", "", "Senior ", "Junior ", "Lead "]
CONTRACT = ["", "", " - Full-time", " - Part-time"]
COUNTRIES = ["DE", "ES", "FR", "IE"]


# ---------------------------------------------------------------- data
def title_pool(n: int, seed: int = 0) -> list[str]:
    eures = pd.read_csv(DATA / "postings" / "European_jobs_batch2.csv", dtype=str, keep_default_na=False)
    jobbert = pd.read_csv(DATA / "jobbert_eval" / "titles.csv", dtype=str, keep_default_na=False)
    titles = pd.unique(pd.concat([eures["job_title"], jobbert["vacancyTitle"]]).str.strip())
    titles = [t for t in titles if t and len(t) <= 120]
    rng = np.random.default_rng(seed)
    return [titles[i] for i in rng.choice(len(titles), size=min(n, len(titles)), replace=False)]


def variants(title: str, rng: np.random.Generator, k: int) -> list[str]:
    """``k`` perturbed spellings of a title: what the cleaner has to undo."""
    out = []
    for _ in range(k):
        t = title
        case = rng.integers(0, 6)
        t = t.upper() if case == 0 else t.lower() if case == 1 else t
        t = SENIORITY[rng.integers(0, len(SENIORITY))] + t + MARKERS[rng.integers(0, len(MARKERS))]
        t += CONTRACT[rng.integers(0, len(CONTRACT))]
        if rng.integers(0, 4) == 0:
            t = "  " + t.replace(" ", "  ") + " "
        out.append(t)
    return out


def make_postings(path: Path, n: int, pool: list[str], per_title: int = 12, seed: int = 1) -> None:
    """``n`` rows: a title from the pool (skewed: some titles are far more common), one of its spellings,
    and a country; written as CSV in blocks so the generator's memory stays small too."""
    rng = np.random.default_rng(seed)
    spellings = np.array([v for t in pool for v in variants(t, rng, per_title)], dtype=object)
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.6
    weights /= weights.sum()
    block = 500_000
    tmp = path.with_suffix(".part")  # renamed when complete: an interrupted run leaves no short file
    with open(tmp, "wb") as f:
        for start in range(0, n, block):
            m = min(block, n - start)
            base = rng.choice(len(pool), size=m, p=weights)
            spelling = spellings[base * per_title + rng.integers(0, per_title, size=m)]
            table = pa.table({
                "id": pa.array([f"j{i}" for i in range(start, start + m)]),
                "title": pa.array(spelling.tolist(), pa.string()),
                "country": pa.array(np.array(COUNTRIES, dtype=object)[rng.integers(0, len(COUNTRIES), m)]),
            })
            pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=start == 0))
    tmp.rename(path)


# ---------------------------------------------------------------- one run in a fresh process
CHILD = """
import json, resource, sys, time
from jobmarket.api import Market
from jobmarket.encoder import Encoder
db, src = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
with Market.open(db, model="auto") as m:
    before = m.sql("SELECT count(*) AS n FROM embedding_cache")["n"][0]
    m.normalize(src, index_langs=["en"], progress=False, results=False)
    rep = m.last_report
    after = m.sql("SELECT count(*) AS n FROM embedding_cache")["n"][0]
    pairs = m.sql("SELECT count(*) AS n FROM (SELECT DISTINCT title_raw, country FROM postings "
                  "WHERE run_id = ? AND title_id IS NOT NULL)", [rep.run_id])["n"][0]
print(json.dumps({"rows": rep.n_rows, "unique_pairs": int(pairs), "unique_titles": rep.n_unique_titles,
                  "encoded": int(after - before), "counts": rep.counts, "stages": rep.seconds,
                  "seconds": round(time.perf_counter() - t0, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def run_child(db: Path, src: Path, duckdb_memory: str | None) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}
    if duckdb_memory:
        env["JOBMARKET_DUCKDB_MEMORY"] = duckdb_memory
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(src)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    samples = []
    t0 = time.perf_counter()
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            rss = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS")))
            samples.append((time.perf_counter() - t0, rss / 1024))
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            pass
        time.sleep(0.25)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["rss_samples"] = [(round(t, 1), round(r)) for t, r in samples]
    result["stages"] = {k.split()[0]: v for k, v in result["stages"].items()}  # "matching 5,432 …" → matching
    return result


# ---------------------------------------------------------------- main
def esco_base() -> Path:
    base = WORK / "esco_base.duckdb"
    if not base.exists():
        tmp = base.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "jobmarket", "esco", "import", str(DATA / "esco"), "--db", str(tmp)]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        tmp.rename(base)
    return base


def machine() -> str:
    import torch

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores (shared), "
            f"torch {torch.__version__} (threads {torch.get_num_threads()})")


def commit() -> str:
    res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return res.stdout.strip() or "?"


def rewrite_table() -> None:
    """Only regenerate scale.md from scale.json (``--table-only``)."""
    d = json.loads((RESULTS / "scale.json").read_text())
    args = argparse.Namespace(base_titles=d["meta"]["base_titles"], spellings=d["meta"]["spellings"])
    write(d["runs"], args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    ap.add_argument("--base-titles", type=int, default=400)
    ap.add_argument("--spellings", type=int, default=32, help="perturbed spellings per pool title")
    ap.add_argument("--duckdb-memory", help="DuckDB memory_limit of the runs, e.g. 1GB")
    ap.add_argument("--warm-from", type=int, default=1_000_000,
                    help="sizes above this run on a copy of this size's store (cached vectors)")
    ap.add_argument("--table-only", action="store_true", help="only rewrite scale.md from scale.json")
    args = ap.parse_args()
    if args.table_only:
        rewrite_table()
        return
    WORK.mkdir(parents=True, exist_ok=True)
    pool = title_pool(args.base_titles)
    base = esco_base()
    # Runs of earlier invocations (other sizes) are kept in the table; their stores are reused as warm bases.
    old = RESULTS / "scale.json"
    memory = args.duckdb_memory or "default (80% of RAM)"
    results = [r for r in (json.loads(old.read_text())["runs"] if old.exists() else [])
               if (r["rows"], r.get("duckdb_memory")) not in {(n, memory) for n in args.sizes}]
    suffix = "_" + args.duckdb_memory if args.duckdb_memory else ""
    stores = {r["rows"]: WORK / f"run_{r['rows']}{suffix}.duckdb" for r in results
              if (WORK / f"run_{r['rows']}{suffix}.duckdb").exists() and r.get("duckdb_memory") == memory}
    for n in sorted(args.sizes):
        src = WORK / f"postings_{n}_{args.base_titles}x{args.spellings}.csv"
        if not src.exists():
            make_postings(src, n, pool, per_title=args.spellings)
        db = WORK / f"run_{n}{'_' + args.duckdb_memory if args.duckdb_memory else ''}.duckdb"
        for p in (db, Path(f"{db}.wal")):
            p.unlink(missing_ok=True)
        warm = n > args.warm_from and args.warm_from in stores
        shutil.copy(stores[args.warm_from] if warm else base, db)
        print(f"{n:,} rows ({'cached vectors' if warm else 'cold'})…", flush=True)
        r = run_child(db, src, args.duckdb_memory)
        r.update(mode="cached vectors" if warm else "cold", file_mb=round(src.stat().st_size / 2**20),
                 duckdb_memory=args.duckdb_memory or "default (80% of RAM)")
        print({k: v for k, v in r.items() if k != "rss_samples"}, flush=True)
        results.append(r)
        stores[n] = db
    write(sorted(results, key=lambda r: (r.get("duckdb_memory", ""), r["rows"])), args)


def write(results: list[dict], args) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"date": dt.date.today().isoformat(), "commit": commit(), "machine": machine(),
            "base_titles": args.base_titles, "spellings": args.spellings}
    (RESULTS / "scale.json").write_text(json.dumps({"meta": meta, "runs": results}, indent=1) + "\n")
    lines = [
        "# normalize at scale: bounded memory",
        "",
        f"- date: {meta['date']}; commit: {meta['commit']} (+ working tree); machine: {meta['machine']}",
        "- model: offline multilingual-e5-small (`--model auto`); label index: ESCO English labels (all "
        "ESCO versions in ../shared/data/esco, matrix from the label-index file cache)",
        f"- input: CSV, resampled from {meta['base_titles']:,} real titles (EURES + JobBERT eval), "
        f"{meta['spellings']} perturbed spellings each (case, gender markers, seniority and contract words, "
        "whitespace), 4 countries. The pool caps unique clean titles (and unique (title, country) pairs), so "
        "the model's and the cleaner's work stay about the same at every size while the postings grow.",
        "- each size in a fresh process; peak RSS is the child's own (ru_maxrss); RSS sampled every 0.25 s",
        "- *cold*: a store with ESCO only, every unique clean title encoded by the model. *cached vectors*: "
        "a copy of the 1M store, whose embedding cache already holds the titles (encoded: the titles the "
        "model still had to encode in that run).",
        "",
        "| rows | mode | DuckDB memory_limit | file MB | unique (title, country) | unique clean titles "
        "| encoded | seconds | postings/s | unique titles/s | peak RSS MB "
        "| RSS at 25/50/75 % of the run, MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rss = [s[1] for s in r["rss_samples"]] or [0]
        q = [rss[min(len(rss) - 1, int(len(rss) * f))] for f in (0.25, 0.5, 0.75)]
        quartiles = " / ".join(f"{x:,}" for x in q)
        lines.append(
            f"| {r['rows']:,} | {r['mode']} | {r.get('duckdb_memory', 'default (80% of RAM)')} "
            f"| {r['file_mb']:,} | {r['unique_pairs']:,} "
            f"| {r['unique_titles']:,} | {r['encoded']:,} | {r['seconds']:.0f} "
            f"| {r['rows'] / r['seconds']:,.0f} | {r['unique_titles'] / r['seconds']:,.0f} "
            f"| {r['peak_rss_mb']:,} | {quartiles} |")
    lines += ["", "Seconds per stage:", "", "| rows | " + " | ".join(results[0]["stages"]) + " |",
              "|---|" + "---|" * len(results[0]["stages"])]
    for r in results:
        lines.append(f"| {r['rows']:,} ({r.get('duckdb_memory', 'default')}) | "
                     + " | ".join(f"{v:.1f}" for v in r["stages"].values()) + " |")
    lines += [
        "",
        "Reading the table: Python never holds per-posting data (the reader loads the file into a DuckDB "
        "TEMP table; titles are cleaned per unique (title, country) and encoded and matched per unique clean "
        "title, 20k at a time), so the model (~1.5 GB of RSS with torch, before the first posting) dominates "
        "memory. What grows with the rows is DuckDB's buffer pool during the one write transaction (5M "
        "postings, 5M assignments, 25M candidates): with DuckDB's default memory_limit it keeps more in "
        "memory (peak RSS +1.3 GB from 100k to 5M rows); with `JOBMARKET_DUCKDB_MEMORY=1GB` it spills to "
        "disk and peak RSS grows by ~0.5 GB for 50× the postings. The unique (title, country) share is 34% "
        "at 100k, 4.5% at 1M and 0.9% at 5M: the pool caps it, so cleaning costs the same at every size. The "
        "machine's 2 cores were shared with other jobs during these runs "
        "(load average 2-9), so seconds are indicative; the model's encoding rate is the cold runs' "
        "`matching` stage (≈1,900 titles encoded in 70-100 s here, ~20-27 titles/s, far below an idle "
        "machine's rate).",
    ]
    (RESULTS / "scale.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

"""Memory and throughput of `jobmarket normalize` at 100k, 1M and 5M postings.

The postings are resampled from the ~17k distinct real titles of the shared EURES postings and the JobBERT
evaluation titles: Zipf-weighted (a few titles are very common, most are rare), a share of them with a real
qualifier taken from title tails, and lightly perturbed (case, gender markers, seniority and contract
words, extra whitespace, one of four countries). Unique titles therefore grow sub-linearly with the rows
(Heaps' law) instead of being capped by a small pool.

Each size runs in a fresh subprocess (`Market.normalize`, the offline model, ESCO English labels) while
the parent samples the child's resident memory (VmRSS) every 0.25 s. The smallest size runs cold (a store
with ESCO only); each larger size runs on a copy of the previous size's store, whose embedding cache
already holds the titles seen so far, so the model encodes only the new ones.

    python benchmarks/scale.py [--sizes 100000 1000000 5000000] [--duckdb-memory 1GB]

Writes benchmarks/results/scale.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
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
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script
from _provenance import commit_label, cpu_model, load_note, same_cpu  # noqa: E402

STARTED_ON = commit_label()  # the tree the run starts on, before it writes any result file
LOAD = load_note()
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
NAME = "scale"  # results/NAME.md and .json; --name gives another machine its own file
WORK = ROOT / "benchmarks" / ".work" / "scale"

MARKERS = ["", "", " (m/w/d)", " (h/f)", " (m/f/x)", " /-in"]
SENIORITY = ["", "", "", "Senior ", "Junior ", "Lead "]
CONTRACT = ["", "", " - Full-time", " - Part-time"]
COUNTRIES = ["DE", "ES", "FR", "IE"]


# ---------------------------------------------------------------- data
def real_titles() -> list[str]:
    eures = pd.read_csv(DATA / "postings" / "European_jobs_batch2.csv", dtype=str, keep_default_na=False)
    jobbert = pd.read_csv(DATA / "jobbert_eval" / "titles.csv", dtype=str, keep_default_na=False)
    titles = pd.unique(pd.concat([eures["job_title"], jobbert["vacancyTitle"]]).str.strip())
    return [t for t in titles if t and len(t) <= 120]


def specialisations(titles: list[str], n: int) -> list[str]:
    """Qualifiers that real titles carry after a dash, comma or bar ("… - JAVA", "… - Thai"), plus the
    last words of multi-word titles: the part of a title that makes it new without changing the job."""
    tails = [re.split(r"\s+[-–—|,]\s+", t)[-1] for t in titles if re.search(r"\s[-–—|,]\s", t)]
    tails += [" ".join(t.split()[-2:]) for t in titles if len(t.split()) >= 3]
    return list(pd.unique(pd.Series(tails).str.strip()))[:n]


def variants(title: str, rng: np.random.Generator) -> str:
    """One perturbed spelling of a title: what the cleaner has to undo."""
    t = title
    case = rng.integers(0, 6)
    t = t.upper() if case == 0 else t.lower() if case == 1 else t
    t = SENIORITY[rng.integers(0, len(SENIORITY))] + t + MARKERS[rng.integers(0, len(MARKERS))]
    t += CONTRACT[rng.integers(0, len(CONTRACT))]
    if rng.integers(0, 4) == 0:
        t = "  " + t.replace(" ", "  ") + " "
    return t


def make_postings(path: Path, n: int, titles: list[str], specs: list[str], spec_share: float,
                  zipf: float, seed: int = 1) -> None:
    """``n`` rows: a real title drawn with Zipf weights (rank^-zipf: a few titles are very common, most are
    rare), for a ``spec_share`` of rows a specialisation (Zipf too), one random spelling, and a country.
    Unique titles then grow like real vocabularies do (Heaps' law: ~20% of rows at 100k, ~10% at 1M, ~6%
    at 5M). Written as CSV in blocks so the generator's memory stays small too."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(titles))  # which real title (and qualifier) gets which rank
    spec_order = rng.permutation(len(specs))
    w = 1.0 / np.arange(1, len(titles) + 1) ** zipf
    ws = 1.0 / np.arange(1, len(specs) + 1) ** zipf
    block = 200_000
    tmp = path.with_suffix(".part")  # renamed when complete: an interrupted run leaves no short file
    with open(tmp, "wb") as f:
        for start in range(0, n, block):
            m = min(block, n - start)
            base = order[rng.choice(len(titles), size=m, p=w / w.sum())]
            spec = spec_order[rng.choice(len(specs), size=m, p=ws / ws.sum())]
            spec = np.where(rng.random(m) < spec_share, spec, -1)
            rows = [variants(titles[b] + (f" - {specs[s]}" if s >= 0 else ""), rng)
                    for b, s in zip(base, spec, strict=True)]
            table = pa.table({
                "id": pa.array([f"j{i}" for i in range(start, start + m)]),
                "title": pa.array(rows, pa.string()),
                "country": pa.array(np.array(COUNTRIES, dtype=object)[rng.integers(0, len(COUNTRIES), m)]),
            })
            pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=start == 0))
    tmp.rename(path)


# ---------------------------------------------------------------- one run in a fresh process
CHILD = """
import json, resource, sys, time
from jobmarket.market import Market
from jobmarket.encoders.sentence_transformer import Encoder
db, src = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
with Market.open(db, model="offline") as m:
    before = m.sql("SELECT count(*) AS n FROM embedding_cache")["n"][0]
    rep = m.normalize(src, index_langs=["en"], progress=False).report
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

    return (f"{platform.system()} {platform.machine()}, {cpu_model()}, {os.cpu_count()} cores, "
            f"torch {torch.__version__} (threads {torch.get_num_threads()})")


def input_meta(args) -> dict:
    return {"zipf": args.zipf, "spec_share": args.spec_share, "specs": args.specs}


def rewrite_table() -> None:
    """Only regenerate scale.md from scale.json (``--table-only``)."""
    d = json.loads((RESULTS / f"{NAME}.json").read_text())
    write(d["runs"], argparse.Namespace(**d["meta"]["input"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    ap.add_argument("--zipf", type=float, default=1.1, help="rank exponent of title frequencies")
    ap.add_argument("--spec-share", type=float, default=0.2, help="share of rows with a qualifier")
    ap.add_argument("--specs", type=int, default=1000, help="distinct qualifiers")
    ap.add_argument("--duckdb-memory", help="DuckDB memory_limit of the runs, e.g. 1GB")
    ap.add_argument("--table-only", action="store_true", help="only rewrite scale.md from scale.json")
    ap.add_argument("--name", default="scale", help="results/NAME.md and .json (another machine's runs)")
    args = ap.parse_args()
    global NAME
    NAME = args.name
    if args.table_only:
        rewrite_table()
        return
    WORK.mkdir(parents=True, exist_ok=True)
    titles = real_titles()
    specs = specialisations(titles, args.specs)
    base = esco_base()
    memory = args.duckdb_memory or "default (80% of RAM)"
    # Runs of earlier invocations on the same input and memory setting (other sizes) stay in the table.
    old = RESULTS / f"{NAME}.json"
    old = json.loads(old.read_text()) if old.exists() else {"meta": {}, "runs": []}
    if old["runs"] and not same_cpu(old["meta"].get("machine", ""), machine()):
        sys.exit(f"benchmarks/results/{NAME}.json holds runs of another machine "
                 f"({old['meta'].get('machine')}); this one is {machine()}: pass --name for its own file")
    # Rows without a commit of their own came from an uncommitted tree: they are dropped, not relabelled.
    results = [r for r in old["runs"] if old["meta"].get("input") == input_meta(args) and r.get("commit")
               and (r["rows"], r.get("duckdb_memory")) not in {(n, memory) for n in args.sizes}]
    suffix = "_" + args.duckdb_memory if args.duckdb_memory else ""
    previous = base
    tag = f"z{args.zipf}_s{args.spec_share}_{args.specs}"
    for n in sorted(args.sizes):
        src = WORK / f"postings_{n}_{tag}.csv"
        if not src.exists():
            print(f"writing {src.name}…", flush=True)
            make_postings(src, n, titles, specs, args.spec_share, args.zipf)
        db = WORK / f"run_{n}{suffix}.duckdb"
        for p in (db, Path(f"{db}.wal")):
            p.unlink(missing_ok=True)
        # Each size starts from the previous size's store: its embedding cache holds the titles seen so
        # far, as when a board normalizes this month's file after last month's.
        shutil.copy(previous, db)
        mode = "cold" if previous == base else "after the previous size"
        print(f"{n:,} rows ({mode})…", flush=True)
        r = run_child(db, src, args.duckdb_memory)
        r.update(mode=mode, file_mb=round(src.stat().st_size / 2**20), duckdb_memory=memory,
                 commit=STARTED_ON, load=LOAD)
        print({k: v for k, v in r.items() if k != "rss_samples"}, flush=True)
        results.append(r)
        previous = db
    write(sorted(results, key=lambda r: (r.get("duckdb_memory", ""), r["rows"])), args)


NOTES = "<!-- hand-written reading of the table below this line; kept when the table is rewritten -->"


def write(results: list[dict], args) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"date": dt.date.today().isoformat(), "machine": machine(), "input": input_meta(args)}
    (RESULTS / f"{NAME}.json").write_text(json.dumps({"meta": meta, "runs": results}, indent=1) + "\n")
    inp = meta["input"]
    lines = [
        "# normalize at scale: bounded memory",
        "",
        f"- date: {meta['date']}; machine: {meta['machine']}; each row names the commit it ran on and the "
        "load at its start",
        "- model: offline multilingual-e5-small (`--model offline`); label index: ESCO English labels (all "
        "ESCO versions in ../shared/data/esco, matrix from the label-index file cache)",
        f"- input: CSV resampled from the ~17k distinct real titles of the EURES postings and the JobBERT "
        f"evaluation set, drawn with Zipf weights (rank^-{inp['zipf']}); {inp['spec_share']:.0%} of rows get "
        f"one of {inp['specs']:,} real qualifiers (title tails such as '… - JAVA'), also Zipf-drawn; then a "
        "random spelling (case, gender markers, seniority and contract words, whitespace) and one of 4 "
        "countries. Unique titles grow sub-linearly with the rows, as real vocabularies do.",
        "- each size in a fresh process; peak RSS is the child's own (ru_maxrss); RSS sampled every 0.25 s",
        "- *cold*: a store with ESCO only. *after the previous size*: a copy of the previous size's store, "
        "whose embedding cache holds the titles seen so far; `encoded` counts the titles the model still "
        "had to encode in that run.",
        "",
        "| rows | mode | DuckDB memory_limit | file MB | unique (title, country) | unique clean titles "
        "| encoded | seconds | postings/s | unique titles/s | encoded titles/s | peak RSS MB "
        "| RSS at 25/50/75 % of the run, MB | commit, load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rss = [s[1] for s in r["rss_samples"]] or [0]
        q = [rss[min(len(rss) - 1, int(len(rss) * f))] for f in (0.25, 0.5, 0.75)]
        quartiles = " / ".join(f"{x:,}" for x in q)
        match = r["stages"].get("matching") or r["seconds"]
        lines.append(
            f"| {r['rows']:,} | {r['mode']} | {r.get('duckdb_memory', 'default (80% of RAM)')} "
            f"| {r['file_mb']:,} | {r['unique_pairs']:,} "
            f"| {r['unique_titles']:,} | {r['encoded']:,} | {r['seconds']:.0f} "
            f"| {r['rows'] / r['seconds']:,.0f} | {r['unique_titles'] / r['seconds']:,.0f} "
            f"| {r['encoded'] / match:,.0f} | {r['peak_rss_mb']:,} | {quartiles} "
            f"| {r['commit']}, {r.get('load', '-')} |")
    stages = list(dict.fromkeys(k for r in results for k in r["stages"]))
    lines += ["", "Seconds per stage (`matching` includes encoding the new titles):", "",
              "| rows | " + " | ".join(stages) + " |",
              "|---|" + "---|" * len(stages)]
    for r in results:  # a stage a run skipped (a later size reuses the calibration) shows as "-"
        lines.append(f"| {r['rows']:,} ({r.get('duckdb_memory', 'default')}) | "
                     + " | ".join(f"{r['stages'][k]:.1f}" if k in r["stages"] else "-" for k in stages)
                     + " |")
    path = RESULTS / f"{NAME}.md"
    old = path.read_text() if path.exists() else ""
    notes = old[old.index(NOTES):] if NOTES in old else NOTES + "\n"
    path.write_text("\n".join(lines) + "\n\n" + notes)


if __name__ == "__main__":
    main()

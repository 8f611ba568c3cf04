"""Speed of the review queue (`jobmarket review export`) on large stores.

The queue is SQL over the current postings, their assignments and candidates, so its speed depends on the
number of postings and unique titles, not on the model. A store is filled directly in DuckDB: real ESCO
v1.1.1 English occupations (preferred labels), postings whose titles are resampled from the 15,463 real
JobBERT vacancy titles (Zipf-like: title i drawn with weight 1/(i+1)), made unique per country to reach the
asked-for share of unique titles; assignments with a random confidence, 20% abstained; five candidates
per posting. Then `review_queue` (all rows and --limit 500) and `export_review` to CSV are timed.

    python benchmarks/review.py [--postings 100000 1000000] [--unique-share 0.27]

Writes benchmarks/results/review.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script, also when loaded by path
from _provenance import commit_label, load_note  # noqa: E402 - beside this script

STARTED_ON = commit_label()  # the tree the run starts on, before it writes any result file

sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
COUNTRIES = ["DE", "FR", "PL", "ES", "IT", "NL", "BG", "HR"]


def fill(con: duckdb.DuckDBPyConnection, n: int, unique_share: float, seed: int = 0) -> int:
    """A finished normalize run of ``n`` postings; returns its unique (title, country) count."""
    with zipfile.ZipFile(SHARED / "esco" / "v1.1.1" / "esco_v1.1.1_classification_en_csv.zip") as z:
        occ = pd.read_csv(z.open("occupations_en.csv"), dtype=str, keep_default_na=False)
    occ = occ[["conceptUri", "preferredLabel", "iscoGroup", "code"]]
    con.register("_occ", occ)
    con.execute("INSERT INTO esco_occupations SELECT conceptUri, iscoGroup, code, 'v1.1.1' FROM _occ")
    con.execute("INSERT INTO esco_labels SELECT conceptUri, 'occupation', 'en', preferredLabel, 'preferred', "
                "'v1.1.1' FROM _occ")
    titles = pd.read_csv(SHARED / "jobbert_eval" / "titles.csv", dtype=str)["vacancyTitle"].str.lower()
    rng = np.random.default_rng(seed)
    n_unique = max(1, int(n * unique_share))
    weights = 1.0 / np.arange(1, n_unique + 1)
    pick = rng.choice(n_unique, n, p=weights / weights.sum())
    # Unique titles beyond the real ones get a numbered variant, as a big file's long tail would.
    base = titles.to_numpy()[np.arange(n_unique) % len(titles)]
    tail = " " + (np.arange(n_unique) // len(titles)).astype(str)
    suffix = np.where(np.arange(n_unique) < len(titles), "", tail)
    names = np.char.add(base.astype(str), suffix)
    frame = pd.DataFrame({"row": np.arange(1, n + 1), "title": names[pick],
                          "country": np.array(COUNTRIES)[pick % len(COUNTRIES)],
                          "conf": rng.random(n_unique)[pick],
                          "occ": rng.integers(0, len(occ), n_unique)[pick]})
    con.register("_p", frame)
    con.execute("INSERT INTO runs (run_id, command, source_file, source_sha256, status, started, finished) "
                "VALUES ('bench', 'normalize', 'bench.csv', 'x', 'finished', now(), now())")
    con.execute("INSERT INTO postings (posting_id, run_id, source_row, title_raw, title_clean, country, "
                "language, title_id) SELECT 'bench:' || row, 'bench', row, title, title, country, 'en', "
                "md5(title) FROM _p")
    uris = "(SELECT list(conceptUri ORDER BY conceptUri) FROM _occ)"
    con.execute(f"""INSERT INTO assignments (posting_id, run_id, occupation_uri, score, status, confidence)
        SELECT 'bench:' || row, 'bench', CASE WHEN conf < 0.2 THEN NULL ELSE {uris}[occ + 1] END, conf,
               CASE WHEN conf < 0.2 THEN 'abstained' ELSE 'matched' END, conf FROM _p""")
    con.execute(f"""INSERT INTO assignment_candidates
        (posting_id, run_id, rank, occupation_uri, score, confidence)
        SELECT 'bench:' || row, 'bench', r, {uris}[((occ + r * 7) % {len(occ)}) + 1], conf / r, conf / r
        FROM _p, range(1, 6) t(r)""")
    con.unregister("_p")
    return int(frame[["title", "country"]].drop_duplicates().shape[0])


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postings", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--unique-share", type=float, default=0.27)
    args = ap.parse_args()
    from jobmarket.coding.review import export_review, review_queue
    from jobmarket.store.connection import connect

    rows = []
    for n in args.postings:
        with tempfile.TemporaryDirectory() as tmp:
            con = connect(Path(tmp) / "bench.duckdb")
            t_fill, n_unique = timed(lambda: fill(con, n, args.unique_share))  # noqa: B023
            for status in ("abstained", "all"):
                t_all, q = timed(lambda: review_queue(con, status=status))  # noqa: B023
                t_500, _ = timed(lambda: review_queue(con, status=status, order="postings", limit=500))  # noqa: B023
                t_csv, done = timed(lambda: export_review(con, Path(tmp) / "q.csv", status=status))  # noqa: B023
                rows.append((n, n_unique, status, len(q), t_all, t_500, t_csv, t_fill))
                print(rows[-1], flush=True)
            con.close()
    lines = [
        "# Review queue speed (`jobmarket review export`)", "",
        f"Machine: {platform.node()} ({platform.machine()}, {load_note()} when written), "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}. Date {dt.date.today()}, commit "
        f"{commit_label()}. `python benchmarks/review.py --postings "
        f"{' '.join(map(str, args.postings))}`; one run each.", "",
        "Synthetic stores filled in DuckDB (real ESCO occupations, titles resampled from the real JobBERT "
        f"titles: {args.unique_share:.0%} as many distinct titles as postings, 8 countries, 20% abstained, "
        "5 candidates per posting; see the script). Times in seconds.", "",
        "| postings | unique (title, country) | status | queue rows | queue, all rows "
        "| --order postings --limit 500 | export CSV, all rows |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for n, u, status, q, t_all, t_500, t_csv, _ in rows:
        lines.append(f"| {n:,} | {u:,} | {status} | {q:,} | {t_all:.2f} | {t_500:.2f} | {t_csv:.2f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "review.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

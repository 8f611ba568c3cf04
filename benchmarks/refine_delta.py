"""How close a near tie must be to be re-scored in fp32 (``matching/refine.py``'s DELTA and MAX_LABELS).

normalize's matcher (exact, fuzzy, embedding stages) over the unique titles of one half of the JobBERT
titles against the English ESCO labels, offline model: its top-1 in fp32, in bf16 alone, and in bf16 with
the near ties re-scored for each (delta, max_labels). Every fp32 vector the refiner asks for is put in the
cache beforehand, so a setting costs no encoding here; its cost is the count of titles and labels it would
encode in fp32 (columns of the table), which is what a cold run pays. Choose on ``--half tune``; check the
choice on ``--half report``. The label matrices are encoded afresh (``JOBMARKET_HOME`` in a temp dir).

    python benchmarks/refine_delta.py --half tune [--deltas 0.002 0.0005 ...] [--max-labels 0 1 2 4]

Writes benchmarks/results/refine_delta_<half>.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script
from _provenance import commit_label, load_note, write_results  # noqa: E402
from speed import fresh_home  # noqa: E402

sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
STARTED_ON = commit_label()
LOAD = load_note()


def top1(matcher, titles: list[str], vectors: np.ndarray) -> list[str]:
    return [m.candidates[0][0] for m in matcher.match(titles, ["en"] * len(titles), vectors)]


def grid(half: str, deltas: list[float], max_labels: list[int | None]) -> dict:
    from jobmarket.encoders.cache import MemoryEmbeddingStore
    from jobmarket.encoders.offline.install import offline_model_path
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.split import split_titles
    from jobmarket.market import Market
    from jobmarket.matching.label_index import LabelIndex
    from jobmarket.matching.matcher import Matcher

    titles = list(dict.fromkeys(split_titles(DATA / "jobbert_eval" / "titles.csv", half)["title"]))
    with Market.open(Path(tempfile.mkdtemp()) / "m.duckdb", model=None, esco=[DATA / "esco"]) as m:
        base = LabelIndex.from_store(m.con, ["en"])
    columns = (base.uris, base.langs, base.texts, base.kinds)
    cache = MemoryEmbeddingStore()
    enc = Encoder(str(offline_model_path()), cache=cache, precision="fp32")
    index32 = LabelIndex(*map(list, columns))
    index32.embed(enc)
    # The refiner encodes labels through the titles route: its fp32 label vectors are these.
    cache.put(enc.cache_id, "anchor", [index32.texts[r] for r in index32.embedded_rows], index32.embeddings)
    reference = top1(Matcher(index32, enc), titles, enc.encode_titles(titles))
    enc.precision = "bf16"
    index16 = LabelIndex(*map(list, columns))
    index16.embed(enc)
    vectors = enc.encode_titles(titles)

    def agreement(tops: list[str]) -> float:
        return float(np.mean([a == b for a, b in zip(tops, reference, strict=True)]))

    alone = Matcher(index16, enc)
    alone.refiner = None
    rows = []
    for delta in deltas:
        for ml in max_labels:
            matcher = Matcher(index16, enc)
            matcher.refiner.delta, matcher.refiner.max_labels = delta, ml
            t0 = time.perf_counter()
            tops = top1(matcher, titles, vectors)
            s = matcher.refiner.stats
            rows.append({"delta": delta, "max_labels": ml, "agreement": agreement(tops),
                         "titles_refined": s.refined, "labels_refined": s.labels,
                         "seconds_warm": time.perf_counter() - t0})
            print(rows[-1], flush=True)
    return {"half": half, "titles": len(titles), "labels": int(len(index16.embedded_rows)),
            "bf16_alone": agreement(top1(alone, titles, vectors)), "grid": rows}


def render(res: dict) -> str:
    m = res["meta"]
    lines = [
        f"# near ties re-scored in fp32: delta and max_labels, {res['half']} half", "",
        f"- date {m['date']}; commit {m['commit']}; {m['load']} at the start",
        f"- {res['titles']:,} unique titles of the **{res['half']}** half of the JobBERT titles against "
        f"{res['labels']:,} English label rows, offline multilingual-e5-small; agreement: the same top-1 "
        "occupation as the matcher in fp32",
        f"- bf16 alone: **{res['bf16_alone']:.2%}**",
        "- fp32 encodes: what a cold run encodes again in fp32 (titles refined + their deciding labels); "
        "seconds are with those vectors cached", "",
        "| delta | max labels | agreement with fp32 | titles refined | labels re-encoded | fp32 encodes | "
        "seconds (warm) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["grid"]:
        ml = "all" if r["max_labels"] is None else r["max_labels"]
        lines.append(f"| {r['delta']:g} | {ml} | {r['agreement']:.2%} | {r['titles_refined']:,} | "
                     f"{r['labels_refined']:,} | {r['titles_refined'] + r['labels_refined']:,} | "
                     f"{r['seconds_warm']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--half", choices=["tune", "report"], default="tune")
    ap.add_argument("--deltas", type=float, nargs="+", default=[0.002, 0.001, 0.0005, 0.0003, 0.0001])
    ap.add_argument("--max-labels", nargs="+", default=["0", "1", "2", "4", "all"],
                    help="labels re-encoded per near occupation; all: every one within the window")
    args = ap.parse_args()
    max_labels = [None if x == "all" else int(x) for x in args.max_labels]
    fresh_home()  # label matrices of its own: the fp32 ones would otherwise join the shared cache
    res = grid(args.half, args.deltas, max_labels)
    res["meta"] = {"date": dt.date.today().isoformat(), "commit": STARTED_ON, "load": LOAD}
    write_results(f"refine_delta_{args.half}", res, render(res))


if __name__ == "__main__":
    main()

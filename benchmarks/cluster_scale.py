"""`jobmarket cluster` at corpus scale (issue 15): the whole fit on 100k and 400k titles, time and memory.

The vectors are real: the ESCO label vectors that a cold ``normalize`` leaves in the label-index cache
(``~/.cache/jobmarket/label_index/``, one matrix per language; ``make demo`` writes ten). Sizes beyond the
cached labels are filled with perturbed copies of them (cosine ~0.97 to their source, as spelling variants
of one title are), so the set keeps the labels' real neighbourhood structure. Each size runs in a fresh
process, which reports its own peak RSS; the fit is :class:`TitleClusterer` with its defaults (language
centring, PCA to 64 dims, HDBSCAN leaf with min_cluster_size 2 and min_samples 1 fitted on at most 100k
titles, the most posted, the others placed in its tree; the bookkeeping). ``--full`` sizes are fitted
once more on all their titles, and the table gives the adjusted Rand index of the two partitions
(outliers as singletons).

    python benchmarks/cluster_scale.py [--sizes 100000 400000] [--full 100000] [--timeout-min 40]

Writes benchmarks/results/cluster_scale.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script
from _provenance import commit_label, load_note, write_results  # noqa: E402

STARTED_ON = commit_label()
sys.path.insert(0, str(ROOT))
OFFLINE_DIM = 384  # multilingual-e5-small
NOISE = 0.0128  # per-dimension noise of a copy: cosine ~1 / sqrt(1 + 384 * NOISE**2) = 0.97 to its source


def cached_vectors() -> tuple[np.ndarray, list[str]]:
    """The label-index cache's matrices (one per language, named by a hash), with a tag per file."""
    from jobmarket.encoders.offline.install import models_dir

    folder = models_dir().parent / "label_index"
    files = sorted(folder.glob("*.npy")) if folder.is_dir() else []
    if not files:
        sys.exit(f"no label vectors in {folder}: run `make demo` (a cold normalize) first")
    # The cache holds every model's matrices: keep the offline e5-small's (384-d; a trained head is 1024-d).
    mats = [m for m in (np.load(f) for f in files) if m.ndim == 2 and m.shape[1] == OFFLINE_DIM]
    if not mats:
        sys.exit(f"no {OFFLINE_DIM}-d label vectors in {folder}: run `make demo` (a cold normalize) first")
    tags = np.array([f"lang{i}" for i, m in enumerate(mats) for _ in range(len(m))])
    x = np.concatenate(mats).astype(np.float32)
    # A label text repeated in several rows (or languages) has one vector: keep each vector once.
    _, first = np.unique(x, axis=0, return_index=True)
    first.sort()
    return x[first], tags[first].tolist()


def one_size(n: int, fit_sample: int | None, labels_to: str | None, seed: int = 7) -> dict:
    from jobmarket.clustering.clusterer import TitleClusterer

    base, tags = cached_vectors()
    rng = np.random.default_rng(seed)
    if n <= len(base):
        pick = rng.choice(len(base), n, replace=False)
        x, langs = base[pick], [tags[i] for i in pick]
        copies = 0
    else:
        src = rng.integers(0, len(base), n - len(base))
        noisy = base[src] + NOISE * rng.standard_normal((len(src), base.shape[1]), dtype=np.float32)
        x = np.concatenate([base, noisy])
        langs = tags + [tags[i] for i in src]
        copies = len(src)
    ids = [f"t{i:07d}" for i in range(n)]
    weights = rng.integers(1, 20, n).astype(float)
    tc = TitleClusterer() if fit_sample is None else TitleClusterer(fit_sample=fit_sample)
    t0 = time.perf_counter()
    fit = tc.fit(ids, x, weights=weights, languages=langs)
    seconds = time.perf_counter() - t0
    if labels_to:
        np.save(labels_to, fit.cluster)
    return {
        "fitted_on": len(tc.fit_points_),
        "titles": n, "distinct_label_vectors": len(base), "perturbed_copies": copies, "seconds": seconds,
        "clusters": fit.n_clusters, "outlier_share": float((fit.cluster < 0).mean()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "params": tc.params(),
    }


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two partitions, each outlier its own singleton."""
    from sklearn.metrics import adjusted_rand_score

    def singletons(x: np.ndarray) -> np.ndarray:
        x = x.copy()
        out = x < 0
        x[out] = x.max() + 1 + np.arange(out.sum())
        return x

    return float(adjusted_rand_score(singletons(a), singletons(b)))


def render(res: dict) -> str:
    from jobmarket.clustering.clusterer import DEFAULT_FIT_SAMPLE

    m = res["meta"]
    lines = [
        "# `jobmarket cluster` at corpus scale: the whole fit", "",
        f"- date {m['date']}; commit {m['commit']}; {m['machine']}, {m['cpus']} CPUs; {m['load']}",
        "- vectors: the offline multilingual-e5-small's distinct ESCO label vectors from a cold "
        "`make demo`'s label-index cache (ten languages), sizes beyond them filled with perturbed copies "
        "(cosine ~0.97 to their source); `TitleClusterer()` defaults (language centring, PCA 64, HDBSCAN "
        f"leaf, min_cluster_size 2, min_samples 1, fitted on the {DEFAULT_FIT_SAMPLE:,} most posted titles "
        "and the others placed by approximate_predict); each run in a fresh process", "",
        "| titles | of them perturbed copies | HDBSCAN fitted on | seconds | clusters | outliers | "
        "peak RSS MB | ARI to the fit on all |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["sizes"]:
        if "error" in r:
            lines.append(f"| {r['titles']:,} | | {r.get('fitted_on', '')} | {r['error']} | | | | |")
            continue
        ari = f"{r['ari_to_full']:.3f}" if "ari_to_full" in r else ""
        lines.append(f"| {r['titles']:,} | {r['perturbed_copies']:,} | {r['fitted_on']:,} | "
                     f"{r['seconds']:.0f} | {r['clusters']:,} | {r['outlier_share']:.1%} | "
                     f"{r['peak_rss_mb']:,} | {ari} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 400_000])
    ap.add_argument("--full", type=int, nargs="*", default=[],
                    help="sizes also fitted on all their titles, for the ARI column")
    ap.add_argument("--timeout-min", type=float, default=40.0, help="per size")
    # The child process's size, fit sample (0: all) and where it saves its labels.
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        n, sample, labels_to = int(args.one[0]), int(args.one[1]), args.one[2]
        print(json.dumps(one_size(n, None if sample < 0 else sample, f"/tmp/cluster_scale_{labels_to}.npy")))
        return
    out = []
    runs = [(n, -1) for n in args.sizes] + [(n, 0) for n in args.full]
    for n, sample in runs:
        tag = f"{n}_{sample}_{os.getpid()}"
        try:
            run = subprocess.run([sys.executable, __file__, "--one", str(n), str(sample), tag],
                                 capture_output=True, text=True, timeout=args.timeout_min * 60)
        except subprocess.TimeoutExpired:
            out.append({"titles": n, "fitted_on": f"{n:,}" if sample == 0 else "",
                        "error": f"not finished in {args.timeout_min:.0f} min"})
            print(out[-1], flush=True)
            if sample < 0:
                break  # a larger size would not finish either
            continue
        if run.returncode:
            out.append({"titles": n, "error": run.stderr.strip().splitlines()[-1][:200]})
        else:
            out.append(json.loads(run.stdout.strip().splitlines()[-1]))
            if sample == 0:  # compare with the default fit of the same size
                ref = next((r for r in out[:-1] if r["titles"] == n and "error" not in r), None)
                if ref is not None:
                    ref["ari_to_full"] = _ari(np.load(f"/tmp/cluster_scale_{n}_-1_{os.getpid()}.npy"),
                                              np.load(f"/tmp/cluster_scale_{tag}.npy"))
        print(out[-1], flush=True)
    res = {"sizes": out, "meta": {
        "date": dt.date.today().isoformat(), "commit": STARTED_ON, "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}", "load": f"{load_note()} at the start"}}
    write_results("cluster_scale", res, render(res))


if __name__ == "__main__":
    main()

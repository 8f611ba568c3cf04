"""Metrics of the evaluation tasks: IR metrics through ``ir_measures`` (pytrec_eval underneath, not
hand-written code), cosine ranking into ir_measures runs, and Wang & Isola's alignment and uniformity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


def ir_metrics(qrels: Qrels, run: Run, measures: Sequence[str]) -> dict[str, float]:
    """Aggregate IR metrics by name (``AP``, ``RR``, ``nDCG@10``, ``Success@1``, ``R@10``) via ir_measures.

    Only queries with at least one relevant document count; a query absent from ``run`` scores 0.
    """
    import ir_measures

    qrels = {q: d for q, d in qrels.items() if any(v > 0 for v in d.values())}
    # pytrec_eval skips queries missing from the run; give them an empty-but-present ranking instead.
    run = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    parsed = [ir_measures.parse_measure(m) for m in measures]
    agg = ir_measures.calc_aggregate(parsed, qrels, run)
    return {name: float(agg[m]) for name, m in zip(measures, parsed, strict=True)}


def rank(
    q_vecs: np.ndarray,
    d_vecs: np.ndarray,
    q_ids: Sequence[str],
    d_ids: Sequence[str],
    k: int | None = None,
    chunk: int = 512,
) -> Run:
    """Cosine top-k (all documents when ``k`` is None) of normalised vectors, as an ir_measures run."""
    run: Run = {}
    k = len(d_ids) if k is None else min(k, len(d_ids))
    for start in range(0, len(q_ids), chunk):
        sims = q_vecs[start : start + chunk] @ d_vecs.T
        top = (
            np.argpartition(-sims, k - 1, axis=1)[:, :k]
            if k < len(d_ids)
            else np.tile(np.arange(len(d_ids)), (len(sims), 1))
        )
        for r, row in enumerate(top):
            run[q_ids[start + r]] = {d_ids[j]: float(sims[r, j]) for j in row}
    return run


def alignment(x: np.ndarray, y: np.ndarray, alpha: float = 2.0) -> float:
    """Wang & Isola's alignment: mean ‖f(x) − f(y)‖^α over positive pairs (lower is better)."""
    return float(np.mean(np.linalg.norm(x - y, axis=1) ** alpha))


def uniformity(x: np.ndarray, t: float = 2.0) -> float:
    """Wang & Isola's uniformity: log of the mean of exp(−t‖f(a) − f(b)‖²) over distinct pairs."""
    sq = (
        np.clip(2.0 - 2.0 * (x @ x.T), 0.0, None)
        if np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-3)
        else ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    )
    iu = np.triu_indices(len(x), k=1)
    return float(np.log(np.mean(np.exp(-t * sq[iu]))))

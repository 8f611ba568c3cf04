"""Exact nearest neighbours by blocked matrix products, for HDBSCAN's ``approximate_predict``.

HDBSCAN keeps a KD-tree over the fitted points to find each new point's neighbours. In the 64 PCA
dimensions the clusterer works in, a tree prunes almost nothing, and its per-point queries ran at ~700
points/s against 25k fitted titles (benchmarks/results/cluster_scale.md). The same exact neighbours come
from ``|a|² + |b|² - 2ab`` in blocks of BLAS products, ~two orders of magnitude faster, with the tree's
``query`` interface so hdbscan's own placement logic runs unchanged.
"""

from __future__ import annotations

import numpy as np

BLOCK = 1 << 24  # distances held at once (128 MB in float64)


class ExactNeighbors:
    """``query(points, k)`` like sklearn's KDTree: (distances, indices), each row nearest first."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.ascontiguousarray(data, dtype=np.float64)
        self.sq = np.einsum("ij,ij->i", self.data, self.data)

    def query(self, points: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        points = np.asarray(points, dtype=np.float64)
        n, k = len(points), min(k, len(self.data))
        dist = np.empty((n, k))
        idx = np.empty((n, k), dtype=np.int64)
        step = max(1, BLOCK // max(1, len(self.data)))
        for start in range(0, n, step):
            block = points[start : start + step]
            d2 = self.sq[None, :] - 2.0 * (block @ self.data.T)
            d2 += np.einsum("ij,ij->i", block, block)[:, None]
            part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < d2.shape[1] else np.tile(
                np.arange(d2.shape[1]), (len(block), 1))
            near = np.take_along_axis(d2, part, axis=1)
            order = np.argsort(near, axis=1, kind="stable")
            idx[start : start + step] = np.take_along_axis(part, order, axis=1)
            dist[start : start + step] = np.sqrt(np.maximum(np.take_along_axis(near, order, axis=1), 0.0))
        return dist, idx

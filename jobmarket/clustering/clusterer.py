"""Title clusters: HDBSCAN over the embeddings of unique cleaned titles, BERTopic-style.

A :class:`TitleClusterer` is a reducer (default: PCA) followed by a clusterer (default: HDBSCAN with
prediction data); both are swappable objects. Cosine geometry comes from L2-normalised vectors: the
input is normalised, and normalised again after the reduction, so euclidean distance on the unit
sphere ranks like cosine distance.

Language centering: a multilingual encoder puts a strong "which language" direction into every vector,
so labels of one language sit together more than labels of one occupation. Subtracting each language's
mean vector (shrunk towards the overall mean for rare languages) before the reduction removes most of it:
on ESCO preferred labels in five languages it doubled the share of nearest neighbours from the same
occupation (0.25 → 0.48) and tripled the adjusted Rand index (see benchmarks/results/cluster.md).

Determinism: inputs are sorted by title id before fitting, PCA uses a full SVD with a fixed seed, and
cluster ids are ordered by size (postings, then titles) and then by the smallest title id, so the same
titles give the same clusters and ids whatever their row order. A fitted clusterer is kept as plain
arrays and parameters (:mod:`jobmarket.clustering.state`, never a pickle) so later titles can be assigned
to the existing clusters without a refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jobmarket.errors import JobmarketError

# Chosen on ESCO labels in five languages and the EURES postings (benchmarks/results/cluster.md): 64 PCA
# dims keep most of the full vectors' ARI at a fraction of the time; leaf selection with min_cluster_size 2
# and min_samples 1 gives the fine, title-level clusters with the fewest outliers.
DEFAULT_DIMS = 64
DEFAULT_MIN_CLUSTER_SIZE = 2
DEFAULT_MIN_SAMPLES = 1
DEFAULT_SELECTION = "leaf"
# HDBSCAN's fit grows about quadratically in 64 dims on 2 cores (25k titles 25 s, 50k 100 s, 100k ~10 min;
# benchmarks/results/cluster_scale.md): beyond this many titles it is fitted on the ones with the most
# postings and the rest are placed in its tree by approximate_predict, as new titles are later. A 50k sample
# of 100k titles agreed with the fit on all at ARI 0.44 only, so the sample is as large as a fit in minutes.
DEFAULT_FIT_SAMPLE = 100_000
NEAREST_BLOCK = 1 << 24  # similarities held at once when finding each title's nearest centroid (128 MB)
LANGUAGE_SHRINK = 5.0  # a language's mean counts as if it had this many more titles at the overall mean


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


@dataclass
class ClusterFit:
    """Per title, in the order of ``ids`` (sorted): its cluster and how firmly it belongs there.

    ``cluster`` is -1 for an outlier. ``nearest``/``nearest_similarity`` give every title its closest
    cluster by cosine to the cluster centroids (for outliers: the cluster they would be attached to).
    ``centrality`` is the cosine to the title's own cluster centroid (to the nearest one for outliers).
    """

    ids: list[str]
    cluster: np.ndarray
    probability: np.ndarray
    centrality: np.ndarray
    nearest: np.ndarray
    nearest_similarity: np.ndarray

    @property
    def n_clusters(self) -> int:
        return int(self.cluster.max()) + 1 if len(self.cluster) else 0


class TitleClusterer:
    """Reduce, then cluster unit-normalised title embeddings.

    Args:
        reducer: an object with ``fit_transform``/``transform`` (e.g. sklearn's PCA or UMAP), ``"pca"``
            for PCA to ``reduce_dims`` dimensions, or None to cluster the full vectors.
        clusterer: an object with ``fit`` that sets ``labels_`` (and ideally ``probabilities_``), or None
            for HDBSCAN with the parameters below and ``prediction_data=True``.
        reduce_dims: PCA target dimension (capped by the number of titles and the input dimension).
        min_cluster_size, min_samples, selection: HDBSCAN's parameters (``selection`` is
            ``cluster_selection_method``: ``leaf`` gives fine clusters, ``eom`` larger ones).
        center_languages: subtract each language's mean vector before reducing (needs ``languages``).
        fit_sample: fit the clusterer on at most this many titles (those with the most postings, ties by
            id) and assign the others to its clusters as :meth:`predict` does; None or 0: fit on all.
        seed: the reducer's random state.
    """

    def __init__(
        self,
        reducer: Any = "pca",
        clusterer: Any = None,
        *,
        reduce_dims: int | None = DEFAULT_DIMS,
        min_cluster_size: int = DEFAULT_MIN_CLUSTER_SIZE,
        min_samples: int | None = DEFAULT_MIN_SAMPLES,
        selection: str = DEFAULT_SELECTION,
        center_languages: bool = True,
        fit_sample: int | None = DEFAULT_FIT_SAMPLE,
        seed: int = 0,
    ) -> None:
        if min_cluster_size < 2:
            raise JobmarketError(f"min_cluster_size must be at least 2 (got {min_cluster_size})")
        if selection not in ("eom", "leaf"):
            raise JobmarketError(f"selection must be 'eom' or 'leaf' (got {selection!r})")
        self.reducer = reducer
        self.clusterer = clusterer
        self.reduce_dims = reduce_dims
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.selection = selection
        self.center_languages = center_languages
        self.fit_sample = fit_sample or None
        self.seed = seed
        self.language_means_: dict[str, np.ndarray] = {}
        self.overall_mean_: np.ndarray | None = None
        self.centroids_: np.ndarray | None = None
        self.raw_to_id_: dict[int, int] = {}
        self.input_dim_: int | None = None

    # ------------------------------------------------------------------ fitting
    def _make_reducer(self, n: int, d: int) -> Any:
        if self.reducer != "pca":
            return self.reducer
        if not self.reduce_dims:
            return None
        dims = min(self.reduce_dims, d, n - 1)
        if dims < 2 or dims >= d:
            return None
        from sklearn.decomposition import PCA

        # A full SVD is exact and deterministic; sklearn fixes the component signs.
        return PCA(n_components=dims, svd_solver="full", random_state=self.seed)

    def _make_clusterer(self) -> Any:
        if self.clusterer is not None:
            return self.clusterer
        import hdbscan

        return hdbscan.HDBSCAN(
            min_cluster_size=self.min_cluster_size,
            min_samples=self.min_samples,
            metric="euclidean",
            cluster_selection_method=self.selection,
            prediction_data=True,
            core_dist_n_jobs=1,
        )

    def fit(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        weights: Sequence[float] | None = None,
        languages: Sequence[str | None] | None = None,
    ) -> ClusterFit:
        """Cluster ``vectors`` (one row per title id). ``weights`` (postings per title) order the cluster
        ids; ``languages`` (one per title, None where unknown) are used for language centering.

        The result is in sorted-id order, whatever the order of the input.
        """
        ids = [str(i) for i in ids]
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(ids) != len(vectors):
            raise JobmarketError(
                f"need one vector per title: {len(ids)} ids, vectors of shape {vectors.shape}"
            )
        if len(set(ids)) != len(ids):
            raise JobmarketError("title ids must be unique")
        order = np.argsort(np.asarray(ids, dtype=object), kind="stable")
        ids = [ids[i] for i in order]
        x = unit_rows(vectors[order])
        w = np.ones(len(ids)) if weights is None else np.asarray(weights, dtype=np.float64)[order]
        langs = _langs(languages, len(order))
        x = self._center(x, [langs[i] for i in order], fit=True)
        self.input_dim_ = x.shape[1]
        self.reducer_ = self._make_reducer(*x.shape)
        z = self._reduce(x, fit=True)
        self.clusterer_ = self._make_clusterer()
        sample = self._sample(w)
        raw = np.full(len(ids), -1, dtype=np.int64)
        prob = np.zeros(len(ids))
        if len(sample) >= max(self.min_cluster_size, 2):  # else too few titles for any cluster: all outliers
            self.fit_clusterer(z[sample])
            raw[sample] = np.asarray(self.clusterer_.labels_)
            prob[sample] = getattr(self.clusterer_, "probabilities_", (raw[sample] >= 0).astype(float))
            rest = np.setdiff1d(np.arange(len(ids)), sample)
            if len(rest) and (raw[sample] >= 0).any():
                raw[rest], prob[rest] = self._place(z[rest], raw_ids=True)
        self._stable_ids(raw, w, ids)
        cluster = self._map(raw)
        self.centroids_ = self._centroids(z, cluster)
        # What state.py keeps to rebuild the clusterer: the points it was fitted on.
        self.fit_points_, self.fit_labels_ = z[sample], cluster[sample]
        return self._result(ids, z, cluster, prob)

    def _sample(self, weights: np.ndarray) -> np.ndarray:
        """Positions (sorted) of the titles the clusterer is fitted on: all, or the most posted."""
        n = len(weights)
        if not self.fit_sample or n <= self.fit_sample:
            return np.arange(n)
        order = np.lexsort((np.arange(n), -weights))  # most postings first, then sorted id
        return np.sort(order[: self.fit_sample])

    def fit_clusterer(self, z: np.ndarray) -> None:
        """Fit the clusterer on reduced points; HDBSCAN gets exact BLAS neighbours for its predictions."""
        self.clusterer_.fit(z)
        if _is_hdbscan(self.clusterer_):
            from jobmarket.clustering.neighbors import ExactNeighbors

            self.clusterer_.prediction_data_.tree = ExactNeighbors(z)

    def _center(self, x: np.ndarray, langs: list[str], fit: bool = False) -> np.ndarray:
        if not self.center_languages:
            return x
        if fit:
            self.overall_mean_ = x.mean(axis=0)
            self.language_means_ = {}
            names, code = np.unique(np.asarray(langs, dtype=object), return_inverse=True)
            # One pass over the rows for all languages (np.add.at), not one scan per language.
            sums = np.zeros((len(names), x.shape[1]))
            np.add.at(sums, code, x)
            counts = np.bincount(code, minlength=len(names))
            for j, lang in enumerate(names.tolist()):
                self.language_means_[lang] = (sums[j] + LANGUAGE_SHRINK * self.overall_mean_) / (
                    counts[j] + LANGUAGE_SHRINK
                )
        # A language unseen at fit time gets the overall mean: centred, not language-corrected.
        names, code = np.unique(np.asarray(langs, dtype=object), return_inverse=True)
        table = np.stack([self.language_means_.get(lang, self.overall_mean_) for lang in names.tolist()])
        return unit_rows(x - table[code.reshape(-1)])

    def _reduce(self, x: np.ndarray, fit: bool = False) -> np.ndarray:
        if self.reducer_ is None:
            return x
        z = self.reducer_.fit_transform(x) if fit else self.reducer_.transform(x)
        return unit_rows(z)

    def _stable_ids(self, raw: np.ndarray, weights: np.ndarray, ids: list[str]) -> None:
        """Number clusters by postings, then titles (both descending), then their smallest title id."""
        raw = np.asarray(raw, dtype=np.int64)
        inside = np.flatnonzero(raw >= 0)
        # Per cluster in one pass each (bincount), not one scan of all titles per cluster.
        labels, first = np.unique(raw[inside], return_index=True)
        posts = np.bincount(raw[inside], weights=np.asarray(weights, dtype=np.float64)[inside])[labels]
        sizes = np.bincount(raw[inside])[labels]
        keys = [(-float(w), -int(n), ids[inside[f]], int(label))
                for label, f, w, n in zip(labels, first, posts, sizes, strict=True)]
        self.raw_to_id_ = {label: new for new, (*_, label) in enumerate(sorted(keys))}

    def _map(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.int64).reshape(-1)
        if not self.raw_to_id_ or not len(raw):
            return np.full(len(raw), -1, dtype=np.int64)
        lut = np.full(max(max(self.raw_to_id_), int(raw.max())) + 2, -1, dtype=np.int64)  # last slot: -1
        for old, new in self.raw_to_id_.items():
            lut[old] = new
        return lut[np.where(raw >= 0, raw, len(lut) - 1)]

    @staticmethod
    def _centroids(z: np.ndarray, cluster: np.ndarray) -> np.ndarray:
        k = int(cluster.max()) + 1 if len(cluster) else 0
        if k <= 0:
            return np.zeros((0, z.shape[1]))
        inside = cluster >= 0
        sums = np.zeros((k, z.shape[1]))
        np.add.at(sums, cluster[inside], z[inside])  # one pass over the titles for every cluster
        counts = np.bincount(cluster[inside], minlength=k)
        return unit_rows(sums / np.maximum(counts, 1)[:, None])

    def _nearest(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.centroids_ is None or not len(self.centroids_):
            return np.full(len(z), -1), np.zeros(len(z))
        # In row blocks: a titles × clusters matrix at once is 400k × 80k floats (256 GB) at corpus scale.
        best = np.empty(len(z), dtype=np.int64)
        sim = np.empty(len(z))
        step = max(1, NEAREST_BLOCK // len(self.centroids_))
        for start in range(0, len(z), step):
            sims = z[start : start + step] @ self.centroids_.T
            top = sims.argmax(axis=1)
            best[start : start + step] = top
            sim[start : start + step] = sims[np.arange(len(top)), top]
        return best, sim

    def _result(self, ids: list[str], z: np.ndarray, cluster: np.ndarray, prob: np.ndarray) -> ClusterFit:
        nearest, nearest_sim = self._nearest(z)
        own = np.where(cluster >= 0, cluster, nearest)
        centrality = (
            np.einsum("ij,ij->i", z, self.centroids_[own]) if len(self.centroids_) else np.zeros(len(ids))
        )
        prob = np.where(cluster >= 0, prob, 0.0)
        return ClusterFit(ids, cluster, prob, centrality, nearest, nearest_sim)

    # ------------------------------------------------------------------ incremental
    def predict(
        self, ids: Sequence[str], vectors: np.ndarray, languages: Sequence[str | None] | None = None
    ) -> ClusterFit:
        """Assign new titles to the fitted clusters without refitting.

        HDBSCAN's ``approximate_predict`` places each title in the condensed tree: it joins a cluster
        (with a strength) or stays an outlier. Other clusterers use their ``predict`` if they have one,
        else the nearest centroid.
        """
        if self.centroids_ is None:
            raise JobmarketError("the clusterer is not fitted")
        ids = [str(i) for i in ids]
        if not ids:
            return ClusterFit([], *(np.zeros(0, dtype=t) for t in (np.int64, float, float, np.int64, float)))
        vectors = np.asarray(vectors)
        if vectors.shape[1] != self.input_dim_:
            raise JobmarketError(
                f"vectors have {vectors.shape[1]} dimensions, the clusters were fitted on {self.input_dim_}: "
                "refit with the store's current model"
            )
        z = self._reduce(self._center(unit_rows(vectors), _langs(languages, len(ids))))
        if not self.raw_to_id_:
            raw, prob = np.full(len(ids), -1), np.zeros(len(ids))
        else:
            raw, prob = self._place(z)
        return self._result(ids, z, self._map(np.asarray(raw)), np.asarray(prob, dtype=float))

    def _place(self, z: np.ndarray, raw_ids: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The fitted clusterer's raw label and strength for each reduced point, without refitting.

        ``raw_ids``: during :meth:`fit`, before the ids are numbered, when there are no centroids yet.
        """
        if _is_hdbscan(self.clusterer_):
            import hdbscan

            raw, prob = hdbscan.approximate_predict(self.clusterer_, z)
        elif hasattr(self.clusterer_, "predict"):
            raw = np.asarray(self.clusterer_.predict(z))
            prob = (raw >= 0).astype(float)
        elif raw_ids:
            raise JobmarketError(f"{type(self.clusterer_).__name__} has no predict(): fit it on all titles "
                                 "(fit_sample=None)")
        else:
            inverse = {v: k for k, v in self.raw_to_id_.items()}
            nearest, sim = self._nearest(z)
            raw, prob = np.array([inverse[int(c)] for c in nearest]), sim
        return np.asarray(raw, dtype=np.int64), np.asarray(prob, dtype=float)

    # The fitted state is kept as parameters and arrays by jobmarket.clustering.state (no pickles).
    def params(self) -> dict[str, Any]:
        """What shaped the fit; a clustering run's identity."""
        return {
            "reducer": self.reducer
            if isinstance(self.reducer, str) or self.reducer is None
            else type(self.reducer).__name__,
            "clusterer": "hdbscan" if self.clusterer is None else type(self.clusterer).__name__,
            "reduce_dims": self.reduce_dims,
            "min_cluster_size": self.min_cluster_size,
            "min_samples": self.min_samples,
            "selection": self.selection,
            "center_languages": self.center_languages,
            "fit_sample": self.fit_sample or 0,
            "seed": self.seed,
        }


def _langs(languages: Sequence[str | None] | None, n: int) -> list[str]:
    if languages is None:
        return [""] * n
    if len(languages) != n:
        raise JobmarketError(f"need one language per title: {len(languages)} languages for {n} titles")
    return [lang or "" for lang in languages]


def _is_hdbscan(obj: Any) -> bool:
    return type(obj).__name__ == "HDBSCAN" and hasattr(obj, "prediction_data_")

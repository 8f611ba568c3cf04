"""A fitted :class:`TitleClusterer` as parameters and plain numeric arrays, and back.

A store is data, never code: nothing here is pickled. Kept are the language means, the PCA basis, the
cluster centroids and the fitted points in the reduced space with their cluster ids. HDBSCAN itself is
rebuilt from those points when new titles are to be assigned (the same points and parameters give the same
tree, so approximate_predict places new titles as the original would; cluster ids are mapped back through
the kept ids). A custom reducer or clusterer object cannot be kept as data: such a fit needs a refit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jobmarket.errors import JobmarketError

FORMAT = 2  # the layout of the arrays; another one means: refit


def to_arrays(tc) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays): JSON-able parameters and float arrays of a fitted clusterer."""
    if tc.centroids_ is None:
        raise JobmarketError("the clusterer is not fitted")
    langs = sorted(tc.language_means_)
    reducer = getattr(tc, "reducer_", None)
    meta = {
        "format": FORMAT,
        "params": tc.params(),
        "languages": langs,
        "input_dim": tc.input_dim_,
        "reducer_kind": "none" if reducer is None else ("pca" if _is_pca(reducer) else "custom"),
        "clusterer_kind": "hdbscan" if tc.clusterer is None else "custom",
    }
    arrays = {
        "centroids": np.asarray(tc.centroids_, np.float64),
        "fit_points": np.asarray(tc.fit_points_, np.float64),
        "fit_labels": np.asarray(tc.fit_labels_, np.float64),
    }
    if tc.overall_mean_ is not None:
        arrays["overall_mean"] = np.asarray(tc.overall_mean_, np.float64)
        arrays["language_means"] = (np.stack([tc.language_means_[lang] for lang in langs]) if langs
                                    else np.zeros((0, len(tc.overall_mean_))))
    if meta["reducer_kind"] == "pca":
        arrays["pca_components"] = np.asarray(reducer.components_, np.float64)
        arrays["pca_mean"] = np.asarray(reducer.mean_, np.float64)
    return meta, arrays


def from_arrays(meta: dict[str, Any], arrays: dict[str, np.ndarray]):
    """A clusterer that assigns new titles as the saved fit would (HDBSCAN rebuilt from the kept points)."""
    from jobmarket.clustering.clusterer import TitleClusterer

    if meta.get("format") != FORMAT:
        raise JobmarketError("the saved clustering was written by another jobmarket version: refit it")
    if meta["reducer_kind"] == "custom" or meta["clusterer_kind"] == "custom":
        raise JobmarketError("the saved clustering used a custom reducer or clusterer, which a store cannot "
                             "keep: pass --refit (refit=True)")
    p = meta["params"]
    tc = TitleClusterer(reduce_dims=p["reduce_dims"], min_cluster_size=p["min_cluster_size"],
                        min_samples=p["min_samples"], selection=p["selection"],
                        center_languages=p["center_languages"], fit_sample=p.get("fit_sample") or None,
                        seed=p["seed"])
    tc.input_dim_ = meta["input_dim"]
    if "overall_mean" in arrays:
        tc.overall_mean_ = arrays["overall_mean"]
        tc.language_means_ = dict(zip(meta["languages"], arrays["language_means"], strict=True))
    tc.reducer_ = _pca(arrays) if meta["reducer_kind"] == "pca" else None
    tc.centroids_ = arrays["centroids"]
    points, labels = arrays["fit_points"], arrays["fit_labels"].astype(np.int64)
    tc.fit_points_, tc.fit_labels_ = points, labels
    tc.clusterer_ = tc._make_clusterer()
    tc.raw_to_id_ = {}
    if len(points) >= max(tc.min_cluster_size, 2) and (labels >= 0).any():
        tc.fit_clusterer(points)
        raw = np.asarray(tc.clusterer_.labels_)
        for label in sorted(set(raw.tolist()) - {-1}):
            kept = labels[raw == label]
            kept = kept[kept >= 0]
            if len(kept):  # the kept id most of its members had
                tc.raw_to_id_[label] = int(np.bincount(kept).argmax())
    return tc


def _is_pca(obj: Any) -> bool:
    return type(obj).__name__ == "PCA" and hasattr(obj, "components_")


def _pca(arrays: dict[str, np.ndarray]):
    """sklearn's PCA with the kept basis: transform() is (x - mean) @ components.T, as fitted."""
    from sklearn.decomposition import PCA

    comps = arrays["pca_components"]
    pca = PCA(n_components=comps.shape[0])
    pca.components_, pca.mean_ = comps, arrays["pca_mean"]
    pca.n_components_, pca.n_features_in_ = comps.shape[0], comps.shape[1]
    pca.explained_variance_ = np.ones(comps.shape[0])  # unused without whitening
    return pca

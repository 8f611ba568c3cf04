"""The clusterer's per-cluster bookkeeping (stable ids, label map, centroids, language means), done with
bincount/np.add.at, equals the straightforward per-cluster scans it replaced."""

from __future__ import annotations

import numpy as np

from jobmarket.clustering.clusterer import LANGUAGE_SHRINK, TitleClusterer, unit_rows


def _scans(raw, w, ids, z, langs):
    keys = []
    for label in sorted(set(raw.tolist()) - {-1}):
        members = np.flatnonzero(raw == label)
        keys.append((-w[members].sum(), -len(members), ids[members[0]], label))
    mapping = {label: new for new, (*_, label) in enumerate(sorted(keys))}
    cluster = np.array([mapping.get(int(r), -1) for r in raw], dtype=np.int64)
    cents = np.stack([z[cluster == c].mean(axis=0) for c in range(int(cluster.max()) + 1)])
    overall = z.mean(axis=0)
    arr = np.asarray(langs, dtype=object)
    means = {}
    for lang in sorted(set(langs)):
        rows = z[arr == lang]
        means[lang] = (rows.sum(axis=0) + LANGUAGE_SHRINK * overall) / (len(rows) + LANGUAGE_SHRINK)
    return mapping, cluster, unit_rows(cents), means


def test_bookkeeping_equals_per_cluster_scans():
    rng = np.random.default_rng(0)
    n, k = 5_000, 240
    raw = np.where(rng.random(n) < 0.3, -1, rng.integers(0, k, n))
    raw[raw == 7] = -1  # a label HDBSCAN never used
    w = rng.integers(1, 9, n).astype(float)
    ids = [f"t{i:05d}" for i in range(n)]
    z = rng.standard_normal((n, 16))
    langs = rng.choice(["en", "de", "", "pl"], n).tolist()
    mapping, cluster, cents, means = _scans(raw, w, ids, z, langs)

    tc = TitleClusterer(center_languages=True)
    tc._stable_ids(raw, w, ids)
    assert tc.raw_to_id_ == mapping
    got = tc._map(raw)
    assert np.array_equal(got, cluster)
    assert np.allclose(tc._centroids(z, got), cents)
    centred = tc._center(z, langs, fit=True)
    assert tc.language_means_.keys() == means.keys()
    assert all(np.allclose(tc.language_means_[lang], means[lang]) for lang in means)
    expected = unit_rows(z - np.stack([means[lang] for lang in langs]))
    assert np.allclose(centred, expected)
    # Unseen languages at predict time get the overall mean; labels outside the map become outliers.
    assert np.allclose(tc._center(z[:3], ["xx"] * 3), unit_rows(z[:3] - tc.overall_mean_))
    assert np.array_equal(tc._map(np.array([-1, 7, 3])), np.array([-1, -1, mapping[3]]))

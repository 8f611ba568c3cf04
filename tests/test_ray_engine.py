"""`--engine ray`: encode and match on a (local, 2-CPU) Ray cluster with Ray Data; the run must equal the
local engine's row for row."""

from __future__ import annotations

import numpy as np
import pytest

from jobmarket.market import Market
from tests.procs import postings_file

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

pytestmark = pytest.mark.slow  # starting Ray and its worker takes ~1 minute on 2 shared cores


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def run(db, src, model, esco, **kw):
    with Market.open(db, model=str(model), esco=[esco]) as m:
        result = m.normalize(src, threshold=0.99, **kw)
        rep, res = result.report, result.df()
        titles = m.sql("SELECT title_id, title_clean, language, n_postings, embedding FROM titles "
                       "ORDER BY title_id")
        cache = m.sql("SELECT count(*) AS n FROM embedding_cache WHERE route = 'anchor'")["n"][0]
    return rep, res, titles, cache


def test_ray_engine_equals_local_engine(local_ray, tmp_path, esco_subset, tiny_model):
    src = postings_file(tmp_path / "postings.csv", 150)
    rep_l, local, titles_l, cache_l = run(tmp_path / "local.duckdb", src, tiny_model, esco_subset)
    rep_r, remote, titles_r, cache_r = run(tmp_path / "ray.duckdb", src, tiny_model, esco_subset,
                                           engine="ray")
    assert rep_r.engine == "ray" and rep_r.run_id == rep_l.run_id
    assert rep_r.counts == rep_l.counts and rep_r.n_unique_titles == rep_l.n_unique_titles > 10
    assert len(remote) == len(local) == 150
    exact = ["posting_id", "source_row", "title_clean", "language", "status", "reason", "occupation_uri",
             "label", "isco_code", "method"]
    assert remote[exact].equals(local[exact])
    np.testing.assert_allclose(remote["score"].astype(float), local["score"].astype(float), atol=1e-5)
    np.testing.assert_allclose(remote["margin"].astype(float), local["margin"].astype(float), atol=1e-5)
    for a, b in zip(remote["candidates"], local["candidates"], strict=True):
        assert [c["occupation_uri"] for c in a] == [c["occupation_uri"] for c in b]
        np.testing.assert_allclose([c["score"] for c in a], [c["score"] for c in b], atol=1e-5)
    assert titles_r[["title_id", "title_clean", "language", "n_postings"]].equals(
        titles_l[["title_id", "title_clean", "language", "n_postings"]])
    np.testing.assert_allclose(np.stack(titles_r["embedding"]), np.stack(titles_l["embedding"]), atol=1e-5)
    assert cache_r >= rep_r.n_unique_titles  # the workers' vectors were cached in the store

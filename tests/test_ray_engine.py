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


def test_a_glob_is_one_ray_job_and_equals_the_local_engine(local_ray, tmp_path, esco_subset, tiny_model,
                                                            monkeypatch):
    import pandas as pd

    from jobmarket.engines import ray as ray_engine

    rows = pd.read_csv(postings_file(tmp_path / "all.csv", 150), dtype=str, keep_default_na=False)
    folder = tmp_path / "exports"
    folder.mkdir()
    for i, (lo, hi) in enumerate(((0, 70), (50, 120), (100, 150)), 1):  # overlapping weeks share titles
        rows.iloc[lo:hi].to_csv(folder / f"2026-W0{i}.csv", index=False)
    jobs = []
    real = ray_engine.match_titles
    monkeypatch.setattr(ray_engine, "match_titles", lambda con, *a, **k: (jobs.append(
        con.execute("SELECT count(*) FROM _unique_titles").fetchall()[0][0]), real(con, *a, **k))[1])
    glob = str(folder / "2026-W*.csv")
    with Market.open(tmp_path / "local.duckdb", model=str(tiny_model), esco=[esco_subset]) as m:
        local = m.normalize(glob, threshold=0.99)
        local_rows = local.rows.df()
    with Market.open(tmp_path / "ray.duckdb", model=str(tiny_model), esco=[esco_subset]) as m:
        remote = m.normalize(glob, threshold=0.99, engine="ray")
        remote_rows = remote.rows.df()
        cached = m.sql("SELECT count(*) AS n FROM embedding_cache WHERE route = 'anchor'")["n"][0]
    unique_per_file = [f.report.n_unique_titles for f in remote.files]
    # One Ray job for the three files, each title once although the weeks overlap.
    assert len(jobs) == 1 and max(unique_per_file) < jobs[0] < sum(unique_per_file)
    assert remote.run_ids == local.run_ids and [f.report.engine for f in remote.files] == ["ray"] * 3
    assert [f.counts for f in remote.files] == [f.counts for f in local.files]
    assert remote.n_rows == 70 + 70 + 50 == sum(remote.counts.values())
    key = ["source", "source_row"]
    exact = [*key, "posting_id", "title_clean", "status", "reason", "occupation_uri", "method"]
    a = remote_rows.sort_values(key).reset_index(drop=True)
    b = local_rows.sort_values(key).reset_index(drop=True)
    assert a[exact].equals(b[exact])
    np.testing.assert_allclose(a["score"].astype(float), b["score"].astype(float), atol=1e-5)
    assert cached >= jobs[0]  # the job's vectors reached the store's cache through the files' runs

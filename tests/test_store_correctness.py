"""Store correctness (issue 10): one notion of "current" everywhere, short write transactions, model
identity by content, deterministic runs, and stores that hold data, never code.

Real runs on the real ESCO subset and real EURES postings with the tiny model built by the tests.
"""

from __future__ import annotations

import json
import pickle
import shutil
import signal
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.encoders.sentence_transformer import Encoder
from jobmarket.market import Market
from jobmarket.sql import read_sql
from jobmarket.store import connection as store
from tests.conftest import EURES, need_shared
from tests.procs import esco_store, postings_file, run_normalize

EXAMPLES = Path(__file__).resolve().parents[1] / "sql" / "examples"
runner = CliRunner()


def eures_rows(n: int) -> pd.DataFrame:
    need_shared(EURES)
    return pd.read_csv(EURES, dtype=str, keep_default_na=False).head(n)


def counts_everywhere(m: Market) -> dict[str, int]:
    """How many postings each place that counts postings sees."""
    one = lambda q: int(m.sql(q).iloc[0, 0])  # noqa: E731
    rows = m.sql((EXAMPLES / "12_row_accounting.sql").read_text())
    return {
        "posting_occupations": one("SELECT count(*) FROM posting_occupations"),
        "current_postings": one("SELECT count(*) FROM current_postings"),
        "example_12": int(rows["n_rows"].sum()),
        "example_09": int(m.sql((EXAMPLES / "09_matching_methods_by_country.sql").read_text())["n"].sum()),
        "matched": one("SELECT count(*) FROM posting_occupations WHERE status = 'matched'"),
        "titles": one("SELECT coalesce(sum(n_postings), 0) FROM titles"),
        "with_title": one("SELECT count(*) FROM current_postings WHERE title_id IS NOT NULL"),
        "clustered": one("SELECT coalesce(sum(size), 0) FROM clusters")
        + one("SELECT coalesce(sum(t.n_postings), 0) FROM cluster_members m JOIN titles t USING (title_id) "
              "WHERE m.cluster_id IS NULL"),
        "occupation_titles": one("SELECT coalesce(sum(n_postings), 0) FROM occupation_titles_by_country"),
        "skill_profile_postings": one(
            "SELECT coalesce(sum(n), 0) FROM (SELECT occupation_uri, max(n_postings) n FROM skill_profiles "
            "WHERE scope = 'occupation' AND source = 'postings' GROUP BY 1)"),
        "processed_matched": one(
            "SELECT count(*) FROM posting_occupations p WHERE status = 'matched' AND p.run_id IN "
            "(SELECT json_extract_string(params, '$.source_run') FROM runs WHERE command = 'skills')"),
    }


def dashboard_counts(db: Path) -> dict[str, int]:
    pytest.importorskip("streamlit")
    from jobmarket.dashboard import data

    stamp = data.stamp(str(db)) + 0.5  # a fresh cache key for this state of the store
    totals = data.query(str(db), stamp, "en", "totals", (("countries", None), ("d0", None), ("d1", None),
                                                         ("isco", None)))
    facts = data.query(str(db), stamp, "en", "store_facts")
    by_country = data.query(str(db), stamp, "en", "countries")
    return {"totals": int(totals["postings"][0]), "facts": int(facts["n_postings"][0]),
            "countries": int(by_country["n"].sum())}


def assert_counted_once(m: Market, n: int, db: Path) -> None:
    c = counts_everywhere(m)
    assert c["posting_occupations"] == c["current_postings"] == c["example_12"] == n, c
    assert c["example_09"] == c["matched"]
    untitled = "SELECT count(*) FROM posting_occupations WHERE status = 'matched' AND title_clean IS NULL"
    assert c["occupation_titles"] == c["matched"] - int(m.sql(untitled).iloc[0, 0])
    assert c["titles"] == c["with_title"]  # titles.n_postings follows the current postings
    # Clusters count current postings only (titles new since the last `cluster` are not in one yet).
    assert c["clustered"] <= c["with_title"]
    assert c["skill_profile_postings"] <= c["processed_matched"]
    m.disconnect()  # the dashboard opens its own connection per query
    try:
        d = dashboard_counts(db)
        assert d["totals"] == d["facts"] == n
    finally:
        m.connect()


@pytest.fixture()
def weekly(tmp_path, esco_subset, tiny_model):
    """A store with ESCO and a weekly export of 60 real EURES postings at one path."""
    db = esco_store(tmp_path / "weekly.duckdb", esco_subset, tiny_model)
    src = tmp_path / "export.csv"
    eures_rows(60).to_csv(src, index=False)
    return db, src, tiny_model


def test_weekly_overwrite_counts_the_new_file_once_everywhere(weekly):
    db, src, model = weekly
    with Market.open(db, model=str(model)) as m:
        first = m.normalize(src).report
        m.skills(use_model=False, model_ranking=False)
        m.cluster()
        assert_counted_once(m, 60, db)
        assert counts_everywhere(m)["clustered"] == counts_everywhere(m)["with_title"]

        df = eures_rows(60)
        df.loc[5, "job_title"] = "Accountant"  # one title changed, one row added: the file at the same path
        df = pd.concat([df, df.iloc[[0]].assign(job_id="NEW-1")], ignore_index=True)
        df.to_csv(src, index=False)
        second = m.normalize(src).report  # no flag: the changed file supersedes its last run
        assert second.supersedes == [first.run_id] and not second.replaced
        assert_counted_once(m, 61, db)
        assert counts_everywhere(m)["skill_profile_postings"] == 0  # the old run's skills are history
        m.skills(use_model=False, model_ranking=False)  # now the new run's
        m.cluster()  # assigns the new title to the saved clusters
        c = counts_everywhere(m)
        assert c["clustered"] == c["with_title"]
        assert 0 < c["skill_profile_postings"] <= c["processed_matched"]
        assert_counted_once(m, 61, db)

        # History stays queryable: both runs are in the store, one current.
        runs = m.runs().set_index("run_id")
        assert runs.loc[first.run_id, "superseded_by"] == second.run_id
        assert not runs.loc[first.run_id, "current"] and runs.loc[second.run_id, "current"]
        assert m.sql("SELECT count(*) AS n FROM postings WHERE run_id = ?", [first.run_id])["n"][0] == 60


def test_rerun_with_another_threshold_is_not_counted_twice(weekly):
    db, src, model = weekly
    with Market.open(db, model=str(model)) as m:
        a = m.normalize(src).report
        m.cluster()
        b = m.normalize(src, threshold=0.5).report  # same file, other options: another run, same postings
        assert a.run_id != b.run_id and b.supersedes == [a.run_id]
        assert_counted_once(m, 60, db)
        c = m.normalize(src, threshold=0.6, keep_both=True).report  # the rare case that wants both
        assert c.supersedes == []
        assert counts_everywhere(m)["posting_occupations"] == 120


def test_runs_cli_list_show_delete(weekly):
    db, src, model = weekly
    with Market.open(db, model=str(model)) as m:
        a = m.normalize(src).report.run_id
        b = m.normalize(src, threshold=0.5).report.run_id
    res = runner.invoke(app, ["runs", "list", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert a in res.output and b in res.output
    res = runner.invoke(app, ["runs", "show", a[:8], "--db", str(db)])
    assert res.exit_code == 0 and f"superseded_by: {b}" in res.output and "current: False" in res.output
    res = runner.invoke(app, ["runs", "delete", b, "--db", str(db), "--yes"])
    assert res.exit_code == 0, res.output
    assert f"current again: {a}" in " ".join(res.output.split())
    with Market.open(db, model=str(model), read_only=True) as m:
        assert list(m.runs()["run_id"]) == [a] and bool(m.runs()["current"][0])
        assert m.sql("SELECT count(*) AS n FROM posting_occupations")["n"][0] == 60
    res = runner.invoke(app, ["runs", "show", "nope", "--db", str(db)])
    assert res.exit_code == 2 and "no run nope" in res.output


def test_same_input_gives_byte_identical_rows_and_the_files_language_wins(tmp_path, esco_subset, tiny_model):
    df = eures_rows(40)
    # The same title and country with two languages in the file's own column: each row keeps its own.
    df["lang"] = ["de" if i % 2 else "en" for i in range(len(df))]
    df.loc[[1, 2], "job_title"] = "Accountant"
    df.loc[[1, 2], "country"] = "Germany"
    src = tmp_path / "p.csv"
    df.to_csv(src, index=False)
    outs = []
    for name in ("a", "b"):
        db = esco_store(tmp_path / f"{name}.duckdb", esco_subset, tiny_model)
        with Market.open(db, model=str(tiny_model)) as m:
            m.normalize(src, lang_col="lang", out=tmp_path / f"{name}.csv")
            langs = m.sql("SELECT source_row, language FROM postings ORDER BY source_row")
        outs.append((tmp_path / f"{name}.csv").read_bytes())
        assert langs["language"].tolist() == df["lang"].tolist()
    assert outs[0] == outs[1]


def test_killed_first_run_leaves_the_store_unbound(tmp_path, esco_subset, tiny_model):
    db = esco_store(tmp_path / "k.duckdb", esco_subset, tiny_model)
    src = postings_file(tmp_path / "p.csv", 30)
    killed = run_normalize(src, db, tiny_model, kill_at="write")  # inside the first run's transaction
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    con = store.connect(db, read_only=True)
    try:
        assert store.get_meta(con, "model_id") is None
        assert con.execute("SELECT count(*) FROM embedding_cache").fetchall() == [(0,)]
    finally:
        con.close()
    # Not bound, so another model may still fill it; the first finished run binds it and types the vectors.
    done = run_normalize(src, db, tiny_model)
    assert done.returncode == 0, done.stderr[-2000:]
    with Market.open(db, model=str(tiny_model)) as m:
        dim = m.encoder.dim
        assert m.sql("SELECT typeof(embedding) AS t FROM titles LIMIT 1")["t"][0] == f"FLOAT[{dim}]"
        sims = m.sql("SELECT array_cosine_similarity(embedding, embed('accountant')) AS s FROM titles")
        assert len(sims) and sims["s"].between(-1.0001, 1.0001).all()
        with pytest.raises(duckdb.ConstraintException):  # the cache's primary key
            m.sql("INSERT INTO embedding_cache SELECT * FROM embedding_cache LIMIT 1")


def test_a_copied_model_folder_still_opens_its_stores(tmp_path, esco_subset, tiny_model):
    db = esco_store(tmp_path / "m.duckdb", esco_subset, tiny_model)
    src = postings_file(tmp_path / "p.csv", 20)
    with Market.open(db, model=str(tiny_model)) as m:
        m.normalize(src)
        bound = m.encoder.model_id
    copy = tmp_path / "elsewhere" / tiny_model.name
    copy.parent.mkdir()
    subprocess.run(["cp", "-r", str(tiny_model), str(copy)], check=True)  # new mtimes, same bytes
    assert Encoder(str(copy)).model_id == bound
    with Market.open(db, model=str(copy)) as m:
        assert m.normalize(src, top_k=3).report.counts  # the same model: the store accepts it
    # Other weights at the same path are another model.
    weights = next(copy.rglob("*.safetensors"))
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 0xFF
    weights.write_bytes(bytes(raw))
    assert Encoder(str(copy)).model_id != bound


def test_a_hub_model_is_named_by_its_revision(tmp_path, tiny_model, monkeypatch):
    """A hub id resolves to its cached snapshot's commit, so a new revision never reuses old vectors."""
    cache = tmp_path / "hub"
    for rev in ("a" * 40, "b" * 40):
        shutil.copytree(tiny_model, cache / "models--org--tiny" / "snapshots" / rev)
    (cache / "models--org--tiny" / "refs").mkdir()
    (cache / "models--org--tiny" / "refs" / "main").write_text("b" * 40)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from jobmarket.encoders import identity

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    assert identity.hub_revision("org/tiny") == "b" * 40
    assert identity.hub_model_id("org/tiny", identity.hub_revision("org/tiny")) == "org/tiny@" + "b" * 12


# ---------------------------------------------------------------- older stores, crafted objects
class Payload:
    """Unpickling this writes a marker file: proof that a store's bytes ran as code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "unpickled"))


OLD_CLUSTER_RUNS = """CREATE TABLE cluster_runs (cluster_run_id VARCHAR PRIMARY KEY, model_id VARCHAR,
    params JSON, n_titles_fit BIGINT, n_clusters INTEGER, current BOOLEAN NOT NULL,
    created TIMESTAMP NOT NULL DEFAULT current_timestamp, model BLOB)"""


def old_store(db: Path, marker: Path, dim: int = 4) -> None:
    """A store as jobmarket wrote it before issue 10: schema version 1, two runs of one overwritten path
    (both counted then), FLOAT[] vectors, duplicate cache rows, a pickled cluster model."""
    con = duckdb.connect(str(db))
    con.execute(read_sql("schema.sql"))
    con.execute(OLD_CLUSTER_RUNS)
    con.execute("INSERT INTO schema_version (version) VALUES (1)")
    con.execute("INSERT INTO store_meta VALUES ('model_id', 'old@1'), ('model_dim', ?)", [str(dim)])
    for i, (run, n) in enumerate((("r_old", 3), ("r_new", 4))):
        con.execute("INSERT INTO runs (run_id, command, source_file, source_sha256, model_id, status, "
                    "started, finished) VALUES (?, 'normalize', 'week.csv', ?, 'old@1', 'finished', "
                    "TIMESTAMP '2026-01-01' + INTERVAL (?) DAY, TIMESTAMP '2026-01-01' + INTERVAL (?) DAY)",
                    [run, f"sha{i}", i, i])
        for k in range(n):
            con.execute("INSERT INTO postings (posting_id, run_id, source_row, title_raw, title_id) "
                        "VALUES (?, ?, ?, 'cook', 't1')", [f"{run}:{k}", run, k + 1])
            con.execute("INSERT INTO assignments (posting_id, run_id, status) VALUES (?, ?, 'abstained')",
                        [f"{run}:{k}", run])
    con.execute("INSERT INTO titles VALUES ('t1', 'cook', 'en', 7, 'old@1', [0.5, 0.5, 0.5, 0.5])")
    for _ in range(2):  # the old cache had no key: the same vector written twice
        con.execute("INSERT INTO embedding_cache VALUES ('old@1', 'anchor', 'cook', [0.5, 0.5, 0.5, 0.5])")
    con.execute("INSERT INTO cluster_runs (cluster_run_id, model_id, params, n_titles_fit, n_clusters, "
                "current, model) VALUES ('c1', 'old@1', '{}', 1, 0, true, ?)",
                [pickle.dumps(Payload(marker))])
    con.close()


def test_an_old_store_upgrades_by_migration_and_its_pickle_never_runs(tmp_path):
    db, marker = tmp_path / "old.duckdb", tmp_path / "marker.txt"
    old_store(db, marker)
    con = store.connect(db)  # read-write: migrates
    try:
        versions = [v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()]
        assert 2 in versions
        # One notion of current: the newer run of the overwritten path supersedes the older one.
        assert con.execute("SELECT run_id FROM current_runs").fetchall() == [("r_new",)]
        assert con.execute("SELECT superseded_by FROM runs WHERE run_id = 'r_old'").fetchall() == [("r_new",)]
        assert con.execute("SELECT count(*) FROM posting_occupations").fetchall() == [(4,)]
        # Typed vectors and a keyed cache.
        types = dict(con.execute(
            "SELECT table_name, data_type FROM duckdb_columns() "
            "WHERE column_name = 'embedding' AND table_name IN ('titles', 'embedding_cache')").fetchall())
        assert types == {"titles": "FLOAT[4]", "embedding_cache": "FLOAT[4]"}
        assert con.execute("SELECT count(*) FROM embedding_cache").fetchall() == [(1,)]
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO embedding_cache VALUES ('old@1', 'anchor', 'cook', [1, 0, 0, 0])")
        # The pickle is gone from the store, unread.
        cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                          "WHERE table_name = 'cluster_runs'").fetchall()}
        assert "model" not in cols
    finally:
        con.close()
    assert not marker.exists()


def test_clustering_a_store_keeps_arrays_not_objects(writable_market, tmp_path):
    m = writable_market
    first = m.cluster().report
    kinds = m.sql("SELECT DISTINCT typeof(data) AS t FROM cluster_model_arrays")["t"].tolist()
    assert kinds == ["DOUBLE[]"]
    blobs = m.sql("SELECT count(*) AS n FROM duckdb_columns() WHERE data_type = 'BLOB' "
                  "AND table_name LIKE 'cluster%'")["n"][0]
    assert blobs == 0
    # New titles are assigned with the saved arrays (no refit), the clusters stay put.
    again = m.cluster().report
    assert not again.fitted and again.cluster_run_id == first.cluster_run_id
    meta = json.loads(m.sql("SELECT value FROM store_meta WHERE key = 'cluster_state'")["value"][0])
    assert meta["format"] == 2 and meta["clusterer_kind"] == "hdbscan"

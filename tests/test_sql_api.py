"""embed() in SQL, the macros and the Market query API on the small store (real ESCO subset, 120 real
EURES postings, tiny model)."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from jobmarket.encoders.sentence_transformer import Encoder
from jobmarket.errors import JobmarketError
from jobmarket.market import Market
from jobmarket.store.udf import ModelMismatchError
from tests.sql_store import top_occupation, two_countries

DEV = "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"  # software developer


@pytest.fixture(scope="module")
def market(small_store, tiny_model):
    m = Market.open(small_store, model=str(tiny_model), read_only=True)
    yield m
    m.close()


@pytest.fixture()
def writable(writable_market):
    return writable_market


def some_title(market) -> tuple[str, str]:
    """A title whose vector no other title shares (the tiny model maps unknown scripts to [UNK])."""
    row = market.sql("SELECT title_clean, language FROM titles t WHERE NOT EXISTS (SELECT 1 FROM titles u "
                     "WHERE u.title_id <> t.title_id "
                     "AND list_cosine_similarity(u.embedding, t.embedding) > 0.9999) "
                     "ORDER BY n_postings DESC, title_id LIMIT 1")
    return row["title_clean"][0], row["language"][0]


def test_embed_udf_matches_encoder_and_ranks_in_sql(market):
    title, _ = some_title(market)
    got = market.sql("SELECT embed(?) AS v, typeof(embed(?)) AS t", [title, title])
    assert got["t"][0] == "FLOAT[32]"  # the store's model dimension, as an ARRAY
    np.testing.assert_allclose(np.asarray(got["v"][0]), market.encoder.encode_titles([title])[0], atol=1e-6)
    # The query of the docs: a typed cast of the stored list, compared with embed().
    top = market.sql("SELECT title_clean FROM titles ORDER BY array_cosine_similarity(embedding::FLOAT[32], "
                     "embed(?)) DESC LIMIT 10", [title])
    assert top["title_clean"][0] == title
    # Vectorised over a column: one vector per row, nulls stay null.
    many = market.sql("SELECT title_clean, embed(title_clean) AS v FROM titles "
                      "UNION ALL SELECT NULL, embed(NULL)")
    assert many["v"].isna().sum() == 1 and many["v"].notna().sum() == len(many) - 1


def test_similar_titles_macro_and_api(market):
    title, lang = some_title(market)
    sql = market.sql("SELECT * FROM similar_titles(embed(?), 5)", [title])
    assert len(sql) == 5 and sql["title_clean"][0] == title
    assert sql["similarity"][0] == pytest.approx(1.0, abs=1e-5)
    assert sql["similarity"].is_monotonic_decreasing
    api = market.similar_titles(title, k=5)
    assert api["title_clean"].tolist() == sql["title_clean"].tolist()
    only = market.similar_titles(title, k=50, lang=lang)
    assert set(only["language"]) == {lang}
    assert isinstance(market.similar_titles(title, k=3, as_="arrow"), pa.Table)
    rel = market.similar_titles(title, k=3, as_="relation")
    assert len(rel.fetchall()) == 3


def test_wrong_model_and_wrong_dimension_fail_clearly(small_store, tiny_router_model, market, tmp_path):
    # A copy: connections of one process to one file share one DuckDB instance and its embed().
    shutil.copy(small_store, tmp_path / "other.duckdb")
    with Market.open(tmp_path / "other.duckdb", model=str(tiny_router_model), read_only=True) as other:
        with pytest.raises(duckdb.Error, match="embeddings come from model .* but the loaded model"):
            other.sql("SELECT * FROM similar_titles(embed('welder'), 3)")
        with pytest.raises(ModelMismatchError, match="open the store with the same model"):
            other.similar_titles("welder")
    with pytest.raises(duckdb.Error, match="query vector has 3 dimensions, but the store's embeddings"):
        market.sql("SELECT * FROM similar_titles([0.1, 0.2, 0.3], 3)")


def test_embed_skill_uses_the_skill_route(tiny_router_model, tmp_path):
    with Market.open(tmp_path / "r.duckdb", model=str(tiny_router_model)) as m:
        # No embeddings in the store yet: FLOAT[] lists of the model's dimension.
        row = m.sql("SELECT embed('welding') AS t, embed_skill('welding') AS s, typeof(embed('x')) AS ty")
        enc = Encoder(str(tiny_router_model))
        assert row["ty"][0] == "FLOAT[]"
        np.testing.assert_allclose(np.asarray(row["t"][0]), enc.encode_titles(["welding"])[0], atol=1e-6)
        np.testing.assert_allclose(np.asarray(row["s"][0]), enc.encode_skills(["welding"])[0], atol=1e-6)
        assert not np.allclose(np.asarray(row["t"][0]), np.asarray(row["s"][0]))


def test_views_join_labels_in_the_chosen_language(writable):
    q = "SELECT DISTINCT occupation FROM occupation_isco WHERE occupation_uri = ?"
    assert writable.sql(q, [DEV])["occupation"][0] == "software developer"
    writable.use_language("de")
    assert writable.sql(q, [DEV])["occupation"][0] != "software developer"
    assert "entwickler" in writable.sql(q, [DEV])["occupation"][0].lower()
    # ISCO path labels come through the same view.
    row = writable.sql("SELECT isco_1, isco_1_label, isco_code FROM occupation_isco "
                       "WHERE occupation_uri = ?", [DEV])
    assert row["isco_1"][0] == "2" and row["isco_code"][0] == "2512" and row["isco_1_label"][0]


def test_posting_occupations_counts_every_row(market):
    n = market.sql("SELECT count(*) AS n FROM posting_occupations")["n"][0]
    assert n == 120
    by = market.sql("SELECT status, count(*) AS n FROM posting_occupations GROUP BY 1")
    assert set(by["status"]) <= {"matched", "abstained", "rejected"} and by["n"].sum() == 120
    uri = top_occupation(market)
    posts = market.sql("SELECT * FROM occupation_postings(?)", [uri])
    expected = market.sql("SELECT count(*) AS n FROM assignments WHERE occupation_uri = ? "
                          "AND status = 'matched'",
                          [uri])["n"][0]
    assert len(posts) == expected > 0


def test_search_occupations_and_skills(market):
    occ = market.search("software developer", what="occupations", k=3)
    assert occ["occupation_uri"][0] == DEV and occ["method"][0] == "exact" and len(occ) == 3
    de = market.search("Softwareentwickler", what="occupations", k=3, lang="de")
    assert de["occupation_uri"][0] == DEV
    skill = market.sql("SELECT label FROM esco_labels WHERE concept_type = 'skill' AND kind = 'preferred' "
                       "AND lang = 'en' ORDER BY label LIMIT 1")["label"][0]
    hits = market.search(skill, what="skills", k=5)
    assert hits["skill"][0] == skill and hits["score"][0] == pytest.approx(1.0, abs=1e-5) and len(hits) == 5
    with pytest.raises(JobmarketError, match="titles, occupations or skills"):
        market.search("x", what="people")


def test_occupation_details(market):
    info = market.occupation("software developer")
    assert info.uri == DEV and info.label == "software developer" and info.isco_code == "2512"
    assert [c for c, _ in info.isco_path] == ["2", "25", "251", "2512"]
    assert {"en", "de", "es"} <= set(info.labels["lang"])
    assert len(info.essential_skills) > 5 and set(info.essential_skills["relation"]) == {"essential"}
    n = market.sql("SELECT count(*) AS n FROM posting_occupations WHERE occupation_uri = ? "
                   "AND status = 'matched'", [DEV])["n"][0]
    assert info.n_postings == n
    assert market.occupation(DEV).uri == DEV
    assert market.occupation("Softwareentwickler").uri == DEV  # a German label finds it too
    assert "ISCO: 2 " in str(info)
    with pytest.raises(JobmarketError, match="no ESCO occupation is labelled"):
        market.occupation("astronaut of the deep sea")


def test_skill_gap_against_country_esco_and_names(market):
    uri = top_occupation(market)
    a, b = two_countries(market)
    ess = market.sql("SELECT skill_uri, skill FROM skill_profile(?, ?) ORDER BY skill_uri", [uri, b])
    gap = market.skill_gap(uri, a, b)
    g = gap.set_index("skill_uri")
    # A's weights 0.8/0.5/0.4/0.3 against B's 0.6/0.1/0.7 (tests/sql_store.py).
    assert gap["gap"].is_monotonic_decreasing
    assert g["demand"].max() == pytest.approx(0.8) and g["gap"].max() == pytest.approx(0.8)
    assert g["gap"].min() == pytest.approx(-0.7) and not g.loc[g["gap"].idxmax(), "in_supply"]
    assert len(gap) == 5

    esco = market.skill_gap(uri, a, "esco")
    n_ess = market.sql("SELECT count(DISTINCT skill_uri) AS n FROM occupation_skill_labels WHERE "
                       "occupation_uri = ? AND relation = 'essential'", [uri])["n"][0]
    assert esco["in_supply"].sum() == n_ess
    not_in_esco = esco[~esco["in_supply"]]
    assert len(not_in_esco) == 1 and not_in_esco["demand"].iloc[0] == pytest.approx(0.3)

    names = market.sql("SELECT label FROM esco_labels WHERE concept_uri = ? AND kind = 'preferred' "
                       "AND lang = 'en'",
                       [ess["skill_uri"][0]])["label"].tolist()
    supply = pd.DataFrame({"skill": names, "weight": [0.9]})
    by_names = market.skill_gap(uri, a, supply).set_index("skill_uri")
    assert by_names.loc[ess["skill_uri"][0], "supply"] == pytest.approx(0.9)
    assert by_names["in_supply"].sum() == 1


def test_skill_gap_csv_supply_and_empty_profiles(writable, tmp_path):
    uri = top_occupation(writable)
    a, b = two_countries(writable)
    skill = writable.sql("SELECT skill_uri FROM skill_profile(?, ?) ORDER BY weight DESC LIMIT 1", [uri, a])
    label = writable.sql("SELECT label FROM esco_preferred_labels WHERE concept_uri = ?",
                         [skill["skill_uri"][0]])["label"][0]
    csv = tmp_path / "supply.csv"
    pd.DataFrame({"skill": [label]}).to_csv(csv, index=False)
    gap = writable.skill_gap(uri, a, csv).set_index("skill_uri")
    assert gap.loc[skill["skill_uri"][0], "supply"] == 1.0
    writable.sql("DELETE FROM skill_profiles")
    assert len(writable.sql("SELECT * FROM skill_profile(?, ?)", [uri, a])) == 0
    assert len(writable.skill_gap(uri, a, b)) == 0
    # An empty profile against ESCO leaves only supply rows: nothing demanded, every gap ≤ 0.
    esco = writable.skill_gap(uri, a, "esco")
    assert (esco["gap"] <= 0).all() and esco["in_supply"].all()


def test_sql_result_forms(market):
    assert isinstance(market.sql("SELECT 1 AS x", as_="arrow"), pa.Table)
    assert market.sql("SELECT 1 AS x", as_="relation").fetchall() == [(1,)]
    assert market.sql("SELECT $a AS x", {"a": 3})["x"][0] == 3
    with pytest.raises(JobmarketError, match="as_ must be"):
        market.sql("SELECT 1", as_="polars")

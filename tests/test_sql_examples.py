"""Every analyst question in sql/examples/ runs against the small store and gives the right kind of answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobmarket.market import Market
from tests.sql_store import THRESHOLD, profile_skills, top_occupation, two_countries

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "sql" / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.sql"))


@pytest.fixture(scope="module")
def market(small_store, tiny_model):
    m = Market.open(small_store, model=str(tiny_model), read_only=True)
    yield m
    m.close()


def run(market, name: str, **variables):
    for key, value in variables.items():
        market.sql(f"SET VARIABLE {key} = ?", [value])
    try:
        return market.sql((EXAMPLES_DIR / name).read_text())
    finally:
        for key in variables:
            market.sql(f"RESET VARIABLE {key}")


def count(market, where: str, params=None) -> int:
    return int(market.sql(f"SELECT count(*) AS n FROM posting_occupations WHERE {where}", params)["n"][0])


def test_every_example_has_a_question_and_a_test():
    assert len(EXAMPLES) >= 12
    tested = {n[len("test_example_"):] for n in globals() if n.startswith("test_example_")}
    for path in EXAMPLES:
        assert path.read_text().startswith("-- Question: "), path.name
        assert re.sub(r"^\d+_", "", path.stem) in tested, f"{path.name} has no test"


def test_example_top_occupations_per_country(market):
    df = run(market, "01_top_occupations_per_country.sql")
    assert len(df) and df.groupby("country").size().max() <= 3
    assert ((df["share"] > 0) & (df["share"] <= 1)).all()
    top = df.groupby("country")["n"].max().sum()
    assert top <= count(market, "status = 'matched'")
    uri = top_occupation(market)
    label = market.sql("SELECT occupation FROM occupation_isco WHERE occupation_uri = ?", [uri])
    label = label["occupation"][0]
    assert label in set(df["occupation"])


def test_example_titles_for_occupation_by_country(market):
    df = run(market, "02_titles_for_occupation_by_country.sql")
    uri = top_occupation(market)
    assert df["occupation"].nunique() == 1
    assert df["n_postings"].sum() == count(market, "status = 'matched' AND occupation_uri = ?", [uri])
    a, b = two_countries(market)
    assert set(df["country"]) <= {a, b} | set(df["country"]) and df["title_raw"].notna().all()


def test_example_skill_demand_difference_between_countries(market):
    df = run(market, "03_skill_demand_difference_between_countries.sql")
    a, b = two_countries(market)
    ess, _ = profile_skills(market)
    assert (df["country_a"] == a).all() and (df["country_b"] == b).all()
    # Every posting of A asks for skill 0 and none of B; the reverse for skill 3 (tests/sql_store.py).
    top = df.head(2).set_index("skill_uri")
    assert set(top.index) == {ess[0], ess[3]}
    assert top.loc[ess[0], "difference"] == pytest.approx(1.0) and top.loc[ess[3], "difference"] == -1.0
    swapped = run(market, "03_skill_demand_difference_between_countries.sql", country_a=b, country_b=a)
    assert swapped.set_index("skill_uri").loc[ess[0], "difference"] == pytest.approx(-1.0)


def test_example_abstained_postings(market):
    df = run(market, "04_abstained_postings.sql")
    assert len(df) == count(market, "status = 'abstained'") > 0
    assert (df["best_score"] < THRESHOLD).all() and df["best_score"].is_monotonic_increasing
    assert df["reason"].str.contains("below threshold").all() and df["best_guess"].notna().all()


def test_example_nearest_occupations_to_text(market):
    row = market.sql("SELECT p.title_clean, p.occupation_uri FROM posting_occupations p "
                     "WHERE status = 'matched' ORDER BY p.posting_id LIMIT 1")
    df = run(market, "05_nearest_occupations_to_text.sql", text=row["title_clean"][0])
    assert len(df) and df["weight"].is_monotonic_decreasing
    hit = df.set_index("occupation_uri").loc[row["occupation_uri"][0]]
    assert hit["best_similarity"] == pytest.approx(1.0, abs=1e-4)  # the title itself is in the store
    assert len(run(market, "05_nearest_occupations_to_text.sql")) > 0  # the default text


def test_example_isco_major_group_shares_by_country(market):
    df = run(market, "06_isco_major_group_shares_by_country.sql")
    sums = df.groupby("country")["share"].sum()
    assert ((sums - 1).abs() < 0.01).all()
    assert df["isco_1"].str.fullmatch(r"\d").all() and df["isco_1_label"].notna().all()
    assert df["n"].sum() == count(market, "status = 'matched'")


def test_example_abstention_rate_by_language(market):
    df = run(market, "07_abstention_rate_by_language.sql")
    assert df["n_postings"].sum() == 120
    assert df["abstained"].sum() == count(market, "status = 'abstained'")
    rates = df["abstention_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all() and rates.is_monotonic_decreasing


def test_example_ambiguous_occupations_lowest_margin(market):
    df = run(market, "08_ambiguous_occupations_lowest_margin.sql")
    assert len(df) and df["mean_margin"].is_monotonic_increasing
    assert (df["min_margin"] <= df["mean_margin"] + 1e-9).all() and (df["min_margin"] >= 0).all()
    assert df["n_postings"].sum() <= count(market, "status = 'matched'")


def test_example_matching_methods_by_country(market):
    df = run(market, "09_matching_methods_by_country.sql")
    assert set(df["method"]) <= {"exact", "fuzzy", "embedding"}
    assert ((df.groupby("country")["share"].sum() - 1).abs() < 0.01).all()
    assert df["n"].sum() == count(market, "status = 'matched'")


def test_example_skills_beyond_esco(market):
    df = run(market, "10_skills_beyond_esco.sql")
    _, other = profile_skills(market)
    a, _ = two_countries(market)
    # Only the hand-written skill that ESCO does not relate to the occupation (weight 0.3 in country A).
    assert df["skill_uri"].tolist() == [other] and df["weight"][0] == pytest.approx(0.3)
    assert (df["country"] == a).all() and df["occupation_uri"][0] == top_occupation(market)


def test_example_same_job_across_languages(market):
    df = run(market, "11_same_job_across_languages.sql")
    expected = market.sql("SELECT count(*) AS n FROM (SELECT occupation_uri FROM posting_occupations "
                          "WHERE status = 'matched' AND language IS NOT NULL GROUP BY 1 "
                          "HAVING count(DISTINCT language) > 1)")["n"][0]
    assert len(df) == expected
    assert (df["n_languages"] > 1).all()
    assert (df["titles"].str.count(r" \| ") == df["n_languages"] - 1).all()


def test_example_row_accounting(market):
    df = run(market, "12_row_accounting.sql")
    assert len(df) == 1 and df["n_rows"][0] == 120
    assert df["matched"][0] + df["abstained"][0] + df["rejected"][0] == 120
    assert df["model_id"][0] == market.sql("SELECT store_model_id() AS m")["m"][0]

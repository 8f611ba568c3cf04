"""No SQL from user text: injection strings through every user-facing text parameter leave the store's
tables intact and fail (when they fail) with a clean JobmarketError, never a DuckDB parser error."""

from __future__ import annotations

import pandas as pd
import pytest

from jobmarket.errors import JobmarketError
from jobmarket.market import Market

ATTACKS = [
    "x'; DROP TABLE runs; --",
    'x"; DROP TABLE assignments; --',
    "') OR 1=1; DELETE FROM postings; --",
    "\"title\" FROM raw_postings; DROP TABLE titles; --",
    "{table}; DROP TABLE esco_labels",
    "$vec; ATTACH '/tmp/x.db' AS x",
    "%s' UNION SELECT * FROM store_meta --",
]


@pytest.fixture()
def market(writable_market):
    return writable_market


def fingerprint(m: Market) -> dict:
    tables = m.sql("SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT temporary "
                   "ORDER BY 1")["table_name"].tolist()
    # The embedding cache grows with every query text encoded: that is its job, not damage.
    return {t: int(m.sql(f'SELECT count(*) AS n FROM "{t}"')["n"][0])
            for t in tables if t != "embedding_cache"}


def clean_or_ok(fn) -> None:
    """The call either works or raises a JobmarketError with one line; nothing else."""
    try:
        fn()
    except JobmarketError as exc:
        assert "\n" not in str(exc).strip()


def test_api_text_parameters(market):
    before = fingerprint(market)
    for attack in ATTACKS:
        clean_or_ok(lambda a=attack: market.similar_titles(a, k=3, lang=a))
        clean_or_ok(lambda a=attack: market.similar_titles(a, k=3))
        with pytest.raises(JobmarketError, match="no ESCO occupation is labelled|no occupation"):
            market.occupation(attack)
        with pytest.raises(JobmarketError):
            market.skill_gap(attack, attack, "esco")
        uri = market.sql("SELECT min(occupation_uri) AS u FROM esco_occupations")["u"][0]
        clean_or_ok(lambda a=attack, u=uri: market.skill_gap(u, a, a))
        clean_or_ok(lambda a=attack, u=uri: market.skill_gap(u, a, pd.DataFrame({"skill": [a]})))
        for what in ("titles", "occupations", "skills"):
            clean_or_ok(lambda a=attack, w=what: market.search(a, what=w, k=3, lang=a))
        with pytest.raises(JobmarketError):
            market.search(attack, what=attack)
        market.use_language(attack)  # a bound parameter: labels fall back to English
        assert len(market.sql("SELECT * FROM posting_occupations LIMIT 3")) == 3
        market.use_language("en")
    assert fingerprint(market) == before


def test_normalize_column_names(market, tmp_path):
    before = fingerprint(market)
    src = tmp_path / "p.csv"
    pd.DataFrame({"title": ["Welder", "Cook"], "country": ["DE", "ES"]}).to_csv(src, index=False)
    for attack in ATTACKS:
        for option in ("title_col", "id_col", "country_col", "lang_col", "description_col", "date_col"):
            with pytest.raises(JobmarketError, match="no column"):
                market.normalize(src, **{option: attack})
    assert fingerprint(market) == before


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_hostile_column_names_in_the_file_are_quoted(market, tmp_path, suffix):
    """A file whose header itself is an injection: named with --title-col it is read as a column."""
    title, country = ATTACKS[1], ATTACKS[0]
    df = pd.DataFrame({title: ["Welder", "Cook", "Plumber"], country: ["DE", "ES", "DE"]})
    src = tmp_path / f"hostile{suffix}"
    if suffix == ".csv":
        df.to_csv(src, index=False)
    elif suffix == ".parquet":
        df.to_parquet(src, index=False)
    else:
        df.to_json(src, orient="records", lines=True, force_ascii=False)
    before = fingerprint(market)
    res = market.normalize(src, title_col=title, country_col=country).df()
    assert res["title_raw"].tolist() == ["Welder", "Cook", "Plumber"]
    assert res["country"].tolist() == ["DE", "ES", "DE"]
    after = fingerprint(market)
    for table in ("postings", "assignments"):
        after[table] -= 3  # the new run's rows, nothing else changed
    after["runs"] -= 1
    # Derived tables a run recomputes from the current runs (titles' counts, skill profiles and groups) or
    # adds to (a calibration for the run's label languages) are not damage.
    for table in ("assignment_candidates", "titles", "skill_profiles", "skill_groups", "calibrations"):
        after.pop(table, None), before.pop(table, None)
    assert after == before

"""The dashboard's Review page, run by Streamlit's AppTest on a copy of the dashboard store (real ESCO
subset, 120 real EURES postings plus hand-written ones, tiny model): the queue, saving an answer into the
coding index, and the next normalize run using it."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from jobmarket.dashboard import APP_PATH  # noqa: E402
from jobmarket.market import Market  # noqa: E402
from tests.dashboard_store import ACCOUNTANT, dashboard_store_fixture  # noqa: E402, F401

PAGE = "views/review.py"


@pytest.fixture()
def store_copy(dashboard_store, tmp_path, monkeypatch):
    db = tmp_path / "review.duckdb"
    shutil.copy(dashboard_store, db)
    monkeypatch.setenv("JOBMARKET_DB", str(db))
    monkeypatch.setenv("JOBMARKET_MODEL", "auto")  # the store's recorded model: the tiny one
    return db


def review_page(status: str = "all") -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=180)
    at.query_params["status"] = status  # the tiny model abstains nowhere: review its matches too
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def queue_of(db) -> object:
    with Market.open(db, model=None, read_only=True) as m:
        return m.review_queue(status="all", limit=200)


def test_review_page_lists_the_queue(store_copy):
    at = review_page()
    assert at.title[0].value == "Review"
    shown = at.dataframe[0].value
    expected = queue_of(store_copy)
    assert list(shown["title"]) == list(expected["title"])  # the same queue as `review export`
    assert list(shown["n_postings"]) == list(expected["n_postings"])
    assert at.radio(key="rv_status").value == "all"
    assert at.selectbox(key="rv_title").options[0].startswith(expected["title"][0])
    # The first title's five candidates, then the ESCO search.
    assert len(at.radio(key="rv_pick_0").options) == 6


def test_saving_a_candidate_writes_a_coded_title_that_the_next_run_uses(store_copy, tiny_model):
    first = queue_of(store_copy).iloc[0]
    at = review_page()
    pick = at.radio(key="rv_pick_0")
    pick.set_value(first["candidate_2_uri"]).run()
    at.button(key="rv_save").click().run()
    assert not at.exception, at.exception
    assert at.success and "The next normalize run uses it" in at.success[0].value
    # The answered title left the queue.
    assert first["title"] not in set(at.dataframe[0].value["title"])

    with Market.open(store_copy, model=str(tiny_model)) as m:
        coded = m.sql("SELECT title_clean, language, country, occupation_uri, source FROM coded_titles")
        assert coded.to_dict("records") == [{
            "title_clean": first["title"], "language": first["language"], "country": first["country"],
            "occupation_uri": first["candidate_2_uri"], "source": "dashboard"}]
        old = m.sql("SELECT run_id, source_file FROM current_runs").iloc[0]
        rep = m.normalize(old["source_file"]).report
        assert rep.run_id != old["run_id"] and rep.changed_from == old["run_id"]  # the index changed
        assert rep.n_changed >= first["n_postings"]
        got = m.sql("SELECT a.occupation_uri, a.method FROM postings p JOIN assignments a USING (posting_id) "
                    "WHERE p.run_id = ? AND p.title_clean = ? AND p.country IS NOT DISTINCT FROM ?",
                    [rep.run_id, first["title"], first["country"]])
        assert len(got) == first["n_postings"]
        assert set(got["occupation_uri"]) == {first["candidate_2_uri"]} and set(got["method"]) == {"coded"}


def test_saving_an_esco_search_result(store_copy):
    at = review_page()
    at.radio(key="rv_pick_0").set_value("search").run()
    at.text_input(key="rv_search_0").set_value("accountant").run()
    assert not at.exception, at.exception
    found = at.selectbox(key="rv_found_0")
    assert found.options[0] == "accountant"  # the search's exact label hit, shown by its label
    found.set_value(ACCOUNTANT).run()
    # The search opened the store read-only in this process; saving must release it to write.
    at.button(key="rv_save").click().run()
    assert not at.exception, at.exception
    assert at.success
    with Market.open(store_copy, model=None, read_only=True) as m:
        assert m.sql("SELECT occupation_uri FROM coded_titles")["occupation_uri"].tolist() == [ACCOUNTANT]

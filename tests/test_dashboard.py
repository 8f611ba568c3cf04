"""The dashboard's pages, run by Streamlit's AppTest against a small real store (tests/dashboard_store.py):
real ESCO subset, 120 real EURES postings plus hand-written English ones, skills, clusters, tiny model."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from jobmarket.dashboard import APP_PATH  # noqa: E402
from tests.dashboard_store import ACCOUNTANT, MANAGE_BUDGETS, SQL, dashboard_store_fixture  # noqa: E402, F401

APP = APP_PATH


def charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


@pytest.fixture()
def app(dashboard_store, monkeypatch):
    monkeypatch.setenv("JOBMARKET_DB", str(dashboard_store))
    monkeypatch.setenv("JOBMARKET_MODEL", "auto")  # the store's recorded model: the tiny one
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception
    return at


def test_overview_counts_and_charts(app):
    assert app.title[0].value == "Overview"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Postings"] == "129"  # 120 EURES + 9 hand-written
    assert metrics["Countries"] == "4"
    assert len(charts(app)) == 5  # country × outcome, languages, weeks, top occupations, ISCO groups
    assert app.multiselect(key="f_countries").options == ["BG (90)", "HR (30)", "IE (6)", "MT (3)"]


def test_sidebar_filters_apply_and_go_into_the_url(app):
    app.multiselect(key="f_countries").set_value(["HR"]).run()
    assert app.query_params["country"] == "HR"
    assert app.metric[0].value == "30"
    app.date_input(key="f_from").set_value(__import__("datetime").date(2025, 12, 1)).run()
    assert app.query_params["from"] == "2025-12-01"
    assert 0 < int(app.metric[0].value) < 30
    # The filters survive a page switch, and stay in the URL.
    app.switch_page("views/titles.py").run()
    assert not app.exception
    assert app.multiselect(key="f_countries").value == ["HR"]
    assert app.query_params["country"] == "HR"


def test_a_shared_link_opens_on_the_same_view(dashboard_store, monkeypatch):
    monkeypatch.setenv("JOBMARKET_DB", str(dashboard_store))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params.update({"country": "IE,MT", "isco": "2"})
    at.run()
    assert at.multiselect(key="f_countries").value == ["IE", "MT"]
    assert at.multiselect(key="f_isco").value == ["2"]
    assert at.metric[0].value == "9"  # the hand-written accountants and developers (ISCO 2411, 2512)


def _pick_accountant(at: AppTest) -> AppTest:
    at.switch_page("views/skill_gap.py").run()
    at.text_input(key="sg_text").set_value("accountant").run()
    box = at.selectbox(key="sg_occ")
    assert len(box.options) == 1 and box.options[0].startswith("accountant (")
    box.select_index(0).run()
    assert not at.exception
    return at


def test_skill_gap_against_esco_ranks_the_demanded_skill_first(app):
    at = _pick_accountant(app)
    options = at.selectbox(key="sg_country").options
    # The hand-made IE/MT postings; a real EURES posting matched by the tiny model may add a country.
    assert options[0] == "(all countries)" and {"IE (4 postings)", "MT (2 postings)"} <= set(options)
    at.selectbox(key="sg_country").select_index(options.index("IE (4 postings)")).run()
    # "manage budgets" is a cross-sector skill: shown once broad skills are switched on.
    assert MANAGE_BUDGETS not in set(at.dataframe[0].value["skill_uri"])
    at.toggle(key="sg_transversal").set_value(True).run()
    gap = at.dataframe[0].value
    # Every Irish accountant posting asks to manage budgets; ESCO does not list it as essential.
    assert gap.iloc[0]["skill_uri"] == MANAGE_BUDGETS and gap.iloc[0]["demand"] == 1.0
    assert gap.iloc[0]["supply"] == 0.0 and gap.iloc[0]["gap"] == 1.0
    assert list(gap["gap"]) == sorted(gap["gap"], reverse=True)
    assert len(charts(at)) == 1
    assert "manage budgets" in at.subheader[0].value
    assert at.query_params["demand"] == "IE" and at.query_params["occ"].startswith("http://data.europa.eu")
    assert at.get("download_button")
    # Each demanded skill links to the sentences that ask for it, with counts.
    evidence = at.dataframe[1].value
    assert len(evidence) and evidence["n_postings"].iloc[0] >= 1 and "sentence" in evidence
    at.radio(key="sg_group").set_value("reuse_level").run()
    assert "cross-sector" in set(at.dataframe[0].value["reuse_level"])


def test_skill_gap_against_another_country(app):
    at = _pick_accountant(app)
    options = at.selectbox(key="sg_country").options
    at.selectbox(key="sg_country").select_index(options.index("IE (4 postings)")).run()
    at.radio(key="sg_supply").set_value("country").run()
    at.selectbox(key="sg_supply_country").set_value("MT").run()
    assert at.selectbox(key="sg_supply_country").value == "MT"
    gap = at.dataframe[0].value
    # Ireland asks for SQL in every accountant posting, Malta in none: the largest gap.
    assert gap.iloc[0]["skill_uri"] == SQL and gap.iloc[0]["gap"] == 1.0
    assert at.query_params["supply"] == "country"


def test_skill_gap_against_an_uploaded_programme(app):
    at = _pick_accountant(app)
    options = at.selectbox(key="sg_country").options
    at.selectbox(key="sg_country").select_index(options.index("IE (4 postings)")).run()
    at.radio(key="sg_supply").set_value("csv").run()
    course = b"skill\nmanage budgets\nSQL\n"
    at.file_uploader(key="sg_csv").set_value(("course.csv", course, "text/csv")).run()
    at.toggle(key="sg_transversal").set_value(True).run()  # shown once a programme is uploaded
    assert not at.exception
    gap = at.dataframe[0].value.set_index("skill_uri")
    # The programme covers both skills (exact ESCO labels): no gap left for them.
    assert gap.loc[MANAGE_BUDGETS, "gap"] == 0.0 and gap.loc[SQL, "gap"] == 0.0
    assert gap.loc[MANAGE_BUDGETS, "in_supply"]


def test_skill_gap_by_cluster(app):
    app.switch_page("views/skill_gap.py").run()
    app.radio(key="sg_how").set_value("Title cluster").run()
    assert not app.exception
    assert app.selectbox(key="sg_cluster").options
    assert app.dataframe or app.warning  # a cluster's occupation may have no postings profile


def test_titles_across_countries(app):
    app.switch_page("views/titles.py").run()
    assert not app.exception
    assert app.radio(key="tt_by").value == "Title cluster"
    assert len(charts(app)) == 2  # titles per country, and the PCA map
    app.radio(key="tt_by").set_value("ESCO occupation").run()
    assert any(o.startswith("accountant (") for o in app.selectbox(key="tt_occ").options)
    app.selectbox(key="tt_occ").set_value(ACCOUNTANT).run()
    table = app.dataframe[0].value
    # The hand-written accountants: the title they share in Ireland and Malta.
    assert {"IE", "MT"} <= set(table["country"])
    assert set(table.loc[table["country"].isin(["IE", "MT"]), "title"]) == {"accountant"}
    assert app.query_params["by"] == "occupation"
    app.radio(key="tt_colour").set_value("cluster").run()
    assert not app.exception and len(charts(app)) == 2


def test_search_finds_occupations_and_titles(app):
    app.switch_page("views/search.py").run()
    app.text_input(key="s_text").set_value("accountant").run()
    assert not app.exception
    occ, titles = (d.value for d in app.dataframe)
    assert occ.iloc[0]["occupation"] == "accountant" and occ.iloc[0]["method"] == "exact"
    assert titles.iloc[0]["title_clean"] == "accountant"
    assert app.query_params["q"] == "accountant"
    assert len(charts(app)) == 2


def test_search_link_with_skills(dashboard_store, monkeypatch):
    monkeypatch.setenv("JOBMARKET_DB", str(dashboard_store))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params.update({"q": "SQL", "in": "occupations,titles,skills"})
    at.switch_page("views/search.py")
    at.run()
    assert not at.exception
    assert at.text_input(key="s_text").value == "SQL"
    occ, titles, skills = (d.value for d in at.dataframe)
    assert len(occ) == len(titles) == len(skills) == 10
    assert list(skills["score"]) == sorted(skills["score"], reverse=True)  # nearest first (tiny model)
    assert len(charts(at)) == 3


def test_a_busy_store_shows_a_message(dashboard_store, tmp_path, monkeypatch):
    db = tmp_path / "busy.duckdb"
    shutil.copy(dashboard_store, db)
    # Another process holds the write lock, as a running `jobmarket normalize` does.
    hold = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setenv("JOBMARKET_DB", str(db))
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        assert not at.exception
        assert "busy" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()


def test_a_missing_store_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("JOBMARKET_DB", str(tmp_path / "nope.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "does not exist" in at.error[0].value

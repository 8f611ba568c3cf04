"""The review loop (issue 14, part 4) on the small real store (real ESCO subset, 120 real EURES postings,
tiny model): the queue, `review export` → fill answers → `codes import` → rerun, and the run identity that
includes the coding index."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.coding.review import review_queue
from jobmarket.errors import JobmarketError
from tests.sql_store import THRESHOLD

runner = CliRunner()
CANDIDATE_COLUMNS = [f"candidate_{n}{s}" for n in range(1, 6) for s in ("", "_uri", "_confidence")]


def source_of(m) -> str:
    """The postings file the small store was normalized from (unchanged since)."""
    return m.sql("SELECT source_file FROM runs WHERE command = 'normalize' ORDER BY started LIMIT 1")[
        "source_file"][0]


def test_queue_has_one_row_per_title_country_language(writable_market):
    m = writable_market
    queue = m.review_queue()
    abstained = m.sql("SELECT title_clean, country, language FROM posting_occupations "
                      "WHERE status = 'abstained' AND title_clean IS NOT NULL")
    assert len(abstained) > 0  # the small store abstains below its threshold
    assert len(queue) == len(abstained.drop_duplicates())
    assert queue["n_postings"].sum() == len(abstained)
    assert not queue[["title", "country", "language"]].duplicated().any()
    assert set(queue["status"]) == {"abstained"}
    assert queue["answer"].isna().all()
    assert list(queue.columns[:5]) == ["title", "country", "language", "n_postings", "answer"]
    assert set(CANDIDATE_COLUMNS) <= set(queue.columns)
    # Least confident first; every title has its top-5 candidates, best first.
    assert list(queue["confidence"]) == sorted(queue["confidence"])
    assert queue["candidate_5_uri"].notna().all()
    first = queue.iloc[0]
    confs = [first[f"candidate_{n}_confidence"] for n in range(1, 6)]
    assert confs == sorted(confs, reverse=True)


def test_queue_orders_limits_filters_and_labels_in_the_coders_language(writable_market):
    m = writable_market
    by_postings = m.review_queue(status="all", order="postings")
    assert list(by_postings["n_postings"]) == sorted(by_postings["n_postings"], reverse=True)
    assert set(by_postings["status"]) == {"abstained", "matched"}
    assert len(m.review_queue(status="all", limit=7)) == 7
    country = by_postings["country"].iloc[0]
    assert set(m.review_queue(status="all", countries=[country])["country"]) == {country}
    de = m.review_queue(status="all", lang="de", limit=20)
    german = m.sql("SELECT concept_uri, label FROM esco_labels WHERE lang = 'de' AND kind = 'preferred' "
                   "AND concept_type = 'occupation'").set_index("concept_uri")["label"]
    english = m.sql("SELECT concept_uri, label FROM esco_labels WHERE lang = 'en' AND kind = 'preferred' "
                    "AND concept_type = 'occupation'").set_index("concept_uri")["label"]
    for uri, label in zip(de["candidate_1_uri"], de["candidate_1"], strict=True):
        assert label == german.get(uri, english[uri])  # German, English where ESCO has no German label
    assert (de["candidate_1"] != m.review_queue(status="all", lang="en", limit=20)["candidate_1"]).any()


def test_queue_refuses_bad_options(writable_market):
    with pytest.raises(JobmarketError, match="status must be one of abstained, matched, all"):
        writable_market.review_queue(status="rejected")
    with pytest.raises(JobmarketError, match="order must be"):
        writable_market.review_queue(order="random")
    with pytest.raises(JobmarketError, match="limit must be at least 1"):
        review_queue(writable_market.con, limit=0)
    with pytest.raises(JobmarketError, match=r"must end in \.csv, \.tsv, \.parquet"):
        writable_market.export_review("queue.xlsx")


def test_rerun_of_an_unchanged_file_rematches_when_the_coding_index_changes(writable_market):
    m = writable_market
    source = source_of(m)
    first = m.sql("SELECT run_id FROM runs WHERE command = 'normalize'")["run_id"][0]
    same = m.normalize(source, threshold=THRESHOLD).report
    assert same.run_id == first and same.changed_from == first and same.n_changed == 0  # idempotent
    assert same.coding_index == "empty"
    title = m.review_queue(limit=1).iloc[0]
    m.add_codes(pd.DataFrame([{"title": title["title"], "occupation_uri": title["candidate_2_uri"],
                               "language": title["language"], "country": title["country"]}]), "test")
    again = m.normalize(source, threshold=THRESHOLD).report
    assert again.run_id != first and again.coding_index != "empty"
    assert again.changed_from == first
    assert again.n_changed == _changed_rows(m, first, again.run_id)
    params = m.sql("SELECT params->>'coding_index' AS v FROM runs WHERE run_id = ?", [again.run_id])["v"][0]
    assert params == again.coding_index
    # The title's postings now follow the coder's answer.
    got = m.sql("SELECT a.occupation_uri, a.status, a.method FROM postings p JOIN assignments a USING "
                "(posting_id) WHERE p.run_id = ? AND p.title_clean = ? AND p.language IS NOT DISTINCT FROM ?",
                [again.run_id, title["title"], title["language"]])
    assert len(got) == title["n_postings"]
    assert set(got["occupation_uri"]) == {title["candidate_2_uri"]} and set(got["status"]) == {"matched"}
    assert set(got["method"]) == {"coded"}
    assert again.n_changed >= title["n_postings"]
    # Answered titles leave the queue.
    assert title["title"] not in set(m.review_queue()["title"])


def test_review_export_fill_import_rerun_end_to_end(writable_market, tiny_model, tmp_path):
    m = writable_market
    db, source = m.db, source_of(m)
    old_run = m.sql("SELECT run_id FROM runs WHERE command = 'normalize'")["run_id"][0]
    m.close()  # the CLI opens the store itself
    to_code = tmp_path / "to_code.csv"
    res = runner.invoke(app, ["review", "export", "--db", db, "--status", "abstained", "--order", "postings",
                              "--limit", "6", "--lang", "de", "--out", str(to_code)])
    assert res.exit_code == 0, res.output
    assert "6 titles" in res.output and "codes import" in " ".join(res.output.split())
    sheet = pd.read_csv(to_code, dtype=str, keep_default_na=False)
    assert len(sheet) == 6 and (sheet["answer"] == "").all()
    # The coder answers four titles (an ESCO URI, or the second candidate's) and leaves two open.
    answered = sheet.index[:4]
    sheet.loc[answered, "answer"] = sheet.loc[answered, "candidate_2_uri"]
    sheet.to_csv(to_code, index=False)

    res = runner.invoke(app, ["codes", "import", str(to_code), "--db", db])
    assert res.exit_code == 0, res.output
    assert "6 rows → 4 coded titles, 2 rejected" in " ".join(res.output.split())
    res = runner.invoke(app, ["normalize", source, "--db", db, "--model", str(tiny_model),
                              "--threshold", str(THRESHOLD), "--no-progress"])
    assert res.exit_code == 0, res.output
    said = re.search(r"([\d,]+) of ([\d,]+) assignments changed compared with run (\w+)",
                     " ".join(res.output.split()))
    assert said, res.output
    n_changed, run_old = int(said.group(1).replace(",", "")), said.group(3)
    assert run_old == old_run

    from jobmarket.market import Market

    with Market.open(db, model=None, read_only=True) as m2:
        coded = m2.sql("SELECT title_clean, language, country, occupation_uri, source FROM coded_titles")
        rejects = m2.sql("SELECT source_row, reason FROM code_rejects ORDER BY source_row")
        new_run = m2.sql("SELECT run_id FROM current_runs")["run_id"].tolist()
        assert len(new_run) == 1 and new_run[0] != old_run
        assert n_changed == _changed_rows(m2, old_run, new_run[0])
        for r in sheet.loc[answered].itertuples(index=False):
            got = m2.sql("SELECT a.occupation_uri, a.method FROM postings p JOIN assignments a USING "
                         "(posting_id) WHERE p.run_id = ? AND p.title_clean = ? AND p.country = ?",
                         [new_run[0], r.title, r.country])
            assert len(got) == int(r.n_postings)
            assert set(got["occupation_uri"]) == {r.answer} and set(got["method"]) == {"coded"}
        left = m2.review_queue(status="abstained")
    # The import read the file as written: the cleaned title, its language and country, the answer.
    assert sorted(coded["title_clean"]) == sorted(sheet.loc[answered, "title"])
    assert set(coded["occupation_uri"]) == set(sheet.loc[answered, "answer"])
    assert set(coded["source"]) == {"to_code.csv"}
    assert list(rejects["source_row"]) == [5, 6] and set(rejects["reason"]) == {"no occupation given"}
    assert n_changed >= sheet.loc[answered, "n_postings"].astype(int).sum()
    # The answered titles left the queue; the unanswered ones are still there.
    assert not set(sheet.loc[answered, "title"]) & set(left["title"])
    assert set(sheet.loc[4:, "title"]) <= set(left["title"])


def _changed_rows(m, old: str, new: str) -> int:
    """Postings whose occupation or status differs between two runs of one file, counted in pandas."""
    q = ("SELECT p.source_row, a.occupation_uri, a.status FROM postings p JOIN assignments a USING "
         "(posting_id) WHERE p.run_id = ?")
    both = m.sql(q, [old]).merge(m.sql(q, [new]), on="source_row", suffixes=("_old", "_new"))
    same_occ = both["occupation_uri_old"].fillna("-") == both["occupation_uri_new"].fillna("-")
    return int((~same_occ | (both["status_old"] != both["status_new"])).sum())


def test_review_export_bad_options_are_one_line(small_store, tmp_path):
    for args, message in (
        (["--status", "rejected"], "status must be one of abstained, matched, all, not 'rejected'"),
        (["--order", "random"], "order must be one of uncertainty, postings"),
        (["--limit", "0"], "limit must be at least 1"),
    ):
        res = runner.invoke(app, ["review", "export", "--db", str(small_store), "--out",
                                  str(tmp_path / "q.csv"), *args])
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], res.output
    res = runner.invoke(app, ["review", "export", "--db", str(small_store), "--out",
                              str(tmp_path / "q.xlsx")])
    assert res.exit_code == 2 and "must end in .csv, .tsv, .parquet" in res.output


def test_review_export_as_tsv_and_parquet_reads_back(writable_market, tmp_path):
    m = writable_market
    for name in ("q.tsv", "q.parquet"):
        done = m.export_review(tmp_path / name, status="all", limit=3)
        assert done.n_titles == 3 and done.n_postings >= 3
        back = (pd.read_csv(done.path, sep="\t", dtype=str, keep_default_na=False) if name.endswith(".tsv")
                else pd.read_parquet(done.path))
        assert list(back["title"]) == list(m.review_queue(status="all", limit=3)["title"])
        rep = m.import_codes(done.path, source=name)  # nothing answered: every row says so
        assert rep.n_coded == 0 and rep.n_rejected == 3
        assert set(rep.rejects["reason"]) == {"no occupation given"}

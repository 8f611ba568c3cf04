"""An adversarial corpus through the full normalize run: every input record is accounted for (matched,
abstained, or rejected with a reason), whatever the encoding, line ends, quoting or content; and property
tests: any CSV Python's csv module writes is read with one row per record."""

from __future__ import annotations

import csv
import string

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobmarket.errors import JobmarketError
from jobmarket.io.reader import read_postings
from jobmarket.market import Market
from tests.adversarial import write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adversarial")
    return folder, write_corpus(folder)


@pytest.fixture(scope="module")
def market(tmp_path_factory, esco_subset, tiny_model):
    m = Market.open(tmp_path_factory.mktemp("adv") / "adv.duckdb", model=str(tiny_model), esco=[esco_subset])
    yield m
    m.close()


def test_every_record_of_every_file_is_accounted_for(corpus, market):
    folder, files = corpus
    for name, n in files.items():
        if n is None:
            with pytest.raises(JobmarketError, match="empty"):
                market.normalize(folder / name)
            continue
        result = market.normalize(folder / name)
        res, run = result.df(), result.run_id
        counted = market.sql(
            "SELECT count(*) AS n, count(DISTINCT posting_id) AS d, "
            "count(*) FILTER (WHERE status = 'rejected' AND reason IS NULL) AS silent, "
            "count(*) FILTER (WHERE status NOT IN ('matched', 'abstained', 'rejected')) AS odd "
            "FROM assignments WHERE run_id = ?", [run]).iloc[0].to_dict()
        assert counted == {"n": n, "d": n, "silent": 0, "odd": 0}, name
        assert len(res) == n and res["source_row"].tolist() == list(range(1, n + 1)), name
        assert sum(result.report.counts.values()) == n


def test_reasons_of_the_troublemakers(corpus, market):
    folder, _ = corpus
    by_file = {}
    for name in ("huge_title.csv", "ragged.csv", "invalid_utf8_row.csv", "mixed.jsonl", "utf8_lf.csv",
                 "mixed_line_endings.csv"):
        df = market.normalize(folder / name).df()
        by_file[name] = dict(zip(df["source_row"], zip(df["status"], df["reason"], strict=True), strict=True))
    assert by_file["huge_title.csv"][1] == ("rejected", "title longer than 300 characters")
    assert by_file["huge_title.csv"][2][0] != "rejected"
    ragged = by_file["ragged.csv"]
    assert ragged[1][0] != "rejected" and ragged[4][0] != "rejected"
    assert ragged[2] == ("rejected", "row has 5 fields, header has 3")
    assert ragged[3][0] == "rejected"
    # A mostly-ASCII file with a stray byte is read in the legacy encoding the sniffer names, else the
    # record is rejected as invalid UTF-8: either way the neighbours stand and the record is counted.
    bad = by_file["invalid_utf8_row.csv"]
    assert bad[2][0] != "rejected" or bad[2] == ("rejected", "invalid UTF-8")
    assert bad[1][0] != "rejected" and bad[3][0] != "rejected"
    jsonl = by_file["mixed.jsonl"]
    assert jsonl[5] == ("rejected", "invalid JSON") and jsonl[6] == ("rejected", "not a JSON object")
    lf = by_file["utf8_lf.csv"]
    assert lf[11] == ("rejected", "empty title")
    assert lf[5] == lf[6] == ("rejected", "title has no letters")  # "12345", "3.14": not titles (issue 13)
    assert all(status != "rejected" for row, (status, _) in lf.items() if row not in (5, 6, 11))  # RTL, emoji


def test_titles_survive_intact(corpus, market):
    folder, _ = corpus
    df = market.normalize(folder / "utf16_bom.csv").df().set_index("source_row")
    assert df.loc[1, "title_raw"] == 'Koch "Chef de partie" (m/w/d)'
    assert df.loc[7, "title_raw"] == "مهندس برمجيات" and df.loc[5, "title_raw"] == "12345"
    assert df.loc[10, "title_raw"] == "line one\nline two (multi-line title)"
    assert df["external_id"].tolist().count("a3") == 2  # duplicate ids are both kept, as separate postings
    mixed = market.normalize(folder / "mixed_line_endings.csv").df().set_index("source_row")
    assert mixed["title_raw"].tolist() == ["Baker", "Cook", "Chef\rde partie"]  # a quoted CR stays text
    assert mixed["external_id"].tolist() == ["m1", "m2", "m3"]


# ---------------------------------------------------------------- property tests of the reader
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(TEXT, TEXT, st.sampled_from(["DE", "ES", ""])), max_size=25),
       delim=st.sampled_from([",", ";", "\t", "|"]), crlf=st.booleans(),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
def test_any_csv_written_by_python_is_read_record_for_record(tmp_path, rows, delim, crlf, quoting):
    path = tmp_path / "random.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=delim, lineterminator="\r\n" if crlf else "\n", quoting=quoting)
        writer.writerow(["id", "title", "country"])
        writer.writerows(rows)
    con = duckdb.connect()
    try:
        read = read_postings(con, path, delimiter=delim)
        got = con.execute("SELECT external_id, title_raw, status FROM raw_postings ORDER BY source_row"
                          ).fetchall()
    finally:
        con.close()
    # The records are what Python's csv module reads back: its writer leaves a bare CR unquoted under
    # QUOTE_MINIMAL with LF line endings, and its reader (like pandas) then ends the record there.
    with open(path, encoding="utf-8", newline="") as f:
        records = [r for r in csv.reader(f, delimiter=delim) if r][1:]
    assert len(records) >= len(rows)
    assert read.n_rows == len(records)
    for (ext, title, status), record in zip(got, records, strict=True):
        if status == "ok":  # a kept record keeps its text exactly
            assert title == record[1]
            assert (ext or "") == record[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(st.text(string.printable + "äöüß€ğ中文😀", max_size=20), min_size=1, max_size=20))
def test_any_jsonl_is_read_record_for_record(tmp_path, titles):
    import json

    path = tmp_path / "random.jsonl"
    path.write_text("".join(json.dumps({"title": t}) + "\n" for t in titles), encoding="utf-8")
    con = duckdb.connect()
    try:
        read = read_postings(con, path)
        got = [t for (t,) in con.execute("SELECT title_raw FROM raw_postings ORDER BY source_row").fetchall()]
    finally:
        con.close()
    assert read.n_rows == len(titles) and got == titles

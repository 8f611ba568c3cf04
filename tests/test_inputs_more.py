"""More of issue 13 on real EURES rows converted by the tests: the ``skills`` description policy (only what
skill extraction reads is stored), and the legacy and binary workbooks (``.xls`` written with xlwt,
``.xlsb`` with pyxlsbwriter), each with its accounting: rows in = matched + abstained + rejected."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.errors import JobmarketError
from jobmarket.market import Market
from jobmarket.skills.sections import split_sections
from jobmarket.text.language import detect_language
from tests.conftest import EURES, need_shared

COLUMNS = ["job_id", "job_title", "date", "country", "country_code", "full_description"]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
# International numbers (+357 99 123456, +351 21 123 4567) and Cyprus's national ones (eight digits, 2 or 9
# first), as the ads write them.
PHONE = re.compile(r"\+\d{3}[\s-]?\d{2}[\s-]?\d{3}[\s-]?\d{3,4}|\b[29]\d{7}\b")
runner = CliRunner()


@pytest.fixture(scope="module")
def eures() -> pd.DataFrame:
    need_shared(EURES)
    return pd.read_csv(EURES, dtype=str, keep_default_na=False)[COLUMNS]


@pytest.fixture()
def market(tmp_path, esco_subset, tiny_model):
    m = Market.open(tmp_path / "m.duckdb", model=str(tiny_model), esco=[esco_subset])
    yield m
    m.close()


# ------------------------------------------------------------------------------------------ skills policy
def sections_of(text: str) -> dict[str, list[str]]:
    """The sentences of a description by section, as the skill extractor classifies them."""
    out: dict[str, list[str]] = {}
    for seg in split_sections(text, detect_language(text)):
        out.setdefault(seg.section, []).append(text[seg.sentence_start:seg.sentence_end])
    return out


def english_ads(eures: pd.DataFrame, n: int = 40) -> pd.DataFrame:
    """English ads (the ESCO subset's skill labels are English): first those with requirement or task
    sections and offer/company/apply text beside them, then those with contact details, then the rest."""
    ads = eures[[detect_language(t) == "en" for t in eures["full_description"]]]
    parts = [sections_of(t) for t in ads["full_description"]]
    needs = pd.Series([bool(p.get("requirements") or p.get("tasks")) for p in parts], index=ads.index)
    back = pd.Series([bool(p.get("offer") or p.get("company") or p.get("apply")) for p in parts],
                     index=ads.index)
    contacts = ads["full_description"].str.contains("@") | ads["full_description"].str.contains(PHONE)
    order = (needs & back).astype(int) * 2 + contacts.astype(int)
    return ads.loc[order.sort_values(ascending=False, kind="stable").index].iloc[:n].reset_index(drop=True)


def foreground_skills(market: Market, run_id: str) -> set[tuple[int, str]]:
    rows = market.sql("SELECT p.source_row, s.skill_uri FROM posting_skills s JOIN postings p USING "
                      "(posting_id) WHERE s.run_id = ? AND NOT s.boilerplate", [run_id])
    return set(zip(rows["source_row"], rows["skill_uri"], strict=True))


def test_skills_policy_stores_only_what_skill_extraction_reads(tmp_path, esco_subset, tiny_model, eures):
    ads = english_ads(eures)
    originals = ads["full_description"]
    assert originals.str.contains(EMAIL).sum() >= 5 and originals.str.contains(PHONE).sum() >= 3
    f = tmp_path / "cy.csv"
    ads.to_csv(f, index=False)
    db = tmp_path / "skills.duckdb"
    model = ["--model", str(tiny_model), "--no-progress"]
    assert runner.invoke(app, ["esco", "import", str(esco_subset), "--db", str(db)]).exit_code == 0
    res = runner.invoke(app, ["normalize", str(f), "--db", str(db), "--descriptions", "skills", *model])
    assert res.exit_code == 0, res.output
    assert "descriptions stored as the text skill extraction reads" in res.output
    res = runner.invoke(app, ["skills", "--db", str(db), "--labels-only", "--no-progress"])
    assert res.exit_code == 0, res.output

    with Market.open(db, model=None, read_only=True) as m:
        (run_id,) = m.sql("SELECT run_id FROM runs WHERE command = 'normalize'")["run_id"]
        counts = m.run(run_id)["counts"]
        stored = m.sql("SELECT source_row, description FROM postings WHERE run_id = ? ORDER BY source_row",
                       [run_id])["description"].tolist()
        found = foreground_skills(m, run_id)
    assert sum(counts.values()) == len(ads) == len(stored)  # every row accounted for
    n_needs = n_dropped = 0
    for original, kept in zip(ads["full_description"], stored, strict=True):
        parts = sections_of(original)
        if parts.get("requirements") or parts.get("tasks"):  # an ad that says what the job needs
            n_needs += 1
            assert kept, original[:200]
        if kept is None:
            continue
        assert len(kept) <= len(original)
        assert not EMAIL.search(kept) and not PHONE.search(kept), kept
        for sentence in parts.get("offer", []) + parts.get("company", []) + parts.get("apply", []):
            kept_too = any(sentence in s for k in ("requirements", "tasks", "other")
                           for s in parts.get(k, []))
            if len(sentence.split()) >= 6 and not kept_too:
                n_dropped += 1
                assert sentence not in kept, sentence
    assert n_needs >= 10 and n_dropped >= 10
    total_kept = sum(len(k) for k in stored if k)
    assert total_kept < 0.9 * ads["full_description"].str.len().sum()  # noticeably less of the ads stored

    # The skills from the kept text are those the whole (redacted) description gives outside background.
    assert len(found) >= 20
    with Market.open(tmp_path / "full.duckdb", model=str(tiny_model), esco=[esco_subset]) as full:
        run = full.normalize(f, descriptions="redact")
        full.skills(run.run_id, use_model=False)
        from_full = foreground_skills(full, run.run_id)
    assert len(found & from_full) >= 0.95 * len(from_full)  # measured: all 33 of 33


def test_skills_policy_as_the_store_setting(market, tmp_path, eures):
    f = tmp_path / "p.csv"
    english_ads(eures, 12).to_csv(f, index=False)
    market.set_setting("descriptions", "skills")
    assert market.settings() == {"descriptions": "skills"}
    with pytest.raises(JobmarketError, match="keeps descriptions=skills; descriptions=redact would keep "
                                             "more"):
        market.normalize(f, descriptions="redact")
    run = market.normalize(f)  # the store's setting applies when the run asks for nothing
    notes = run.report.read_notes
    assert notes["descriptions"] == "skills" and notes["skill_descriptions"] >= 8
    assert run.report.n_rows == 12 == sum(run.counts.values())
    assert market.normalize(f, descriptions="none").report.read_notes["descriptions"] == "none"  # less: fine
    res = runner.invoke(app, ["settings", "descriptions", "redactt", "--db", str(market.db)])
    assert res.exit_code == 2 and "descriptions must be one of keep, redact, skills, none" in res.output


def test_redaction_keeps_descriptions_of_rows_without_a_country(tmp_path, eures):
    import duckdb

    from jobmarket.io.reader import read_postings

    part = eures.iloc[:6][["job_id", "job_title", "full_description"]].copy()  # no country column
    part["full_description"] += " Call +357 99 123456 until 05.12.2025."
    f = tmp_path / "p.csv"
    part.to_csv(f, index=False)
    con = duckdb.connect()
    for policy in ("redact", "skills"):
        read_postings(con, f, descriptions=policy)
        got = con.execute("SELECT description FROM raw_postings ORDER BY source_row").fetchall()
        # A NULL country once made DuckDB skip the phone UDF and return NULL: the description was lost.
        assert all(d and "[phone]" in d and "+357" not in d and "05.12.2025" in d for (d,) in got)


# ------------------------------------------------------------------------------------------ .xls and .xlsb
def workbook_rows(eures: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two sheets of real ads (an .xls cell holds at most 32,767 characters); one not-a-title row."""
    ads = eures[eures["full_description"].str.len() < 32_000]
    first, second = ads.iloc[:18].copy(), ads.iloc[18:30].copy()
    second.iloc[4, second.columns.get_loc("job_title")] = "4711"
    return first, second


def assert_workbook_accounted(market: Market, book, first: pd.DataFrame, second: pd.DataFrame) -> None:
    run = market.normalize(book)
    n = len(first) + len(second)
    assert run.report.n_rows == n == sum(run.counts.values())  # rows in = matched + abstained + rejected
    assert run.counts["rejected"] == 1
    assert run.report.read_notes["sheets"] == {"week 1": len(first), "week 2": len(second)}
    rows = market.sql("SELECT p.source_row, p.source_part, p.part_row, p.title_raw, a.status, a.reason "
                      "FROM postings p JOIN assignments a USING (posting_id) WHERE p.run_id = ? "
                      "ORDER BY p.source_row", [run.run_id])
    assert rows["title_raw"].tolist() == first["job_title"].tolist() + second["job_title"].tolist()
    (bad,) = rows[rows["status"] == "rejected"].to_dict("records")
    # The fifth data row of sheet 2, below its header on row 1: the sheet's row 6, the file's row 23.
    assert (bad["source_part"], bad["part_row"], bad["source_row"]) == ("week 2", 6, len(first) + 5)
    assert (bad["title_raw"], bad["reason"]) == ("4711", "title has no letters")


def test_xls_workbook_rows_accounted_with_sheet_and_row(market, tmp_path, eures):
    import xlwt  # the dev extra's: nothing else writes the legacy format
    first, second = workbook_rows(eures)
    book = xlwt.Workbook(encoding="utf-8")
    for name, part in (("week 1", first), ("week 2", second)):
        sheet = book.add_sheet(name)
        for r, values in enumerate([list(part.columns), *part.values.tolist()]):
            for c, value in enumerate(values):
                sheet.write(r, c, value)
    path = tmp_path / "postings.xls"
    book.save(str(path))
    assert path.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # a real BIFF (OLE2) file
    assert_workbook_accounted(market, path, first, second)


def test_xlsb_workbook_rows_accounted_with_sheet_and_row(market, tmp_path, eures):
    import pyxlsbwriter  # the dev extra's: pure Python, no office suite needed
    first, second = workbook_rows(eures)
    path = tmp_path / "postings.xlsb"
    with pyxlsbwriter.XlsbWriter(str(path)) as book:
        for name, part in (("week 1", first), ("week 2", second)):
            book.add_sheet(name)
            book.write_sheet([list(part.columns), *part.values.tolist()])
    assert_workbook_accounted(market, path, first, second)

"""Inputs as analysts have them (issue 13), on real EURES rows converted by the tests: workbooks, compressed
files, Parquet dataset folders, folders and globs of exports, messy codes and dates, not-a-title titles,
ambiguous headers and description privacy. Every case asserts the accounting: rows in = matched +
abstained + rejected, per file."""

from __future__ import annotations

import gzip

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.errors import JobmarketError
from jobmarket.io.errors import PostingsError
from jobmarket.io.reader import read_postings
from jobmarket.market import Market
from jobmarket.results import NormalizeResult, NormalizeRuns
from tests.conftest import EURES, need_shared

COLUMNS = ["job_id", "job_title", "date", "country", "country_code", "full_description"]


@pytest.fixture(scope="module")
def eures() -> pd.DataFrame:
    need_shared(EURES)
    return pd.read_csv(EURES, dtype=str, keep_default_na=False)[COLUMNS]


@pytest.fixture()
def con():
    c = duckdb.connect()
    yield c
    c.close()


def rows(con, table: str = "raw_postings") -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {table} ORDER BY source_row").fetch_df()


def assert_accounted(con, result, n: int) -> pd.DataFrame:
    got = rows(con, result.table)
    assert result.n_rows == n == len(got)
    assert got["source_row"].tolist() == list(range(1, n + 1))
    assert result.n_rejected == int((got["status"] == "rejected").sum())
    return got


# ------------------------------------------------------------------------------------------ formats
def test_xlsx_every_sheet_row_with_its_sheet_and_row_number(con, tmp_path, eures):
    book = tmp_path / "postings.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as w:
        eures.iloc[:30].to_excel(w, sheet_name="week 1", index=False)
        # A title row above the header, as exports often have: the header is the first non-empty row.
        eures.iloc[30:50].to_excel(w, sheet_name="week 2", index=False, startrow=2)
    res = read_postings(con, book)
    got = assert_accounted(con, res, 50)
    assert res.notes["sheets"] == {"week 1": 30, "week 2": 20}
    assert got["source_part"].tolist() == ["week 1"] * 30 + ["week 2"] * 20
    # Row numbers as the spreadsheet shows them (header on row 1, or on row 3 below a title row).
    assert got["part_row"].tolist() == list(range(2, 32)) + list(range(4, 24))
    assert got["title_raw"].tolist() == eures["job_title"].iloc[:50].tolist()
    assert got["external_id"].tolist() == eures["job_id"].iloc[:50].tolist()  # whole numbers without ".0"
    assert got["date"].astype(str).tolist() == eures["date"].iloc[:50].tolist()

    only = read_postings(con, book, sheet=["week 2"])
    assert assert_accounted(con, only, 20)["part_row"].iloc[0] == 4
    with pytest.raises(PostingsError, match=r"postings\.xlsx: no sheet 'week 3' \(--sheet\); sheets are "
                                            "week 1, week 2"):
        read_postings(con, book, sheet=["week 3"])


def test_sheet_without_a_title_column_names_the_sheet_and_the_option(con, tmp_path, eures):
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as w:
        eures.iloc[:5].to_excel(w, sheet_name="data", index=False)
        pd.DataFrame({"note": ["exported by HR"]}).to_excel(w, sheet_name="notes", index=False)
    with pytest.raises(PostingsError, match=r"book\.xlsx \(sheet 'notes', row 1\): no title column"):
        read_postings(con, book)
    assert assert_accounted(con, read_postings(con, book, sheet=["data"]), 5)["status"].eq("ok").all()


def test_ods(con, tmp_path, eures):
    book = tmp_path / "postings.ods"
    eures.iloc[:15].to_excel(book, sheet_name="Sheet1", index=False, engine="odf")
    got = assert_accounted(con, read_postings(con, book), 15)
    assert got["title_raw"].tolist() == eures["job_title"].iloc[:15].tolist()
    assert set(got["source_part"]) == {"Sheet1"}


@pytest.mark.parametrize("name", ["p.csv.gz", "p.tsv.gz", "p.csv.zst", "p.jsonl.gz"])
def test_compressed_files_read_as_the_plain_file(con, tmp_path, eures, name):
    import zstandard

    part = eures.iloc[:40]
    plain = tmp_path / name.rsplit(".", 1)[0]
    if plain.suffix == ".jsonl":
        part.to_json(plain, orient="records", lines=True, force_ascii=False)
    else:
        part.to_csv(plain, index=False, sep="\t" if plain.suffix == ".tsv" else ",")
    data = plain.read_bytes()
    packed = tmp_path / name
    zstd = zstandard.ZstdCompressor()
    packed.write_bytes(gzip.compress(data) if name.endswith(".gz") else zstd.compress(data))
    got = assert_accounted(con, read_postings(con, packed), 40)
    assert got["title_raw"].tolist() == part["job_title"].tolist()
    assert got["description"].str.len().sum() > 0


def test_compressed_file_in_another_encoding_is_transcoded(con, tmp_path):
    text = "id,title,country\n1,Bäcker,DE\n2,Fleischer,AT\n"
    packed = tmp_path / "p.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("cp1252")))
    res = read_postings(con, packed)
    assert res.encoding not in (None, "utf-8")  # sniffed from the decompressed bytes (a cp125x)
    assert assert_accounted(con, res, 2)["title_raw"].tolist() == ["Bäcker", "Fleischer"]


def test_parquet_dataset_folder_is_one_source(con, tmp_path, eures):
    folder = tmp_path / "postings.parquet"
    for i, country in enumerate(["HR", "PL"]):
        part = eures[eures["country_code"] == country].iloc[:10 + i]
        (folder / f"country_code={country}").mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(part.drop(columns="country_code"), preserve_index=False),
                       folder / f"country_code={country}" / "part-0.parquet")
    res = read_postings(con, folder)
    got = assert_accounted(con, res, 21)
    assert got["source_part"].tolist() == ["country_code=HR/part-0.parquet"] * 10 + [
        "country_code=PL/part-0.parquet"] * 11
    assert got["part_row"].tolist() == list(range(1, 11)) + list(range(1, 12))
    assert got["country"].tolist() == ["HR"] * 10 + ["PL"] * 11  # the hive partition column
    assert len(res.source_sha256) == 64


# ------------------------------------------------------------------------------------------ codes and values
def test_countries_languages_and_dates_standardised_raw_kept(con, tmp_path, eures):
    part = eures.iloc[:9].copy()
    part["country"] = ["Deutschland", "DEU", "DE", "Polska", "POL", "Allemagne", "UK", "Narnia", ""]
    part["lang"] = ["de-DE", "German", "ger", "Deutsch", "pl", "fr_FR", "en", "xx", ""]
    part["date"] = ["05.12.2025", "05/12/2025", "2025-12", "2025-12-05", "2025-12-05T10:30:00",
                    "yesterday", "2025/12/05", "", "31.02.2025"]
    f = tmp_path / "p.csv"
    part.drop(columns="country_code").to_csv(f, index=False)
    res = read_postings(con, f)
    got = assert_accounted(con, res, 9)
    assert got["country"].fillna("-").tolist() == ["DE", "DE", "DE", "PL", "PL", "DE", "GB", "-", "-"]
    assert got["country_raw"].tolist()[0] == "Deutschland"
    assert got["language"].fillna("-").tolist() == ["de", "de", "de", "de", "pl", "fr", "en", "-", "-"]
    assert got["language_raw"].tolist()[1] == "German"
    assert got["date"].astype(str).tolist()[:5] == ["2025-12-05", "2025-12-05", "2025-12-01", "2025-12-05",
                                                    "2025-12-05"]
    assert got["date_raw"].tolist()[0] == "05.12.2025"
    assert res.notes["unparsed_dates"] == 2  # "yesterday" and the 31st of February
    assert res.notes["unknown_countries"] == {"Narnia": 1}
    assert res.notes["unknown_languages"] == {"xx": 1}


def test_country_and_lang_for_single_country_files(con, tmp_path, eures):
    f = tmp_path / "p.csv"
    eures.iloc[:10][["job_id", "job_title"]].to_csv(f, index=False)
    got = assert_accounted(con, read_postings(con, f, country="Hrvatska", lang="Croatian"), 10)
    assert set(got["country"]) == {"HR"} and set(got["language"]) == {"hr"}
    assert got["country_raw"].isna().all()  # the file gave none
    with pytest.raises(PostingsError, match="--country 'Atlantis' is not a known country"):
        read_postings(con, f, country="Atlantis")


# ------------------------------------------------------------------------------------------ not a title
NOT_TITLES = {
    "0": "title has no letters", "-1": "title has no letters", "3.14": "title has no letters",
    "#12/4 - (7)": "title has no letters", "2025-12-05": "title has no letters",
    "jobs@firma.de": "title is an e-mail address", "https://jobs.example.eu/123": "title is a URL",
    "www.praca.pl": "title is a URL", "+385 99 371 6011": "title is a phone number",
    "091/595-1093": "title is a phone number", "٣٫١٤": "title has no letters",  # Arabic-Indic digits
}
TITLES_IN_ANY_SCRIPT = ["Инженер, проектант", "软件工程师", "مهندس برمجيات", "ソフトウェア開発者",
                        "3D modeller", "C++ developer", "Κομμωτής"]


def test_not_a_title_is_rejected_with_its_reason_in_any_script(con, tmp_path, eures):
    titles = list(NOT_TITLES) + TITLES_IN_ANY_SCRIPT
    part = eures.iloc[:len(titles)].copy()
    part["job_title"] = titles
    f = tmp_path / "p.csv"
    part.to_csv(f, index=False)
    got = assert_accounted(con, read_postings(con, f), len(titles))
    reasons = dict(zip(got["title_raw"], got["reason"], strict=True))
    assert {t: reasons[t] for t in NOT_TITLES} == NOT_TITLES
    assert all(pd.isna(reasons[t]) for t in TITLES_IN_ANY_SCRIPT)


# ------------------------------------------------------------------------------------------ ambiguous headers
def test_duplicate_title_column_names_both_and_the_option(con, tmp_path, eures):
    f = tmp_path / "p.csv"
    part = eures.iloc[:5][["job_title", "job_title", "country_code"]]
    part.to_csv(f, index=False)  # pandas writes the duplicate header as given
    assert f.read_text().startswith("job_title,job_title,country_code")
    with pytest.raises(PostingsError, match=r"columns 1 and 2 are both named 'job_title'; pass "
                                            r"--title-col job_title \(column 1\) or --title-col job_title_1 "
                                            r"\(column 2\)"):
        read_postings(con, f)
    assert assert_accounted(con, read_postings(con, f, title_col="job_title_1"), 5)["status"].eq("ok").all()


def test_two_title_like_columns(con, tmp_path, eures):
    f = tmp_path / "p.csv"
    part = eures.iloc[:5][["job_id", "job_title"]].assign(title=eures["job_title"].iloc[:5].str.upper())
    part.to_csv(f, index=False)
    with pytest.raises(PostingsError, match="columns 'job_title' and 'title' both look like the title "
                                            "column; pass --title-col"):
        read_postings(con, f)
    assert read_postings(con, f, title_col="title").n_rows == 5


# ------------------------------------------------------------------------------------------ privacy
def test_descriptions_redacted_by_default(con, tmp_path, eures):
    with_contacts = eures[eures["full_description"].str.contains("@") |
                          eures["full_description"].str.contains(r"\+3\d\d ?\d", regex=True)].iloc[:40]
    f = tmp_path / "p.csv"
    with_contacts.to_csv(f, index=False)
    res = read_postings(con, f)
    got = assert_accounted(con, res, 40)
    assert res.notes["redacted_descriptions"] >= 30
    assert not got["description"].str.contains(r"[\w.]+@[\w-]+\.\w+", regex=True).any()
    assert not got["description"].str.contains(r"\+3\d\d ?\d\d ?\d{3} ?\d{3,4}", regex=True).any()
    assert got["keep_description"].all()
    # The rest of the text stays: the redacted description is as long as the original, give or take.
    assert got["description"].str.len().sum() > 0.9 * with_contacts["full_description"].str.len().sum()

    kept = assert_accounted(con, read_postings(con, f, descriptions="keep"), 40)
    assert kept["description"].tolist() == with_contacts["full_description"].tolist()
    none = assert_accounted(con, read_postings(con, f, descriptions="none"), 40)
    assert not none["keep_description"].any()


# ------------------------------------------------------------------------------------------ Market and CLI
@pytest.fixture()
def market(tmp_path, esco_subset, tiny_model):
    m = Market.open(tmp_path / "m.duckdb", model=str(tiny_model), esco=[esco_subset])
    yield m
    m.close()


def weekly_exports(folder, eures, sizes=(25, 30, 20)):
    folder.mkdir()
    start, paths = 0, []
    for week, n in enumerate(sizes, start=1):
        path = folder / f"2026-W{week:02d}.csv"
        part = eures.iloc[start:start + n].copy()
        part.iloc[0, part.columns.get_loc("job_title")] = "12345"  # one not-a-title row per file
        part.to_csv(path, index=False)
        paths.append(path)
        start += n
    (folder / "README.txt.bak").write_text("not postings")  # ignored: not a postings file
    return paths


def test_glob_and_folder_one_result_per_file_and_a_total(market, tmp_path, eures):
    paths = weekly_exports(tmp_path / "exports", eures)
    out = tmp_path / "all.parquet"
    runs = market.normalize(str(tmp_path / "exports" / "2026-W*.csv"), out=out)
    assert isinstance(runs, NormalizeRuns) and len(runs.files) == 3
    assert [f.report.source for f in runs.files] == [str(p) for p in paths]
    assert len(set(runs.run_ids)) == 3
    for f, n in zip(runs.files, (25, 30, 20), strict=True):
        assert f.report.n_rows == n == sum(f.counts.values())  # rows in = matched + abstained + rejected
        assert f.counts["rejected"] == 1
        df = f.df()
        assert df["source_row"].tolist() == list(range(1, n + 1))  # each file keeps its own row numbers
        assert df.loc[df["source_row"] == 1, "reason"].item() == "title has no letters"
    assert runs.n_rows == 75 == sum(runs.counts.values()) == len(runs)
    written = pd.read_parquet(out)
    assert written.groupby("source").size().to_dict() == {str(p): n for p, n in zip(paths, (25, 30, 20),
                                                                                     strict=True)}

    # The same folder again: the same runs (idempotent); one changed file supersedes only its own run.
    part = pd.read_csv(paths[1], dtype=str, keep_default_na=False).iloc[:12]
    part.to_csv(paths[1], index=False)
    again = market.normalize(tmp_path / "exports")
    assert again.run_ids[0] == runs.run_ids[0] and again.run_ids[2] == runs.run_ids[2]
    assert again.run_ids[1] != runs.run_ids[1] and again.files[1].report.n_rows == 12
    assert again.files[1].report.supersedes == [runs.run_ids[1]]
    single = market.normalize(paths[0])
    assert isinstance(single, NormalizeResult) and single.files == [single]


def test_bad_file_in_a_batch_says_how_far_it_got(market, tmp_path, eures):
    paths = weekly_exports(tmp_path / "exports", eures, sizes=(10, 10))
    paths[1].write_text("job_title,job_title\nKoch,Kellner\n")
    with pytest.raises(JobmarketError, match=r"2026-W02\.csv: columns 1 and 2 are both named 'job_title'.*"
                                             r"\(file 2 of 2; the 1 before it are written"):
        market.normalize([paths[0], paths[1]])


def test_no_descriptions_and_the_store_setting(market, tmp_path, eures):
    f = tmp_path / "p.csv"
    eures.iloc[:20].to_csv(f, index=False)
    run = market.normalize(f, descriptions="none")
    assert run.report.read_notes["descriptions"] == "none"
    stored = market.sql("SELECT count(description) AS n, count(*) AS total FROM postings WHERE run_id = ?",
                        [run.run_id])
    assert stored.to_dict("records") == [{"n": 0, "total": 20}]
    market.set_setting("descriptions", "none")
    assert market.settings() == {"descriptions": "none"}
    with pytest.raises(JobmarketError, match="keeps descriptions=none; descriptions=redact would keep more"):
        market.normalize(f, descriptions="redact")
    g = tmp_path / "q.csv"
    eures.iloc[20:30].to_csv(g, index=False)
    later = market.normalize(g)  # the store's setting applies when the run asks for nothing
    assert later.report.read_notes["descriptions"] == "none"


def test_store_keeps_raw_and_standard_values(market, tmp_path, eures):
    part = eures.iloc[:6].copy()
    part["country_code"] = ["Hrvatska", "HRV", "HR", "Polska", "POL", "PL"]
    part["date"] = ["05.12.2025", "05/12/2025", "2025-12", "2025-12-05", "soon", ""]
    f = tmp_path / "p.csv"
    part.to_csv(f, index=False)
    run = market.normalize(f)
    got = market.sql("SELECT country, country_raw, date, date_raw FROM postings WHERE run_id = ? "
                     "ORDER BY source_row", [run.run_id])
    assert got["country"].tolist() == ["HR", "HR", "HR", "PL", "PL", "PL"]
    assert got["country_raw"].tolist()[:2] == ["Hrvatska", "HRV"]
    assert got["date"].astype(str).tolist()[:4] == ["2025-12-05", "2025-12-05", "2025-12-01", "2025-12-05"]
    assert run.report.read_notes["unparsed_dates"] == 1


runner = CliRunner()


def test_cli_glob_prints_each_file_and_the_total(tmp_path, esco_subset, tiny_model, eures):
    db = tmp_path / "cli.duckdb"
    assert runner.invoke(app, ["esco", "import", str(esco_subset), "--db", str(db)]).exit_code == 0
    weekly_exports(tmp_path / "exports", eures, sizes=(12, 8))
    res = runner.invoke(app, ["normalize", str(tmp_path / "exports" / "*.csv"), "--db", str(db), "--model",
                              str(tiny_model), "--no-progress", "--country", "Deutschland"])
    assert res.exit_code == 0, res.output
    assert "2026-W01.csv" in res.output and "2026-W02.csv" in res.output and "total" in res.output
    with Market.open(db, model=None, read_only=True) as m:
        assert m.sql("SELECT DISTINCT country FROM postings")["country"].tolist() == ["DE"]

    bad = tmp_path / "dup.csv"
    bad.write_text("job_title,job_title,country\nKoch,Kellner,DE\n")
    res = runner.invoke(app, ["normalize", str(bad), "--db", str(db), "--model", str(tiny_model),
                              "--no-progress"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "columns 1 and 2 are both named 'job_title'" in lines[0]
    res = runner.invoke(app, ["normalize", str(tmp_path / "nothing-*.csv"), "--db", str(db), "--no-progress"])
    assert res.exit_code == 2 and "no file matches this pattern" in res.output



def test_migration_006_keeps_old_dates_raw_and_parses_them():
    from jobmarket.sql import SQL_DIR, read_sql

    con = duckdb.connect()
    con.execute(read_sql("schema.sql"))  # a store of the v1 shape: date as text
    con.execute("INSERT INTO postings (posting_id, run_id, source_row, title_raw, date) VALUES "
                "('r:1', 'r', 1, 'Koch', '05.12.2025'), ('r:2', 'r', 2, 'Maler', '2025-11'), "
                "('r:3', 'r', 3, 'Bäcker', 'soon')")
    con.execute((SQL_DIR / "migrations" / "006_input_values.sql").read_text(encoding="utf-8"))
    got = con.execute("SELECT date, date_raw FROM postings ORDER BY source_row").fetchall()
    assert [(str(d) if d else None, raw) for d, raw in got] == [
        ("2025-12-05", "05.12.2025"), ("2025-11-01", "2025-11"), (None, "soon")]
    assert {"country_raw", "language_raw", "source_part", "part_row"} <= {
        r[0] for r in con.execute("DESCRIBE postings").fetchall()}

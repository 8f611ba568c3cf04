"""Reading postings: formats, encodings, malformed rows, column mapping; every input record accounted for."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobmarket.io.columns import ColumnMap
from jobmarket.io.errors import PostingsError
from jobmarket.io.reader import ReadResult, file_sha256, read_postings
from tests.conftest import EURES, SHARED, need_shared

JOBBERT = SHARED / "jobbert_eval" / "titles.csv"


@pytest.fixture()
def con():
    c = duckdb.connect()
    yield c
    c.close()


def rows(con, table: str = "raw_postings") -> list[dict]:
    cur = con.execute(f"SELECT * FROM {table} ORDER BY source_row")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def accounted(con, result: ReadResult, n_records: int) -> list[dict]:
    """Every record once: n_rows records numbered 1..n without gaps, rejects counted."""
    got = rows(con, result.table)
    assert result.n_rows == n_records == len(got)
    assert [r["source_row"] for r in got] == list(range(1, n_records + 1))
    assert result.n_rejected == sum(r["status"] == "rejected" for r in got)
    assert all((r["status"] == "rejected") == (r["reason"] is not None) for r in got)
    assert {r["status"] for r in got} <= {"ok", "rejected"}
    return got


def write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


# ------------------------------------------------------------------------------------------ columns
def test_missing_title_column(con, tmp_path):
    f = write(tmp_path / "p.csv", "a,b,c\n1,2,3\n")
    msg = r"p\.csv: no title column; columns are a, b, c; pass --title-col$"
    with pytest.raises(PostingsError, match=msg):
        read_postings(con, f)


def test_named_column_that_does_not_exist(con, tmp_path):
    f = write(tmp_path / "p.csv", "id,title,country\n1,Koch,DE\n")
    msg = r"no column 'land' \(--country-col\); columns are id, title, country$"
    with pytest.raises(PostingsError, match=msg):
        read_postings(con, f, country_col="land")
    with pytest.raises(PostingsError, match=r"no column 'job' \(--title-col\)"):
        read_postings(con, f, title_col="job")


def test_named_columns_override_auto_mapping(con, tmp_path):
    f = write(tmp_path / "p.csv", "ref,Name,title,Land,Sprache,Text\nA1,Koch,ignored,DE,de,Kochen\n")
    res = read_postings(con, f, title_col="name", id_col="ref", country_col="Land", lang_col="Sprache",
                        description_col="Text")
    assert res.columns == ColumnMap(title="Name", id="ref", description="Text", country="Land",
                                    language="Sprache")
    (row,) = accounted(con, res, 1)
    assert (row["external_id"], row["title_raw"], row["country"], row["language"], row["description"]) == (
        "A1", "Koch", "DE", "de", "Kochen")


@pytest.mark.parametrize(("header", "title"), [
    ("Job Title", "Job Title"), ("JOBTITLE", "JOBTITLE"), ("vacancyTitle", "vacancyTitle"),
    ("Título", "Título"), ("intitulé", "intitulé"), ("position", "position"),
])
def test_title_auto_mapping(con, tmp_path, header, title):
    f = write(tmp_path / "p.csv", f"x,{header}\n1,Koch\n")
    res = read_postings(con, f)
    assert res.columns.title == title
    assert accounted(con, res, 1)[0]["title_raw"] == "Koch"


def test_country_code_preferred_and_extra_columns_ignored(con, tmp_path):
    f = write(tmp_path / "p.csv", "posting_id,country,country_code,title,salary,posted,lang,whatever\n"
                                  "9,Germany,DE,Koch,3000,2025-01-01,de,x\n")
    res = read_postings(con, f)
    assert res.columns == ColumnMap(title="title", id="posting_id", country="country_code", language="lang",
                                    date="posted")
    (row,) = accounted(con, res, 1)
    assert (row["external_id"], row["country"], row["date_raw"], row["language"]) == (
        "9", "DE", "2025-01-01", "de")
    assert str(row["date"]) == "2025-01-01"  # parsed to DATE, the raw text kept beside it
    assert list(row) == ["source_row", "source_part", "part_row", "external_id", "title_raw", "description",
                         "country", "language", "date", "country_raw", "language_raw", "date_raw", "status",
                         "reason", "keep_description", "skill_text"]


def test_duplicate_and_blank_header_names(con, tmp_path):
    f = write(tmp_path / "p.csv", ",title,title\n0,Koch,Kellner\n")
    with pytest.raises(PostingsError, match=r"p\.csv: columns 2 and 3 are both named 'title'; pass "
                                            r"--title-col title \(column 2\) or "
                                            r"--title-col title_1 \(column 3\)"):
        read_postings(con, f)
    assert accounted(con, read_postings(con, f, title_col="title"), 1)[0]["title_raw"] == "Koch"
    assert accounted(con, read_postings(con, f, title_col="title_1"), 1)[0]["title_raw"] == "Kellner"


# ------------------------------------------------------------------------------------------ titles
def test_empty_titles_are_rejected(con, tmp_path):
    f = write(tmp_path / "p.csv", 'id,title\n1,Koch\n2,\n3,""\n4,"   "\n5,Kellner\n')
    got = accounted(con, read_postings(con, f), 5)
    assert [r["status"] for r in got] == ["ok", "rejected", "rejected", "rejected", "ok"]
    assert {r["reason"] for r in got if r["status"] == "rejected"} == {"empty title"}
    assert got[1]["external_id"] == "2"  # a rejected title keeps the rest of its row


def test_overlong_title(con, tmp_path):
    f = write(tmp_path / "p.csv", f"id,title\n1,{'x' * 1000}\n2,{'y' * 300}\n")
    got = accounted(con, read_postings(con, f), 2)
    assert got[0]["reason"] == "title longer than 300 characters"
    assert got[1]["status"] == "ok"
    got = accounted(con, read_postings(con, f, max_title_len=2000), 2)
    assert [r["status"] for r in got] == ["ok", "ok"]


# ------------------------------------------------------------------------------------------ encodings
def test_cp1252_file_with_umlauts(con, tmp_path):
    text = "id;title;description\n1;Bäcker;Brötchen für Kunden – „frisch“\n2;Verkäufer (m/w/d);Straße 5 €\n"
    f = write(tmp_path / "p.csv", text, "cp1252")
    res = read_postings(con, f)
    assert res.encoding not in ("utf-8", "utf-8-sig") and res.delimiter == ";"
    got = accounted(con, res, 2)
    assert [r["title_raw"] for r in got] == ["Bäcker", "Verkäufer (m/w/d)"]
    res = read_postings(con, f, encoding="cp1252")
    assert res.encoding == "cp1252"
    got = accounted(con, res, 2)
    assert got[0]["description"] == "Brötchen für Kunden – „frisch“" and got[1]["description"] == "Straße 5 €"


def test_utf8_with_bom(con, tmp_path):
    f = write(tmp_path / "p.csv", "\ufeffid,title\n1,Köchin\n2,Müller\n")
    res = read_postings(con, f)
    assert res.encoding == "utf-8-sig" and res.columns.id == "id"
    assert [r["title_raw"] for r in accounted(con, res, 2)] == ["Köchin", "Müller"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16(con, tmp_path, codec):
    data = "id,title\n1,Köchin\n2,\"Ελληνικά\nzwei Zeilen\"\n3,Продавач\n"
    raw = codecs_bom(codec) + data.encode(codec if codec == "utf-16" else "utf-16-be")
    f = write(tmp_path / "p.csv", raw)
    res = read_postings(con, f)
    assert res.encoding == "utf-16"
    got = accounted(con, res, 3)
    assert [r["title_raw"] for r in got] == ["Köchin", "Ελληνικά\nzwei Zeilen", "Продавач"]


def codecs_bom(codec: str) -> bytes:
    return b"" if codec == "utf-16" else b"\xfe\xff"  # Python's utf-16 writes its own BOM


def test_invalid_utf8_rows_are_rejected(con, tmp_path):
    good = "".join(f"{i},Köchin Nr {i} – Küche\n" for i in range(1, 40))
    f = write(tmp_path / "p.csv", b"id,title\n" + good.encode() + b"40,B\xe4cker\n41,Maler\n")
    res = read_postings(con, f)
    assert res.encoding == "utf-8"
    got = accounted(con, res, 41)
    assert got[39]["reason"] == "invalid UTF-8" and got[40]["title_raw"] == "Maler"


def test_undecodable_file(con, tmp_path):
    f = write(tmp_path / "p.csv", b"id,title\n1,Koch\n2,B\xe4cker\n")
    with pytest.raises(PostingsError, match=r"p\.csv: cannot decode as ascii at byte 19 \(line 3\)"):
        read_postings(con, f, encoding="ascii")
    g = write(tmp_path / "g.csv", bytes(range(256)) * 64)
    with pytest.raises(PostingsError, match=r"g\.csv: cannot tell the text encoding: byte 128 \(line 2\)"):
        read_postings(con, g)
    with pytest.raises(PostingsError, match="unknown encoding 'klingon'"):
        read_postings(con, f, encoding="klingon")


# ------------------------------------------------------------------------------------------ CSV shapes
def test_ragged_rows(con, tmp_path):
    f = write(tmp_path / "p.csv", (
        "id,title,country\n"
        "1,Koch,DE\n"
        "2,Kellner,DE,extra,more\n"  # too many fields: rejected
        "3,Maler\n"  # too few: kept, padded
        "4,Dachdecker,AT\n"
        "5,Tischler,AT,x\n"
        "6\n"  # one field: kept, no title
        "7,Bäcker,CH\n"
    ))
    got = accounted(con, read_postings(con, f), 7)
    assert [r["status"] for r in got] == ["ok", "rejected", "ok", "ok", "rejected", "rejected", "ok"]
    assert got[1]["reason"] == "row has 5 fields, header has 3"
    assert got[4]["reason"] == "row has 4 fields, header has 3"
    assert got[5]["reason"] == "empty title" and got[5]["external_id"] == "6"
    assert (got[2]["title_raw"], got[2]["country"]) == ("Maler", None)
    assert [r["external_id"] for r in got if r["status"] == "ok"] == ["1", "3", "4", "7"]


def test_quotes_and_embedded_newlines(con, tmp_path):
    f = write(tmp_path / "p.csv", (
        'id,title,description\n'
        '1,"Koch, Beikoch","line one\nline two\n\nline four"\n'
        '2,"Der ""Chef""",plain\n'
        '3,12" Monteur,x\n'
        '4,Bad,"a","b"\n'  # too many fields after a multi-line record: still row 4
        '5,"Kellner\nin Teilzeit",y\n'
        '6,Maler,z\n'
    ))
    got = accounted(con, read_postings(con, f), 6)
    assert got[0]["title_raw"] == "Koch, Beikoch"
    assert got[0]["description"] == "line one\nline two\n\nline four"
    assert got[1]["title_raw"] == 'Der "Chef"'
    assert got[2]["title_raw"] == '12" Monteur'
    assert (got[3]["status"], got[3]["reason"]) == ("rejected", "row has 4 fields, header has 3")
    assert got[4]["title_raw"] == "Kellner\nin Teilzeit"
    assert got[5]["external_id"] == "6"


def test_malformed_quotes(con, tmp_path):
    f = write(tmp_path / "p.csv", 'id,title\n1,Koch\n2,"Kell"ner\n3,Maler\n')
    got = accounted(con, read_postings(con, f), 3)
    assert got[1]["status"] == "rejected" and got[1]["reason"].startswith("malformed quotes in column title")
    assert got[2]["external_id"] == "3"


def test_blank_lines_do_not_shift_row_numbers(con, tmp_path):
    f = write(tmp_path / "p.csv", (
        "id,title,x\n"
        "1,Koch,a\n"
        "\n"
        ",Kellner,b\n"  # empty first field
        "3,Maler,c,extra\n"  # rejected after a blank line
        "\n\n"
        ",Tischler,d\n"
        "5,Bäcker,e,f\n"
        "6,Dachdecker,g\n"
        "\n"
    ))
    got = accounted(con, read_postings(con, f), 6)
    assert [r["title_raw"] for r in got] == ["Koch", "Kellner", None, "Tischler", None, "Dachdecker"]
    assert [r["status"] for r in got] == ["ok", "ok", "rejected", "ok", "rejected", "ok"]


def test_crlf(con, tmp_path):
    f = write(tmp_path / "p.csv", 'id,title\r\n1,Koch\r\n2,"Kell\r\nner"\r\n3,Maler,x\r\n4,Tischler\r\n')
    got = accounted(con, read_postings(con, f), 4)
    assert [r["title_raw"] for r in got] == ["Koch", "Kell\r\nner", None, "Tischler"]
    assert got[2]["reason"] == "row has 3 fields, header has 2"


def test_tsv_and_explicit_delimiter(con, tmp_path):
    f = write(tmp_path / "p.tsv", "id\ttitle\tdescription\n1\tKoch, Beikoch\tKochen; Braten\n2\tKellner\t\n")
    res = read_postings(con, f)
    assert res.delimiter == "\t"
    assert [r["title_raw"] for r in accounted(con, res, 2)] == ["Koch, Beikoch", "Kellner"]
    g = write(tmp_path / "p.txt", "id|title\n1|Koch\n")
    assert read_postings(con, g).delimiter == "|"
    h = write(tmp_path / "q.csv", "id;title\n1;Koch, Beikoch\n")
    res = read_postings(con, h, delimiter=";")
    assert accounted(con, res, 1)[0]["title_raw"] == "Koch, Beikoch"


def test_single_column_file(con, tmp_path):
    f = write(tmp_path / "p.csv", 'title\nKoch\n"Sales, Marketing"\n')
    assert [r["title_raw"] for r in accounted(con, read_postings(con, f), 2)] == ["Koch", "Sales, Marketing"]


def test_empty_and_header_only_files(con, tmp_path):
    with pytest.raises(PostingsError, match=r"p\.csv is empty"):
        read_postings(con, write(tmp_path / "p.csv", b""))
    res = read_postings(con, write(tmp_path / "h.csv", "id,title,country\n"))
    assert (res.n_rows, res.n_rejected, res.columns.title) == (0, 0, "title")
    accounted(con, res, 0)
    res = read_postings(con, write(tmp_path / "h2.csv", "id,title"))
    accounted(con, res, 0)
    with pytest.raises(PostingsError, match="first line is empty"):
        read_postings(con, write(tmp_path / "b.csv", "\n\nid,title\n1,Koch\n"))


def test_unsupported_and_missing_files(con, tmp_path):
    with pytest.raises(PostingsError, match=r"p\.docx: unsupported file type '.docx'"):
        read_postings(con, write(tmp_path / "p.docx", b"PK\x03\x04"))
    with pytest.raises(PostingsError, match=r"p\.xlsx: cannot read as a spreadsheet"):
        read_postings(con, write(tmp_path / "p.xlsx", b"PK\x03\x04"))
    with pytest.raises(PostingsError, match="no such file"):
        read_postings(con, tmp_path / "missing.csv")


# ------------------------------------------------------------------------------------------ Parquet, JSON
def test_parquet(con, tmp_path):
    table = pa.table({"job_id": [10, 11, 12], "Title": ["Koch", None, "Maler"], "country": ["DE", "AT", "CH"],
                      "extra": [1.5, 2.5, 3.5]})
    f = tmp_path / "p.parquet"
    pq.write_table(table, f, row_group_size=2)
    res = read_postings(con, f)
    assert res.columns == ColumnMap(title="Title", id="job_id", country="country")
    assert res.encoding is None and res.delimiter is None
    got = accounted(con, res, 3)
    assert [(r["external_id"], r["title_raw"], r["status"]) for r in got] == [
        ("10", "Koch", "ok"), ("11", None, "rejected"), ("12", "Maler", "ok")]


def test_jsonl(con, tmp_path):
    lines = [
        json.dumps({"id": 1, "title": "Koch", "country": "DE", "meta": {"a": 1}}),
        "",
        json.dumps({"id": "2", "title": "", "description": "Service"}, ensure_ascii=False),
        "{not json",
        json.dumps(["a", "list"]),
        "   ",
        json.dumps({"id": 5, "title": None}),
        json.dumps({"id": 6, "title": "Bäcker", "country": "AT"}, ensure_ascii=False),
    ]
    f = write(tmp_path / "p.jsonl", "\n".join(lines) + "\n")
    res = read_postings(con, f)
    assert res.columns.title == "title" and res.columns.id == "id"
    got = accounted(con, res, 6)  # blank lines are not records
    assert [(r["external_id"], r["title_raw"], r["status"], r["reason"]) for r in got] == [
        ("1", "Koch", "ok", None),
        ("2", "", "rejected", "empty title"),
        (None, None, "rejected", "invalid JSON"),
        (None, None, "rejected", "not a JSON object"),
        ("5", None, "rejected", "empty title"),
        ("6", "Bäcker", "ok", None),
    ]


def test_jsonl_title_key_spelled_two_ways_is_ambiguous(con, tmp_path):
    f = write(tmp_path / "p.jsonl", '{"title": "Koch"}\n{"Title": "Maler"}\n')
    with pytest.raises(PostingsError, match="columns 'title' and 'Title' both look like the title column; "
                                            "pass --title-col"):
        read_postings(con, f)


def test_json_array_and_ndjson_with_json_suffix(con, tmp_path):
    f = write(tmp_path / "a.json", json.dumps([{"id": 1, "title": "Koch"}, {"id": 2, "title": "Maler"}]))
    assert [r["title_raw"] for r in accounted(con, read_postings(con, f), 2)] == ["Koch", "Maler"]
    g = write(tmp_path / "n.json", '{"id": 1, "title": "Koch"}\n{"id": 2, "title": "Maler"}\n')
    assert [r["title_raw"] for r in accounted(con, read_postings(con, g), 2)] == ["Koch", "Maler"]


def test_jsonl_crlf_and_bom(con, tmp_path):
    f = write(tmp_path / "p.jsonl", b'\xef\xbb\xbf{"title": "Koch", "id": 1}\r\n{"title": "Maler"}\r\n')
    res = read_postings(con, f)
    assert res.encoding == "utf-8-sig"
    assert [r["title_raw"] for r in accounted(con, res, 2)] == ["Koch", "Maler"]


def test_jsonl_invalid_utf8_line(con, tmp_path):
    f = write(tmp_path / "p.ndjson", b'{"title": "K\xc3\xb6chin"}\n{"title": "B\xe4cker"}\n{"title": "M"}\n')
    got = accounted(con, read_postings(con, f), 3)
    assert [r["reason"] for r in got] == [None, "invalid UTF-8", None]


# ------------------------------------------------------------------------------------------ misc
def test_table_name_and_rerun(con, tmp_path):
    f = write(tmp_path / "p.csv", "id,title\n1,Koch\n")
    read_postings(con, f, table="my postings")
    read_postings(con, f, table="my postings")
    assert con.execute('SELECT count(*) FROM "my postings"').fetchall() == [(1,)]
    temp = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '_jm_%'").fetchall()
    assert temp == []  # the reader's own temporaries are gone


def test_file_sha256(tmp_path):
    f = write(tmp_path / "p.csv", b"x" * 3_000_000)
    assert file_sha256(f) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_real_eures_file(con):
    need_shared(EURES)
    res = read_postings(con, EURES)
    assert res.columns == ColumnMap(title="job_title", id="job_id", description="full_description",
                                    country="country_code", date="date")
    assert (res.n_rows, res.n_rejected, res.encoding, res.delimiter) == (2372, 0, "utf-8", ",")
    got = accounted(con, res, 2372)
    assert got[0]["external_id"] == "BG1" and got[0]["title_raw"] == "Инженер, проектант"
    assert res.source_sha256 == file_sha256(EURES)


def test_real_jobbert_titles(con):
    need_shared(JOBBERT)
    res = read_postings(con, JOBBERT)
    assert res.columns.title == "vacancyTitle"
    n = sum(1 for _ in open(JOBBERT, encoding="utf-8")) - 1
    accounted(con, res, n)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_line_endings_become_lf_outside_quotes_at_any_chunk_boundary(tmp_path, monkeypatch, chunk):
    from jobmarket.io import encoding

    monkeypatch.setattr(encoding, "CHUNK", chunk)
    src = tmp_path / "mixed.csv"
    src.write_bytes(b'id,title\r\na,"x\r\ny"\rb,z\r\r\nc,"q""\r"\n')
    with encoding._lf_line_endings(str(src)) as fixed:
        assert Path(fixed).read_bytes() == b'id,title\na,"x\r\ny"\nb,z\n\nc,"q""\r"\n'
    lf = tmp_path / "lf.csv"
    lf.write_bytes(b'id,title\na,"x\r\ny"\n')
    with encoding._lf_line_endings(str(lf)) as fixed:
        assert fixed is None  # nothing to change: no copy to read

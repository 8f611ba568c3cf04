"""The coding index: `codes import` on real ESCO occupations, every bad-input case with its reason or its
one-line error, idempotent re-import, saved answers, removal, and the index version."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.errors import JobmarketError
from jobmarket.market import Market

runner = CliRunner()


@pytest.fixture()
def esco_db(tmp_path, esco_subset):
    db = tmp_path / "codes.duckdb"
    with Market.open(db, model=None, esco=[esco_subset]):
        pass
    return db


def _occupations(m: Market) -> dict[str, tuple[str, str]]:
    """English preferred label → (URI, ESCO code) of the subset's occupations."""
    df = m.sql(
        "SELECT l.label, o.occupation_uri, o.esco_code FROM esco_occupations o JOIN esco_labels l "
        "ON l.concept_uri = o.occupation_uri AND l.lang = 'en' AND l.kind = 'preferred'"
    )
    return {r.label: (r.occupation_uri, r.esco_code) for r in df.itertuples()}


def _write(path, rows, columns=("title", "occupation")):
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def test_import_accepts_uris_and_esco_codes_and_rejects_bad_rows(esco_db, tmp_path):
    with Market.open(esco_db, model=None) as m:
        occ = _occupations(m)
        cook_uri, _ = occ["cook"]
        welder_uri, welder_code = occ["welder"]
        src = _write(
            tmp_path / "coded.csv",
            [
                ("Chef de partie (m/w/d)", cook_uri),  # 1 URI
                ("MIG welder - nights", welder_code),  # 2 ESCO code form
                ("Line cook", cook_uri.removeprefix("http://data.europa.eu/esco/occupation/")),  # 3 bare UUID
                ("", cook_uri),  # 4 empty title
                ("Astronaut", "http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000"),
                ("Welder", "7212"),  # 6 an ISCO group, not an occupation
                ("Welder", "9999.9"),  # 7 unknown ESCO code
                ("Cook", ""),  # 8 no occupation
                ("Cook", "cook"),  # 9 a label naming one occupation
                ("*** / ***", cook_uri),  # 10 nothing left after cleaning
            ],
        )
        rep = m.import_codes(src, lang="en")
    assert (rep.n_rows, rep.n_coded, rep.n_rejected) == (10, 4, 6)
    assert rep.columns["title"] == "title" and rep.columns["occupation"] == "occupation"
    rejects = {int(r.source_row): (r.column_name, r.reason) for r in rep.rejects.itertuples()}
    assert rejects[4] == ("title", "empty title")
    assert rejects[5][0] == "occupation" and rejects[5][1].startswith("unknown ESCO occupation http")
    assert rejects[6][0] == "occupation" and "ISCO-08 group, not an ESCO occupation" in rejects[6][1]
    assert rejects[7] == ("occupation", "unknown ESCO occupation code 9999.9")
    assert rejects[8] == ("occupation", "no occupation given")
    assert rejects[10][0] == "title" and rejects[10][1].startswith("title has no letters")
    with Market.open(esco_db, model=None) as m:
        coded = m.sql(
            "SELECT source_row, title_clean, title_key, language, occupation_uri FROM coded_titles "
            "ORDER BY source_row"
        )
        stored_rejects = m.sql("SELECT source_row, column_name, reason FROM code_rejects ORDER BY source_row")
        imports = m.sql("SELECT source, file, sha256, n_rows, n_coded, n_rejected, columns FROM code_imports")
    assert coded["source_row"].tolist() == [1, 2, 3, 9]
    assert coded["occupation_uri"].tolist() == [cook_uri, welder_uri, cook_uri, cook_uri]
    assert coded["title_clean"][0] == "Chef de partie"  # cleaned as postings' titles are
    assert set(coded["language"]) == {"en"}
    assert stored_rejects["source_row"].tolist() == [4, 5, 6, 7, 8, 10]  # every row accounted for
    imp = imports.iloc[0]
    assert (imp["source"], imp["file"], imp["n_rows"], imp["n_coded"], imp["n_rejected"]) == (
        "coded.csv",
        str(src),
        10,
        4,
        6,
    )
    assert len(imp["sha256"]) == 64 and json.loads(imp["columns"])["occupation"] == "occupation"


def test_reimport_is_idempotent_and_a_changed_file_replaces_its_source(esco_db, tmp_path):
    with Market.open(esco_db, model=None) as m:
        cook, _ = _occupations(m)["cook"]
        welder, _ = _occupations(m)["welder"]
        src = _write(tmp_path / "c.csv", [("Cook", cook), ("Sous chef", cook), ("bad", "nope")])
        first = m.import_codes(src, lang="en")
        again = m.import_codes(src, lang="en")
        assert not first.unchanged and again.unchanged
        assert (again.n_coded, again.n_rejected, again.index_version) == (2, 1, first.index_version)
        assert len(again.rejects) == 1
        counts = (
            m.sql(
                "SELECT (SELECT count(*) FROM coded_titles) AS t, (SELECT count(*) FROM code_rejects) AS r,"
                " (SELECT count(*) FROM code_imports) AS i"
            )
            .iloc[0]
            .tolist()
        )
        assert counts == [2, 1, 1]
        _write(src, [("Cook", cook), ("Welder", welder)])
        changed = m.import_codes(src, lang="en")
        assert (changed.n_coded, changed.replaced, changed.unchanged) == (2, 2, False)
        assert changed.index_version != first.index_version
        assert m.sql("SELECT count(*) AS n FROM coded_titles")["n"][0] == 2
        assert m.sql("SELECT count(*) AS n FROM code_rejects")["n"][0] == 0
        # The same file under another source name is another source.
        other = m.import_codes(src, lang="en", source="round-2")
        listed = m.codes().set_index("source")
        assert other.source == "round-2" and listed.loc["round-2", "coded_titles"] == 2
        assert listed.loc["c.csv", "imports"] == 1
        assert m.remove_codes("round-2") == 2
        assert list(m.codes()["source"]) == ["c.csv"]
        with pytest.raises(JobmarketError, match="no coded titles under source 'nope'"):
            m.remove_codes("nope")


def test_saved_answers_replace_earlier_answers_for_the_same_title(esco_db):
    with Market.open(esco_db, model=None) as m:
        occ = _occupations(m)
        first = m.add_codes(
            pd.DataFrame({"title": ["Barista"], "occupation_uri": [occ["cook"][0]], "language": ["en"]})
        )
        second = m.add_codes(
            pd.DataFrame(
                {
                    "title": ["barista", "Plumber's mate"],
                    "occupation_uri": [occ["waiter/waitress"][0], "not-an-occupation"],
                    "language": ["en", "en"],
                }
            )
        )
        rows = m.sql("SELECT title_key, occupation_uri, source FROM coded_titles ORDER BY title_key")
    assert (first.n_coded, second.n_coded, second.n_rejected, second.replaced) == (1, 1, 1, 1)
    assert rows.values.tolist() == [["barista", occ["waiter/waitress"][0], "dashboard"]]
    assert (
        second.rejects["reason"][0]
        == "unknown ESCO occupation 'not-an-occupation' (not a URI, ESCO code or label)"
    )


def test_bad_files_give_one_line_errors(esco_db, tmp_path):
    with Market.open(esco_db, model=None) as m:
        cook, _ = _occupations(m)["cook"]
        with pytest.raises(JobmarketError, match=r"missing\.csv: no such file"):
            m.import_codes(tmp_path / "missing.csv")
        broken = tmp_path / "broken.parquet"
        broken.write_bytes(b"PAR1 this is not parquet")
        with pytest.raises(JobmarketError, match=r"broken\.parquet: cannot read it"):
            m.import_codes(broken)
        no_occ = _write(tmp_path / "no_occ.csv", [("Cook", cook)], columns=("title", "notes"))
        with pytest.raises(
            JobmarketError,
            match=r"no_occ\.csv: no occupation column; columns are title, notes; "
            r"pass --occupation-col",
        ):
            m.import_codes(no_occ)
        with pytest.raises(JobmarketError, match=r"no column 'occ' \(--occupation-col\)"):
            m.import_codes(no_occ, occupation_col="occ")
        with pytest.raises(JobmarketError, match=r"unsupported file type '\.xml'"):
            (tmp_path / "c.xml").write_text("<a/>")
            m.import_codes(tmp_path / "c.xml")


def test_parquet_and_jsonl_and_language_column(esco_db, tmp_path):
    with Market.open(esco_db, model=None) as m:
        cook, _ = _occupations(m)["cook"]
        df = pd.DataFrame(
            {
                "job_title": ["Koch", "Cook"],
                "esco_uri": [cook, cook],
                "lang": ["de", "EN"],
                "country": ["DE", "IE"],
            }
        )
        df.to_parquet(tmp_path / "c.parquet")
        df.to_json(tmp_path / "c.jsonl", orient="records", lines=True)
        a = m.import_codes(tmp_path / "c.parquet")
        b = m.import_codes(tmp_path / "c.jsonl")
        rows = m.sql(
            "SELECT source, title_key, language, country FROM coded_titles ORDER BY source, title_key"
        )
    assert (a.n_coded, b.n_coded) == (2, 2)
    assert a.columns == {
        "title": "job_title",
        "occupation": "esco_uri",
        "language": "lang",
        "country": "country",
    }
    assert rows.values.tolist() == [
        ["c.jsonl", "cook", "en", "IE"],
        ["c.jsonl", "koch", "de", "DE"],
        ["c.parquet", "cook", "en", "IE"],
        ["c.parquet", "koch", "de", "DE"],
    ]


def test_store_without_esco_is_refused(tmp_path):
    with Market.open(tmp_path / "empty.duckdb", model=None) as m:
        with pytest.raises(JobmarketError, match="no ESCO occupations to code against"):
            m.import_codes(_write(tmp_path / "c.csv", [("Cook", "x")]))


def test_cli_import_list_remove(esco_db, tmp_path):
    with Market.open(esco_db, model=None) as m:
        cook, _ = _occupations(m)["cook"]
    src = _write(tmp_path / "to_code.csv", [("Cook", cook), ("Baker", "nope")], columns=("title", "answer"))
    res = runner.invoke(app, ["codes", "import", str(src), "--db", str(esco_db), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "2 rows → 1 coded titles, 1 rejected" in res.output and "unknown ESCO occupation" in res.output
    res = runner.invoke(app, ["codes", "import", str(src), "--db", str(esco_db), "--lang", "en"])
    assert "already imported" in res.output
    res = runner.invoke(app, ["codes", "list", "--db", str(esco_db)])
    assert res.exit_code == 0 and "coding index of" in res.output
    res = runner.invoke(app, ["codes", "import", str(src), "--db", str(esco_db), "--title-col", "nope"])
    assert res.exit_code == 2 and "error:" in res.output and "no column 'nope' (--title-col)" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["codes", "remove", "--source", "to_code.csv", "--db", str(esco_db)])
    assert res.exit_code == 0 and "1 coded titles" in res.output


def test_index_version_is_a_content_hash(esco_db, tmp_path):
    from jobmarket.coding.importer import EMPTY_INDEX, index_version

    with Market.open(esco_db, model=None) as m:
        assert index_version(m.con) == EMPTY_INDEX
        cook, _ = _occupations(m)["cook"]
        m.import_codes(_write(tmp_path / "a.csv", [("Cook", cook)]), lang="en")
        v1 = index_version(m.con)
        m.import_codes(
            _write(tmp_path / "b.csv", [("Cook", cook)]), lang="en", source="a.csv"
        )  # same content
        assert index_version(m.con) == v1
        m.remove_codes("a.csv")
        assert index_version(m.con) == EMPTY_INDEX

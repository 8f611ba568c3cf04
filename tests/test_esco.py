"""ESCO import: counts on the real packages in ../shared/data/esco, idempotence, errors."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from jobmarket.esco.discover import EscoError, EscoSource, detect_version, discover
from jobmarket.esco.load import import_esco
from jobmarket.sql import read_sql
from tests.conftest import need_shared

ROOT = Path(__file__).resolve().parents[1]
ESCO = Path(__file__).resolve().parents[2] / "shared" / "data" / "esco"


@pytest.fixture()
def needs_data() -> None:
    need_shared(ESCO)

SOFTWARE_DEVELOPER = "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"
# A fingerprint of every label row: equal fingerprints mean equal tables (up to hash collisions).
LABELS_HASH = (
    "SELECT count(*), sum(hash(concept_uri, concept_type, lang, label, kind, version)::HUGEINT) "
    "FROM esco_labels"
)


def new_store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(read_sql("schema.sql"))
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()[0][0]


@pytest.fixture(scope="module")
def full() -> tuple[duckdb.DuckDBPyConnection, dict[str, int], float]:
    """Everything in ../shared/data/esco, imported once for the module."""
    need_shared(ESCO)
    con = new_store()
    t0 = time.perf_counter()
    counts = import_esco(con, [ESCO], progress=False)
    return con, counts, time.perf_counter() - t0


# ---------------------------------------------------------------- real data


def test_full_import_counts_and_time(full) -> None:
    con, counts, seconds = full
    assert seconds < 60
    assert counts == {
        "esco_sources": one(con, "SELECT count(*) FROM esco_sources"),
        "esco_occupations": 3042,  # 3,039 of v1.2 + 3 that only v1.1.1 lists
        "esco_labels": one(con, "SELECT count(*) FROM esco_labels"),
        "isco_groups": 619,
        "esco_skills": 13896,
        "esco_occupation_skills": 123855,
        "esco_skill_groups": 647,  # skillsHierarchy_en.csv: 4 pillars and their groups of levels 1-3
        "esco_skill_broader": 20656,  # broaderRelationsSkillPillar.csv, every row
    }
    assert one(con, "SELECT count(*) FROM esco_occupations WHERE version = 'v1.2'") == 3039


def test_v111_english(full) -> None:
    con = full[0]
    sql = "SELECT n_rows FROM esco_sources WHERE version = 'v1.1.1' AND lang = ? AND kind = ?"
    assert one(con, sql, ["en", "occupations"]) == 3007
    assert one(con, sql, ["en", "skills"]) == 13896
    assert one(con, "SELECT count(*) FROM esco_skills WHERE version = 'v1.1.1'") == 13896
    n = "SELECT count(DISTINCT concept_uri) FROM esco_labels"
    n += " WHERE concept_type = ? AND lang = 'en' AND kind = ?"
    assert one(con, n, ["skill", "preferred"]) == 13896
    assert one(con, n, ["skill", "alternative"]) > 10000
    # v1.1.1 occupations: labels of fr and nl come only from v1.1.1
    fr = "SELECT count(DISTINCT concept_uri) FROM esco_labels WHERE lang = 'fr' AND kind = 'preferred'"
    assert one(con, fr + " AND version = 'v1.1.1'") == 3007


def test_relations(full) -> None:
    con = full[0]
    rows = dict(con.execute("SELECT relation, count(*) FROM esco_occupation_skills GROUP BY ALL").fetchall())
    assert set(rows) == {"essential", "optional"}
    assert sum(rows.values()) == 123855 and min(rows.values()) > 50000
    assert one(con, "SELECT count(DISTINCT version) FROM esco_occupation_skills") == 1
    skill_types = "SELECT count(DISTINCT skill_type) FROM esco_occupation_skills"
    assert one(con, skill_types) == 2  # knowledge, skill/competence


@pytest.mark.parametrize("lang", ["de", "en", "es"])
def test_v12_occupations_per_language(full, lang: str) -> None:
    con = full[0]
    src = "SELECT n_rows FROM esco_sources WHERE version = 'v1.2' AND kind = 'occupations' AND lang = ?"
    assert one(con, src, [lang]) == 3039
    pref = """SELECT count(DISTINCT concept_uri) FROM esco_labels
              WHERE concept_type = 'occupation' AND kind = 'preferred' AND version = 'v1.2' AND lang = ?"""
    assert one(con, pref, [lang]) == 3039


@pytest.mark.parametrize("lang", ["pl", "bg"])
def test_tsv_labels(full, lang: str) -> None:
    con = full[0]
    rows = dict(
        con.execute(
            "SELECT concept_type || ':' || kind, count(DISTINCT concept_uri) FROM esco_labels "
            "WHERE lang = ? AND version = 'v1.2' GROUP BY ALL",
            [lang],
        ).fetchall()
    )
    assert rows["occupation:preferred"] == 2942
    assert rows["occupation:alternative"] > 1000
    assert rows["isco_group:preferred"] == 619


def test_known_german_label(full) -> None:
    con = full[0]
    sql = """SELECT label FROM esco_labels WHERE concept_uri = ? AND lang = 'de' AND kind = 'preferred'"""
    assert con.execute(sql, [SOFTWARE_DEVELOPER]).fetchall() == [("Softwareentwickler/Softwareentwicklerin",)]
    assert con.execute(
        "SELECT isco_code, esco_code, version FROM esco_occupations WHERE occupation_uri = ?",
        [SOFTWARE_DEVELOPER],
    ).fetchall() == [("2512", "2512.4", "v1.2")]


def test_isco_hierarchy(full) -> None:
    con = full[0]
    get = "SELECT level, parent_code, concept_uri FROM isco_groups WHERE isco_code = ?"
    assert con.execute(get, ["2512"]).fetchall() == [(4, "251", "http://data.europa.eu/esco/isco/C2512")]
    assert con.execute(get, ["251"]).fetchall()[0][:2] == (3, "25")
    assert con.execute(get, ["0110"]).fetchall()[0][:2] == (4, "011")  # leading zeros kept
    assert con.execute(get, ["2"]).fetchall()[0][:2] == (1, None)
    orphans = """SELECT count(*) FROM isco_groups g WHERE g.parent_code IS NOT NULL
                 AND g.parent_code NOT IN (SELECT isco_code FROM isco_groups)"""
    assert one(con, orphans) == 0
    unknown = (
        "SELECT count(*) FROM esco_occupations WHERE isco_code NOT IN (SELECT isco_code FROM isco_groups)"
    )
    assert one(con, unknown) == 0
    labels = (
        "SELECT label FROM esco_labels WHERE concept_type = 'isco_group' AND lang = 'de' AND concept_uri = ?"
    )
    assert con.execute(labels, ["http://data.europa.eu/esco/isco/C2512"]).fetchall()


def test_labels_are_clean(full) -> None:
    con = full[0]
    assert (
        one(
            con, "SELECT count(*) FROM esco_labels WHERE label LIKE '%' || chr(10) || '%' OR trim(label) = ''"
        )
        == 0
    )
    dupes = """SELECT count(*) FROM (SELECT 1 FROM esco_labels
               GROUP BY concept_uri, concept_type, lang, label, kind HAVING count(*) > 1)"""
    assert one(con, dupes) == 0
    # one preferred label per concept and language: the newest version's
    multi = """SELECT count(*) FROM (SELECT 1 FROM esco_labels WHERE kind = 'preferred'
               GROUP BY concept_uri, concept_type, lang HAVING count(*) > 1)"""
    assert one(con, multi) == 0
    assert one(con, "SELECT count(*) FROM esco_labels WHERE kind = 'hidden' AND lang = 'de'") > 0


@pytest.mark.usefixtures("needs_data")
def test_discover_versions_and_kinds() -> None:
    sources = discover([ESCO])
    by_file = {Path(s.source_file).name: s for s in sources}
    rel = by_file["esco_v1.1.1_relations_csv.zip!occupationSkillRelations.csv"]
    assert (rel.kind, rel.lang, rel.version, rel.member) == (
        "relations",
        None,
        "v1.1.1",
        "occupationSkillRelations.csv",
    )
    assert by_file["occupation_labels_pl.tsv"] == EscoSource(
        str((ESCO / "v1.2-labels" / "occupation_labels_pl.tsv").resolve()), None, "labels", "pl", "v1.2"
    )
    assert by_file["occupations_de.csv"].version == "v1.2"
    assert by_file["occupations_fr.csv"].version == "v1.1.1"
    kinds = {s.kind for s in sources}
    assert kinds == {
        "occupations",
        "skills",
        "isco_groups",
        "relations",
        "labels",
        "skill_hierarchy",
        "broader",
        "skill_broader",
    }
    # collections (researchOccupationsCollection_en.csv ...) and skillSkillRelations are not read
    assert not any("Collection" in s.source_file or "skillSkill" in s.source_file for s in sources)


def test_reimport_is_idempotent(full) -> None:
    con, counts, _ = full
    before = con.execute(LABELS_HASH).fetchall()
    # a newer version's folder, one label file, then everything again
    for part in (ESCO / "v1.2" / "en", ESCO / "v1.2-labels" / "occupation_labels_pl.tsv", ESCO):
        assert import_esco(con, [part], progress=False) == counts
        assert con.execute(LABELS_HASH).fetchall() == before


@pytest.mark.slow  # a second full import, in pieces (~3 s)
def test_import_order_does_not_matter(full) -> None:
    con = new_store()
    for part in ("v1.2", "v1.2-labels", "v1.1.1"):  # newest first, then the older version
        import_esco(con, [ESCO / part], progress=False)
    assert con.execute(LABELS_HASH).fetchall() == full[0].execute(LABELS_HASH).fetchall()


# ---------------------------------------------------------------- small synthetic packages

OCC_HEADER = "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,hiddenLabels,code\n"
OCC_ROW = 'Occupation,http://x/occupation/1,2512,software developer,"coder\n  programmer \n\n",,2512.4\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_small_package_and_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pkg" / "occupations_en.csv", OCC_HEADER + OCC_ROW)
    write(
        tmp_path / "pkg" / "occupation_labels_pl.tsv",
        "conceptUri\tposition\tlabel\nhttp://x/occupation/1\t0\tprogramista\n",
    )
    con = new_store()
    counts = import_esco(con, [tmp_path / "pkg"], progress=True)
    assert counts["esco_occupations"] == 1 and counts["esco_sources"] == 2
    labels = con.execute("SELECT lang, kind, label, version FROM esco_labels ORDER BY ALL").fetchall()
    assert labels == [
        ("en", "alternative", "coder", "unknown"),
        ("en", "alternative", "programmer", "unknown"),
        ("en", "preferred", "software developer", "unknown"),
        ("pl", "preferred", "programista", "unknown"),
    ]
    err = capsys.readouterr().err
    assert "occupations_en.csv" in err and "occupation_labels_pl.tsv" in err


def test_versions_from_paths() -> None:
    assert detect_version("/d/esco_v1.1.1_classification_en_csv.zip/occupations_en.csv") == "v1.1.1"
    assert detect_version("/d/ESCO dataset - v1.2.0 - classification - en - csv.zip/x.csv") == "v1.2"
    assert detect_version("/d/v1.2-labels/occupation_labels_pl.tsv") == "v1.2"
    assert detect_version("/d/v1.1.1/sub/v1.2/occupations_de.csv") == "v1.2"  # the deepest wins
    assert detect_version("/venv3.11/occupations_en.csv") == "unknown"


def test_error_missing_path(tmp_path: Path) -> None:
    with pytest.raises(EscoError, match="does not exist: .*nope"):
        import_esco(new_store(), [tmp_path / "nope"], progress=False)


def test_error_folder_without_occupations(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(EscoError, match=r"no ESCO occupations_\*\.csv found in .*empty"):
        import_esco(new_store(), [tmp_path / "empty"], progress=False)


def test_error_zip_without_occupations(tmp_path: Path) -> None:
    zpath = tmp_path / "esco_v1.2_relations.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("occupationSkillRelations.csv", "occupationUri,relationType,skillType,skillUri\n")
    with pytest.raises(EscoError, match=r"no ESCO occupations_\*\.csv found in .*esco_v1.2_relations.zip"):
        import_esco(new_store(), [zpath], progress=False)


def test_error_missing_column_names_file_and_column(tmp_path: Path) -> None:
    bad = write(tmp_path / "occupations_en.csv", "conceptType,conceptUri,preferredLabel\nOccupation,u,x\n")
    with pytest.raises(EscoError) as info:
        import_esco(new_store(), [bad], progress=False)
    msg = str(info.value)
    assert "occupations_en.csv" in msg and "iscoGroup" in msg and "\n" not in msg


def test_error_in_zip_member_rolls_back(tmp_path: Path) -> None:
    zpath = tmp_path / "esco_v1.2_classification_en_csv.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("occupations_en.csv", OCC_HEADER + OCC_ROW)
        zf.writestr("skills_en.csv", "conceptType,conceptUri\nKnowledgeSkillCompetence,http://x/skill/1\n")
    con = new_store()
    with pytest.raises(
        EscoError, match=r"esco_v1.2_classification_en_csv.zip!skills_en.csv: .*preferredLabel"
    ):
        import_esco(con, [zpath], progress=False)
    # one transaction: the occupations staged before the failure are not kept
    assert one(con, "SELECT count(*) FROM esco_occupations") == 0
    assert one(con, "SELECT count(*) FROM esco_sources") == 0
    # and the connection is usable again afterwards
    good = write(tmp_path / "occupations_en.csv", OCC_HEADER + OCC_ROW)
    assert import_esco(con, [good], progress=False)["esco_occupations"] == 1


def test_error_malformed_csv_names_file(tmp_path: Path) -> None:
    bad = write(tmp_path / "occupations_en.csv", OCC_HEADER + 'Occupation,u,2512,"unterminated,,,x\n')
    with pytest.raises(EscoError, match=r"cannot read .*occupations_en.csv: ") as info:
        import_esco(new_store(), [bad], progress=False)
    assert "\n" not in str(info.value)

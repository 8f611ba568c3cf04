"""Schema versions and migrations: a v1 store is migrated forward, a store from the future is refused."""

from __future__ import annotations

import duckdb
import pytest

from jobmarket.errors import JobmarketError
from jobmarket.store import connection as store
from jobmarket.store import objects as sqlobjects
from jobmarket.store import schema as migrations
from jobmarket.store.schema import SchemaVersionError


def versions(con) -> list[int]:
    return [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]


def columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?",
                                      [table]).fetchall()}


def test_new_store_is_at_code_version_with_colleague_tables(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    # A new store gets the base, then every migration (they are written to run on a fresh store too).
    assert versions(con) == [1, *(v for v, _ in migrations.migrations())]
    assert versions(con)[-1] == migrations.code_version()
    # Every sql/schema_*.sql is applied too (skills: posting_skills, skill_profiles).
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"skill_profiles", "posting_skills", "titles", "assignments"} <= tables
    con.close()


def test_v1_store_migrates_forward(tmp_path):
    db = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(db))  # a v1-shaped store: the base schema only
    migrations.apply_tables(con)
    con.execute("INSERT INTO schema_version (version) VALUES (1)")
    con.close()
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "002_run_notes.sql").write_text(
        "ALTER TABLE runs ADD COLUMN IF NOT EXISTS note VARCHAR;\n"
        "CREATE TABLE IF NOT EXISTS run_tags (run_id VARCHAR, tag VARCHAR);\n")
    assert migrations.code_version(folder) == 2

    con = duckdb.connect(str(db))
    with pytest.raises(SchemaVersionError, match="older than this jobmarket .2.: open it once read-write"):
        migrations.check_readable(con, folder)
    assert migrations.upgrade(con, folder) == [2]
    assert versions(con) == [1, 2]
    assert "note" in columns(con, "runs") and "tag" in columns(con, "run_tags")
    assert migrations.upgrade(con, folder) == []  # idempotent: nothing left to apply
    migrations.check_readable(con, folder)

    # A failing migration leaves the store at the version before it.
    (folder / "003_broken.sql").write_text(
        "ALTER TABLE runs ADD COLUMN flag BOOLEAN;\nSELECT * FROM no_such_table;")
    with pytest.raises(JobmarketError, match="migration 003_broken.sql failed"):
        migrations.upgrade(con, folder)
    assert versions(con) == [1, 2] and "flag" not in columns(con, "runs")
    con.close()


def test_future_store_says_what_to_do(tmp_path):
    db = tmp_path / "future.duckdb"
    con = store.connect(db)
    con.execute("INSERT INTO schema_version (version) VALUES (99)")
    con.close()
    for read_only in (False, True):
        with pytest.raises(SchemaVersionError, match=r"schema version 99, newer .* upgrade jobmarket"):
            store.connect(db, read_only=read_only)


def test_migration_names_are_checked(tmp_path):
    (tmp_path / "2_bad.sql").write_text("SELECT 1")
    with pytest.raises(JobmarketError, match="NNN_what.sql"):
        migrations.migrations(tmp_path)
    (tmp_path / "2_bad.sql").unlink()
    (tmp_path / "001_base.sql").write_text("SELECT 1")
    with pytest.raises(JobmarketError, match="version 1 is taken"):
        migrations.migrations(tmp_path)


def test_views_stored_read_write_and_temp_read_only(tmp_path):
    db = tmp_path / "v.duckdb"
    store.connect(db).close()
    plain = duckdb.connect(str(db), read_only=True)  # any DuckDB client sees the stored views
    stored = {r[0] for r in plain.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT temporary").fetchall()}
    plain.close()
    assert {"posting_occupations", "occupation_isco", "skill_profile_labels"} <= stored
    con = store.connect(db, read_only=True)
    temp = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    assert {"posting_occupations", "occupation_isco"} <= temp
    macros = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions() WHERE "
                                        "function_type = 'table_macro' AND schema_name = 'main' "
                                        "AND database_name = 'temp'").fetchall()}
    assert {"similar_titles", "skill_gap", "skill_profile", "occupation_postings"} <= macros
    assert con.execute("SELECT count(*) FROM posting_occupations").fetchall() == [(0,)]
    con.close()


def test_sections_needing_missing_tables_are_skipped():
    con = duckdb.connect()
    store.apply_schema(con)
    con.execute("DROP TABLE skill_profiles")
    created = sqlobjects.install(con)
    assert "skill_gap" not in created and "skill_profile_labels" not in created
    assert "posting_occupations" in created and "similar_titles" in created
    assert sqlobjects.requirements("-- requires: a, b\nCREATE OR REPLACE VIEW x AS SELECT 1") == ["a", "b"]


def test_query_vector_checks_on_empty_store():
    con = store.connect(":memory:")
    with pytest.raises(duckdb.Error, match="no embeddings yet"):
        con.execute("SELECT * FROM similar_titles([1.0, 2.0], 3)").fetchall()
    store.set_meta(con, "model_id", "m@1")
    store.set_meta(con, "model_dim", "4")
    with pytest.raises(duckdb.Error, match=r"query vector has 2 dimensions.*model m@1\) have 4"):
        con.execute("SELECT * FROM similar_titles([1.0, 2.0], 3)").fetchall()
    assert con.execute("SELECT count(*) FROM similar_titles([1.0, 0, 0, 0], 3)").fetchall() == [(0,)]

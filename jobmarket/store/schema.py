"""Schema versions: the v1 base (``sql/schema.sql``), colleagues' table files (``sql/schema_*.sql``)
and forward migrations (``sql/migrations/NNN_name.sql``), applied in order to stores that are older.

A store records each version it reached in ``schema_version``. The code's version is the highest
migration number (1 when there are none). A store newer than the code is refused with a line that
says what to do, never half-read.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from jobmarket.errors import JobmarketError
from jobmarket.sql import SQL_DIR, read_sql
from jobmarket.store.transaction import transaction

BASE_VERSION = 1  # what sql/schema.sql creates


def _type_embeddings(con: duckdb.DuckDBPyConnection) -> None:
    from jobmarket.store.binding import type_embedding_columns

    type_embedding_columns(con)


# The part of a migration that depends on the store's data (the bound model's dimension), run in the
# migration's own transaction after its SQL.
POST_STEPS = {2: _type_embeddings}
MIGRATIONS_DIR = SQL_DIR / "migrations"
_MIGRATION = re.compile(r"^(\d{3})_[A-Za-z0-9_\-]+\.sql$")


class SchemaVersionError(JobmarketError):
    """The store was written by another version of jobmarket."""


def migrations(folder: Path | None = None) -> list[tuple[int, Path]]:
    """The migration files of ``folder`` as (version, path), in order; numbers must be unique and > 1."""
    folder = MIGRATIONS_DIR if folder is None else Path(folder)
    found: dict[int, Path] = {}
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        m = _MIGRATION.match(path.name)
        if not m:
            raise JobmarketError(f"{path}: migration files are named NNN_what.sql (e.g. 002_add_notes.sql)")
        version = int(m.group(1))
        if version <= BASE_VERSION or version in found:
            raise JobmarketError(f"{path}: version {version} is taken (schema.sql is {BASE_VERSION})")
        found[version] = path
    return sorted(found.items())


def code_version(folder: Path | None = None) -> int:
    """The schema version this code writes: the last migration, or the base."""
    found = migrations(folder)
    return found[-1][0] if found else BASE_VERSION


def extra_schemas() -> list[Path]:
    """``sql/schema_*.sql``: tables other modules add (clusters, skills), applied after the base."""
    return sorted(SQL_DIR.glob("schema_*.sql"))


def apply_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing of the base schema and every ``schema_*.sql`` (all idempotent): the one
    place that runs schema files; stages that add tables call this rather than reading their own."""
    con.execute(read_sql("schema.sql"))
    for path in extra_schemas():
        con.execute(path.read_text(encoding="utf-8"))


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The store's schema version, or None for a new (or pre-versioning) store."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' AND NOT temporary"
    ).fetchall()[0][0]
    if not has:
        return None
    return con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]


def _too_new(db: str, stored: int, code: int) -> SchemaVersionError:
    return SchemaVersionError(
        f"store {db} has schema version {stored}, newer than this jobmarket understands ({code}): "
        "upgrade jobmarket (pip install -U jobmarket), or use another --db"
    )


def upgrade(con: duckdb.DuckDBPyConnection, folder: Path | None = None, db: str = "the store") -> list[int]:
    """Bring a read-write store to the code's version; returns the migrations applied."""
    code = code_version(folder)
    stored = stored_version(con)
    if stored is not None and stored > code:
        raise _too_new(db, stored, code)
    apply_tables(con)
    if stored is None:
        con.execute("INSERT INTO schema_version (version) VALUES (?)", [BASE_VERSION])
        stored = BASE_VERSION
    applied = []
    for version, path in migrations(folder):
        if version <= stored:
            continue
        # One transaction per migration: a failed one leaves the store at the previous version.
        try:
            with transaction(con):
                con.execute(path.read_text(encoding="utf-8"))
                if folder is None and version in POST_STEPS:
                    POST_STEPS[version](con)
                con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        except Exception as exc:
            raise JobmarketError(f"migration {path.name} failed on {db}: {str(exc).splitlines()[0]}") from exc
        applied.append(version)
    return applied


def check_readable(con: duckdb.DuckDBPyConnection, folder: Path | None = None, db: str = "the store") -> None:
    """A read-only connection cannot migrate: say what to do when the store is not at the code's version."""
    code = code_version(folder)
    stored = stored_version(con)
    if stored is None:
        raise SchemaVersionError(f"{db} is not a jobmarket store (no schema_version table)")
    if stored > code:
        raise _too_new(db, stored, code)
    if stored < code:
        raise SchemaVersionError(
            f"store {db} has schema version {stored}, older than this jobmarket ({code}): open it once "
            f"read-write to migrate it (e.g. `jobmarket sql --db {db} --write \"SELECT 1\"`)"
        )

"""Views and macros of ``sql/views.sql`` and ``sql/macros.sql``, created on every connection.

On a read-write connection they are stored in the file, so any DuckDB client sees them; on a read-only
one they are created as TEMP objects (DuckDB allows those there) and shadow the stored ones, so a
reader always gets the definitions of the code it runs. A section that starts with
``-- requires: table, …`` is skipped while one of those tables is missing (e.g. before the skills
module has created ``skill_profiles``).
"""

from __future__ import annotations

import re

import duckdb

from jobmarket.sql import sql_sections

OBJECT_FILES = ("views.sql", "macros.sql")
_REQUIRES = re.compile(r"^--\s*requires:\s*(.+)$", re.M)
_CREATE = re.compile(r"\bCREATE OR REPLACE (VIEW|MACRO)\b", re.I)


def requirements(statement: str) -> list[str]:
    """The tables a section declares it needs."""
    return [t.strip() for m in _REQUIRES.finditer(statement) for t in m.group(1).split(",") if t.strip()]


def install(con: duckdb.DuckDBPyConnection, read_only: bool = False) -> list[str]:
    """Create the views and macros; returns the names of the sections created."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    created = []
    for file in OBJECT_FILES:
        for name, statement in sql_sections(file).items():
            if any(t not in tables for t in requirements(statement)):
                continue
            if read_only:
                statement = _CREATE.sub(lambda m: f"CREATE OR REPLACE TEMP {m.group(1)}", statement, count=1)
            con.execute(statement)
            created.append(name)
    return created

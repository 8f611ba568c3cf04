"""Find and read the SQL files that live in the project's ``sql/`` folder."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@cache
def read_sql(name: str) -> str:
    """The text of ``sql/<name>``."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


@cache
def sql_sections(name: str) -> dict[str, str]:
    """Split a file into named statements: each begins with a ``-- name: X`` line."""
    parts = re.split(r"^--\s*name:\s*(\S+)\s*$", read_sql(name), flags=re.M)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}

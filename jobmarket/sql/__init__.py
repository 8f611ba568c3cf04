"""The SQL the toolkit runs: ``.sql`` files shipped inside this package, read with importlib.resources."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path

# A real folder in every install the toolkit supports (wheel or editable); migrations are globbed there.
SQL_DIR = Path(str(files(__name__)))


@cache
def read_sql(name: str) -> str:
    """The text of ``jobmarket/sql/<name>``."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def sql_sections(name: str) -> dict[str, str]:
    """Split a file into named statements: each begins with a ``-- name: X`` line."""
    parts = re.split(r"^--\s*name:\s*(\S+)\s*$", read_sql(name), flags=re.M)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}

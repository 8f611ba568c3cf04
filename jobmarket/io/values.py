"""Standard codes beside the raw values a file gives: countries → ISO 3166 alpha-2, languages → ISO 639-1.

The reader keeps each raw value (``country_raw``, ``language_raw``, ``date_raw``) and fills ``country`` and
``language`` here. Files repeat few distinct values, so each distinct value is looked up once in Python
(:func:`jobmarket.text.countries.country_code`, :func:`jobmarket.text.langtags.standard_language`) and
joined back in DuckDB. ``--country``/``--lang`` set every row's value (a single-country or single-language
file); an unknown one is a one-line error. Values not understood stay NULL and are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from jobmarket.io.errors import PostingsError
from jobmarket.text.countries import country_code
from jobmarket.text.langtags import standard_language

__all__ = ["standard_option", "standardise_values"]

MAX_LISTED = 5  # unknown values named in the report


def standardise_values(con: duckdb.DuckDBPyConnection, table: str, path: Path | str, *,
                       country: str | None = None, lang: str | None = None) -> dict:
    """Fill ``country`` and ``language`` of the reader's table; returns what was not understood:
    ``{"unknown_countries": {raw: rows}, "unknown_languages": {...}, "unparsed_dates": n}``."""
    notes: dict = {}
    for column, given, lookup, option in (("country", country, country_code, "--country"),
                                          ("language", lang, standard_language, "--lang")):
        if given:
            code = lookup(given)
            if code is None:
                raise PostingsError(f"{path}: {option} {given!r} is not a known "
                                    f"{'country' if column == 'country' else 'language'}")
            con.execute(f"UPDATE {table} SET {column} = ?", [code])
            continue
        notes[f"unknown_{column.replace('country', 'countrie')}s"] = _map_column(con, table, column, lookup)
    notes["unparsed_dates"] = con.execute(
        f"SELECT count(*) FROM {table} WHERE date IS NULL AND nullif(trim(date_raw), '') IS NOT NULL"
    ).fetchall()[0][0]
    return notes


def standard_option(value: str | None, kind: str) -> str | None:
    """``--country``/``--lang`` as a standard code (``Deutschland`` → ``DE``, ``German`` → ``de``), so the
    same choice spelled two ways names one run; an unknown value is a one-line error."""
    if not value:
        return None
    code = country_code(value) if kind == "country" else standard_language(value)
    if code is None:
        option = "--country" if kind == "country" else "--lang"
        raise PostingsError(f"{option} {value!r} is not a known {kind}")
    return code


def _map_column(con, table: str, column: str, lookup: Callable[[str], str | None]) -> dict[str, int]:
    raw = con.execute(f"SELECT {column}_raw, count(*) FROM {table} WHERE {column}_raw IS NOT NULL "
                      f"GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    codes = {value: lookup(value) for value, _ in raw}
    known = {v: c for v, c in codes.items() if c is not None}
    if known:
        name = f"_jm_{column}_codes"
        con.register(name, pa.table({"raw": list(known), "code": list(known.values())}))
        try:
            con.execute(f"UPDATE {table} SET {column} = m.code FROM {name} m "
                        f"WHERE {table}.{column}_raw = m.raw")
        finally:
            con.unregister(name)
    unknown = [(v, n) for v, n in raw if codes[v] is None and v.strip()]
    return dict(unknown[:MAX_LISTED]) | ({"…": sum(n for _, n in unknown[MAX_LISTED:])}
                                         if len(unknown) > MAX_LISTED else {})

"""The store's key-value metadata (its model, settings) and the ESCO versions it holds."""

from __future__ import annotations

import duckdb

from jobmarket.sql import sql_sections


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute(sql_sections("store.sql")["meta_get"], [key]).fetchall()
    return rows[0][0] if rows else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(sql_sections("store.sql")["meta_set"], [key, value])


def esco_versions(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql_sections("store.sql")["esco_versions"]).fetchall()[0][0]

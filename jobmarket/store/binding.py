"""A store's model: which one made its embeddings, bound in the first run's write transaction.

Binding records the model id and dimension in ``store_meta`` and types the embedding columns as
``FLOAT[d]`` (DuckDB's array functions such as ``array_cosine_similarity`` need the fixed size, and typed
arrays scan faster). A killed first run rolls the binding back with its rows, so the store stays unbound.
"""

from __future__ import annotations

import duckdb

from jobmarket.errors import JobmarketError
from jobmarket.store import meta as store

# (table, column) of every stored embedding of the store's model.
EMBEDDING_COLUMNS = (("titles", "embedding"), ("embedding_cache", "embedding"))


def bound_model(con: duckdb.DuckDBPyConnection) -> tuple[str | None, int | None]:
    model_id = store.get_meta(con, "model_id")
    dim = store.get_meta(con, "model_dim")
    return model_id, int(dim) if dim is not None else None


def check_model(con: duckdb.DuckDBPyConnection, model_id: str, dim: int) -> None:
    """Refuse a model other than the store's: mixing models would make its vectors incomparable."""
    known, known_dim = bound_model(con)
    if known is not None and known != model_id:
        raise JobmarketError(
            f"the store's embeddings come from model {known}, not {model_id}: "
            "use another --db, or the same --model"
        )
    if known_dim is not None and known_dim != dim:
        raise JobmarketError(f"the store's embeddings have {known_dim} dimensions, the model gives {dim}")


def bind_model(con: duckdb.DuckDBPyConnection, model_id: str, dim: int) -> bool:
    """Bind an unbound store to the model (inside the caller's write transaction); True if it bound now."""
    check_model(con, model_id, dim)
    if bound_model(con)[0] is not None:
        return False
    store.set_meta(con, "model_id", model_id)
    store.set_meta(con, "model_dim", str(int(dim)))
    type_embedding_columns(con)
    return True


def column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    rows = con.execute(
        "SELECT data_type FROM duckdb_columns() WHERE table_name = ? AND column_name = ? "
        "AND database_name = current_database() AND schema_name = 'main'", [table, column]).fetchall()
    return rows[0][0] if rows else None


def type_embedding_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Give the embedding columns the bound model's fixed size ``FLOAT[d]`` (no-op before binding, or when
    done). Cached vectors of another size (another model's, written before binding) cannot be kept."""
    dim = bound_model(con)[1]
    if dim is None:
        return
    target = f"FLOAT[{int(dim)}]"
    for table, column in EMBEDDING_COLUMNS:  # fixed names, never user text
        current = column_type(con, table, column)
        if current is None or current == target:
            continue
        con.execute(f"DELETE FROM {table} WHERE {column} IS NOT NULL AND len({column}) <> {int(dim)}")
        con.execute(f"ALTER TABLE {table} ALTER {column} TYPE {target}")

"""Where embeddings are cached: process memory, the DuckDB store, or (read-only stores) both."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from jobmarket.sql import sql_sections


class MemoryEmbeddingStore:
    """A process-local cache, used when no store is attached."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str, str], np.ndarray] = {}

    def get(self, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return {t: self._data[(model_id, route, t)] for t in texts if (model_id, route, t) in self._data}

    def put(self, model_id: str, route: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        for t, v in zip(texts, vectors, strict=True):
            self._data[(model_id, route, t)] = v


class DuckEmbeddingStore:
    """The embedding cache kept in the store, so a second file reuses the first file's work."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def get(self, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {}
        cur = self.con.cursor()
        cur.register("_cache_query", pa.table({"text": pa.array(list(texts), pa.string())}))
        try:
            query = sql_sections("store.sql")["cache_lookup"]
            tbl = cur.sql(query, params=[model_id, route]).to_arrow_table()
        finally:
            cur.unregister("_cache_query")
            cur.close()
        return _rows(tbl)

    def put(self, model_id: str, route: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        if not len(texts):
            return
        emb = _list_array(vectors)
        cur = self.con.cursor()
        cur.register("_cache_new", pa.table({"text": pa.array(list(texts), pa.string()), "embedding": emb}))
        try:
            cur.execute(sql_sections("store.sql")["cache_insert"], [model_id, route])
        finally:
            cur.unregister("_cache_new")
            cur.close()


class ReadOnlyEmbeddingStore:
    """A dashboard or `jobmarket search` on a read-only store reuses the label and title vectors that
    normalize runs cached there, instead of encoding every ESCO label again."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.stored = DuckEmbeddingStore(con)
        self.memory = MemoryEmbeddingStore()

    def get(self, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found = self.memory.get(model_id, route, texts)
        rest = [t for t in texts if t not in found]
        if rest:
            found.update(self.stored.get(model_id, route, rest))
        return found

    def put(self, model_id: str, route: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.memory.put(model_id, route, texts, vectors)


class StagedEmbeddingStore:
    """A run's cache: reads the store's cached vectors (attached read-only for the lookup only) and keeps
    the new ones in the run's private DuckDB, where DuckDB can spill them; the run's write transaction
    copies them into the store (``cache_flush``), so nothing is written to the store before that."""

    def __init__(self, workspace) -> None:
        self.ws = workspace
        self.ws.con.execute(sql_sections("store.sql")["create_cache_staged"])

    def get(self, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {}
        sections = sql_sections("store.sql")
        found = self._lookup(sections["cache_staged_lookup"], model_id, route, texts)
        rest = [t for t in texts if t not in found]
        if rest:
            with self.ws.reading():
                found.update(self._lookup(sections["cache_lookup"], model_id, route, rest))
        return found

    def _lookup(self, query: str, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        con = self.ws.con  # not a cursor: the attached store is this connection's default catalog
        con.register("_cache_query", pa.table({"text": pa.array(list(texts), pa.string())}))
        try:
            tbl = con.sql(query, params=[model_id, route]).to_arrow_table()
        finally:
            con.unregister("_cache_query")
        return _rows(tbl)

    def put(self, model_id: str, route: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        if not len(texts):
            return
        con = self.ws.con
        con.register("_cache_new", pa.table({"text": pa.array(list(texts), pa.string()),
                                             "embedding": _list_array(vectors)}))
        try:
            con.execute(sql_sections("store.sql")["cache_staged_insert"], [model_id, route])
        finally:
            con.unregister("_cache_new")


def _list_array(vectors: np.ndarray) -> pa.Array:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.ListArray.from_arrays(
        pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32)), pa.array(vectors.ravel()))


def _rows(tbl: pa.Table) -> dict[str, np.ndarray]:
    """(text, embedding) rows as a dict of float32 vectors; embeddings may be FLOAT[] or FLOAT[d]."""
    if tbl.num_rows == 0:
        return {}
    emb = tbl.column("embedding").combine_chunks()
    matrix = np.asarray(emb.flatten(), dtype=np.float32).reshape(tbl.num_rows, -1)
    return dict(zip(tbl.column("text").to_pylist(), matrix, strict=True))

"""``embed(text)`` and ``embed_skill(text)`` in SQL: strings encoded by the store's model.

Registered by :class:`jobmarket.market.Market` on the connections it opens, so a query can say::

    SELECT title_clean FROM titles
    ORDER BY list_cosine_similarity(embedding, embed('Krankenpfleger')) DESC LIMIT 10

The functions are vectorised (Arrow: one call per chunk of rows, each distinct text encoded once) and
load the model only on the first call. They return FLOAT[d] arrays, d being the store's model
dimension, and refuse to run with another model than the one the store's embeddings came from.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from jobmarket.errors import JobmarketError
from jobmarket.store import connection as store

FUNCTIONS = {"embed": "encode_titles", "embed_skill": "encode_skills"}


class ModelMismatchError(JobmarketError):
    """A query vector would come from another model than the store's embeddings."""


def store_model(con: duckdb.DuckDBPyConnection) -> tuple[str | None, int | None]:
    """The model id and dimension the store's embeddings came from (None before the first normalize)."""
    model_id = store.get_meta(con, "model_id")
    dim = store.get_meta(con, "model_dim")
    return model_id, int(dim) if dim is not None else None


def check_encoder(con: duckdb.DuckDBPyConnection, encoder) -> None:
    """Refuse an encoder whose vectors cannot be compared with the store's."""
    _check(encoder, *store_model(con))


def _check(encoder, model_id: str | None, dim: int | None) -> None:
    if model_id is not None and encoder.model_id != model_id:
        raise ModelMismatchError(
            f"the store's embeddings come from model {model_id}, but the loaded model is {encoder.model_id}: "
            "open the store with the same model (Market.open(..., model=PATH) or --model PATH)"
        )
    if dim is not None and encoder.dim != dim:
        raise ModelMismatchError(
            f"the store's embeddings have {dim} dimensions, the model gives {encoder.dim}")


def register(con: duckdb.DuckDBPyConnection, get_encoder: Callable[[], object]) -> int | None:
    """(Re-)register embed() and embed_skill() on ``con``; returns the vector dimension they declare.

    ``get_encoder`` is called on the first use only, so opening a store never loads a model.
    Before the store has embeddings the functions return FLOAT[] lists of the model's dimension.
    """
    model_id, dim = store_model(con)
    checked: list[bool] = []

    def encoder():
        enc = get_encoder()
        if not checked:  # against the model read at registration: the query's connection is busy now
            _check(enc, model_id, dim)
            checked.append(True)
        return enc

    floats = duckdb.sqltype("FLOAT")
    ret = duckdb.array_type(floats, dim) if dim else duckdb.list_type(floats)
    for name, method in FUNCTIONS.items():
        try:
            con.remove_function(name)
        except (duckdb.InvalidInputException, duckdb.CatalogException):
            pass  # not registered on this connection yet
        try:
            con.create_function(name, _vectorised(encoder, method, dim), [duckdb.sqltype("VARCHAR")], ret,
                                type="arrow", side_effects=False)
        except duckdb.CatalogException as exc:
            # Connections of one process to one file share a DuckDB instance, and so its functions:
            # the first Market's embed() (of the same store, checked against its model) serves them all.
            if "already exists" not in str(exc):
                raise
    return dim


def _vectorised(get_encoder: Callable[[], object], method: str, dim: int | None):
    def fn(texts: pa.Array) -> pa.Array:
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        values = texts.to_pylist()
        valid = [t for t in values if t is not None]
        enc = get_encoder()
        vectors = getattr(enc, method)(valid) if valid else np.zeros((0, dim or enc.dim), np.float32)
        d = vectors.shape[1]
        flat = np.zeros((len(values), d), dtype=np.float32)
        mask = np.array([t is None for t in values], dtype=bool)
        flat[~mask] = vectors
        values_arr = pa.array(flat.ravel(), pa.float32())
        if dim:
            return pa.FixedSizeListArray.from_arrays(values_arr, d, mask=pa.array(mask))
        offsets = pa.array(np.arange(0, flat.size + 1, d, dtype=np.int32))
        return pa.ListArray.from_arrays(offsets, values_arr, mask=pa.array(mask))

    return fn

"""The embedding cache for read-only stores: read the store's cache, keep new vectors in memory."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from jobmarket.encoders.sentence_transformer import MemoryEmbeddingStore
from jobmarket.store.connection import DuckEmbeddingStore


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

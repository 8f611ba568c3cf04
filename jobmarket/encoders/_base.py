"""The interface of an embedding cache: vectors by (model id, route, text), so no text is encoded twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class EmbeddingStore(Protocol):
    """Where cached embeddings live (the DuckDB store, or memory)."""

    def get(self, model_id: str, route: str, texts: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put(self, model_id: str, route: str, texts: Sequence[str], vectors: np.ndarray) -> None: ...

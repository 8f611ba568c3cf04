"""The interface of a match engine: where a normalize run encodes and matches its unique titles.

The orchestrator (:mod:`jobmarket.pipelines.normalize`) leaves the run's unique titles in the TEMP table
``_unique_titles`` and an empty ``_match_rows``; an engine fills ``_match_rows`` with one row per unique
title in :data:`jobmarket.matching._base.MATCH_ROWS_SCHEMA`. Engines import only ``matching``, never the
orchestrator, so a new engine is a new file plus one line in :mod:`jobmarket.engines.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import duckdb

from jobmarket.matching.matcher import Matcher


@dataclass
class EngineOptions:
    """What a run tells its engine besides the titles: chunking, progress, and cluster settings."""

    chunk_size: int = 20_000
    progress: bool = False
    address: str | None = None  # a cluster to join (Ray: HEAD:6379); None: a local one
    num_gpus: float = 0.0  # GPU share per worker
    batch: object | None = None  # a RayBatch: a file of a folder or glob, matched with the others


class MatchEngine(Protocol):
    name: str

    def match(self, con: duckdb.DuckDBPyConnection, encoder, matcher: Matcher,
              options: EngineOptions) -> None:
        """Fill ``_match_rows`` from ``_unique_titles`` (both TEMP tables of ``con``)."""
        ...

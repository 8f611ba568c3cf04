"""The default engine: encode and match in this process, a chunk of unique titles at a time."""

from __future__ import annotations

import duckdb

from jobmarket.engines._base import EngineOptions
from jobmarket.matching._base import match_rows
from jobmarket.matching.matcher import Matcher
from jobmarket.pipelines.checkpoints import checkpoint
from jobmarket.progress import chunk_progress
from jobmarket.sql import sql_sections


class LocalEngine:
    name = "local"

    def match(self, con: duckdb.DuckDBPyConnection, encoder, matcher: Matcher,
              options: EngineOptions) -> None:
        """Chunks of ``options.chunk_size`` titles bound Python's memory, not the file's size."""
        sections = sql_sections("normalize.sql")
        n_unique = con.execute(sections["unique_titles_count"]).fetchall()[0][0]
        step = options.chunk_size
        with chunk_progress(options.progress, "encoding and matching", n_unique) as advance:
            for lo in range(0, n_unique, step):
                rows = con.execute(sections["unique_titles_chunk"], [lo, lo + step]).fetchall()
                ids, texts, langs = (list(c) for c in zip(*rows, strict=True))
                vectors = encoder.encode_titles(texts)
                matches = matcher.match(texts, langs, vectors)
                con.from_arrow(match_rows(ids, texts, langs, vectors, matches)).insert_into("_match_rows")
                advance(len(rows))
                checkpoint("match")

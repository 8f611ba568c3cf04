"""``Market``: the analyst's entry point. Every CLI command is a call of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from jobmarket import store
from jobmarket.encoder import DEFAULT_MODEL, Encoder
from jobmarket.matcher import MatchConfig
from jobmarket.normalize import NormalizeOptions, NormalizeReport, export_results, normalize_file


class Market:
    """A DuckDB store plus the model that fills it.

    Open with :meth:`open`; use as a context manager so the store is closed::

        with Market.open("market.duckdb", esco=["../shared/data/esco"]) as m:
            m.normalize("postings.csv")
            m.sql("SELECT status, count(*) FROM assignments GROUP BY 1")
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, db: str, model: str | None, read_only: bool) -> None:
        self.con = con
        self.db = db
        self.model_name = model
        self.read_only = read_only
        self._encoder: Encoder | None = None
        self.last_report: NormalizeReport | None = None

    @classmethod
    def open(
        cls,
        db: str | Path = store.DEFAULT_DB,
        model: str | None = DEFAULT_MODEL,
        esco: Sequence[str | Path] | None = None,
        read_only: bool = False,
    ) -> Market:
        """Open (or create) the store at ``db``; import ESCO packages from ``esco`` if given."""
        con = store.connect(db, read_only=read_only)
        market = cls(con, str(db), model, read_only)
        if esco:
            market.import_esco(esco)
        return market

    @property
    def encoder(self) -> Encoder:
        """The model, loaded on first use; its embeddings are cached in the store."""
        if self._encoder is None:
            cache = None if self.read_only else store.DuckEmbeddingStore(self.con)
            self._encoder = Encoder(self.model_name, cache=cache)
        return self._encoder

    def use_encoder(self, encoder: Encoder) -> None:
        """Use an already loaded encoder (shares one model between stores, as tests and notebooks do)."""
        if not self.read_only:
            encoder.cache = store.DuckEmbeddingStore(self.con)
        self._encoder = encoder

    def import_esco(self, paths: Sequence[str | Path], progress: bool = False) -> dict[str, int]:
        """Load official ESCO CSV packages (zips or folders, any languages and versions)."""
        from jobmarket.esco import import_esco

        return import_esco(self.con, [str(p) for p in paths], progress=progress)

    def normalize(
        self,
        source: str | Path,
        *,
        out: str | Path | None = None,
        top_k: int = 5,
        threshold: float | None = None,
        progress: bool = False,
        **options,
    ) -> pd.DataFrame:
        """Map each posting of ``source`` to an ESCO occupation; one row per input row.

        ``options`` are the fields of :class:`NormalizeOptions` (``title_col``, ``lang``, ``label_lang``…).
        The run's counts are in :attr:`last_report`.
        """
        opts = NormalizeOptions(**options)
        opts = replace(opts, match=replace(MatchConfig(), top_k=top_k, threshold=threshold))
        self.last_report = normalize_file(self.con, source, self.encoder, opts, progress=progress)
        if out is not None:
            export_results(self.con, self.last_report.run_id, out)
        return self.results(self.last_report.run_id)

    def results(self, run_id: str) -> pd.DataFrame:
        """A run's per-posting results, with the top-k candidates."""
        from jobmarket.sqlfiles import sql_sections

        return self.con.execute(sql_sections("normalize.sql")["result_rows"], [run_id]).fetch_df()

    def sql(self, query: str, params: Sequence | None = None) -> pd.DataFrame:
        """Run SQL against the store and return a DataFrame."""
        return self.con.execute(query, list(params) if params else None).fetch_df()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Market:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""``Market``: the analyst's entry point. Every CLI command is a call of it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import duckdb

from jobmarket.api.coding import CodingMixin
from jobmarket.api.history import HistoryMixin
from jobmarket.api.queries import QueryMixin
from jobmarket.api.skills import SkillsMixin
from jobmarket.encoders.cache import DuckEmbeddingStore, ReadOnlyEmbeddingStore
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL, Encoder
from jobmarket.errors import JobmarketError
from jobmarket.io.privacy import DEFAULT_POLICY, stricter
from jobmarket.io.sources import expand_sources, file_kind, names_many
from jobmarket.matching.matcher import MatchConfig
from jobmarket.pipelines.normalize import NormalizeOptions, export_results, export_rows, normalize_file
from jobmarket.results import (
    NormalizeResult,
    NormalizeRuns,
)
from jobmarket.sql import sql_sections
from jobmarket.store import connection as store
from jobmarket.store import udf as embed_udf


class Market(QueryMixin, SkillsMixin, CodingMixin, HistoryMixin):
    """A DuckDB store plus the model that fills it.

    Open with :meth:`open`; use as a context manager so the store is closed::

        with Market.open("market.duckdb", esco=["../shared/data/esco"]) as m:
            m.normalize("postings.csv")
            m.sql("SELECT status, count(*) FROM assignments GROUP BY 1")
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, db: str, model: str | None, read_only: bool,
                 precision: str | None = "auto") -> None:
        self.con = con
        self.precision = precision  # the encoder's: auto | fp32 | bf16 | fp16 (jobmarket.encoders.precision)
        self.db = db
        self.model_name = model
        self.read_only = read_only
        self._encoder: Encoder | None = None
        self._query_cache: dict[tuple, object] = {}  # label and skill indexes of search/skill_gap
        self._label_lang: str | None = None

    @classmethod
    def open(
        cls,
        db: str | Path = store.DEFAULT_DB,
        model: str | None = DEFAULT_MODEL,
        esco: Sequence[str | Path] | None = None,
        read_only: bool = False,
        precision: str | None = "auto",
    ) -> Market:
        """Open (or create) the store at ``db``; import ESCO packages from ``esco`` if given.

        ``precision``: the encoder's (``auto``: bf16 autocast where the CPU or GPU has it, else fp32).
        """
        con = store.connect(db, read_only=read_only)
        market = cls(con, str(db), model, read_only, precision)
        market._register_sql_functions()
        if esco:
            market.import_esco(esco)
        return market

    @property
    def encoder(self) -> Encoder:
        """The model, loaded on first use; its embeddings are cached in the store."""
        if self._encoder is None:
            cache = ReadOnlyEmbeddingStore(self.con) if self.read_only else DuckEmbeddingStore(self.con)
            self._encoder = Encoder(self._model_to_load(), cache=cache, precision=self.precision)
        return self._encoder

    def use_encoder(self, encoder: Encoder) -> None:
        """Use an already loaded encoder (shares one model between stores, as tests and notebooks do)."""
        if not self.read_only:
            encoder.cache = DuckEmbeddingStore(self.con)
        self._encoder = encoder

    def import_esco(self, paths: Sequence[str | Path], progress: bool = False) -> dict[str, int]:
        """Load official ESCO CSV packages (zips or folders, any languages and versions)."""
        from jobmarket.esco.load import import_esco

        return import_esco(self.con, [str(p) for p in paths], progress=progress)

    def has_esco(self) -> bool:
        """Whether the store holds any ESCO data yet."""
        return bool(store.esco_versions(self.con))

    def normalize(
        self,
        source: str | Path | Sequence[str | Path],
        *,
        out: str | Path | None = None,
        top_k: int = 5,
        threshold: float | None = None,
        target_precision: float | None = None,
        progress: bool = False,
        replace_changed: bool = False,
        keep_both: bool = False,
        engine: str = "local",
        ray_address: str | None = None,
        ray_num_gpus: float = 0.0,
        **options,
    ) -> NormalizeResult | NormalizeRuns:
        """Map each posting of ``source`` to an ESCO occupation; one row per input row.

        ``source``: a postings file (CSV/TSV/JSON, also .gz/.zst; Parquet, or a ``*.parquet`` dataset
        folder; xlsx/xls/ods), or a folder, a glob (``"exports/2026-*.csv"``) or a list of them: then each
        file is its own run (source identity, row numbers, supersession) and a :class:`NormalizeRuns`
        holds a result per file and the total (``out`` then gets every file's rows, with ``source``).

        ``options`` are the fields of :class:`NormalizeOptions` (``title_col``, ``lang``, ``label_lang``…).
        The run supersedes the current runs over the same path (a changed file, or other options) and of
        identical content: they stay in the store as history (:meth:`runs`), out of every current view.
        ``keep_both`` keeps them current too; ``replace_changed`` deletes them in the same transaction.
        ``engine="ray"`` encodes and matches on a Ray cluster (``ray_address``; None: a local one). The
        result's ``rows`` are a lazy DuckDB relation: ``.df()`` materialises them; for millions of rows use
        ``out`` (written by DuckDB, never held in Python) or :meth:`sql`.

        Abstention: below ``threshold`` (a similarity) if given; else below the confidence at which the
        calibration's held-out data reach ``target_precision`` (e.g. 0.9); else below confidence 0.1. The
        calibration is fitted on the store's coded titles (:meth:`import_codes`), or on ESCO's labels.
        """
        if names_many(source):
            return self._normalize_many(expand_sources(source), out=out, top_k=top_k, threshold=threshold,
                                        target_precision=target_precision,
                                        progress=progress, replace_changed=replace_changed,
                                        keep_both=keep_both, engine=engine, ray_address=ray_address,
                                        ray_num_gpus=ray_num_gpus, **options)
        return self._normalize_one(source, out=out, top_k=top_k, threshold=threshold,
                                   target_precision=target_precision, progress=progress,
                                   replace_changed=replace_changed, keep_both=keep_both, engine=engine,
                                   ray_address=ray_address, ray_num_gpus=ray_num_gpus, **options)

    def _normalize_one(self, source, *, out, top_k, threshold, target_precision, progress, replace_changed,
                       keep_both, engine, ray_address, ray_num_gpus, ray_batch=None,
                       **options) -> NormalizeResult | None:
        options["descriptions"] = self._description_policy(options.get("descriptions"))
        opts = NormalizeOptions(**options)
        if target_precision is not None and not 0 < target_precision < 1:
            raise JobmarketError(f"target precision must be between 0 and 1, not {target_precision}")
        opts = replace(opts, match=replace(MatchConfig(), top_k=top_k, threshold=threshold,
                                           target_precision=target_precision))
        model = self._model_to_load() if self._encoder is None else None

        def get_encoder() -> Encoder:  # loaded once the file has been read, so bad input fails fast
            if self._encoder is None:
                self._encoder = Encoder(model, precision=self.precision)
            return self._encoder

        # The run works in its own DuckDB and locks the store only to read and for its one write: this
        # Market's connection would hold the file open (and locked) for the whole run.
        self.disconnect()
        try:
            report = normalize_file(self.db, source, get_encoder, opts, progress=progress,
                                    replace=replace_changed, keep_both=keep_both, engine=engine,
                                    ray_address=ray_address, ray_num_gpus=ray_num_gpus,
                                    ray_batch=ray_batch)
        finally:
            self.connect()
        self._after_normalize()
        if report is None:  # a Ray batch's first pass
            return None
        if out is not None:
            export_results(self.con, report.run_id, out)
        return NormalizeResult(report, self.results(report.run_id))

    def results(self, run_id: str) -> duckdb.DuckDBPyRelation:
        """A run's per-posting results, with the top-k candidates, as a lazy relation."""
        return self.con.sql(sql_sections("normalize.sql")["result_rows"], params=[run_id])

    def _normalize_many(self, files: list[Path], *, out: str | Path | None, **kwargs) -> NormalizeRuns:
        """Each file as its own run, in order; a file that cannot be read stops the batch with one line that
        says which files were already written (each a whole run: rerunning reproduces them)."""
        for path in files:
            file_kind(path)  # an unsupported file fails before any run
        batch = None
        if kwargs.get("engine") == "ray" and len(files) > 1:
            # One Ray job for all files' titles: a first pass collects them, then each file is written.
            from jobmarket.engines.ray import RayBatch

            batch = RayBatch(address=kwargs.get("ray_address"), num_gpus=kwargs.get("ray_num_gpus", 0.0),
                             progress=kwargs.get("progress", False))
        reports = []
        try:
            passes = ("collect", "write") if batch is not None else ("write",)
            for step in passes:
                for i, path in enumerate(files):
                    try:
                        result = self._normalize_one(path, out=None, ray_batch=batch, **kwargs)
                    except JobmarketError as exc:
                        if not i and step == passes[0]:
                            raise
                        first = str(exc).strip().splitlines()[0]
                        written = i if step == "write" else 0
                        raise JobmarketError(f"{first} (file {i + 1} of {len(files)}; the {written} before "
                                             "it are written, each as its own run)") from exc
                    if result is not None:
                        reports.append(result.report)
                if step == "collect":
                    batch.run()
        finally:
            if batch is not None:
                batch.close()
        # The connection may have been reopened by each run: the rows are built on the current one.
        results = [NormalizeResult(r, self.results(r.run_id)) for r in reports]
        rows = results[0].rows.project(f"{_sql_lit(reports[0].source)} AS source, *")
        for r, result in zip(reports[1:], results[1:], strict=True):
            rows = rows.union(result.rows.project(f"{_sql_lit(r.source)} AS source, *"))
        runs = NormalizeRuns(results, rows)
        if out is not None:
            export_rows(runs.rows, out)
        return runs

    def _description_policy(self, asked: str | None) -> str:
        """The run's description policy: as asked (default: the store's setting, else ``redact``); asking
        to keep more than the store's setting allows is a one-line error."""
        setting = store.get_meta(self.con, "descriptions") or DEFAULT_POLICY
        if asked is None:
            return setting
        if stricter(asked, setting) != asked:
            raise JobmarketError(f"the store {self.db} keeps descriptions={setting}; descriptions={asked} "
                                 "would keep more: change the setting first "
                                 f"(jobmarket settings descriptions {asked})")
        return asked

    def _model_to_load(self) -> str | None:
        """The model asked for; with ``auto`` or none, the store's own model if it is on this machine."""
        if self.model_name not in (None, DEFAULT_MODEL):
            return self.model_name
        cur = self.con.cursor()  # this may run inside embed(), while self.con is busy with the query
        try:
            recorded = store.get_meta(cur, "model_path")
        finally:
            cur.close()
        if recorded and Path(recorded).is_dir():
            return recorded
        return self.model_name

    def _register_sql_functions(self) -> None:
        embed_udf.register(self.con, lambda: self.encoder)

    def _after_normalize(self) -> None:
        # Remember where the store's model lives, so query-time embed() and search load the same one.
        if self.encoder.model_id == store.get_meta(self.con, "model_id") and Path(self.encoder.name).is_dir():
            store.set_meta(self.con, "model_path", str(Path(self.encoder.name).resolve()))
        self._register_sql_functions()

    def connect(self) -> None:
        """(Re)open the store's connection; models, indexes and caches loaded so far are kept."""
        if self.con is not None:
            return
        self.con = store.connect(self.db, read_only=self.read_only)
        if self._encoder is not None:
            self._encoder.cache = (ReadOnlyEmbeddingStore(self.con) if self.read_only
                                   else DuckEmbeddingStore(self.con))
        self._register_sql_functions()
        if self._label_lang:
            self.use_language(self._label_lang)

    def disconnect(self) -> None:
        """Close the connection (and with it the store's lock) but keep the model and indexes, as the
        dashboard does between queries; :meth:`connect` or :meth:`connected` opens it again."""
        if self.con is not None:
            self.con.close()
            self.con = None

    @contextmanager
    def connected(self) -> Iterator[Market]:
        """``with market.connected():`` a connection for one query, closed afterwards."""
        opened = self.con is None
        self.connect()
        try:
            yield self
        finally:
            if opened:
                self.disconnect()

    def close(self) -> None:
        self.disconnect()

    def __enter__(self) -> Market:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sql_lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"

"""The encode-and-match stage of a normalize run on a Ray cluster (``--engine ray``), with Ray Data.

The store's process does what DuckDB does well (reading, cleaning, dedupe, the joins of the write); only
the unique titles travel: they are written as Parquet shards, Ray Data runs them through an actor pool
whose workers load the encoder and the label index once each (on a GPU where the cluster has them and
``num_gpus`` asks for one), and the workers write their matches as Parquet shards in the schema of the
local engine's ``_match_rows``. The store reads those shards back and writes the run exactly as the local
engine does, in one transaction.

A folder or glob of files (:class:`RayBatch`) is one Ray job, not one per file: a first pass reads and
cleans every file and collects its unique titles; the titles of all files, deduplicated, are matched in
one job per matcher (files whose titles need other label languages or another calibration form their own
group); each file's run then takes its rows from that job's shards and writes itself as a single-file run
would, with the same run identity and rows.

On a multi-node cluster ``shard_dir`` must be storage every node sees (NFS, or a path Ray's Parquet
reader understands such as ``s3://…``), and the nodes need jobmarket and the model installed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from jobmarket.engines._base import EngineOptions
from jobmarket.errors import JobmarketError
from jobmarket.matching._base import MatchConfig, match_rows
from jobmarket.matching.label_index import LabelIndex
from jobmarket.matching.matcher import Matcher
from jobmarket.sql import sql_sections


class MatchUDF:
    """Ray Data's class-based UDF: one encoder and one matcher per worker, reused for every batch."""

    def __init__(self, model: str, index, config: MatchConfig, precision: str = "fp32", coding=None) -> None:
        import ray

        from jobmarket.encoders.sentence_transformer import Encoder

        if isinstance(index, ray.ObjectRef):
            index = ray.get(index)
        if isinstance(coding, ray.ObjectRef):
            coding = ray.get(coding)
        calibration, coded = coding or (None, None)  # the driver's calibration and embedded coding index
        # sentence-transformers puts it on the worker's GPU when there is one; the driver's precision, so the
        # vectors cached under the driver's key are of the precision that key names
        self.encoder = Encoder(model, precision=precision)
        self.matcher = Matcher(index, self.encoder, config, calibration, coded)

    def __call__(self, batch: pa.Table) -> pa.Table:
        ids = batch.column("title_id").to_pylist()
        texts = batch.column("title_clean").to_pylist()
        langs = batch.column("language").to_pylist()
        vectors = self.encoder.encode_titles(texts)
        return match_rows(ids, texts, langs, vectors, self.matcher.match(texts, langs, vectors))


class RayEngine:
    name = "ray"

    def match(self, con: duckdb.DuckDBPyConnection, encoder, matcher: Matcher,
              options: EngineOptions) -> None:
        if options.batch is not None:  # a file of a folder or glob: its titles were matched with the others'
            options.batch.fill(con, matcher)
            return
        match_titles(con, encoder, matcher.index, matcher.config, address=options.address,
                     num_gpus=options.num_gpus, chunk_size=options.chunk_size, progress=options.progress,
                     coding=(matcher.calibration, matcher.coded))


def matcher_key(matcher: Matcher) -> str:
    """What decides a title's match besides its text: label languages, calibration, settings."""
    cal = matcher.calibration.calibration_id if matcher.calibration is not None else None
    ident = [matcher.encoder.model_id, sorted(matcher.index.languages), cal, asdict(matcher.config)]
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class _Group:
    encoder: object
    matcher: Matcher
    shards: list[str] = field(default_factory=list)
    matches: str | None = None


class RayBatch:
    """The unique titles of many files, matched on Ray in one job per matcher (see the module's doc).

    ``collecting`` while the first pass runs: :meth:`collect` takes each file's ``_unique_titles``;
    :meth:`run` matches them; then each file's run calls :meth:`fill` through :class:`RayEngine`.
    """

    def __init__(self, *, address: str | None = None, num_gpus: float = 0.0, chunk_size: int = 20_000,
                 progress: bool = False) -> None:
        self.address, self.num_gpus, self.chunk_size, self.progress = address, num_gpus, chunk_size, progress
        self.root = Path(tempfile.mkdtemp(prefix="jobmarket-ray-batch-"))
        self.groups: dict[str, _Group] = {}
        self.collecting = True

    def collect(self, con: duckdb.DuckDBPyConnection, encoder, matcher: Matcher) -> None:
        key = matcher_key(matcher)
        group = self.groups.setdefault(key, _Group(encoder, matcher))
        shard = self.root / "files" / key / f"file-{len(group.shards):05d}.parquet"
        shard.parent.mkdir(parents=True, exist_ok=True)
        con.table("_unique_titles").select("title_id, title_clean, language").write_parquet(str(shard))
        group.shards.append(str(shard))

    def run(self) -> None:
        """One Ray job per group over its files' titles, deduplicated (a title in many files goes once)."""
        sections = sql_sections("normalize.sql")
        (self.root / "matches").mkdir(exist_ok=True)
        for key, group in self.groups.items():
            con = duckdb.connect(":memory:")
            try:
                con.execute(sections["unique_titles_from_shards"], [group.shards])
                con.execute(sections["create_match_rows"])
                match_titles(con, group.encoder, group.matcher.index, group.matcher.config,
                             address=self.address, num_gpus=self.num_gpus, chunk_size=self.chunk_size,
                             progress=self.progress, coding=(group.matcher.calibration, group.matcher.coded),
                             cache=False)
                group.matches = str(self.root / "matches" / f"{key}.parquet")
                con.table("_match_rows").write_parquet(group.matches)
            finally:
                con.close()
        self.collecting = False

    def fill(self, con: duckdb.DuckDBPyConnection, matcher: Matcher) -> None:
        """This file's rows of ``_match_rows``, from its group's job."""
        group = self.groups.get(matcher_key(matcher))
        if group is None or group.matches is None:
            raise JobmarketError("this file's titles were not matched in the batch's Ray job (the store "
                                 "changed between the passes?): run it again")
        sections = sql_sections("normalize.sql")
        con.execute(sections["insert_batch_matches"], [group.matches])
        n = con.execute(sections["unique_titles_count"]).fetchall()[0][0]
        got = con.execute(sections["match_rows_count"]).fetchall()[0][0]
        if got != n:
            raise JobmarketError(f"the batch's Ray job has {got:,} of this file's {n:,} unique titles")
        key = getattr(matcher.encoder, "cache_id", matcher.encoder.model_id)
        con.execute(sections["cache_from_match_rows"], [key, key])

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def match_titles(
    con: duckdb.DuckDBPyConnection,
    encoder,
    index: LabelIndex,
    config: MatchConfig,
    *,
    address: str | None = None,
    num_gpus: float = 0.0,
    workers: int | None = None,
    chunk_size: int = 20_000,
    batch_size: int = 1024,
    shard_dir: str | Path | None = None,
    progress: bool = True,
    coding: tuple | None = None,
    cache: bool = True,
) -> None:
    """Fill the TEMP table ``_match_rows`` from ``_unique_titles`` on Ray (see the module's doc);
    ``coding``: the matcher's (calibration, coding index), so workers decide as the driver would;
    ``cache``: stage the workers' vectors into the run's embedding cache (a batch does it per file)."""
    try:
        import ray
    except ImportError:
        raise JobmarketError("--engine ray needs Ray: pip install 'jobmarket[ray]'") from None
    if index.embeddings is None:
        index.embed(encoder)  # once, here: the workers get the matrix instead of encoding it each
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    ray.data.DataContext.get_current().enable_progress_bars = progress
    sections = sql_sections("normalize.sql")
    root = Path(shard_dir) if shard_dir else Path(tempfile.mkdtemp(prefix="jobmarket-ray-"))
    titles_dir, matches_dir = root / "titles", root / "matches"
    titles_dir.mkdir(parents=True, exist_ok=True)
    try:
        n = con.execute(sections["unique_titles_count"]).fetchall()[0][0]
        if n == 0:
            return
        for shard, lo in enumerate(range(0, n, chunk_size)):
            rows = con.execute(sections["unique_titles_chunk"], [lo, lo + chunk_size]).to_arrow_table()
            pq.write_table(rows, titles_dir / f"titles-{shard:05d}.parquet")
        if workers is None:  # one actor per GPU share, else per CPU but one (reading the shards needs one)
            resources = ray.cluster_resources()
            workers = (int(resources.get("GPU", 0) / num_gpus) if num_gpus
                       else int(resources.get("CPU", 1)) - 1)
        workers = max(1, workers)
        ds = ray.data.read_parquet(str(titles_dir))
        precision = getattr(encoder, "precision", "fp32")
        ds = ds.map_batches(
            MatchUDF, fn_constructor_args=(encoder.name, ray.put(index), config, precision, ray.put(coding)),
            batch_size=batch_size, batch_format="pyarrow", concurrency=int(workers),
            num_gpus=num_gpus or None, num_cpus=1,
        )
        ds.write_parquet(str(matches_dir))
        con.execute(sections["insert_match_shards"], [str(matches_dir / "*.parquet")])
        got = con.execute(sections["match_rows_count"]).fetchall()[0][0]
        if got != n:
            raise JobmarketError(f"the Ray engine returned {got:,} of {n:,} unique titles")
        if cache:
            key = getattr(encoder, "cache_id", encoder.model_id)
            con.execute(sections["cache_from_match_rows"], [key, key])
    finally:
        if not shard_dir:
            shutil.rmtree(root, ignore_errors=True)

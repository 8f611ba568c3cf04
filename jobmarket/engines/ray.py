"""The encode-and-match stage of a normalize run on a Ray cluster (``--engine ray``), with Ray Data.

The store's process does what DuckDB does well (reading, cleaning, dedupe, the joins of the write); only
the unique titles travel: they are written as Parquet shards, Ray Data runs them through an actor pool
whose workers load the encoder and the label index once each (on a GPU where the cluster has them and
``num_gpus`` asks for one), and the workers write their matches as Parquet shards in the schema of the
local engine's ``_match_rows``. The store reads those shards back and writes the run exactly as the local
engine does, in one transaction.

On a multi-node cluster ``shard_dir`` must be storage every node sees (NFS, or a path Ray's Parquet
reader understands such as ``s3://…``), and the nodes need jobmarket and the model installed.
"""

from __future__ import annotations

import shutil
import tempfile
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
        match_titles(con, encoder, matcher.index, matcher.config, address=options.address,
                     num_gpus=options.num_gpus, chunk_size=options.chunk_size, progress=options.progress,
                     coding=(matcher.calibration, matcher.coded))


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
) -> None:
    """Fill the TEMP table ``_match_rows`` from ``_unique_titles`` on Ray (see the module's doc);
    ``coding``: the matcher's (calibration, coding index), so workers decide as the driver would."""
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
        key = getattr(encoder, "cache_id", encoder.model_id)
        con.execute(sections["cache_from_match_rows"], [key, key])
    finally:
        if not shard_dir:
            shutil.rmtree(root, ignore_errors=True)

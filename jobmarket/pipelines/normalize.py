"""A normalize run: read postings, clean and dedupe titles, match them, write everything to the store.

Unique titles are the unit of model work; postings are the unit of accounting: every input row gets
exactly one assignment (matched, abstained or rejected with a reason). All writes of a run happen in
one transaction, so a rerun replaces the run's rows and an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from jobmarket.errors import JobmarketError
from jobmarket.io.postings import read_postings
from jobmarket.matching.label_index import LabelIndex, available_languages
from jobmarket.matching.matcher import Match, MatchConfig, Matcher
from jobmarket.progress import chunk_progress, progress_steps
from jobmarket.sql import sql_sections
from jobmarket.store import connection as store
from jobmarket.text.countries import country_languages
from jobmarket.text.titles import clean_title, detect_language

KILL_ENV = "JOBMARKET_TEST_KILL_AT"
PAUSE_ENV = "JOBMARKET_TEST_PAUSE_AT"
ENGINES = ("local", "ray")
TITLE_CHUNK = 20_000  # unique titles per encode-and-match chunk: bounds Python's memory, not the file's size
TITLE_MAP_COLUMNS = ("title_raw", "country", "title_clean", "seniority", "contract", "language", "title_id")


@dataclass
class NormalizeOptions:
    """Everything that shapes a normalize run; part of the run's identity."""

    title_col: str | None = None
    id_col: str | None = None
    description_col: str | None = None
    country_col: str | None = None
    lang_col: str | None = None
    date_col: str | None = None
    lang: str | None = None  # force the postings' language
    label_lang: str = "en"  # language of the preferred label in the output
    index_langs: Sequence[str] | None = None  # None: English plus the postings' languages
    delimiter: str | None = None
    encoding: str | None = None
    match: MatchConfig = field(default_factory=MatchConfig)


@dataclass
class NormalizeReport:
    run_id: str
    source: str
    n_rows: int
    counts: dict[str, int]
    methods: dict[str, int]
    n_unique_titles: int
    model: str
    threshold: float | None
    index_langs: list[str]
    seconds: dict[str, float]
    supersedes: list[str] = field(default_factory=list)  # earlier runs over the same path, file since changed
    replaced: bool = False  # whether their rows were deleted in this run's transaction
    engine: str = "local"


def run_id_for(source_sha256: str, model_id: str, options: NormalizeOptions, esco: str) -> str:
    ident = json.dumps([source_sha256, model_id, asdict(options), esco], sort_keys=True, default=str)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def title_id(language: str | None, title: str) -> str:
    return hashlib.md5(f"{language or ''}|{title}".encode()).hexdigest()


def normalize_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    encoder,
    options: NormalizeOptions | None = None,
    *,
    progress: bool = True,
    replace: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
    ray_num_gpus: float = 0.0,
    chunk_size: int = TITLE_CHUNK,
) -> NormalizeReport:
    """Normalize one postings file into the store; returns what happened, with counts.

    ``encoder`` may be a zero-argument callable returning one, so a bad file fails before a model loads.
    Per-posting data stays in DuckDB; Python sees unique titles only, ``chunk_size`` at a time.
    ``replace``: delete the rows of earlier runs over the same path whose file has since changed, in the
    run's own transaction. ``engine``: ``local`` or ``ray`` (encode and match on a Ray cluster).
    """
    options = options or NormalizeOptions()
    if engine not in ENGINES:
        raise JobmarketError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    path = Path(path)
    steps = progress_steps(progress)
    with steps("reading postings"):
        read = read_postings(
            con,
            path,
            title_col=options.title_col,
            id_col=options.id_col,
            description_col=options.description_col,
            country_col=options.country_col,
            lang_col=options.lang_col,
            date_col=options.date_col,
            delimiter=options.delimiter,
            encoding=options.encoding,
        )
    checkpoint("read")
    if not hasattr(encoder, "encode_titles"):
        encoder = encoder()
    _check_model(con, encoder)
    esco = store.esco_versions(con)
    if not esco:
        raise JobmarketError("the store has no ESCO data: run `jobmarket esco import PATH` first")
    run_id = run_id_for(read.source_sha256, encoder.model_id, options, esco)
    sections = sql_sections("normalize.sql")

    with steps("cleaning titles and detecting languages"):
        _build_title_map(con, options, chunk_size, progress)
    con.execute(sections["create_unique_titles"])
    checkpoint("titles")
    n_unique = con.execute(sections["unique_titles_count"]).fetchall()[0][0]
    seen_langs = [lang for (lang,) in con.execute(sections["unique_title_languages"]).fetchall()]
    langs = _index_languages(con, options, seen_langs)
    with steps(f"indexing ESCO labels ({', '.join(langs)})"):
        index = LabelIndex.from_store(con, langs)
        # A cold label index is the longest step of a first run (100k+ labels): say how far it is.
        encoder.progress = lambda done, total: steps.note(f"{done:,}/{total:,} labels encoded")
        try:
            matcher = Matcher(index, encoder, options.match)
        finally:
            encoder.progress = None
    for name in ("create_match_rows", "match_views", "candidate_view", "titles_view"):
        con.execute(sections[name])
    with steps(f"matching {n_unique:,} unique titles ({engine})"):
        if engine == "ray":
            from jobmarket.engines import ray as ray_engine

            ray_engine.match_titles(
                con,
                encoder,
                index,
                options.match,
                address=ray_address,
                num_gpus=ray_num_gpus,
                chunk_size=chunk_size,
                progress=progress,
            )
        else:
            _match_local(con, encoder, matcher, n_unique, chunk_size, progress)
    supersedes = [
        r
        for (r,) in con.execute(
            sections["superseded_runs"], [str(path), str(path.resolve()), run_id, read.source_sha256]
        ).fetchall()
    ]

    with steps("writing the store"):
        params = {"options": asdict(options), "threshold": matcher.threshold, "index_langs": langs}
        try:
            _write_run(
                con, run_id, str(path), read, encoder, params, options, replaced=supersedes if replace else []
            )
        finally:  # the run's TEMP tables can hold millions of rows: not kept for the connection's life
            con.execute(sections["drop_run_temporaries"])
    counts = dict(con.execute(sections["run_counts"], [run_id]).fetchall())
    methods = dict(con.execute(sections["method_counts"], [run_id]).fetchall())
    return NormalizeReport(
        run_id=run_id,
        source=str(path),
        n_rows=read.n_rows,
        counts=counts,
        methods=methods,
        n_unique_titles=n_unique,
        model=encoder.name,
        threshold=matcher.threshold,
        index_langs=langs,
        seconds=steps.seconds,
        supersedes=supersedes,
        replaced=bool(replace and supersedes),
        engine=engine,
    )


def checkpoint(step: str) -> None:
    """A named step boundary. Tests of crash safety set JOBMARKET_TEST_KILL_AT=<step> to SIGKILL the run
    here, or JOBMARKET_TEST_PAUSE_AT=<step> to hold it (JOBMARKET_TEST_PAUSE_S seconds) while a reader
    tries the store; otherwise this does nothing."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == step:
        print(f"jobmarket: paused at {step}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("JOBMARKET_TEST_PAUSE_S", "30")))


def _check_model(con: duckdb.DuckDBPyConnection, encoder) -> None:
    """A store holds title embeddings of one model; mixing models would make its vectors incomparable."""
    known = store.get_meta(con, "model_id")
    if known is None:
        store.set_meta(con, "model_id", encoder.model_id)
        store.set_meta(con, "model_dim", str(encoder.dim))
    elif known != encoder.model_id:
        raise JobmarketError(
            f"the store's embeddings come from model {known}, not {encoder.model_id}: "
            "use another --db, or the same --model"
        )


def _build_title_map(
    con: duckdb.DuckDBPyConnection, options: NormalizeOptions, chunk_size: int, progress: bool
) -> None:
    """Clean each distinct (raw title, country) once, in chunks, into the TEMP table ``_title_map``.

    The distinct pairs are numbered in DuckDB and fetched ``chunk_size`` at a time, so Python holds one
    chunk, never the file's titles.
    """
    sections = sql_sections("normalize.sql")
    con.execute(sections["create_raw_titles"])
    con.execute(sections["create_title_map"])
    total = con.execute(sections["raw_titles_count"]).fetchall()[0][0]
    with chunk_progress(progress, "cleaning titles", total) as advance:
        for lo in range(0, total, chunk_size):
            rows = con.execute(sections["raw_titles_chunk"], [lo, lo + chunk_size]).fetchall()
            con.from_arrow(_clean_chunk(rows, options)).insert_into("_title_map")
            advance(len(rows))


def _clean_chunk(rows: list[tuple], options: NormalizeOptions) -> pa.Table:
    cols: dict[str, list] = {c: [] for c in TITLE_MAP_COLUMNS}
    cleaned_once: dict[str, object] = {}  # a raw title comes once per country: clean it once
    for raw, country, lang_col, description in rows:
        cleaned = cleaned_once.get(raw) or cleaned_once.setdefault(raw, clean_title(raw))
        language = options.lang or lang_col or _detect(cleaned.title, description, country)
        has_text = any(ch.isalnum() for ch in cleaned.title)
        for key, value in (
            ("title_raw", raw),
            ("country", country),
            ("title_clean", cleaned.title if has_text else None),
            ("seniority", cleaned.seniority),
            ("contract", cleaned.contract),
            ("language", language),
            ("title_id", title_id(language, cleaned.title) if has_text else None),
        ):
            cols[key].append(value)
    return pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})


def _match_local(
    con: duckdb.DuckDBPyConnection, encoder, matcher: Matcher, n_unique: int, chunk_size: int, progress: bool
) -> None:
    """Encode and match the unique titles ``chunk_size`` at a time into the TEMP table ``_match_rows``."""
    query = sql_sections("normalize.sql")["unique_titles_chunk"]
    with chunk_progress(progress, "encoding and matching", n_unique) as advance:
        for lo in range(0, n_unique, chunk_size):
            rows = con.execute(query, [lo, lo + chunk_size]).fetchall()
            ids, texts, langs = (list(c) for c in zip(*rows, strict=True))
            vectors = encoder.encode_titles(texts)
            matches = matcher.match(texts, langs, vectors)
            con.from_arrow(match_rows(ids, texts, langs, vectors, matches)).insert_into("_match_rows")
            advance(len(rows))
            checkpoint("match")


def match_rows(
    ids: Sequence[str],
    texts: Sequence[str],
    langs: Sequence[str | None],
    vectors: np.ndarray,
    matches: Sequence[Match],
) -> pa.Table:
    """One chunk of matched unique titles in the schema of ``_match_rows`` (both engines write this)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0

    def lists(values: list[list], typ: pa.DataType) -> pa.Array:
        offsets = np.cumsum([0] + [len(v) for v in values], dtype=np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array([x for v in values for x in v], typ))

    return pa.table(
        {
            "title_id": pa.array(list(ids), pa.string()),
            "title_clean": pa.array(list(texts), pa.string()),
            "language": pa.array(list(langs), pa.string()),
            "occupation_uri": pa.array([m.occupation_uri for m in matches], pa.string()),
            "score": pa.array([m.score for m in matches], pa.float64()),
            "margin": pa.array([m.margin for m in matches], pa.float64()),
            "method": pa.array([m.method for m in matches], pa.string()),
            "status": pa.array([m.status for m in matches], pa.string()),
            "reason": pa.array([m.reason for m in matches], pa.string()),
            "cand_uris": lists([[u for u, _ in m.candidates] for m in matches], pa.string()),
            "cand_scores": lists([[float(s) for _, s in m.candidates] for m in matches], pa.float64()),
            "embedding": pa.ListArray.from_arrays(
                pa.array(np.arange(0, len(vectors) * dim + 1, dim or 1, dtype=np.int32)[: len(vectors) + 1]),
                pa.array(vectors.ravel()),
            ),
        }
    )


def _detect(title: str, description: str | None, country: str | None) -> str | None:
    # The country narrows the choice; English is always possible in international postings.
    known = country_languages(country)
    candidates = list(dict.fromkeys([*known, "en"])) if known else None
    text = f"{title}. {description or ''}".strip()
    return detect_language(text, candidates)


def _index_languages(con: duckdb.DuckDBPyConnection, options: NormalizeOptions, langs: list) -> list[str]:
    have = available_languages(con)
    if options.index_langs:
        missing = [lang for lang in options.index_langs if lang not in have]
        if missing:
            raise JobmarketError(
                f"no ESCO occupation labels loaded for {', '.join(missing)}; loaded: {', '.join(have)}"
            )
        return list(options.index_langs)
    wanted = {"en"} | {lang for lang in langs if lang}
    return sorted(lang for lang in wanted if lang in have) or sorted(have)


def _write_run(con, run_id, source, read, encoder, params, options, replaced: Sequence[str] = ()) -> None:
    """Every row of the run in one transaction: a reader sees the run whole or not at all."""
    sections = sql_sections("normalize.sql")
    info = con.execute(sql_sections("matching.sql")["occupation_info"], [options.label_lang]).fetch_df()
    dim = store.get_meta(con, "model_dim") or encoder.dim
    con.register("_occupation_info", info)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            for old in replaced:
                store.delete_run(con, old)
            store.start_run(
                con,
                run_id,
                "normalize",
                source_file=source,
                source_sha256=read.source_sha256,
                model_id=encoder.model_id,
                model_dim=int(dim),
                params=params,
            )
            con.execute(sections["insert_postings"], [run_id, run_id])
            con.execute(sections["insert_assignments"], [run_id])
            con.execute(sections["insert_candidates"], [run_id])
            con.execute(sections["upsert_titles"], [encoder.model_id])
            counts = dict(con.execute(sections["run_counts"], [run_id]).fetchall())
            store.finish_run(con, run_id, counts)
            checkpoint("write")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.unregister("_occupation_info")
    checkpoint("commit")


def export_results(con: duckdb.DuckDBPyConnection, run_id: str, out: str | Path) -> Path:
    """Write a run's per-posting results as Parquet or CSV (by extension)."""
    out = Path(out)
    sections = sql_sections("normalize.sql")
    # DuckDB writes the file: a run's millions of rows never pass through Python.
    if out.suffix == ".parquet":
        con.sql(sections["result_rows"], params=[run_id]).to_parquet(str(out))
    elif out.suffix in (".csv", ".tsv"):
        con.sql(sections["result_rows_csv"], params=[run_id]).to_csv(
            str(out), sep="\t" if out.suffix == ".tsv" else ",")
    else:
        raise JobmarketError(f"{out}: output must end in .parquet, .csv or .tsv")
    return out

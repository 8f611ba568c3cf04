"""A normalize run: read postings, clean and dedupe titles, match them, write everything to the store.

Unique titles are the unit of model work; postings are the unit of accounting: every input row gets
exactly one assignment (matched, abstained or rejected with a reason). All writes of a run happen in
one transaction, so a rerun replaces the run's rows and an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from jobmarket.engines._base import EngineOptions
from jobmarket.engines.registry import get_engine
from jobmarket.errors import JobmarketError
from jobmarket.io.reader import read_postings
from jobmarket.matching._base import MatchConfig
from jobmarket.matching.label_index import LabelIndex, available_languages
from jobmarket.matching.matcher import Matcher
from jobmarket.pipelines.checkpoints import checkpoint
from jobmarket.progress import chunk_progress, progress_steps
from jobmarket.sql import sql_sections
from jobmarket.store import connection as store
from jobmarket.store import runs
from jobmarket.store.transaction import transaction
from jobmarket.text.clean import clean_title
from jobmarket.text.countries import country_languages
from jobmarket.text.language import detect_language

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
    run's own transaction. ``engine``: a name of :mod:`jobmarket.engines.registry` (``local``, or ``ray``
    to encode and match on a Ray cluster).
    """
    options = options or NormalizeOptions()
    match_engine = get_engine(engine)
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
        engine_options = EngineOptions(chunk_size=chunk_size, progress=progress, address=ray_address,
                                       num_gpus=ray_num_gpus)
        match_engine.match(con, encoder, matcher, engine_options)
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
        with transaction(con):
            for old in replaced:
                runs.delete_run(con, old)
            runs.start_run(
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
            runs.finish_run(con, run_id, counts)
            checkpoint("write")
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

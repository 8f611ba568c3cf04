"""A normalize run: read postings, clean and dedupe titles, match them, write everything to the store.

Unique titles are the unit of model work; postings are the unit of accounting: every input row gets
exactly one assignment (matched, abstained or rejected with a reason). All writes of a run happen in
one transaction, so a rerun replaces the run's rows and an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from dataclasses import replace as replace_fields
from pathlib import Path

import duckdb
import pyarrow as pa

from jobmarket.coding.calibrations import find_calibration, fit_calibration, save_calibration
from jobmarket.coding.importer import EMPTY_INDEX, index_version
from jobmarket.encoders.cache import StagedEmbeddingStore
from jobmarket.engines._base import EngineOptions
from jobmarket.engines.registry import get_engine
from jobmarket.errors import JobmarketError
from jobmarket.io.reader import read_postings
from jobmarket.io.values import standard_option
from jobmarket.matching._base import MatchConfig
from jobmarket.matching.defaults import resolve_config
from jobmarket.matching.label_index import LabelIndex, available_languages
from jobmarket.matching.languages import LanguageChoice, choose_index_languages
from jobmarket.matching.matcher import Matcher
from jobmarket.pipelines import current
from jobmarket.pipelines.checkpoints import checkpoint
from jobmarket.progress import chunk_progress, progress_steps
from jobmarket.sql import sql_sections
from jobmarket.store import binding, runs
from jobmarket.store import connection as store
from jobmarket.store.workspace import Workspace
from jobmarket.text.batch import clean_and_detect

TITLE_CHUNK = 20_000  # unique titles per encode-and-match chunk: bounds Python's memory, not the file's size
TITLE_MAP_COLUMNS = ("title_raw", "country", "lang_in", "title_clean", "seniority", "contract", "language",
                     "title_id")


@dataclass
class NormalizeOptions:
    """Everything that shapes a normalize run; part of the run's identity."""

    title_col: str | None = None
    id_col: str | None = None
    description_col: str | None = None
    country_col: str | None = None
    lang_col: str | None = None
    date_col: str | None = None
    lang: str | None = None  # force the postings' language (any tag or name: standardised by the reader)
    country: str | None = None  # force the postings' country (a code or a name: standardised)
    sheet: Sequence[str] | None = None  # workbook sheets to read (None: every non-empty one)
    descriptions: str = "redact"  # what of descriptions the store keeps: keep | redact | skills | none
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
    read_notes: dict = field(default_factory=dict)  # the reader's: values not understood, redactions, sheets
    engine: str = "local"
    coding_index: str = EMPTY_INDEX  # the coding index version the run matched with (part of its identity)
    changed_from: str | None = None  # the path's previous run, which this one was compared with
    n_changed: int | None = None  # postings whose occupation or status differs from changed_from's
    calibration: str | None = None  # the calibration (jobmarket.coding) the run's confidences come from
    calibration_kind: str | None = None  # coded-kfold | esco-labels
    min_confidence: float | None = None  # abstained below this confidence (None: a similarity threshold)
    target_precision: float | None = None


def run_id_for(source_sha256: str, model_id: str, options: NormalizeOptions, esco: str,
               coding_index: str = EMPTY_INDEX) -> str:
    """The run's identity: the same file, model, options, ESCO and coding index give the same run."""
    parts = [source_sha256, model_id, asdict(options), esco]
    if coding_index != EMPTY_INDEX:  # without coded titles, run ids stay what they were before the index
        parts.append(coding_index)
    ident = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def title_id(language: str | None, title: str) -> str:
    return hashlib.md5(f"{language or ''}|{title}".encode()).hexdigest()


def normalize_file(
    db: str | Path,
    path: str | Path,
    encoder,
    options: NormalizeOptions | None = None,
    *,
    progress: bool = True,
    replace: bool = False,
    keep_both: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
    ray_num_gpus: float = 0.0,
    chunk_size: int = TITLE_CHUNK,
    ray_batch=None,
) -> NormalizeReport | None:
    """Normalize one postings file into the store at ``db``; returns what happened, with counts.

    The work happens in a private DuckDB (:class:`~jobmarket.store.workspace.Workspace`); the store is
    attached read-only while ESCO and the cache are read, and read-write only for the run's one write
    transaction, so readers and other runs are locked out for seconds, not for the run. The caller must not
    hold the store open in this process (:meth:`jobmarket.market.Market.normalize` closes its connection).

    ``encoder`` may be a zero-argument callable returning one, so a bad file fails before a model loads.
    Per-posting data stays in DuckDB; Python sees unique titles only, ``chunk_size`` at a time.
    The run supersedes the current runs over the same path (and of identical content): they stay as
    history, out of every current view; ``keep_both`` keeps them current, ``replace`` deletes them in the
    run's own transaction. ``engine``: a name of :mod:`jobmarket.engines.registry` (``local``, or ``ray``
    to encode and match on a Ray cluster). ``ray_batch``: a :class:`~jobmarket.engines.ray.RayBatch` of
    many files; while it collects, the run stops after building its matcher and returns None.
    """
    options = options or NormalizeOptions()
    options = replace_fields(options, lang=standard_option(options.lang, "language"),
                             country=standard_option(options.country, "country"))
    if replace and keep_both:
        raise JobmarketError("--replace and --keep-both exclude each other")
    match_engine = get_engine(engine)
    path = Path(path)
    steps = progress_steps(progress)
    with Workspace(db) as ws:
        con = ws.con
        with steps("reading postings"):
            read = read_postings(
                con,
                path,
                title_col=options.title_col,
                id_col=options.id_col,
                description_col=options.description_col,
                country_col=options.country_col,
                lang_col=options.lang_col,
                sheet=options.sheet,
                country=options.country,
                lang=options.lang,
                descriptions=options.descriptions,
                date_col=options.date_col,
                delimiter=options.delimiter,
                encoding=options.encoding,
            )
        checkpoint("read")
        if not hasattr(encoder, "encode_titles"):
            encoder = encoder()
        saved_cache = encoder.cache
        encoder.cache = StagedEmbeddingStore(ws)  # new vectors reach the store in the run's transaction
        try:
            return _run(ws, path, read, encoder, options, match_engine, steps,
                        replace=replace, keep_both=keep_both, engine=engine, ray_address=ray_address,
                        ray_num_gpus=ray_num_gpus, chunk_size=chunk_size, progress=progress,
                        ray_batch=ray_batch)
        finally:
            encoder.cache = saved_cache


def _run(ws: Workspace, path: Path, read, encoder, options: NormalizeOptions, match_engine, steps, *,
         replace: bool, keep_both: bool, engine: str, ray_address: str | None, ray_num_gpus: float,
         chunk_size: int, progress: bool, ray_batch) -> NormalizeReport | None:
    con = ws.con
    sections = sql_sections("normalize.sql")
    with ws.reading():
        binding.check_model(con, encoder.model_id, encoder.dim)
        esco = store.esco_versions(con)
        if not esco:
            raise JobmarketError("the store has no ESCO data: run `jobmarket esco import PATH` first")
        coding_index = index_version(con)
        # The path's current run before this one: the assignments that change are counted against it.
        previous = con.execute(sections["previous_run"], [str(path), str(path.resolve())]).fetchall()
        have_langs = available_languages(con)
        info = con.execute(sql_sections("matching.sql")["occupation_info"], [options.label_lang]).fetch_df()
    # The model's own temperature and bonus (or the constants), in the run's identity and params.
    options = replace_fields(options, match=resolve_config(options.match, encoder))
    run_id = run_id_for(read.source_sha256, encoder.model_id, options, esco, coding_index)

    with steps("cleaning titles and detecting languages"):
        _build_title_map(con, options, chunk_size, progress)
    con.execute(sections["create_unique_titles"])
    checkpoint("titles")
    n_unique = con.execute(sections["unique_titles_count"]).fetchall()[0][0]
    seen_langs = dict(con.execute(sections["unique_title_language_counts"]).fetchall())
    choice = _index_languages(have_langs, options, seen_langs)
    langs = choice.languages
    steps.say(choice.summary())
    precision = getattr(encoder, "precision", "fp32")
    with steps(f"indexing ESCO labels ({', '.join(langs)}; {precision})"):
        with ws.reading():
            index = LabelIndex.from_store(con, langs)
            need = find_calibration(con, index, encoder, options.match)
        # A cold label index is the longest step of a first run (100k+ labels, minutes in fp32): say how far
        # it is and how long it will take.
        encoder.progress = _label_progress(steps)
        try:
            index.embed(encoder)
        finally:
            encoder.progress = None
    # Fitted once per model, label languages and coding-index version, then stored and reused.
    calibration = need.calibration
    if calibration is None:
        what = f"{len(need.coded):,} coded titles" if need.coded is not None else "ESCO labels held out"
        with steps(f"calibrating the matcher ({what})"):
            calibration = fit_calibration(need, index, encoder, options.match)
    matcher = Matcher(index, encoder, options.match, calibration, need.coded)
    if ray_batch is not None and ray_batch.collecting:  # a batch's first pass: its titles, no run written
        if need.calibration is None:
            with ws.writing():
                save_calibration(con, calibration)
        ray_batch.collect(con, encoder, matcher)
        return None
    for name in ("create_match_rows", "match_views", "candidate_view", "titles_view"):
        con.execute(sections[name])
    with steps(f"matching {n_unique:,} unique titles ({engine})"):
        engine_options = EngineOptions(chunk_size=chunk_size, progress=progress, address=ray_address,
                                       num_gpus=ray_num_gpus, batch=ray_batch)
        match_engine.match(con, encoder, matcher, engine_options)

    with steps("writing the store"):
        params = {"options": asdict(options), "threshold": matcher.threshold, "index_langs": langs,
                  "calibration": calibration.calibration_id, "calibration_kind": calibration.kind,
                  "min_confidence": matcher.min_confidence,
                  "index_lang_choice": choice.as_params(), "precision": getattr(encoder, "precision", "fp32"),
                  "coding_index": coding_index, "keep_both": keep_both}
        con.register("_occupation_info", info)  # outside the transaction: an aborted one refuses unregister
        try:
            with ws.writing():
                if need.calibration is None:
                    save_calibration(con, calibration)
                keys = [str(path), str(path.resolve()), str(path), str(path.resolve()), read.source_sha256,
                        run_id]
                supersedes = [] if keep_both else [
                    r for (r,) in con.execute(sections["superseded_runs"], keys).fetchall()]
                _write_run(con, run_id, path, read, encoder, params, options, supersedes, replace=replace)
                counts = dict(con.execute(sections["run_counts"], [run_id]).fetchall())
                methods = dict(con.execute(sections["method_counts"], [run_id]).fetchall())
                changed_from = previous[0][0] if previous else None
                n_changed = None
                if changed_from == run_id:  # a rerun of the same identity reproduces its run
                    n_changed = 0
                elif changed_from is not None and not (replace and changed_from in supersedes):  # deleted
                    n_changed = int(con.execute(sections["changed_assignments"],
                                                [changed_from, run_id]).fetchall()[0][0])
                checkpoint("write")
        finally:  # the run's TEMP tables can hold millions of rows: not kept for the connection's life
            con.unregister("_occupation_info")
            con.execute(sections["drop_run_temporaries"])
    checkpoint("commit")
    return NormalizeReport(
        run_id=run_id,
        source=str(path),
        n_rows=read.n_rows,
        counts=counts,
        methods=methods,
        n_unique_titles=n_unique,
        model=encoder.name,
        threshold=matcher.threshold,
        calibration=calibration.calibration_id,
        calibration_kind=calibration.kind,
        min_confidence=matcher.min_confidence,
        target_precision=options.match.target_precision,
        index_langs=langs,
        seconds=steps.seconds,
        supersedes=supersedes,
        replaced=bool(replace and supersedes),
        engine=engine,
        coding_index=coding_index,
        changed_from=changed_from,
        n_changed=n_changed,
        read_notes=read.notes,
    )


def _label_progress(steps: progress_steps):
    """An encoder progress callback: labels encoded so far, their rate and the time left."""
    t0 = time.perf_counter()

    def note(done: int, total: int) -> None:
        elapsed = time.perf_counter() - t0
        if done and elapsed > 0:
            rate = done / elapsed
            left = (total - done) / rate
            steps.note(f"{done:,}/{total:,} labels encoded, {rate:,.0f}/s, ~{left:,.0f} s left")
        else:
            steps.note(f"{done:,}/{total:,} labels encoded")

    return note


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
    # Each distinct raw title cleaned once, each distinct text detected once, over processes when large.
    prepared = clean_and_detect(rows, options.lang)
    for (raw, country, lang_col, _), (cleaned, language) in zip(rows, prepared, strict=True):
        has_text = any(ch.isalnum() for ch in cleaned.title)
        for key, value in (
            ("title_raw", raw),
            ("country", country),
            ("lang_in", lang_col),
            ("title_clean", cleaned.title if has_text else None),
            ("seniority", cleaned.seniority),
            ("contract", cleaned.contract),
            ("language", language),
            ("title_id", title_id(language, cleaned.title) if has_text else None),
        ):
            cols[key].append(value)
    return pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})


def _index_languages(have: dict[str, int], options: NormalizeOptions, title_counts: dict[str, int]
                     ) -> LanguageChoice:
    """English plus the languages with a real share of the unique titles, or ``options.index_langs``."""
    return choose_index_languages(title_counts, list(have), options.index_langs)


def _write_run(con, run_id: str, path: Path, read, encoder, params: dict, options: NormalizeOptions,
               supersedes: Sequence[str], *, replace: bool) -> None:
    """Every row of the run, inside the caller's write transaction: a reader sees it whole or not at all.
    ``_occupation_info`` (labels and ISCO codes of the occupations) is registered by the caller.

    The store binds to the model here, so a first run that fails or is killed leaves it unbound.
    """
    sections = sql_sections("normalize.sql")
    binding.bind_model(con, encoder.model_id, encoder.dim)
    for old in supersedes if replace else ():
        runs.delete_run(con, old)
    runs.start_run(
        con,
        run_id,
        "normalize",
        source_file=str(path),
        source_sha256=read.source_sha256,
        model_id=encoder.model_id,
        model_dim=int(encoder.dim),
        params=params,
    )
    con.execute(sections["record_supersedes"], [str(path.resolve()), list(supersedes), run_id])
    if supersedes and not replace:
        con.execute(sections["mark_superseded"], [run_id, list(supersedes)])
    con.execute(sections["insert_postings"], [run_id, run_id])
    con.execute(sections["insert_assignments"], [run_id])
    con.execute(sections["insert_candidates"], [run_id])
    con.execute(sections["upsert_titles"], [encoder.model_id])
    con.execute(sql_sections("store.sql")["cache_flush"])
    counts = dict(con.execute(sections["run_counts"], [run_id]).fetchall())
    runs.finish_run(con, run_id, counts)
    current.refresh(con)  # once finished, the run is current: the stored counts follow


def export_rows(rows: duckdb.DuckDBPyRelation, out: str | Path) -> Path:
    """Write result rows (a relation, e.g. several runs' with a ``source`` column) as Parquet or CSV; a
    CSV gets the candidates as one ``uri=score;…`` field. DuckDB writes the file."""
    out = Path(out)
    if out.suffix == ".parquet":
        rows.to_parquet(str(out))
    elif out.suffix in (".csv", ".tsv"):
        pairs = "list_transform(candidates, c -> c.occupation_uri || '=' || printf('%.4f', c.score))"
        joined = f"coalesce(array_to_string({pairs}, ';'), '') AS candidates"
        flat = rows.project(f"* EXCLUDE (candidates), {joined}")
        flat.to_csv(str(out), sep="\t" if out.suffix == ".tsv" else ",")
    else:
        raise JobmarketError(f"{out}: output must end in .parquet, .csv or .tsv")
    return out


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

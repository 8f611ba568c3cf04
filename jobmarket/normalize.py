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
import numpy as np
import pandas as pd
import pyarrow as pa

from jobmarket import store
from jobmarket.countries import country_languages
from jobmarket.errors import JobmarketError
from jobmarket.label_index import LabelIndex, available_languages
from jobmarket.matcher import Match, MatchConfig, Matcher
from jobmarket.postings import read_postings
from jobmarket.progress import progress_steps
from jobmarket.sqlfiles import sql_sections
from jobmarket.titles import clean_title, detect_language


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
) -> NormalizeReport:
    """Normalize one postings file into the store; returns what happened, with counts.

    ``encoder`` may be a zero-argument callable returning one, so a bad file fails before a model loads.
    """
    options = options or NormalizeOptions()
    path = Path(path)
    steps = progress_steps(progress)
    with steps("reading postings"):
        read = read_postings(
            con, path, title_col=options.title_col, id_col=options.id_col,
            description_col=options.description_col, country_col=options.country_col,
            lang_col=options.lang_col, date_col=options.date_col,
            delimiter=options.delimiter, encoding=options.encoding,
        )
    if not hasattr(encoder, "encode_titles"):
        encoder = encoder()
    _check_model(con, encoder)
    esco = store.esco_versions(con)
    if not esco:
        raise JobmarketError("the store has no ESCO data: run `jobmarket esco import PATH` first")
    run_id = run_id_for(read.source_sha256, encoder.model_id, options, esco)

    with steps("cleaning titles and detecting languages"):
        title_map = _title_map(con, options)
    uniq = title_map.drop_duplicates("title_id").dropna(subset=["title_id"])
    langs = _index_languages(con, options, uniq["language"].tolist())
    with steps(f"indexing ESCO labels ({', '.join(langs)})"):
        index = LabelIndex.from_store(con, langs)
        matcher = Matcher(index, encoder, options.match)
    with steps(f"matching {len(uniq):,} unique titles"):
        vectors = encoder.encode_titles(uniq["title_clean"].tolist())
        matches = matcher.match(uniq["title_clean"].tolist(), uniq["language"].tolist(), vectors)

    with steps("writing the store"):
        params = {"options": asdict(options), "threshold": matcher.threshold, "index_langs": langs}
        _write_run(con, run_id, str(path), read, encoder, params, title_map, uniq, vectors, matches, options)
    counts = dict(con.execute(sql_sections("normalize.sql")["run_counts"], [run_id]).fetchall())
    methods = dict(con.execute(sql_sections("normalize.sql")["method_counts"], [run_id]).fetchall())
    return NormalizeReport(
        run_id=run_id, source=str(path), n_rows=read.n_rows, counts=counts, methods=methods,
        n_unique_titles=len(uniq), model=encoder.name, threshold=matcher.threshold, index_langs=langs,
        seconds=steps.seconds,
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


def _title_map(con: duckdb.DuckDBPyConnection, options: NormalizeOptions) -> pd.DataFrame:
    """Clean each distinct (raw title, country) once and give it a language and a title_id."""
    rows = con.execute(sql_sections("normalize.sql")["unique_raw_titles"]).fetchall()
    out = []
    for raw, country, lang_col, description, _n in rows:
        cleaned = clean_title(raw)
        language = options.lang or lang_col or _detect(cleaned.title, description, country)
        has_text = any(ch.isalnum() for ch in cleaned.title)
        out.append({
            "title_raw": raw, "country": country, "title_clean": cleaned.title if has_text else None,
            "seniority": cleaned.seniority, "contract": cleaned.contract, "language": language,
            "title_id": title_id(language, cleaned.title) if has_text else None,
        })
    columns = ["title_raw", "country", "title_clean", "seniority", "contract", "language", "title_id"]
    return pd.DataFrame(out, columns=columns)


def _detect(title: str, description: str | None, country: str | None) -> str | None:
    # The country narrows the choice; English is always possible in international postings.
    candidates = list(dict.fromkeys([*country_languages(country), "en"])) if country_languages(country) else None
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


def _write_run(con, run_id, source, read, encoder, params, title_map, uniq, vectors, matches: list[Match], options):
    sections = sql_sections("normalize.sql")
    info = con.execute(sql_sections("matching.sql")["occupation_info"], [options.label_lang]).fetch_df()
    match_df = pd.DataFrame({
        "title_id": uniq["title_id"].tolist(),
        "occupation_uri": [m.occupation_uri for m in matches],
        "score": [m.score for m in matches], "margin": [m.margin for m in matches],
        "method": [m.method for m in matches], "status": [m.status for m in matches],
        "reason": [m.reason for m in matches],
    })
    cand_df = pd.DataFrame(
        [(tid, r + 1, uri, s) for tid, m in zip(uniq["title_id"], matches, strict=True)
         for r, (uri, s) in enumerate(m.candidates)],
        columns=["title_id", "rank", "occupation_uri", "score"],
    )
    dim = vectors.shape[1] if len(vectors) else encoder.dim
    titles_tbl = pa.table({
        "title_id": uniq["title_id"].tolist(), "title_clean": uniq["title_clean"].tolist(),
        "language": uniq["language"].tolist(),
        "embedding": pa.ListArray.from_arrays(
            pa.array(np.arange(0, len(vectors) * dim + 1, dim, dtype=np.int32)),
            pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())),
    })
    temp = {"_title_map": title_map, "_matches": match_df, "_candidates": cand_df,
            "_occupation_info": info, "_titles": titles_tbl}
    for name, frame in temp.items():
        con.register(name, frame)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            store.start_run(con, run_id, "normalize", source_file=source, source_sha256=read.source_sha256,
                            model_id=encoder.model_id, model_dim=int(dim), params=params)
            con.execute(sections["insert_postings"], [run_id, run_id])
            con.execute(sections["insert_assignments"], [run_id])
            con.execute(sections["insert_candidates"], [run_id])
            con.execute(sections["upsert_titles"], [encoder.model_id])
            counts = dict(con.execute(sections["run_counts"], [run_id]).fetchall())
            store.finish_run(con, run_id, counts)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in temp:
            con.unregister(name)


def export_results(con: duckdb.DuckDBPyConnection, run_id: str, out: str | Path) -> Path:
    """Write a run's per-posting results as Parquet or CSV (by extension)."""
    out = Path(out)
    rel = con.sql(sql_sections("normalize.sql")["result_rows"], params=[run_id])
    if out.suffix == ".parquet":
        rel.to_parquet(str(out))
    elif out.suffix in (".csv", ".tsv"):
        df = rel.df()
        df["candidates"] = df["candidates"].map(
            lambda cs: ";".join(f"{c['occupation_uri']}={c['score']:.4f}" for c in cs)
            if isinstance(cs, (list, np.ndarray)) else "")
        df.to_csv(out, index=False, sep="\t" if out.suffix == ".tsv" else ",")
    else:
        raise JobmarketError(f"{out}: output must end in .parquet, .csv or .tsv")
    return out

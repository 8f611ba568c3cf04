"""Import titles coded by hand into the store's coding index, with provenance and a reject per bad row.

A coding file is CSV/TSV/Parquet/JSONL with a title and an occupation per row (an ESCO occupation URI, the
ESCO code such as ``2512.4``, or an ESCO label that names one occupation), optionally language and country.
The postings reader reads it (encodings, dialects, malformed records), so every input row ends as a coded
title or a reject with row, column and reason. A source is the current state of one coding file:
importing the same file again changes nothing; importing a changed file under the same source replaces
that source's rows. :func:`add_codes` saves single answers (the dashboard) in one short transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from jobmarket.errors import JobmarketError
from jobmarket.io.columns import COUNTRY_NAMES, LANGUAGE_NAMES, TITLE_NAMES, _find_auto
from jobmarket.io.header import file_columns
from jobmarket.io.reader import file_sha256, read_postings
from jobmarket.sql import sql_sections
from jobmarket.store.transaction import transaction
from jobmarket.text.clean import clean_title
from jobmarket.text.countries import country_languages
from jobmarket.text.keys import normalize_label
from jobmarket.text.language import detect_language

__all__ = ["CodesImportReport", "add_codes", "import_codes", "index_version", "list_codes", "remove_codes"]

OCCUPATION_NAMES = (
    "answer",
    "occupation_uri",
    "occupation",
    "concepturi",
    "esco_uri",
    "esco_occupation",
    "uri",
    "esco_code",
    "code",
)
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
_ESCO_CODE = re.compile(r"^\d{4}(\.\d+)+$")
_ISCO_CODE = re.compile(r"^\d{1,4}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
EMPTY_INDEX = "empty"


@dataclass
class CodesImportReport:
    """What an import did: rows read, coded titles kept, rejects (row, column, value, reason)."""

    source: str
    import_id: str
    file: str | None
    sha256: str
    n_rows: int
    n_coded: int
    n_rejected: int
    unchanged: bool = False  # the same content was already imported under this source: nothing written
    replaced: int = 0  # coded titles of the source's earlier content that this import replaced
    columns: dict[str, str | None] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    index_version: str = EMPTY_INDEX


def import_codes(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    title_col: str | None = None,
    occupation_col: str | None = None,
    lang_col: str | None = None,
    country_col: str | None = None,
    source: str | None = None,
    lang: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> CodesImportReport:
    """Import a coding file; ``source`` (default: the file's name) names its rows in the index.

    ``lang`` gives every row's language (else the language column, else detected from the title and the
    country). Bad rows are rejected with a reason, never dropped; a bad file is one :class:`JobmarketError`.
    """
    path = Path(path)
    _require_esco(con)
    names = file_columns(path, delimiter, encoding)
    cols = _columns(path, names, title_col, occupation_col, lang_col, country_col)
    source = source or path.name
    sha = file_sha256(path)
    import_id = _import_id(source, sha)
    known = _sql("import_by_id", con, [import_id])
    if known:
        return _unchanged_report(con, import_id, str(path), cols)
    read = read_postings(
        con,
        path,
        title_col=cols["title"],
        id_col=cols["occupation"],
        country_col=cols["country"],
        lang_col=cols["language"],
        delimiter=delimiter,
        encoding=encoding,
        table="_codes_raw",
    )
    try:
        rows = con.execute(sql_sections("coding.sql")["raw_rows"]).fetch_df()
    finally:
        con.execute("DROP TABLE IF EXISTS _codes_raw")
    coded, rejects = _validate(con, rows, cols, lang)
    return _write(con, import_id, source, str(path), sha, read.n_rows, coded, rejects, cols, replace=True)


def add_codes(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, source: str) -> CodesImportReport:
    """Save coded titles (columns ``title``, ``occupation_uri``, optional ``language``, ``country``) under
    ``source`` in one short write transaction; an answer for a title the source already codes (same
    language and country) replaces it. Bad rows are rejected as in :func:`import_codes`."""
    _require_esco(con)
    if "title" not in frame.columns or "occupation_uri" not in frame.columns:
        raise JobmarketError(
            f"add_codes: the frame needs columns title and occupation_uri, has "
            f"{', '.join(map(str, frame.columns)) or '(none)'}"
        )
    rows = pd.DataFrame(
        {
            "source_row": range(1, len(frame) + 1),
            "occupation": frame["occupation_uri"].astype("string"),
            "title_raw": frame["title"].astype("string"),
            "country": frame["country"].astype("string") if "country" in frame else None,
            "language": frame["language"].astype("string") if "language" in frame else None,
            "status": "ok",
            "reason": None,
        }
    )
    empty = rows["title_raw"].isna() | (rows["title_raw"].fillna("").str.strip() == "")
    rows.loc[empty, ["status", "reason"]] = ["rejected", "empty title"]
    cols = {"title": "title", "occupation": "occupation_uri", "language": "language", "country": "country"}
    coded, rejects = _validate(con, rows, cols, None)
    payload = json.dumps(rows.astype(str).values.tolist(), ensure_ascii=False)
    sha = hashlib.sha256(f"{source}\n{payload}".encode()).hexdigest()
    import_id = _import_id(source, sha + pd.Timestamp.now("UTC").isoformat())
    return _write(con, import_id, source, None, sha, len(rows), coded, rejects, cols, replace=False)


def remove_codes(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Delete a source's coded titles, rejects and imports; returns the coded titles deleted."""
    q = sql_sections("coding.sql")
    n = con.execute(q["count_source"], [source]).fetchall()[0][0]
    if not n and not con.execute(q["source_imports"], [source]).fetchall()[0][0]:
        raise JobmarketError(f"no coded titles under source {source!r}: see `jobmarket codes list`")
    with transaction(con):
        for name in ("delete_source_titles", "delete_source_rejects", "delete_source_imports"):
            con.execute(q[name], [source])
    return int(n)


def list_codes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per source: coded titles, occupations, rejects, imports, files and the last import time."""
    return con.execute(sql_sections("coding.sql")["list_sources"]).fetch_df()


def index_version(con: duckdb.DuckDBPyConnection) -> str:
    """A content hash of the coding index (title key, language, occupation of every coded title): it
    changes exactly when what the matcher learns from changes. ``"empty"`` without coded titles."""
    digest = con.execute(sql_sections("coding.sql")["index_digest"]).fetchall()[0][0]
    return digest[:16] if digest else EMPTY_INDEX


# ------------------------------------------------------------------------------------------ internals
def _require_esco(con: duckdb.DuckDBPyConnection) -> None:
    if not con.execute("SELECT count(*) FROM esco_occupations").fetchall()[0][0]:
        raise JobmarketError(
            "the store has no ESCO occupations to code against: run `jobmarket esco import PATH` first"
        )


def _columns(
    path: Path,
    names: Sequence[str],
    title: str | None,
    occupation: str | None,
    lang: str | None,
    country: str | None,
) -> dict[str, str | None]:
    listed = ", ".join(names) or "(none)"
    out: dict[str, str | None] = {}
    for role, given, candidates, option in (
        ("title", title, (*TITLE_NAMES, "title_raw", "coded_title"), "--title-col"),
        ("occupation", occupation, OCCUPATION_NAMES, "--occupation-col"),
        ("language", lang, LANGUAGE_NAMES, "--lang-col"),
        ("country", country, COUNTRY_NAMES, "--country-col"),
    ):
        if given:
            hit = next((n for n in names if n == given), None) or next(
                (n for n in names if n.casefold() == given.casefold()), None
            )
            if hit is None:
                raise JobmarketError(f"{path}: no column {given!r} ({option}); columns are {listed}")
            out[role] = hit
        else:
            out[role] = _find_auto(names, candidates)
            if out[role] is None and role in ("title", "occupation"):
                raise JobmarketError(f"{path}: no {role} column; columns are {listed}; pass {option}")
    if out["title"] == out["occupation"]:
        raise JobmarketError(f"{path}: column {out['title']!r} cannot be both the title and the occupation")
    return out


class _Occupations:
    """ESCO occupation URI, ESCO code, bare UUID or a label naming one occupation → URI, or a reason."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        q = sql_sections("coding.sql")
        rows = con.execute(q["occupation_codes"]).fetchall()
        self.uris = {u for u, _ in rows}
        self.codes = {c: u for u, c in rows if c}
        self._con = con
        self._labels: dict[str, set[str]] | None = None

    def resolve(self, value: str | None) -> tuple[str | None, str | None]:
        text = (value or "").strip()
        if not text:
            return None, "no occupation given"
        if text.casefold().startswith(("http://", "https://")):
            uri = "http://" + text.split("://", 1)[1]
            return (uri, None) if uri in self.uris else (None, f"unknown ESCO occupation {text}")
        if _UUID.match(text):
            uri = ESCO_OCCUPATION + text.lower()
            return (uri, None) if uri in self.uris else (None, f"unknown ESCO occupation {text}")
        if _ESCO_CODE.match(text):
            uri = self.codes.get(text)
            return (uri, None) if uri else (None, f"unknown ESCO occupation code {text}")
        if _ISCO_CODE.match(text):
            return None, f"{text} is an ISCO-08 group, not an ESCO occupation: give its URI or ESCO code"
        found = self.labels().get(normalize_label(text), set())
        if len(found) == 1:
            return next(iter(found)), None
        if found:
            return None, f"label {text!r} names {len(found)} ESCO occupations: give the URI"
        return None, f"unknown ESCO occupation {text!r} (not a URI, ESCO code or label)"

    def labels(self) -> dict[str, set[str]]:
        if self._labels is None:
            self._labels = {}
            for uri, label in self._con.execute(
                sql_sections("coding.sql")["occupation_label_keys"]
            ).fetchall():
                self._labels.setdefault(normalize_label(label), set()).add(uri)
        return self._labels


def _validate(
    con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, cols: dict[str, str | None], lang: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split read rows into coded titles and rejects (row, column, value, reason)."""
    occupations = _Occupations(con)
    cleaned: dict[str, str] = {}
    coded, rejects = [], []
    for r in rows.itertuples(index=False):
        row = int(r.source_row)
        if r.status != "ok":
            column = (
                cols["title"] if r.reason in ("empty title",) or str(r.reason).startswith("title ") else None
            )
            rejects.append((row, column, _text(r.title_raw), r.reason))
            continue
        raw = str(r.title_raw)
        if raw not in cleaned:
            cleaned[raw] = clean_title(raw).title
        title = cleaned[raw]
        key = normalize_label(title)
        if not any(ch.isalnum() for ch in key):
            rejects.append((row, cols["title"], raw, "title has no letters or digits after cleaning"))
            continue
        uri, why = occupations.resolve(_text(r.occupation))
        if uri is None:
            rejects.append((row, cols["occupation"], _text(r.occupation), why))
            continue
        country = _text(r.country)
        language = lang or (_text(r.language) or "").strip().casefold() or _detect(title, country)
        coded.append((row, raw, title, key, language, country, uri))
    coded_df = pd.DataFrame(
        coded,
        columns=[
            "source_row",
            "title_raw",
            "title_clean",
            "title_key",
            "language",
            "country",
            "occupation_uri",
        ],
    )
    rejects_df = pd.DataFrame(rejects, columns=["source_row", "column_name", "value", "reason"])
    return coded_df, rejects_df


def _write(
    con,
    import_id: str,
    source: str,
    file: str | None,
    sha: str,
    n_rows: int,
    coded: pd.DataFrame,
    rejects: pd.DataFrame,
    cols: dict,
    replace: bool,
) -> CodesImportReport:
    q = sql_sections("coding.sql")
    coded_t = pa.Table.from_pandas(coded.astype({"source_row": "int64"}), preserve_index=False)
    rejects_t = pa.Table.from_pandas(rejects.astype({"source_row": "int64"}), preserve_index=False)
    con.register("_codes_new", coded_t)
    con.register("_rejects_new", rejects_t)
    try:
        with transaction(con):
            replaced = 0
            if replace:  # a source is one file's current content: the earlier content goes
                replaced = con.execute(q["count_source"], [source]).fetchall()[0][0]
                for name in ("delete_source_titles", "delete_source_rejects", "delete_source_imports"):
                    con.execute(q[name], [source])
            else:  # saved answers: a new answer for the same title replaces the source's earlier one
                replaced = con.execute(q["count_replaced_answers"], [source]).fetchall()[0][0]
                con.execute(q["delete_replaced_answers"], [source])
            con.execute(
                q["insert_import"],
                [import_id, source, file, sha, n_rows, len(coded), len(rejects), json.dumps(cols)],
            )
            con.execute(q["insert_coded"], [import_id, source])
            con.execute(q["insert_rejects"], [import_id, source])
    finally:
        con.unregister("_codes_new")
        con.unregister("_rejects_new")
    return CodesImportReport(
        source,
        import_id,
        file,
        sha,
        n_rows,
        len(coded),
        len(rejects),
        False,
        int(replaced),
        cols,
        rejects,
        index_version(con),
    )


def _unchanged_report(con, import_id: str, file: str, cols: dict) -> CodesImportReport:
    q = sql_sections("coding.sql")
    source, sha, n_rows, n_coded, n_rejected = con.execute(q["import_by_id"], [import_id]).fetchall()[0]
    rejects = con.execute(q["import_rejects"], [import_id]).fetch_df()
    return CodesImportReport(
        source, import_id, file, sha, n_rows, n_coded, n_rejected, True, 0, cols, rejects, index_version(con)
    )


def _sql(name: str, con, params: list) -> list:
    return con.execute(sql_sections("coding.sql")[name], params).fetchall()


def _import_id(source: str, sha: str) -> str:
    return hashlib.sha256(f"{source}\n{sha}".encode()).hexdigest()[:16]


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return str(value)


def _detect(title: str, country: str | None) -> str | None:
    # As normalize detects a posting's language: the country narrows the choice, English always possible.
    known = country_languages(country)
    return detect_language(title, list(dict.fromkeys([*known, "en"])) if known else None)

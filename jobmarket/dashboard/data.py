"""Data access of the dashboard: parameterised statements of ``sql/dashboard.sql``, cached.

Every query opens a short read-only connection on a cache miss and closes it, so the dashboard holds no
lock on the store between clicks and a normalize run can write meanwhile. Search and skill gaps need the
model and ESCO indexes, so they go through one read-only :class:`Market` per store, kept for the server's
life (``st.cache_resource``) with its model and indexes but without a connection: each query connects
(``Market.connected``) and disconnects, under a lock (DuckDB connections are not thread-safe).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections
from jobmarket.store import connection as store

PROJECTION_MAX = 5000  # titles drawn in the 2-D projection
REVIEW_SOURCE = "dashboard"  # the coding-index source of answers saved on the Review page


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices, shared by every page and mirrored in the URL."""

    countries: tuple[str, ...] = ()
    d0: date | None = None
    d1: date | None = None
    isco: tuple[str, ...] = ()
    lang: str = "en"

    def params(self) -> dict[str, object]:
        return {"countries": list(self.countries) or None, "d0": self.d0, "d1": self.d1,
                "isco": list(self.isco) or None}


def settings() -> tuple[str, str]:
    """The store and model given on the command line (``streamlit run app.py -- --db X``), else from
    ``JOBMARKET_DB``/``JOBMARKET_MODEL``, else the defaults."""
    db, model = os.environ.get("JOBMARKET_DB", store.DEFAULT_DB), os.environ.get("JOBMARKET_MODEL", "auto")
    if "--db" in sys.argv or "--model" in sys.argv:
        parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
        parser.add_argument("--db", default=db)
        parser.add_argument("--model", default=model)
        args, _ = parser.parse_known_args(sys.argv[1:])
        db, model = args.db, args.model
    return db, model


def stamp(db: str) -> float:
    """Changes when the store file does, so cached answers of an older store are not served."""
    stamps = [Path(p).stat().st_mtime for p in (db, db + ".wal") if Path(p).exists()]
    return max(stamps, default=0.0)


@contextmanager
def connect(db: str, lang: str = "en") -> Iterator:
    """A short read-only connection with the dashboard's macro and ``label_lang`` set."""
    con = store.connect(db, read_only=True, retry_s=3.0)
    try:
        con.execute(sql_sections("dashboard.sql")["setup"])
        con.execute("SET VARIABLE label_lang = ?", [lang])
        yield con
    finally:
        con.close()


def _bind(sql: str, params: dict) -> dict:
    # DuckDB refuses named parameters a statement does not use.
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


@st.cache_data(show_spinner=False, max_entries=512)
def query(db: str, stamp_: float, lang: str, name: str, params: tuple[tuple[str, object], ...] = ()
          ) -> pd.DataFrame:
    """One named statement of ``sql/dashboard.sql`` with its parameters (hashable: lists as tuples)."""
    sql = sql_sections("dashboard.sql")[name]
    bound = _bind(sql, {k: list(v) if isinstance(v, tuple) else v for k, v in params})
    with connect(db, lang) as con:
        return con.execute(sql, bound).fetch_df()


def q(db: str, statement: str, f: Filters | None = None, /, **params: object) -> pd.DataFrame:
    """Run a named statement, filtered by ``f`` where the statement takes filters."""
    merged = {**(f.params() if f else {}), **params}
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in merged.items()))
    return query(db, stamp(db), f.lang if f else "en", statement, frozen)


def has_table(db: str, name: str) -> bool:
    return bool(q(db, "has_table", name=name)["ok"][0])


# ---------------------------------------------------------------- the model-backed Market
@st.cache_resource(show_spinner="Opening the store and its model…")
def market(db: str, model: str):
    """One read-only Market per store and model, and the lock its connection is used under."""
    from jobmarket.market import Market

    m = Market.open(db, model=model, read_only=True)
    m.disconnect()  # models and indexes stay cached; each query opens (and closes) its own connection
    opened = m, threading.Lock()
    _OPEN_MARKETS.setdefault(db, []).append(opened)  # so a save can close it (release_markets)
    return opened


_OPEN_MARKETS: dict[str, list] = {}


def release_markets(db: str) -> None:
    """Close this process's read-only Markets of ``db``: DuckDB refuses a read-write connection to a file
    the same process has open read-only. The next search opens a fresh one."""
    market.clear()
    for m, lock in _OPEN_MARKETS.pop(db, []):
        with lock:
            m.close()


@st.cache_data(show_spinner=False, max_entries=128)
def skill_gap(db: str, model: str, stamp_: float, lang: str, uri: str, country: str | None,
              supply: str | tuple[tuple[str, float], ...], transversal: bool = False) -> pd.DataFrame:
    """Market.skill_gap; ``supply`` is "esco", a country code, or (skill name, weight) pairs;
    ``transversal`` keeps cross-sector and transversal skills too."""
    m, lock = market(db, model)
    sup: str | pd.DataFrame = supply if isinstance(supply, str) else pd.DataFrame(
        list(supply), columns=["skill", "weight"])
    with lock, m.connected():
        m.use_language(lang)
        return m.skill_gap(uri, country, sup, transversal=transversal)


@st.cache_data(show_spinner=False, max_entries=128)
def search(db: str, model: str, stamp_: float, lang: str, text: str, what: str, k: int) -> pd.DataFrame:
    """Market.search: nearest titles, occupations or skills to a free text."""
    m, lock = market(db, model)
    with lock, m.connected():
        m.use_language(lang)
        return m.search(text, what=what, k=k, lang=None if what == "titles" else lang)


@st.cache_data(show_spinner=False, max_entries=8)
def projection(db: str, stamp_: float, n: int = PROJECTION_MAX) -> pd.DataFrame:
    """At most ``n`` unique titles projected to 2-D by PCA of their embeddings, with country and cluster."""
    name = "projection_sample" if has_table(db, "cluster_members") else "projection_sample_no_clusters"
    sql = sql_sections("dashboard.sql")[name]
    with connect(db) as con:
        df = con.execute(sql, {"n": int(n)}).fetch_df()
    if len(df) < 3:
        return df.drop(columns="embedding").assign(x=0.0, y=0.0)
    x = np.stack(df.pop("embedding").map(lambda v: np.asarray(v, dtype=np.float32)).to_list())
    x -= x.mean(axis=0)
    # The two leading right singular vectors are PCA's axes; the sign is fixed so reruns look alike.
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2].sum(axis=1, keepdims=True) + 1e-12)
    xy = x @ axes.T
    df["x"], df["y"] = xy[:, 0], xy[:, 1]
    df["cluster"] = df["cluster_id"].map(lambda c: "outlier" if pd.isna(c) else f"#{int(c)}")
    return df


# ---------------------------------------------------------------- the review queue and saved answers
@st.cache_data(show_spinner=False, max_entries=64)
def review_queue(db: str, stamp_: float, lang: str, status: str, order: str, limit: int,
                 countries: tuple[str, ...] = ()) -> pd.DataFrame:
    """:func:`jobmarket.coding.review.review_queue` on a short read-only connection."""
    from jobmarket.coding.review import review_queue as queue

    with connect(db, lang) as con:
        return queue(con, status=status, order=order, limit=limit, lang=lang, countries=countries or None)


def coding_index(db: str) -> pd.DataFrame:
    """The coding index per source (:func:`jobmarket.coding.importer.list_codes`)."""
    from jobmarket.coding.importer import list_codes

    with connect(db) as con:
        return list_codes(con)


def save_answer(db: str, title: str, occupation_uri: str, language: str | None, country: str | None,
                source: str = REVIEW_SOURCE):
    """Save one coder's answer into the coding index through ``add_codes``: a read-write connection opened
    for this one short transaction and closed right after, so the dashboard never holds the store."""
    from jobmarket.coding.importer import add_codes

    release_markets(db)
    con = store.connect(db, read_only=False, retry_s=3.0)
    try:
        frame = pd.DataFrame([{"title": title, "occupation_uri": occupation_uri, "language": language,
                               "country": country}])
        return add_codes(con, frame, source)
    finally:
        con.close()


# ---------------------------------------------------------------- errors shown, not raised
@contextmanager
def guard() -> Iterator[None]:
    """Show a store that cannot be read (busy, missing, too old) as one clear message and stop the page."""
    try:
        yield
    except store.StoreBusyError:
        st.error("The store is busy: another jobmarket process is writing to it. Reload this page when it "
                 "has finished.", icon=":material/hourglass_top:")
        st.stop()
    except JobmarketError as exc:
        st.error(str(exc).splitlines()[0], icon=":material/warning:")
        st.stop()

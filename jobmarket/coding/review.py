"""The review queue: the titles of the current runs most worth a coder's time, and the file a coder fills in.

One row per unique (cleaned title, country, language) with its number of postings, the top-5 candidate
occupations (labels in the coder's language, English where missing) with their confidence, and an empty
``answer`` column for an ESCO occupation URI, ESCO code or label. The file reads back with ``jobmarket codes
import`` as it is: ``title``, ``language``, ``country`` and ``answer`` are the columns the importer looks for
(:mod:`jobmarket.coding.importer`); a row left unanswered comes back as a reject "no occupation given".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections

STATUSES = {"abstained": ["abstained"], "matched": ["matched"], "all": ["abstained", "matched"]}
ORDERS = ("uncertainty", "postings")
ANSWER_COLUMN = "answer"  # the column the coder fills in: the importer's first occupation column name
FORMATS = (".csv", ".tsv", ".parquet")


@dataclass
class ReviewExport:
    """What :func:`export_review` wrote."""

    path: Path
    n_titles: int  # rows of the file: unique (title, country, language)
    n_postings: int  # postings those titles stand for
    status: str
    order: str


def review_queue(
    con: duckdb.DuckDBPyConnection,
    *,
    status: str = "abstained",
    order: str = "uncertainty",
    limit: int | None = None,
    lang: str = "en",
    countries: Sequence[str] | None = None,
    include_coded: bool = False,
) -> pd.DataFrame:
    """The review queue of the store's current runs, most worth coding first.

    ``status``: ``abstained`` (default), ``matched`` or ``all``. ``order``: ``uncertainty`` (lowest
    confidence first, then most postings) or ``postings`` (most postings first). ``lang``: language of
    the candidate labels. ``countries``: only these countries' postings. Titles already in the coding
    index are left out (they are answered; the next normalize uses them) unless ``include_coded``.
    """
    if status not in STATUSES:
        raise JobmarketError(f"review: status must be one of {', '.join(STATUSES)}, not {status!r}")
    if order not in ORDERS:
        raise JobmarketError(f"review: order must be one of {', '.join(ORDERS)}, not {order!r}")
    if limit is not None and limit < 1:
        raise JobmarketError(f"review: limit must be at least 1, not {limit}")
    sections = sql_sections("review.sql")
    cur = con.cursor()  # the caller's connection may hold a label_lang or an open result
    try:
        sql = sections["queue"].format(
            confidence="a.confidence" if _has_column(cur, "assignments", "confidence") else "a.score",
            cand_confidence=("c.confidence" if _has_column(cur, "assignment_candidates", "confidence")
                             else "c.score"),
            not_coded=("TRUE" if include_coded or not _has_table(cur, "coded_titles")
                       else sections["not_coded"]),
        )
        params = {"statuses": STATUSES[status], "countries": list(countries) if countries else None,
                  "lang": lang or "en", "order": order, "limit": limit}
        return cur.execute(sql, params).fetch_df()
    finally:
        cur.close()


def export_review(con: duckdb.DuckDBPyConnection, out: str | Path, **queue_options) -> ReviewExport:
    """Write :func:`review_queue` (same options) to ``out`` (.csv, .tsv or .parquet) for a coder."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise JobmarketError(f"{out}: the review file must end in {', '.join(FORMATS)}")
    if not out.parent.is_dir():
        raise JobmarketError(f"{out}: folder {out.parent} does not exist")
    queue = review_queue(con, **queue_options)
    if out.suffix.lower() == ".parquet":
        queue.to_parquet(out, index=False)
    else:
        queue.to_csv(out, index=False, sep="\t" if out.suffix.lower() == ".tsv" else ",")
    return ReviewExport(path=out, n_titles=len(queue), n_postings=int(queue["n_postings"].sum()),
                        status=queue_options.get("status", "abstained"),
                        order=queue_options.get("order", "uncertainty"))


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(con.execute(sql_sections("review.sql")["has_column"], [table, column]).fetchall()[0][0])


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(sql_sections("review.sql")["has_table"], [table]).fetchall()[0][0])

"""The coding index and the review loop: hand-coded titles, calibration, the queue for coders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from jobmarket.coding.importer import CodesImportReport
from jobmarket.errors import JobmarketError
from jobmarket.matching.calibration import Calibration
from jobmarket.matching.matcher import MatchConfig
from jobmarket.sql import sql_sections


class CodingMixin:
    """Part of :class:`jobmarket.market.Market` (uses its ``con``, ``encoder`` and caches)."""

    def import_codes(self, path: str | Path, **options) -> CodesImportReport:
        """Import a file of titles coded by hand (CSV/TSV/Parquet/JSONL: title, occupation URI or ESCO
        code, optional language and country) into the coding index the matcher learns from.

        ``options``: ``title_col``, ``occupation_col``, ``lang_col``, ``country_col``, ``source`` (default:
        the file's name), ``lang``, ``delimiter``, ``encoding``. Bad rows are in the report's ``rejects``.
        """
        from jobmarket.coding.importer import import_codes

        return import_codes(self.con, path, **options)

    def add_codes(self, frame: pd.DataFrame, source: str = "dashboard") -> CodesImportReport:
        """Save coded titles (``title``, ``occupation_uri``, optional ``language``, ``country``)."""
        from jobmarket.coding.importer import add_codes

        return add_codes(self.con, frame, source)

    def codes(self) -> pd.DataFrame:
        """The coding index per source: coded titles, occupations, rejects, imports, files, last import."""
        from jobmarket.coding.importer import list_codes

        return list_codes(self.con)

    def remove_codes(self, source: str) -> int:
        """Delete a source's coded titles (and its rejects and imports); returns how many titles went."""
        from jobmarket.coding.importer import remove_codes

        return remove_codes(self.con, source)

    def calibrate(self, langs: Sequence[str] | None = None, *, refit: bool = False,
                  use_codes: bool = True) -> Calibration:
        """The matcher's calibration for the store's model and coding index (fitted and stored if missing;
        ``refit`` fits again). ``langs``: ESCO label languages (default: English and the coded titles').
        Without coded titles (or ``use_codes=False``) it is fitted on ESCO's labels held out."""
        from jobmarket.coding.calibrations import load_or_fit
        from jobmarket.matching.label_index import LabelIndex, available_languages

        have = available_languages(self.con)
        if not have:
            raise JobmarketError("the store has no ESCO data: run `jobmarket esco import PATH` first")
        if langs is None:
            rows = self.con.execute(sql_sections("coding.sql")["coded_languages"]).fetchall()
            coded = [lang for (lang,) in rows]
            langs = sorted(({"en"} | set(coded)) & set(have)) or sorted(have)
        missing = [lang for lang in langs if lang not in have]
        if missing:
            raise JobmarketError(f"no ESCO occupation labels loaded for {', '.join(missing)}")
        index = LabelIndex.from_store(self.con, list(langs))
        cal, _ = load_or_fit(self.con, index, self.encoder, MatchConfig(), save=not self.read_only,
                             refit=refit, use_codes=use_codes)
        return cal

    def review_queue(self, status: str = "abstained", order: str = "uncertainty", limit: int | None = None,
                     lang: str = "en", countries: Sequence[str] | None = None,
                     include_coded: bool = False) -> pd.DataFrame:
        """The titles of the current runs most worth a coder's time: one row per (title, country,
        language) with its postings, top-5 candidates (labels in ``lang``) and their confidence, and an
        empty ``answer`` column. See :func:`jobmarket.coding.review.review_queue`."""
        from jobmarket.coding.review import review_queue

        return review_queue(self.con, status=status, order=order, limit=limit, lang=lang,
                            countries=countries, include_coded=include_coded)

    def export_review(self, out: str | Path, **queue_options):
        """Write :meth:`review_queue` (same options) to ``out`` (.csv/.tsv/.parquet); a filled-in file goes
        back with :meth:`import_codes` (``jobmarket codes import``). Returns a ``ReviewExport``."""
        from jobmarket.coding.review import export_review

        return export_review(self.con, out, **queue_options)

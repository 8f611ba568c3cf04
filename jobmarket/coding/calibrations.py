"""Calibrations in the store: found by their identity (model, coding-index version, label languages,
matcher settings), fitted and saved when missing, and the coding index loaded for the matcher."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from jobmarket.coding.importer import EMPTY_INDEX, index_version
from jobmarket.matching._base import MatchConfig
from jobmarket.matching.calibration import Calibration
from jobmarket.matching.coded import CodedIndex
from jobmarket.matching.defaults import resolve_config
from jobmarket.matching.label_index import LabelIndex
from jobmarket.sql import sql_sections

__all__ = [
    "CalibrationNeed",
    "coded_index",
    "find_calibration",
    "fit_calibration",
    "load_calibration",
    "load_or_fit",
    "model_identity",
    "save_calibration",
]


def model_identity(encoder) -> str:
    """The encoder's identity for calibrations: its model id, plus the precision where it has one (bf16
    vectors differ a little from fp32 ones). Never a substring of a name."""
    return getattr(encoder, "cache_id", None) or encoder.model_id


def coded_index(con: duckdb.DuckDBPyConnection) -> CodedIndex | None:
    """The store's coding index, or None without coded titles."""
    rows = con.execute(sql_sections("coding.sql")["coded_rows"]).fetchall()
    return CodedIndex.from_rows(rows) if rows else None


def load_calibration(con: duckdb.DuckDBPyConnection, calibration_id: str) -> Calibration | None:
    rows = con.execute(sql_sections("coding.sql")["calibration_by_id"], [calibration_id]).fetchall()
    return Calibration.from_row(*rows[0]) if rows else None


def save_calibration(con: duckdb.DuckDBPyConnection, cal: Calibration) -> None:
    import json

    con.execute(
        sql_sections("coding.sql")["calibration_upsert"],
        [
            cal.calibration_id,
            cal.model_id,
            cal.index_version,
            ",".join(cal.label_langs),
            cal.kind,
            cal.n_examples,
            cal.params_json(),
            json.dumps(cal.curve),
            json.dumps(cal.provenance),
        ],
    )


@dataclass
class CalibrationNeed:
    """What a run found in the store: the coding index, and the stored calibration (None: fit one)."""

    key: str
    kind: str
    index_version: str
    model_id: str
    coded: CodedIndex | None
    calibration: Calibration | None


def find_calibration(
    con: duckdb.DuckDBPyConnection, index: LabelIndex, encoder, config: MatchConfig, *, use_codes: bool = True
) -> CalibrationNeed:
    """Read (quickly, while the store is attached) the coding index and the matching stored calibration."""
    from jobmarket.coding import fit

    config = resolve_config(config, encoder)  # the key names the model's temperature and bonus
    model_id = model_identity(encoder)
    coded = coded_index(con) if use_codes else None
    version = index_version(con) if coded is not None else EMPTY_INDEX
    kind = "coded-kfold" if coded is not None else "esco-labels"
    key = fit.calibration_key(kind, model_id, version, index.languages, config)
    return CalibrationNeed(key, kind, version, model_id, coded, load_calibration(con, key))


def fit_calibration(need: CalibrationNeed, index: LabelIndex, encoder, config: MatchConfig) -> Calibration:
    """Fit what :func:`find_calibration` did not find (no store access: minutes, not holding the store)."""
    from jobmarket.coding import fit

    config = resolve_config(config, encoder)
    if index.embeddings is None:
        index.embed(encoder)
    if need.coded is not None:
        need.coded.embed(encoder)
        if len(need.coded) >= fit.MIN_CODED_ENTRIES:
            return fit.fit_coded(index, encoder, need.coded, config, need.model_id, need.index_version)
    # Without coded titles, or too few to learn from: ESCO's labels (exact coded titles still decide).
    cal = fit.fit_esco_labels(index, encoder, config, need.model_id)
    if need.coded is not None:
        cal.calibration_id, cal.index_version = need.key, need.index_version
        cal.provenance["note"] = (
            f"{len(need.coded)} coded titles: fewer than {fit.MIN_CODED_ENTRIES}, too few "
            "to learn a combination from; exact coded titles still decide"
        )
    return cal


def load_or_fit(
    con: duckdb.DuckDBPyConnection,
    index: LabelIndex,
    encoder,
    config: MatchConfig,
    *,
    save: bool = True,
    refit: bool = False,
    use_codes: bool = True,
) -> tuple[Calibration, CodedIndex | None]:
    """The calibration for this model, coding index and label index: the stored one, else fitted now
    (and saved when ``save``). ``use_codes=False`` ignores the coding index (zero-shot)."""
    need = find_calibration(con, index, encoder, config, use_codes=use_codes)
    cal = None if refit else need.calibration
    if need.coded is not None:
        need.coded.embed(encoder)
    if cal is None:
        cal = fit_calibration(need, index, encoder, config)
        if save:
            save_calibration(con, cal)
    return cal, need.coded

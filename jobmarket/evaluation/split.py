"""The fixed tune/report split of the JobBERT evaluation titles (``jobbert_eval/titles.csv``).

Everything tuned (matcher parameters, the learned combination, the calibration recipe) is tuned on the
**tune** half; figures are reported on the **report** half only. A title's half is decided by the sha256 of
its lookup key (``normalize_label(clean_title(title).title)``): even first byte → tune, odd → report. The
same cleaned title therefore never lands on both sides, and the rule needs no stored list.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.text.clean import clean_title
from jobmarket.text.keys import normalize_label

__all__ = ["GATE_SIZE", "HALVES", "gate_sample", "half_of", "split_key", "split_titles"]

HALVES = ("tune", "report")
TITLE_COL, URI_COL = "vacancyTitle", "conceptUri"
GATE_SIZE = 300


def split_key(title: str) -> str:
    """The key a title is split by: its cleaned lookup key (the matcher's exact-match key)."""
    return normalize_label(clean_title(title).title)


def half_of(title: str) -> str:
    """``tune`` or ``report``: the parity of the first byte of sha256(split key)."""
    digest = hashlib.sha256(split_key(title).encode("utf-8")).digest()
    return HALVES[digest[0] & 1]


def split_titles(path: str | Path, half: str | None = None) -> pd.DataFrame:
    """The labelled titles (``title``, ``occupation_uri``, ``key``, ``half``) of ``titles.csv``: rows
    with an empty title or label are left out; ``half`` keeps one half."""
    if half is not None and half not in HALVES:
        raise JobmarketError(f"half must be one of {HALVES}, not {half!r}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df[(df[TITLE_COL].str.strip() != "") & (df[URI_COL].str.strip() != "")]
    out = pd.DataFrame(
        {"title": df[TITLE_COL].to_numpy(), "occupation_uri": df[URI_COL].str.strip().to_numpy()}
    )
    keys = {t: split_key(t) for t in dict.fromkeys(out["title"])}
    out["key"] = out["title"].map(keys)
    halves = {
        k: HALVES[hashlib.sha256(k.encode("utf-8")).digest()[0] & 1] for k in dict.fromkeys(keys.values())
    }
    out["half"] = out["key"].map(halves)
    if half is not None:
        out = out[out["half"] == half]
    return out.reset_index(drop=True)


def gate_sample(report: pd.DataFrame, n: int = GATE_SIZE) -> pd.DataFrame:
    """The CI quality gate's fixed sample of a half: the ``n`` titles first by sha256("gate|" + key)."""
    order = report["key"].map(lambda k: hashlib.sha256(("gate|" + k).encode()).hexdigest())
    return (
        report.assign(_o=order).sort_values(["_o", "title"]).head(n).drop(columns="_o").reset_index(drop=True)
    )

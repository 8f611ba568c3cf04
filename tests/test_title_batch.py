"""Cleaning and language detection of a chunk at once (over processes when large) gives exactly what
cleaning and detecting each row by itself gives."""

from __future__ import annotations

import pandas as pd

from jobmarket.text import batch
from jobmarket.text.clean import clean_title
from tests.conftest import EURES, need_shared


def _rows() -> list[tuple]:
    need_shared(EURES)
    df = pd.read_csv(EURES, dtype=str, keep_default_na=False).head(600)
    cols = zip(df["job_title"], df["country_code"], df["full_description"], strict=True)
    rows = [(t, c, None, d[:300]) for t, c, d in cols]
    # The same raw title in another country, and rows whose language is given: both paths at once.
    again = [(t, "IE", None, None) for t, *_ in rows[:50]]
    return rows + again + [(t, c, "de", d) for t, c, _, d in rows[:20]]


def _one_by_one(rows, lang=None):
    out = []
    for raw, country, given, desc in rows:
        c = clean_title(raw)
        out.append((c, lang or given or batch.detect_title_language(c.title, desc, country)))
    return out


def test_batch_equals_one_by_one_in_process(monkeypatch):
    monkeypatch.setattr(batch, "PARALLEL_MIN", 10**9)
    rows = _rows()
    assert batch.clean_and_detect(rows) == _one_by_one(rows)
    assert batch.clean_and_detect(rows, "pl") == _one_by_one(rows, "pl")


def test_batch_equals_one_by_one_over_processes(monkeypatch):
    monkeypatch.setattr(batch, "PARALLEL_MIN", 10)
    monkeypatch.setattr(batch, "_BLOCK", 97)  # several blocks, the last one short
    monkeypatch.setenv("JOBMARKET_CLEAN_WORKERS", "2")
    rows = _rows()
    got = batch.clean_and_detect(rows)
    assert batch._pool is not None  # the pool really ran
    assert got == _one_by_one(rows)
    langs = {lang for _, lang in got}
    assert len(langs - {None}) >= 3  # real detections, not all None

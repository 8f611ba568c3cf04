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


def test_candidate_languages_renormalise_the_full_ranking():
    """detect_language scores only the candidates' columns; that must pick what renormalising the full
    97-language ranking over the candidates picks (the definition), on real titles and descriptions."""
    from jobmarket.text.countries import country_languages
    from jobmarket.text.language import MIN_CONFIDENCE, _identifier, detect_language

    full = _identifier()
    checked = 0
    for raw, country, _, desc in _rows()[:400]:
        text = f"{clean_title(raw).title}. {desc or ''}"
        own = (*country_languages(country), "en")  # what normalize asks for
        for cands in (own, ("de", "en"), ("fr", "nl", "de", "en")):
            ranked = [(lang, p) for lang, p in full.rank(text) if lang in cands]
            total = sum(p for _, p in ranked)
            if total < 1e-6:
                continue  # every candidate underflowed in the full softmax: nothing to compare
            lang, p = max(ranked, key=lambda x: x[1])
            want = lang if p / total >= MIN_CONFIDENCE + 1e-4 else None
            if abs(p / total - MIN_CONFIDENCE) > 1e-4:
                assert detect_language(text, cands) == want, (text[:80], cands)
                checked += 1
    assert checked > 400

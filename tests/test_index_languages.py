"""Which label languages a run indexes: English plus languages with a real share of the unique titles."""

from __future__ import annotations

import json

import pytest

from jobmarket.errors import JobmarketError
from jobmarket.market import Market
from jobmarket.matching.languages import choose_index_languages
from tests.conftest import SUBSET_LABELS
from tests.test_normalize import write_postings

AVAILABLE = ["bg", "de", "en", "es", "fr", "nl", "ro"]


def test_stray_detections_are_not_indexed():
    """An English file whose detector names five languages a handful of times indexes English only."""
    counts = {"en": 15_000, "da": 4, "de": 9, "fr": 3, "nl": 2, "ro": 1}
    choice = choose_index_languages(counts, AVAILABLE)
    assert choice.languages == ["en"]
    assert choice.left_out == {"de": 9, "fr": 3, "nl": 2, "ro": 1}
    assert choice.no_labels == {"da": 4}  # no Danish labels loaded: cross-lingual anyway
    assert "cross-lingually" in choice.summary() and "de (9 titles)" in choice.summary()


def test_languages_with_a_share_are_indexed():
    counts = {"de": 600, "bg": 300, "fr": 20, "es": 9, None: 40}  # fr: 2% and 20 titles; es: under 10
    choice = choose_index_languages(counts, AVAILABLE)
    assert choice.languages == ["bg", "de", "en", "fr"]  # English always: the cross-lingual pivot
    assert choice.left_out == {"es": 9}
    # A share under 1% is left out however many titles that is.
    big = choose_index_languages({"de": 99_000, "fr": 900}, AVAILABLE)
    assert big.languages == ["de", "en"]


def test_small_files_keep_their_languages():
    """Four German titles of six are German, not a misreading, though under ``MIN_TITLES``."""
    assert choose_index_languages({"de": 4, "en": 2}, AVAILABLE).languages == ["de", "en"]
    assert choose_index_languages({"en": 24, "de": 1}, AVAILABLE).languages == ["en"]  # 4%, 1 title


def test_given_languages_win_and_unknown_ones_fail():
    assert choose_index_languages({"de": 10_000}, AVAILABLE, ["es"]).languages == ["es"]
    with pytest.raises(JobmarketError, match="no ESCO occupation labels loaded for xx"):
        choose_index_languages({}, AVAILABLE, ["en", "xx"])


def test_no_english_no_share_falls_back_to_all_loaded():
    choice = choose_index_languages({"zz": 5}, ["de", "es"])
    assert choice.languages == ["de", "es"]


def test_run_records_the_choice(tmp_path, esco_subset, tiny_model):
    """The run's params say which languages were indexed and which went cross-lingual."""
    titles = SUBSET_LABELS + [f"{t} assistant" for t in SUBSET_LABELS]  # 40 unique English titles
    titles += ["Softwareentwickler"]  # one German title among 41 unique: 2%, matched cross-lingually
    src = write_postings(tmp_path / "p.csv", titles, ["IE"] * (len(titles) - 1) + ["DE"])
    with Market.open(tmp_path / "m.duckdb", model=str(tiny_model), esco=[esco_subset]) as m:
        rep = m.normalize(src, lang=None).report
        params = json.loads(m.sql("SELECT params FROM runs WHERE run_id = ?", [rep.run_id])["params"][0])
    assert rep.index_langs == ["en"]
    assert params["index_langs"] == ["en"]
    choice = params["index_lang_choice"]
    assert choice["languages"] == ["en"] and choice["titles"].get("en", 0) >= 6
    assert params["precision"] in ("fp32", "bf16")

"""Stage 2: near-exact strings (rapidfuzz ``ratio`` over the labels of the title's language and English)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from jobmarket.matching._base import StageHit
from jobmarket.matching.label_index import LabelIndex

_BLOCK = 2000  # titles per cdist call: bounds memory at block × labels bytes


def length_window(length: int, cutoff: float) -> tuple[int, int]:
    """The label lengths that can reach ``cutoff`` against a title of ``length`` characters.

    ``ratio`` is 100 · (1 − indel / (a + b)) and the indel distance is at least |a − b|, so a label much
    shorter or longer than the title cannot score ``cutoff``: comparing only labels of these lengths gives
    the same hits as comparing all of them, at a fraction of the pairs (a tenth at cutoff 95).
    """
    e = 1.0 - cutoff / 100.0
    if e <= 0:
        return length, length
    return math.floor(length * (1 - e) / (1 + e)), math.ceil(length * (1 + e) / (1 - e))


class FuzzyStage:
    method = "fuzzy"

    def __init__(self, index: LabelIndex, cutoff: float = 95.0) -> None:
        self.index = index
        self.cutoff = cutoff
        self._by_length: dict[str | None, tuple[np.ndarray, np.ndarray]] = {}  # per title language

    def find(self, keys: Sequence[str], langs: Sequence[str | None]) -> dict[int, StageHit]:
        """The best ratio ≥ cutoff per title; titles that match exactly are not looked at."""
        index = self.index
        groups: dict[str | None, list[int]] = {}
        for i, (key, lang) in enumerate(zip(keys, langs, strict=True)):
            if key and key not in index.exact:
                groups.setdefault(lang if lang in index.by_lang else None, []).append(i)
        hits: dict[int, StageHit] = {}
        for lang, rows in groups.items():
            label_rows, lengths = self._labels_by_length(lang)
            by_length: dict[int, list[int]] = {}
            for i in rows:
                by_length.setdefault(len(keys[i]), []).append(i)
            for length, same in by_length.items():
                lo, hi = length_window(length, self.cutoff)
                a, b = np.searchsorted(lengths, lo, "left"), np.searchsorted(lengths, hi, "right")
                if a < b:
                    self._compare(keys, same, label_rows[a:b], hits)
        return hits

    def _labels_by_length(self, lang: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The label rows a title of ``lang`` is compared with (its language and English; all for None),
        sorted by key length, with those lengths; once per language, not once per chunk of titles."""
        if lang not in self._by_length:
            index = self.index
            if lang is None:
                label_rows = np.arange(len(index.keys))
            else:
                parts = [index.by_lang[lang]] + (
                    [index.by_lang["en"]] if lang != "en" and "en" in index.by_lang else []
                )
                label_rows = np.concatenate(parts)
            lengths = np.array([len(index.keys[j]) for j in label_rows])
            order = np.argsort(lengths, kind="stable")
            self._by_length[lang] = label_rows[order], lengths[order]
        return self._by_length[lang]

    def _compare(self, keys: Sequence[str], rows: list[int], label_rows: np.ndarray, hits: dict) -> None:
        index = self.index
        choices = [index.keys[j] for j in label_rows]
        for start in range(0, len(rows), _BLOCK):
            block = rows[start : start + _BLOCK]
            scores = cdist(
                [keys[i] for i in block],
                choices,
                scorer=fuzz.ratio,
                score_cutoff=self.cutoff,
                dtype=np.uint8,
                workers=-1,
            )
            best = scores.argmax(axis=1)
            for r, i in enumerate(block):
                s = int(scores[r, best[r]])
                if s >= self.cutoff:
                    top = np.flatnonzero(scores[r] == s)
                    hits[i] = StageHit(frozenset(index.uris[label_rows[j]] for j in top), s / 100.0)

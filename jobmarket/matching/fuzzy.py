"""Stage 2: near-exact strings (rapidfuzz ``ratio`` over the labels of the title's language and English)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from jobmarket.matching._base import StageHit
from jobmarket.matching.label_index import LabelIndex

_BLOCK = 2000  # titles per cdist call: bounds memory at block × labels bytes


class FuzzyStage:
    method = "fuzzy"

    def __init__(self, index: LabelIndex, cutoff: float = 95.0) -> None:
        self.index = index
        self.cutoff = cutoff

    def find(self, keys: Sequence[str], langs: Sequence[str | None]) -> dict[int, StageHit]:
        """The best ratio ≥ cutoff per title; titles that match exactly are not looked at."""
        index = self.index
        groups: dict[str | None, list[int]] = {}
        for i, (key, lang) in enumerate(zip(keys, langs, strict=True)):
            if key and key not in index.exact:
                groups.setdefault(lang if lang in index.by_lang else None, []).append(i)
        hits: dict[int, StageHit] = {}
        for lang, rows in groups.items():
            if lang is None:
                label_rows = np.arange(len(index.keys))
            else:
                parts = [index.by_lang[lang]] + (
                    [index.by_lang["en"]] if lang != "en" and "en" in index.by_lang else []
                )
                label_rows = np.concatenate(parts)
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
        return hits

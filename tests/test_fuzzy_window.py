"""The fuzzy stage compares each title only with labels of a length that can reach the cutoff; its hits
must be exactly those of comparing every label (real ESCO labels, real vacancy titles, typos added)."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from jobmarket.matching.fuzzy import FuzzyStage, length_window
from jobmarket.matching.label_index import LabelIndex
from jobmarket.text.keys import normalize_label
from tests.conftest import ESCO_EN_ZIP, SHARED, need_shared

TITLES = SHARED / "jobbert_eval" / "titles.csv"


def brute_force(index: LabelIndex, keys: list[str], cutoff: float) -> dict[int, tuple[frozenset, float]]:
    scores = cdist(keys, index.keys, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8)
    out = {}
    for i, key in enumerate(keys):
        if not key or key in index.exact:
            continue
        s = int(scores[i].max())
        if s >= cutoff:
            out[i] = (frozenset(index.uris[j] for j in np.flatnonzero(scores[i] == s)), s / 100.0)
    return out


@pytest.mark.parametrize("cutoff", [95.0, 90.0, 80.0])
def test_windowed_fuzzy_equals_all_pairs(cutoff):
    need_shared(ESCO_EN_ZIP, TITLES)
    with zipfile.ZipFile(ESCO_EN_ZIP) as z:
        occ = pd.read_csv(z.open("occupations_en.csv"), dtype=str, keep_default_na=False)
    rows = [(u, "en", t, "alt") for u, alts in zip(occ.conceptUri, occ.altLabels, strict=True)
            for t in alts.split("\n") if t]
    rows += [(u, "en", t, "preferred") for u, t in zip(occ.conceptUri, occ.preferredLabel, strict=True)]
    index = LabelIndex.from_rows(sorted(rows))
    titles = pd.read_csv(TITLES, dtype=str, keep_default_na=False).vacancyTitle.head(1500).tolist()
    rng = np.random.default_rng(0)
    # Labels with one character changed or dropped: near-exact strings the stage exists for.
    labels = [index.texts[j] for j in rng.choice(len(index.texts), 500, replace=False)]
    typos = [t[:k] + t[k + 1:] if rng.random() < 0.5 else t[:k] + "x" + t[k + 1:]
             for t in labels for k in [int(rng.integers(len(t)))]]
    keys = [normalize_label(t) for t in titles + typos + labels]
    got = FuzzyStage(index, cutoff).find(keys, ["en"] * len(keys))
    want = brute_force(index, keys, cutoff)
    assert len(want) > 300  # the typos find their labels
    assert {i: (h.uris, h.score) for i, h in got.items()} == want


def test_length_window_is_the_ratio_bound():
    for cutoff in (80.0, 90.0, 95.0, 100.0):
        for n in range(1, 120):
            lo, hi = length_window(n, cutoff)
            # Every length that a full overlap (the shorter inside the longer) lifts to the cutoff is inside.
            reachable = [m for m in range(1, 300) if 200 * min(n, m) / (n + m) >= cutoff]
            assert lo <= min(reachable) and max(reachable) <= hi
            if cutoff >= 95:  # the default: a narrow window
                assert hi - lo <= 0.25 * n + 2

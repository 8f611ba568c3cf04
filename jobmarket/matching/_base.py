"""What every matching stage and engine shares: the config, a title's :class:`Match`, the stage interface
and the Arrow schema of matched unique titles (``_match_rows``) that every engine writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa


@dataclass
class MatchConfig:
    top_k: int = 5
    threshold: float | None = None  # None: the model's calibrated threshold
    fuzzy_cutoff: float = 95.0  # rapidfuzz ratio (0-100) for a near-exact match
    fuzzy_agree_k: int = 3  # a fuzzy match must be among the embedding's top k occupations
    # Abstention: with ``threshold`` (a similarity) given, below it; else below the confidence that meets
    # ``target_precision`` on the calibration's held-out data; else below ``min_confidence``: the match is
    # then right less than one time in ten (where the old similarity threshold was put, for the same reason).
    target_precision: float | None = None
    min_confidence: float = 0.1
    use_exact: bool = True
    use_fuzzy: bool = True
    chunk_size: int = 256  # titles per similarity block; bounds memory at chunk × labels floats
    # An occupation's score is a soft maximum over its labels (T·log Σ exp(cos/T)): one label decides, but
    # an occupation whose several labels all fit edges out one with a single lucky label. Preferred labels
    # get a small bonus: they name the occupation itself, alternatives often a narrower or wider job.
    # None: the model's own, fitted on the tune half of the JobBERT titles (matcher_defaults.json in its
    # folder, `jobmarket model fit-defaults`), else 0.01 and 0.01 (jobmarket.matching.defaults).
    temperature: float | None = None  # 0: plain maximum
    preferred_bonus: float | None = None


@dataclass
class Match:
    """One title's outcome. ``score`` is the embedding's similarity of the chosen occupation (the same
    number as ``similarity``); ``method_score`` is the deciding method's own score (1 for an exact label,
    the fuzzy ratio, the coded titles' vote share); ``confidence`` the calibrated probability of being
    right. ``candidates`` are (occupation, similarity), best first, with ``candidate_confidence`` beside."""

    occupation_uri: str | None
    score: float | None
    margin: float | None
    method: str | None
    status: str  # matched | abstained
    reason: str | None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    method_score: float | None = None
    confidence: float | None = None
    candidate_confidence: list[float] = field(default_factory=list)

    @property
    def similarity(self) -> float | None:
        return self.score


@dataclass(frozen=True)
class StageHit:
    """A string stage's verdict on one title: the occupations it points at and its own score (0-1)."""

    uris: frozenset[str]
    score: float


class StringStage(Protocol):
    """A stage that may fix a title's occupation from its text alone (exact label, near-exact string)."""

    method: str

    def find(self, keys: Sequence[str], langs: Sequence[str | None]) -> dict[int, StageHit]:
        """Hits by position in ``keys`` (normalised lookup keys); titles without a hit are left out."""
        ...


MATCH_ROWS_SCHEMA = pa.schema([
    ("title_id", pa.string()),
    ("title_clean", pa.string()),
    ("language", pa.string()),
    ("occupation_uri", pa.string()),
    ("score", pa.float64()),
    ("margin", pa.float64()),
    ("method", pa.string()),
    ("status", pa.string()),
    ("reason", pa.string()),
    ("cand_uris", pa.list_(pa.string())),
    ("cand_scores", pa.list_(pa.float64())),
    ("embedding", pa.list_(pa.float32())),
    ("similarity", pa.float64()),
    ("method_score", pa.float64()),
    ("confidence", pa.float64()),
    ("cand_confidences", pa.list_(pa.float64())),
])


def match_rows(
    ids: Sequence[str],
    texts: Sequence[str],
    langs: Sequence[str | None],
    vectors: np.ndarray,
    matches: Sequence[Match],
) -> pa.Table:
    """One chunk of matched unique titles in :data:`MATCH_ROWS_SCHEMA` (every engine writes this)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0

    def lists(values: list[list], typ: pa.DataType) -> pa.Array:
        offsets = np.cumsum([0] + [len(v) for v in values], dtype=np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array([x for v in values for x in v], typ))

    return pa.table(
        {
            "title_id": pa.array(list(ids), pa.string()),
            "title_clean": pa.array(list(texts), pa.string()),
            "language": pa.array(list(langs), pa.string()),
            "occupation_uri": pa.array([m.occupation_uri for m in matches], pa.string()),
            "score": pa.array([m.score for m in matches], pa.float64()),
            "margin": pa.array([m.margin for m in matches], pa.float64()),
            "method": pa.array([m.method for m in matches], pa.string()),
            "status": pa.array([m.status for m in matches], pa.string()),
            "reason": pa.array([m.reason for m in matches], pa.string()),
            "cand_uris": lists([[u for u, _ in m.candidates] for m in matches], pa.string()),
            "cand_scores": lists([[float(s) for _, s in m.candidates] for m in matches], pa.float64()),
            "embedding": pa.ListArray.from_arrays(
                pa.array(np.arange(0, len(vectors) * dim + 1, dim or 1, dtype=np.int32)[: len(vectors) + 1]),
                pa.array(vectors.ravel()),
            ),
            "similarity": pa.array([m.score for m in matches], pa.float64()),
            "method_score": pa.array([m.method_score for m in matches], pa.float64()),
            "confidence": pa.array([m.confidence for m in matches], pa.float64()),
            "cand_confidences": lists([_confidences(m) for m in matches], pa.float64()),
        },
        schema=MATCH_ROWS_SCHEMA,
    )


def _confidences(m: Match) -> list[float | None]:
    """One confidence per candidate (None where the matcher gave none)."""
    given = [float(c) for c in m.candidate_confidence]
    return given[: len(m.candidates)] + [None] * (len(m.candidates) - len(given))

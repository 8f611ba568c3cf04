"""The model's ranking of skills for job titles: JobBERT-V3's title (``anchor``) -> skills (``positive``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rank_skills_for_titles(encoder, titles: Sequence[str], skill_uris: Sequence[str],
                           skill_texts: Sequence[str], top_n: int = 50,
                           skill_vectors: np.ndarray | None = None) -> list[list[tuple[str, float]]]:
    """JobBERT-V3's title -> skills use: cosine of each title (``anchor``) with each skill (``positive``)."""
    if not len(titles):
        return []
    vectors = skill_vectors if skill_vectors is not None else encoder.encode_skills(list(skill_texts))
    sims = encoder.encode_titles(list(titles)) @ vectors.T
    k = min(top_n, sims.shape[1])
    out = []
    for row in sims:
        top = np.argpartition(-row, k - 1)[:k]
        top = top[np.argsort(-row[top], kind="stable")]
        out.append([(skill_uris[j], round(float(row[j]), 4)) for j in top])
    return out

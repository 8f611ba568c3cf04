"""The signals of one title's candidate occupations, as features of a learned combination.

Candidates are the union of the ESCO-label scores' top occupations, the occupations of the title's
nearest coded titles (by embedding and by spelling), and the exact/fuzzy label hits. Each (title,
candidate) pair is described by its label score (and its rank and gap to the best), the nearest coded
titles' votes for it (similarity-weighted, softmax-weighted, counted), how close its nearest coded title
is, the votes of the coded titles nearest in spelling (character n-grams), and the string stages' flags.
The weights that combine them are fitted by :mod:`jobmarket.coding.fit` (cross-validated on the coding
index); here only the features are computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jobmarket.matching._base import StageHit
from jobmarket.matching.coded import CodedIndex

RERANK_FEATURES = (
    "label",
    "label_gap",
    "label_rank",
    "vote",
    "vote_soft",
    "vote_count",
    "nn_sim",
    "nn_gap",
    "nn_rank",
    "has_vote",
    "top_nn",
    "label_max",
    "esco_exact",
    "fuzzy",
    "lex_vote",
    "lex_sim",
    "lex_top",
)
ZERO_SHOT_FEATURES = ("similarity", "margin")


@dataclass(frozen=True)
class CombineParams:
    """The shape of the candidate set and votes; ``k`` and ``tau`` are chosen by cross-validation."""

    k: int = 10  # nearest coded titles that vote
    tau: float = 0.03  # temperature of the softmax-weighted vote
    n_label: int = 10  # label-score top occupations that are candidates
    lex_k: int = 10  # nearest coded titles by spelling (character n-grams) that vote


@dataclass
class Candidates:
    """One title's candidates: occupation URIs, their label scores and the feature matrix."""

    uris: list[str]
    label: np.ndarray
    features: np.ndarray
    votes: np.ndarray  # similarity-weighted vote share of each candidate


def title_candidates(
    occ: np.ndarray,
    occupations: list[str],
    position: dict[str, int],
    nb_idx: np.ndarray | None,
    nb_sims: np.ndarray | None,
    coded: CodedIndex | None,
    exact_hit: StageHit | None,
    fuzzy_hit: StageHit | None,
    params: CombineParams,
    lex_idx: np.ndarray | None = None,
    lex_sims: np.ndarray | None = None,
) -> Candidates:
    """The candidates and :data:`RERANK_FEATURES` of one title (``occ``: its score per occupation;
    ``nb_idx``/``nb_sims``: its nearest coded entries, best first; ``lex_idx``/``lex_sims``: its nearest
    coded entries by spelling)."""
    n_label = min(params.n_label, len(occ))
    top = np.argpartition(-occ, n_label - 1)[:n_label]
    top = top[np.argsort(-occ[top], kind="stable")]
    uris = [occupations[j] for j in top]
    seen = set(uris)
    vote_lin: dict[str, float] = {}
    vote_soft: dict[str, float] = {}
    vote_cnt: dict[str, float] = {}
    nn_sim: dict[str, float] = {}
    nn_rank: dict[str, int] = {}
    top_nn = 0.0
    if coded is not None and nb_idx is not None and len(nb_idx):
        idx, sims = nb_idx[: params.k], nb_sims[: params.k]
        top_nn = float(sims[0])
        soft = np.exp((sims - sims[0]) / params.tau)
        lin_total, soft_total = float(sims.clip(min=1e-6).sum()), float(soft.sum())
        for r, (j, s) in enumerate(zip(idx, sims, strict=True)):
            counts = coded.counts[j]
            total = sum(counts.values())
            for uri, n in counts.items():
                frac = n / total
                vote_lin[uri] = vote_lin.get(uri, 0.0) + frac * max(float(s), 1e-6) / lin_total
                vote_soft[uri] = vote_soft.get(uri, 0.0) + frac * float(soft[r]) / soft_total
                vote_cnt[uri] = vote_cnt.get(uri, 0.0) + frac / len(idx)
                if uri not in nn_sim:
                    nn_sim[uri], nn_rank[uri] = float(s), r
                if uri not in seen:
                    seen.add(uri)
                    uris.append(uri)
    lex_vote: dict[str, float] = {}
    lex_sim: dict[str, float] = {}
    lex_top = 0.0
    if coded is not None and lex_idx is not None and len(lex_idx):
        idx, sims = lex_idx[: params.lex_k], lex_sims[: params.lex_k]
        lex_top = float(sims[0])
        total_sim = float(sims.clip(min=1e-6).sum())
        for j, s in zip(idx, sims, strict=True):
            if s <= 0:  # no n-gram in common: not a neighbour
                continue
            counts = coded.counts[j]
            total = sum(counts.values())
            for uri, n in counts.items():
                lex_vote[uri] = lex_vote.get(uri, 0.0) + n / total * float(s) / total_sim
                lex_sim.setdefault(uri, float(s))
                if uri not in seen:
                    seen.add(uri)
                    uris.append(uri)
    exact = exact_hit.uris if exact_hit is not None else frozenset()
    fuzzy = fuzzy_hit.uris if fuzzy_hit is not None else frozenset()
    for uri in sorted((exact | fuzzy) - seen):
        seen.add(uri)
        uris.append(uri)
    floor = float(occ.min())
    label = np.array([occ[position[u]] if u in position else floor for u in uris], dtype=np.float64)
    label_max = float(occ.max())
    rank = (occ[None, :] > label[:, None]).sum(axis=1)
    k = max(params.k, 1)
    feats = np.empty((len(uris), len(RERANK_FEATURES)), dtype=np.float64)
    for i, uri in enumerate(uris):
        has = uri in nn_sim
        feats[i] = (
            label[i],
            label[i] - label_max,
            np.log1p(rank[i]),
            vote_lin.get(uri, 0.0),
            vote_soft.get(uri, 0.0),
            vote_cnt.get(uri, 0.0),
            nn_sim.get(uri, 0.0),
            (nn_sim[uri] - top_nn) if has else -1.0,
            np.log1p(nn_rank[uri]) if has else np.log1p(k),
            float(has),
            top_nn,
            label_max,
            float(uri in exact),
            (fuzzy_hit.score if uri in fuzzy else 0.0),
            lex_vote.get(uri, 0.0),
            lex_sim.get(uri, 0.0),
            lex_top,
        )
    votes = np.array([vote_lin.get(u, 0.0) for u in uris])
    return Candidates(uris, label, feats, votes)


def zero_shot_features(similarity: float, margin: float) -> np.ndarray:
    """:data:`ZERO_SHOT_FEATURES` of a decision made without coded titles."""
    return np.array([[similarity, margin]], dtype=np.float64)

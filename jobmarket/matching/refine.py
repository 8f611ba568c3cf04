"""Near ties re-scored in fp32 when titles and labels were embedded in bf16 or fp16.

bf16 vectors are at cosine >= 0.9999 to fp32 yet move an occupation's score by up to a few thousandths;
where a title's best occupations are closer than that, bf16 alone would pick another top-1 than fp32
does on a few percent of titles. Only those titles are re-scored: their fp32 vector and the fp32 vectors
of the labels that decide their near occupations' scores are encoded (cached with the encoder's other
vectors, under the fp32 key), the rest keeps the low-precision scores. The fp32 top-1 lies among the near
occupations whenever each score moves by less than half of ``delta``; most scores move far less than the
largest move, so ``delta`` is set from the top-1s bf16 actually changed, not from that maximum.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jobmarket.matching.embedding import EmbeddingScorer
from jobmarket.matching.label_index import LabelIndex

__all__ = ["DELTA", "NearTieRefiner", "RefineStats"]

# Occupations within DELTA of a title's best score are re-scored. On the tune half of the JobBERT titles
# (7,724 titles, English labels, offline model) bf16 moved occupation scores by up to 0.0017, but every
# top-1 it changed had its fp32 winner within 0.0005 of the bf16 best. Top-1 agreement with fp32 (MAX_LABELS
# 4) at DELTA 0.002 / 0.0005 / 0.0003 / 0.0001: 99.96% / 99.96% / 99.92% / 99.65%, refining 1,484 / 464 /
# 302 / 122 titles; 0.0005 keeps 0.002's agreement for a third of its fp32 encodes (2,274 against 6,467).
# On the report half, held out from this choice: 99.96% at 0.002 and 99.92% at 0.0005 (bf16 alone 99.46%).
# Both grids: benchmarks/results/refine_delta_tune.md and refine_delta_report.md.
DELTA = 0.0005
# Within a near occupation only its best labels are re-encoded: those within WINDOW of its best label
# (further ones weigh at most exp(-WINDOW / T) = 0.14 in its soft maximum at T = 0.01), at most MAX_LABELS
# of them; the fp32 title is scored against the occupation's other labels as they are. The fp32 encoding
# of labels is the refinement's cost. On the tune half at DELTA 0.0005 (464 titles refined), top-1
# agreement with fp32 for MAX_LABELS 0 / 1 / 2 / 4: 99.57% / 99.75% / 99.84% / 99.96%, re-encoding
# 0 / 708 / 1,204 / 1,810 labels (bf16 alone: 99.35%). 4 keeps a margin over the 99.5% bar.
WINDOW = 0.02
MAX_LABELS: int | None = 4


@dataclass
class RefineStats:
    """What the refinement cost: titles and label texts encoded again in fp32."""

    titles: int = 0
    refined: int = 0  # titles with near ties, re-scored
    labels: int = 0  # distinct label texts encoded in fp32


class NearTieRefiner:
    """Re-scores each title's near-tied occupations from fp32 vectors of the title and of the deciding labels.

    ``encoder`` is the low-precision one; an fp32 view of it (the same model and cache) encodes
    what is re-scored. ``scorer`` is the matcher's :class:`EmbeddingScorer` over ``index``.
    """

    def __init__(self, index: LabelIndex, scorer: EmbeddingScorer, encoder, *, delta: float = DELTA,
                 window: float = WINDOW, max_labels: int | None = MAX_LABELS) -> None:
        self.index = index
        self.scorer = scorer
        self.delta = delta
        self.window = window
        self.max_labels = max_labels
        self.fp32 = copy.copy(encoder)
        self.fp32.precision = "fp32"
        # It shares the encoder's cache (keyed by precision, so fp32 and bf16 vectors never mix): a re-run of
        # the same file encodes nothing again. One lookup a block of titles: labels and titles go in one call.
        self.stats = RefineStats()
        self._encoded: set[int] = set()  # label columns re-encoded so far (vectors in self.fp32's cache)
        starts = scorer._starts
        self._ends = np.append(starts[1:], len(index.embedded_rows))

    def near(self, occ: np.ndarray, anchors: Sequence[Sequence[int]] | None = None) -> np.ndarray:
        """(titles × occupations) mask of the near ties; a title with more than one is re-scored.

        A near tie is an occupation within ``delta`` of the title's best score or, with ``anchors[i]``
        (occupation columns whose comparisons also decide: the string stages' hits, the rank a hit must
        reach), within ``delta`` of one of those columns' scores.
        """
        self.stats.titles += len(occ)
        best = occ.max(axis=1, keepdims=True)
        near = occ >= best - self.delta
        for r, cols in enumerate(anchors or ()):
            for c in cols:
                close = np.abs(occ[r] - occ[r, c]) <= self.delta
                if close.sum() > 1:  # another occupation within delta of it: that comparison is close
                    near[r] |= close
        return near

    def rescore(self, titles: Sequence[str], vectors: np.ndarray, occ: np.ndarray,
                near: np.ndarray) -> np.ndarray:
        """``occ`` with the scores of the ``near`` occupations of each title that has several of them
        recomputed from fp32 vectors (one encode call for all), in place."""
        rows = np.flatnonzero(near.sum(axis=1) > 1)
        if not rows.size:
            return occ
        sc = self.scorer
        label_t = sc._label_matrix_t
        # Per refined title: its near occupations and, in each, the label columns worth fp32.
        plan: list[tuple[int, list[tuple[int, np.ndarray]]]] = []
        needed: dict[int, None] = {}
        for r in rows:
            parts = []
            for o in np.flatnonzero(near[r]):
                cols = np.arange(sc._starts[o], self._ends[o])
                low = vectors[r] @ label_t[:, cols] + sc._bonus[cols]
                keep = np.flatnonzero(low >= low.max() - self.window)
                if self.max_labels is not None and len(keep) > self.max_labels:
                    keep = keep[np.argsort(-low[keep], kind="stable")[: self.max_labels]]
                parts.append((int(o), cols))
                needed.update(dict.fromkeys(cols[keep].tolist()))
            plan.append((int(r), parts))
        cols = list(needed)
        texts = [self.index.texts[self.index.embedded_rows[c]] for c in cols]
        # One call for labels and titles (both go through the titles route): one length-sorted pass.
        vecs = self.fp32.encode_titles(texts + [titles[r] for r in rows])
        label32 = dict(zip(cols, vecs[: len(cols)], strict=True))
        title32 = vecs[len(cols):]
        t = sc.temperature
        for (r, parts), q in zip(plan, title32, strict=True):
            for o, ocols in parts:
                # The fp32 title against every label of the occupation; the deciding labels in fp32 too.
                sims = q @ label_t[:, ocols] + sc._bonus[ocols]
                for j, c in enumerate(ocols.tolist()):
                    vec = label32.get(c)
                    if vec is not None:
                        sims[j] = float(q @ vec) + sc._bonus[c]
                top = sims.max()
                occ[r, o] = top if t <= 0 else top + t * np.log(np.exp((sims - top) / t).sum())
        self.stats.refined += len(rows)
        self._encoded.update(cols)
        self.stats.labels = len(self._encoded)
        return occ

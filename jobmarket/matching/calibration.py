"""A fitted calibration as the matcher applies it: the learned combination of signals, the map from its
score to a probability of being right, and the precision–coverage curve that turns a target precision
into an abstention threshold. Fitting is :mod:`jobmarket.coding.fit` (scikit-learn); applying needs numpy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from jobmarket.matching.combine import CombineParams

KINDS = ("coded-kfold", "esco-labels")


@dataclass
class Linear:
    """A linear model on standardised features, z = ((x − mean) / scale) · coef + intercept.

    ``pointwise``: a logistic regression, P = σ(z) per row. ``softmax``: a conditional logit over the rows
    of one call (one title's candidates), P = softmax(z): the share of the title's belief on each.
    """

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    kind: str = "pointwise"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        z = ((np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(
            self.coef
        ) + self.intercept
        if self.kind == "softmax":
            e = np.exp(z - z.max())
            return e / e.sum()
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass
class Isotonic:
    """A monotone map from a raw score to the probability of being right (isotonic regression's knots)."""

    x: list[float]
    y: list[float]

    def __call__(self, raw: np.ndarray | float) -> np.ndarray:
        return np.interp(raw, self.x, self.y)


@dataclass
class Calibration:
    """Everything a matcher needs to combine signals and state its confidence, with where it came from.

    ``kind`` ``coded-kfold``: fitted on the store's coded titles (``scorer`` reranks candidates with the
    coding index); ``esco-labels``: fitted on ESCO labels held out per occupation (``scorer`` maps the
    embedding decision's similarity and margin to a score; the ranking stays the label scores').
    ``curve``: (confidence threshold, coverage, precision) on held-out data, best threshold first.
    """

    calibration_id: str
    kind: str
    model_id: str
    index_version: str
    label_langs: list[str]
    scorer: Linear
    isotonic: Isotonic
    curve: list[tuple[float, float, float]]
    n_examples: int
    params: CombineParams = field(default_factory=CombineParams)
    exact_coded: Linear | None = None  # [vote share, log1p rows] of an exact coded-title match → P(right)
    exact_prior: float = 0.9  # when too few repeated coded titles to fit exact_coded
    provenance: dict = field(default_factory=dict)

    def confidence(self, raw: np.ndarray | float) -> np.ndarray:
        return self.isotonic(raw)

    def min_confidence(self, target: float) -> float:
        """The lowest confidence threshold whose held-out precision reaches ``target`` (above 1: none does,
        everything abstains)."""
        ok = [t for t, _, p in self.curve if p >= target]
        return min(ok) if ok else 1.0 + 1e-9

    def coverage_at(self, threshold: float) -> tuple[float, float]:
        """Held-out (coverage, precision) at a confidence threshold."""
        above = [(c, p) for t, c, p in self.curve if t >= threshold]
        return min(above, key=lambda cp: -cp[0]) if above else (0.0, float("nan"))

    # ---------------------------------------------------------------- storage
    def params_json(self) -> str:
        return json.dumps(
            {
                "scorer": asdict(self.scorer),
                "isotonic": asdict(self.isotonic),
                "combine": asdict(self.params),
                "exact_coded": asdict(self.exact_coded) if self.exact_coded else None,
                "exact_prior": self.exact_prior,
            }
        )

    @classmethod
    def from_row(
        cls,
        calibration_id: str,
        kind: str,
        model_id: str,
        index_version: str,
        label_langs: str,
        n_examples: int,
        params: str,
        curve: str,
        provenance: str | None,
    ) -> Calibration:
        p = json.loads(params)
        return cls(
            calibration_id=calibration_id,
            kind=kind,
            model_id=model_id,
            index_version=index_version,
            label_langs=label_langs.split(",") if label_langs else [],
            scorer=Linear(**p["scorer"]),
            isotonic=Isotonic(**p["isotonic"]),
            curve=[tuple(c) for c in json.loads(curve or "[]")],
            n_examples=int(n_examples),
            params=CombineParams(**p["combine"]),
            exact_coded=Linear(**p["exact_coded"]) if p.get("exact_coded") else None,
            exact_prior=float(p.get("exact_prior", 0.9)),
            provenance=json.loads(provenance or "{}"),
        )


def precision_curve(confidence: np.ndarray, correct: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, coverage, precision) at every distinct confidence, highest threshold first."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if not len(confidence):
        return []
    order = np.argsort(-confidence, kind="stable")
    c, y = confidence[order], correct[order]
    hits = np.cumsum(y)
    last = np.r_[np.flatnonzero(np.diff(c) != 0), len(c) - 1]  # the last row of each distinct value
    n = last + 1
    return [
        (round(float(c[i]), 6), round(float(n_i / len(c)), 6), round(float(hits[i] / n_i), 6))
        for i, n_i in zip(last, n, strict=True)
    ]

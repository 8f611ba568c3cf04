"""The embedding stage's settings per model: the soft maximum's temperature and the preferred-label bonus.

Both act on cosines, whose range is the model's own (the offline e5's titles sit at 0.8-0.95 of every
label, a trained 1024-d tanh head spreads them far wider), so one constant cannot suit every model. They
are fitted on the **tune** half of the JobBERT titles (:mod:`jobmarket.evaluation.split`) by
``jobmarket model fit-defaults`` and kept as ``matcher_defaults.json`` in the model's folder; a model
without that file gets the constants below, chosen on the same titles for the offline model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from jobmarket.matching._base import MatchConfig
from jobmarket.matching.embedding import EmbeddingScorer
from jobmarket.matching.label_index import LabelIndex

__all__ = ["FILE", "GRID_BONUS", "GRID_TEMPERATURE", "fit_defaults", "model_defaults", "resolve_config",
           "save_defaults"]

FILE = "matcher_defaults.json"
TEMPERATURE = 0.01  # +2.7 points acc@1 over the plain maximum for the offline model
PREFERRED_BONUS = 0.01
GRID_TEMPERATURE = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
GRID_BONUS = (0.0, 0.005, 0.01, 0.02, 0.04)


def model_defaults(encoder) -> dict | None:
    """The fitted settings saved in the encoder's model folder, or None."""
    path = Path(str(getattr(encoder, "name", ""))) / FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def resolve_config(config: MatchConfig | None, encoder) -> MatchConfig:
    """``config`` with the settings it leaves open (None) filled: the model's fitted ones, else the
    constants. Idempotent, so every entry point may call it."""
    config = config or MatchConfig()
    if config.temperature is not None and config.preferred_bonus is not None:
        return config
    fitted = model_defaults(encoder) or {}
    return replace(
        config,
        temperature=config.temperature if config.temperature is not None
        else float(fitted.get("temperature", TEMPERATURE)),
        preferred_bonus=config.preferred_bonus if config.preferred_bonus is not None
        else float(fitted.get("preferred_bonus", PREFERRED_BONUS)),
    )


def fit_defaults(index: LabelIndex, encoder, titles: Sequence[str], truth: Sequence[str], *,
                 temperatures: Sequence[float] = GRID_TEMPERATURE,
                 bonuses: Sequence[float] = GRID_BONUS) -> dict:
    """The (temperature, bonus) of the grid with the best embedding-stage accuracy@1 of ``titles`` (then
    the best MRR@10, then the smaller settings), with every point's figures."""
    if index.embeddings is None:
        index.embed(encoder)
    vecs = encoder.encode_titles(list(titles))
    points = []
    for t in temperatures:
        for b in bonuses:
            scorer = EmbeddingScorer(index, t, b)
            pos = {u: i for i, u in enumerate(scorer.occupations)}
            gold = np.asarray([pos.get(u, -1) for u in truth])
            ranks = np.concatenate([_ranks(scorer.scores(vecs[s:s + 512]), gold[s:s + 512])
                                    for s in range(0, len(vecs), 512)])
            points.append({"temperature": t, "preferred_bonus": b, "acc@1": float(np.mean(ranks == 1)),
                           "MRR@10": float(np.mean(np.where(ranks <= 10, 1.0 / ranks, 0.0)))})
    best = max(points, key=lambda p: (p["acc@1"], p["MRR@10"], -p["temperature"], -p["preferred_bonus"]))
    return {"temperature": best["temperature"], "preferred_bonus": best["preferred_bonus"],
            "acc@1": best["acc@1"], "MRR@10": best["MRR@10"], "titles": len(titles), "grid": points}


def _ranks(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """1-based rank of each row's gold column (ties count against it); a large rank where it is absent."""
    out = np.full(len(gold), 10**9, dtype=np.int64)
    ok = gold >= 0
    rows = np.flatnonzero(ok)
    g = scores[rows, gold[ok]]
    out[rows] = 1 + (scores[rows] > g[:, None]).sum(axis=1)
    return out


def save_defaults(folder: Path, fitted: dict, **provenance) -> Path:
    """Write ``fitted`` (from :func:`fit_defaults`) and where it came from into the model's folder."""
    path = Path(folder) / FILE
    path.write_text(json.dumps({**fitted, **provenance}, indent=1, sort_keys=True), encoding="utf-8")
    return path

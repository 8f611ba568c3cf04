"""Evaluate the full matcher as normalize runs it (cleaning, exact, fuzzy, embedding, coded titles) on
labelled titles, with or without a coding index: accuracy, ranking, and what a target precision gives.

The store is any DuckDB connection with ESCO loaded (``EvalData.con()`` for ``jobmarket evaluate``); a
coding index is imported into it under the source ``evaluation`` (and removed afterwards), and the
calibration is fitted on it by k-fold as normalize would, never on the titles evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from jobmarket.evaluation.metrics import ir_metrics

TARGETS = (0.8, 0.9)
EVAL_SOURCE = "evaluation"


def evaluate_coding(
    con: duckdb.DuckDBPyConnection,
    encoder,
    titles: pd.DataFrame,
    codes: pd.DataFrame | str | Path | None = None,
    *,
    lang: str = "en",
    targets: Sequence[float] = TARGETS,
    top_k: int = 10,
    config=None,
) -> dict[str, float]:
    """Metrics of the matcher on ``titles`` (columns ``title``, ``occupation_uri``) with ``codes`` (a
    DataFrame of ``title``, ``occupation_uri`` or a coding file) as the coding index (None: zero-shot).
    ``config``: a :class:`MatchConfig` (its ``top_k`` is set to ``top_k``); None: the defaults."""
    from jobmarket.coding.calibrations import load_or_fit
    from jobmarket.coding.importer import add_codes, import_codes, remove_codes
    from jobmarket.matching._base import MatchConfig
    from jobmarket.matching.label_index import LabelIndex
    from jobmarket.matching.matcher import Matcher
    from jobmarket.text.clean import clean_title

    config = replace(config or MatchConfig(), top_k=top_k)
    index = LabelIndex.from_store(con, [lang])
    n_codes = 0
    if codes is not None:
        if isinstance(codes, pd.DataFrame):
            frame = codes[["title", "occupation_uri"]].assign(language=lang)
            rep = add_codes(con, frame, EVAL_SOURCE)
        else:
            rep = import_codes(con, codes, lang=lang, source=EVAL_SOURCE)
        n_codes = rep.n_coded
    try:
        cal, coded = load_or_fit(con, index, encoder, config, save=False, use_codes=codes is not None)
    finally:
        if codes is not None:
            remove_codes(con, EVAL_SOURCE)
    matcher = Matcher(index, encoder, config, cal, coded)
    cleaned = [clean_title(t).title for t in titles["title"]]
    matches = matcher.match(cleaned, [lang] * len(cleaned))
    truth = titles["occupation_uri"].tolist()
    run = {
        str(i): {u: float(top_k - r) for r, (u, _) in enumerate(m.candidates[:top_k])}
        for i, m in enumerate(matches)
    }
    qrels = {str(i): {u: 1} for i, u in enumerate(truth)}
    res = ir_metrics(qrels, run, ("Success@1", "RR@10", "R@5", "R@10"))
    right = np.array(
        [bool(m.candidates) and m.candidates[0][0] == u for m, u in zip(matches, truth, strict=True)]
    )
    conf = np.array([m.confidence for m in matches], dtype=float)
    out = {
        "acc@1": res["Success@1"],
        "MRR@10": res["RR@10"],
        "recall@5": res["R@5"],
        "recall@10": res["R@10"],
        "queries": float(len(truth)),
        "coded_titles": float(n_codes),
    }
    for t in targets:
        threshold = cal.min_confidence(t)
        covered = conf >= threshold
        out[f"coverage@p{t:g}"] = float(covered.mean())
        out[f"precision@p{t:g}"] = float(right[covered].mean()) if covered.any() else float("nan")
        out[f"threshold@p{t:g}"] = float(threshold)
    methods = pd.Series([m.method for m in matches]).value_counts()
    out.update({f"method:{k}": float(v) for k, v in methods.items()})
    out["calibration_examples"] = float(cal.n_examples)
    if cal.kind == "coded-kfold":
        out["chosen_k"] = float(cal.params.k)
        out["chosen_tau"] = float(cal.params.tau)
    return out

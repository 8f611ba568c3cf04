"""Fit the matcher's calibration: how its signals combine and how sure each decision is.

With coded titles (kind ``coded-kfold``) the coding index teaches both. Its entries (unique lookup keys)
are split into folds; each fold's titles are matched against ESCO's labels and against the coded titles
of the other folds only, so no title scores itself (nor a spelling of itself). For every title the
candidates of :mod:`jobmarket.matching.combine` are labelled right or wrong, and a logistic regression
learns the weights of their features; the number of voting neighbours ``k`` and the vote temperature
``tau`` are chosen on a small grid by the folds' accuracy@1. The out-of-fold probability of each title's
chosen candidate is mapped to a calibrated confidence by isotonic regression, and the same out-of-fold
data give the precision–coverage curve that turns a target precision into a threshold. An exact coded
title's reliability is learned apart, by leave-one-out over keys coded more than once.

Without coded titles (kind ``esco-labels``) the shipped recipe holds one label of each occupation out,
matches it against the other labels (the embedding stage, as today), and learns the probability of being
right from the decision's similarity and margin. ESCO's labels are cleaner than real postings' titles, so
this confidence is optimistic on real data; import coded titles to calibrate on your own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import numpy as np

from jobmarket.matching._base import MatchConfig
from jobmarket.matching.calibration import Calibration, Isotonic, Linear, precision_curve
from jobmarket.matching.coded import CodedIndex
from jobmarket.matching.combine import RERANK_FEATURES, ZERO_SHOT_FEATURES, CombineParams, title_candidates
from jobmarket.matching.defaults import resolve_config
from jobmarket.matching.embedding import EmbeddingScorer
from jobmarket.matching.exact import ExactStage
from jobmarket.matching.fuzzy import FuzzyStage
from jobmarket.matching.label_index import LabelIndex

FIT_VERSION = 3  # bump when the recipe changes: stored calibrations of older recipes are refitted
GRID = tuple(CombineParams(k=k, tau=tau) for k in (5, 10, 25) for tau in (0.01, 0.05))
FOLDS = 5
MAX_QUERIES = 20_000  # coded titles that train the combination (all of them still vote)
MAX_LABEL_QUERIES = 3_000  # held-out ESCO labels of the recipe
MIN_EXACT_EXAMPLES = 30
RANKER = "softmax"  # or "pointwise"; chosen on the tune half (docs/coding_index.md)
MIN_CODED_ENTRIES = 50  # fewer distinct coded titles: the ESCO recipe calibrates, coded titles match exactly


def calibration_key(
    kind: str, model_id: str, index_version: str, langs: list[str], config: MatchConfig
) -> str:
    """The identity of a calibration: model, coding index, label languages, the matcher settings it
    depends on and the recipe's version."""
    cfg = {
        k: getattr(config, k)
        for k in ("temperature", "preferred_bonus", "fuzzy_cutoff", "use_exact", "use_fuzzy")
    }
    ident = json.dumps([FIT_VERSION, kind, model_id, index_version, sorted(langs), cfg], sort_keys=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------ coded titles
def fit_coded(
    index: LabelIndex,
    encoder,
    coded: CodedIndex,
    config: MatchConfig,
    model_id: str,
    index_version: str,
    *,
    folds: int = FOLDS,
    seed: int = 0,
    max_queries: int = MAX_QUERIES,
    grid: tuple[CombineParams, ...] | None = None,
) -> Calibration:
    """Learn the combination and the confidence from the coding index by k-fold cross-validation
    (``grid``: the :class:`CombineParams` to choose from, :data:`GRID` by default)."""
    from sklearn.model_selection import KFold

    grid = GRID if grid is None else grid
    if coded.embeddings is None:
        coded.embed(encoder)
    if index.embeddings is None:
        index.embed(encoder)
    n = len(coded)
    folds = max(2, min(folds, n))
    fold_of = np.empty(n, dtype=np.int64)
    for f, (_, test) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(np.arange(n))):
        fold_of[test] = f
    rng = np.random.default_rng(seed)
    queries = np.sort(rng.choice(n, max_queries, replace=False)) if n > max_queries else np.arange(n)
    truth = [coded.majority(i) for i in queries]
    config = resolve_config(config, encoder)
    scorer = EmbeddingScorer(index, config.temperature, config.preferred_bonus)
    exact, fuzzy = _string_hits(
        index, config, [coded.keys[i] for i in queries], [_main_lang(coded, i) for i in queries]
    )
    q_vecs = coded.embeddings[queries]
    occ = np.vstack([scorer.scores(q_vecs[s : s + 256]) for s in range(0, len(queries), 256)])
    nb_idx, nb_sims, lex_idx, lex_sims = _fold_neighbours(
        coded, queries, fold_of, max(p.k for p in grid), max(p.lex_k for p in grid)
    )
    best = None
    for params in grid:
        rows = [
            title_candidates(
                occ[r],
                scorer.occupations,
                scorer.position,
                nb_idx[r],
                nb_sims[r],
                coded,
                exact.get(r),
                fuzzy.get(r),
                params,
                lex_idx[r],
                lex_sims[r],
            )
            for r in range(len(queries))
        ]
        oof = _oof_probabilities(rows, truth, fold_of[queries], folds)
        acc = float(
            np.mean([c.uris[int(np.argmax(p))] == t for c, p, t in zip(rows, oof, truth, strict=True)])
        )
        if best is None or acc > best[0]:
            best = (acc, params, rows, oof)
    acc, params, rows, oof = best
    scorer_lr = _fit_ranker(rows, truth)
    top_p = np.array([float(np.max(p)) for p in oof])
    correct = np.array([c.uris[int(np.argmax(p))] == t for c, p, t in zip(rows, oof, truth, strict=True)])
    iso = _fit_isotonic(top_p, correct)
    exact_lr, prior, n_exact = _fit_exact_coded(coded)
    cal_id = calibration_key("coded-kfold", model_id, index_version, index.languages, config)
    return Calibration(
        calibration_id=cal_id,
        kind="coded-kfold",
        model_id=model_id,
        index_version=index_version,
        label_langs=index.languages,
        scorer=scorer_lr,
        isotonic=iso,
        curve=precision_curve(iso(top_p), correct),
        n_examples=len(queries),
        params=params,
        exact_coded=exact_lr,
        exact_prior=prior,
        provenance={
            "recipe": "coded-kfold",
            "fit_version": FIT_VERSION,
            "folds": folds,
            "seed": seed,
            "entries": n,
            "queries": len(queries),
            "oof_acc@1": round(acc, 4),
            "grid": [asdict(p) for p in grid],
            "chosen": asdict(params),
            "exact_coded_examples": n_exact,
            "features": list(RERANK_FEATURES),
            "ranker": RANKER,
        },
    )


def _main_lang(coded: CodedIndex, i: int) -> str | None:
    langs: dict[str | None, int] = {}
    for (lang, _), n in coded.langs[i].items():
        langs[lang] = langs.get(lang, 0) + n
    return max(langs.items(), key=lambda kv: (kv[1], kv[0] or ""))[0]


def _string_hits(index: LabelIndex, config: MatchConfig, keys: list[str], langs: list[str | None]):
    exact = ExactStage(index).find(keys, langs) if config.use_exact else {}
    fuzzy = FuzzyStage(index, config.fuzzy_cutoff).find(keys, langs) if config.use_fuzzy else {}
    return exact, fuzzy


def _fold_neighbours(coded: CodedIndex, queries: np.ndarray, fold_of: np.ndarray, k: int, lex_k: int):
    """Each query's ``k`` nearest entries by embedding and ``lex_k`` by spelling among the other folds'
    (never its own fold; the spelling vectorizer is fitted on the other folds too)."""
    room = len(coded) - int(np.bincount(fold_of).max())
    k, lex_k = min(k, room), min(lex_k, room)
    nb_idx = np.zeros((len(queries), k), dtype=np.int64)
    nb_sims = np.zeros((len(queries), k), dtype=np.float32)
    lex_idx = np.zeros((len(queries), lex_k), dtype=np.int64)
    lex_sims = np.zeros((len(queries), lex_k), dtype=np.float32)
    emb = coded.embeddings
    for f in np.unique(fold_of[queries]):
        rows = np.flatnonzero(fold_of[queries] == f)
        train = np.flatnonzero(fold_of != f)
        sub = coded.subset(train)
        for s in range(0, len(rows), 512):
            block = rows[s : s + 512]
            idx, sims = sub.neighbours(emb[queries[block]], k)
            nb_idx[block], nb_sims[block] = train[idx], sims
        if lex_k:
            idx, sims = sub.lexical_neighbours([coded.texts[i] for i in queries[rows]], lex_k)
            lex_idx[rows], lex_sims[rows] = train[idx], sims
    return nb_idx, nb_sims, lex_idx, lex_sims


def _stack(rows, truth) -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([c.features for c in rows])
    y = np.concatenate([[u == t for u in c.uris] for c, t in zip(rows, truth, strict=True)]).astype(int)
    return x, y


def _fit_ranker(rows, truth) -> Linear:
    """The combination's weights: a conditional logit over each title's candidates (RANKER "softmax"),
    else a logistic regression over all (title, candidate) pairs."""
    if RANKER == "softmax":
        return _fit_softmax(rows, truth, RERANK_FEATURES)
    return _fit_linear(*_stack(rows, truth), RERANK_FEATURES)


def _fit_softmax(rows, truth, features, l2: float = 1.0) -> Linear:
    """Maximise the probability softmax(w · x) gives each title's right candidate among its candidates
    (titles whose right occupation is no candidate teach nothing here and are left out); L2 as in
    scikit-learn's default logistic regression. A listwise objective: what the matcher decides is the
    argmax within a title, not each candidate's probability on its own."""
    from scipy.optimize import minimize

    keep = [i for i, (c, t) in enumerate(zip(rows, truth, strict=True)) if t in c.uris]
    x_all = np.vstack([c.features for c in rows])
    mean = x_all.mean(axis=0)
    scale = x_all.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    if not keep:
        return Linear(list(features), mean.tolist(), scale.tolist(), [0.0] * len(features), 0.0, "softmax")
    xs = [(rows[i].features - mean) / scale for i in keep]
    right = [rows[i].uris.index(truth[i]) for i in keep]
    x = np.vstack(xs)
    starts = np.cumsum([0] + [len(v) for v in xs[:-1]])
    group = np.repeat(np.arange(len(xs)), [len(v) for v in xs])
    x_right = x[starts + np.asarray(right)]
    n = len(xs)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        top = np.maximum.reduceat(z, starts)  # a per-title log-sum-exp, stable
        e = np.exp(z - top[group])
        lse = top + np.log(np.add.reduceat(e, starts))
        p = e / np.exp(lse - top)[group]
        value = (lse.sum() - (x_right @ w).sum()) / n + 0.5 * l2 * (w @ w) / n
        grad = (p @ x - x_right.sum(axis=0)) / n + l2 * w / n
        return float(value), grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    return Linear(list(features), mean.tolist(), scale.tolist(), w.tolist(), 0.0, "softmax")


def _oof_probabilities(rows, truth, fold_of: np.ndarray, folds: int) -> list[np.ndarray]:
    """Each title's candidate probabilities from a model fitted without its fold."""
    out: list[np.ndarray | None] = [None] * len(rows)
    for f in range(folds):
        test = np.flatnonzero(fold_of == f)
        train = np.flatnonzero(fold_of != f)
        if not len(test):
            continue
        model = _fit_ranker([rows[i] for i in train], [truth[i] for i in train])
        for i in test:
            out[i] = model(rows[i].features)
    return out


def _fit_linear(x: np.ndarray, y: np.ndarray, features) -> Linear:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    if len(np.unique(y)) < 2:  # nothing to learn: a constant probability
        p = float(np.clip(y.mean() if len(y) else 0.5, 1e-3, 1 - 1e-3))
        return Linear(
            list(features),
            scaler.mean_.tolist(),
            scale.tolist(),
            [0.0] * x.shape[1],
            float(np.log(p / (1 - p))),
        )
    lr = LogisticRegression(C=1.0, max_iter=2000).fit((x - scaler.mean_) / scale, y)
    return Linear(
        list(features), scaler.mean_.tolist(), scale.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0])
    )


def _fit_isotonic(raw: np.ndarray, correct: np.ndarray) -> Isotonic:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, correct.astype(float))
    return Isotonic(iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist())


def _fit_exact_coded(coded: CodedIndex) -> tuple[Linear | None, float, int]:
    """How often a repeated coded title's other rows name its occupation: leave one row out, the others'
    majority (share, rows) against the left-out row's code."""
    x, y = [], []
    for counts in coded.counts:
        total = sum(counts.values())
        if total < 2:
            continue
        for uri, n in counts.items():
            for _ in range(n):
                rest = dict(counts)
                rest[uri] -= 1
                top_uri, top = min(rest.items(), key=lambda kv: (-kv[1], kv[0]))
                x.append((top / (total - 1), np.log1p(total - 1)))
                y.append(top_uri == uri)
    y_arr = np.asarray(y, dtype=int)
    # A coder's answer for this very title is a strong signal: a prior of 0.9 worth ten examples, which
    # the index's own repeated titles outweigh as soon as it has a few dozen.
    prior = float((y_arr.sum() + 9) / (len(y_arr) + 10))
    if len(y_arr) < MIN_EXACT_EXAMPLES or len(np.unique(y_arr)) < 2:
        return None, prior, len(y_arr)
    return _fit_linear(np.asarray(x), y_arr, ("share", "log_rows")), prior, len(y_arr)


# ------------------------------------------------------------------------------------------ ESCO recipe
def fit_esco_labels(
    index: LabelIndex,
    encoder,
    config: MatchConfig,
    model_id: str,
    *,
    seed: int = 0,
    max_queries: int = MAX_LABEL_QUERIES,
    folds: int = FOLDS,
) -> Calibration:
    """The shipped recipe: one label per occupation held out and matched against the rest."""
    from sklearn.model_selection import KFold

    if index.embeddings is None:
        index.embed(encoder)
    config = resolve_config(config, encoder)
    scorer = EmbeddingScorer(index, config.temperature, config.preferred_bonus)
    rows = np.asarray(index.embedded_rows)
    col_of_uri: dict[str, list[int]] = {}
    for col, r in enumerate(rows):
        col_of_uri.setdefault(index.uris[r], []).append(col)
    rng = np.random.default_rng(seed)
    picks = []
    for uri, cols in col_of_uri.items():
        if len(cols) >= 2:
            picks.append((uri, int(rng.choice(cols))))
    if len(picks) > max_queries:
        picks = [picks[i] for i in np.sort(rng.choice(len(picks), max_queries, replace=False))]
    feats, correct = [], []
    for s in range(0, len(picks), 256):
        block = picks[s : s + 256]
        exclude = []
        for uri, col in block:
            key = index.keys[rows[col]]
            # the label itself, its gendered halves and the pair it is half of: all out of its occupation
            exclude.append(
                np.array(
                    [c for c in col_of_uri[uri] if key in index.keys[rows[c]] or index.keys[rows[c]] in key]
                )
            )
        occ = scorer.scores(index.embeddings[[col for _, col in block]], exclude)
        top2 = np.argsort(-occ, axis=1)[:, :2]
        for r, (uri, _) in enumerate(block):
            a, b = top2[r]
            feats.append((float(occ[r, a]), float(occ[r, a] - occ[r, b])))
            correct.append(scorer.occupations[a] == uri)
    x, y = np.asarray(feats), np.asarray(correct, dtype=int)
    oof = np.zeros(len(y))
    for train, test in KFold(max(2, min(folds, len(y))), shuffle=True, random_state=seed).split(x):
        oof[test] = _fit_linear(x[train], y[train], ZERO_SHOT_FEATURES)(x[test])
    iso = _fit_isotonic(oof, y.astype(bool))
    return Calibration(
        calibration_id=calibration_key("esco-labels", model_id, "empty", index.languages, config),
        kind="esco-labels",
        model_id=model_id,
        index_version="empty",
        label_langs=index.languages,
        scorer=_fit_linear(x, y, ZERO_SHOT_FEATURES),
        isotonic=iso,
        curve=precision_curve(iso(oof), y),
        n_examples=len(y),
        provenance={
            "recipe": "esco-labels held out per occupation",
            "fit_version": FIT_VERSION,
            "folds": folds,
            "seed": seed,
            "queries": len(y),
            "label_acc@1": round(float(y.mean()), 4),
            "features": list(ZERO_SHOT_FEATURES),
        },
    )

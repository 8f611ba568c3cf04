"""Match cleaned job titles to ESCO occupations in stages: exact label, near-exact (rapidfuzz), embedding kNN,
and, where the store has a coding index, coded titles (an exact coded title; votes of the nearest ones).

Without coded titles the embedding stage ranks every title's occupations and the exact and fuzzy stages,
when they fire, put their occupation first (today's decision). With coded titles a learned combination
(:mod:`jobmarket.matching.combine`, weights fitted on the coding index) reranks the candidates. Either way
the calibration gives each decision a confidence; the matcher abstains below the configured threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from jobmarket.matching._base import Match, MatchConfig, StageHit
from jobmarket.matching.calibration import Calibration
from jobmarket.matching.coded import CodedHit, CodedIndex
from jobmarket.matching.combine import title_candidates, zero_shot_features
from jobmarket.matching.defaults import resolve_config
from jobmarket.matching.embedding import EmbeddingScorer
from jobmarket.matching.exact import ExactStage
from jobmarket.matching.fuzzy import FuzzyStage
from jobmarket.matching.label_index import LabelIndex
from jobmarket.matching.refine import NearTieRefiner
from jobmarket.text.keys import normalize_label

__all__ = ["Match", "MatchConfig", "Matcher", "REFINE_BLOCK"]

# Titles with near ties re-scored together (a few percent of titles, one score row of floats each).
REFINE_BLOCK = 2048


class Matcher:
    """Staged title → occupation matcher over a :class:`LabelIndex`.

    Args:
        index: the labels to match against (embedded by this matcher if not already).
        encoder: a :class:`jobmarket.encoders.sentence_transformer.Encoder` (or anything with
            ``encode_titles`` and ``name``).
        config: thresholds and stage switches.
        calibration: the fitted combination and confidence map (:mod:`jobmarket.coding.fit`); None: no
            confidence, abstention only below ``config.threshold``.
        coded: the coding index; it needs a calibration fitted on it (kind ``coded-kfold``).
    """

    def __init__(
        self,
        index: LabelIndex,
        encoder,
        config: MatchConfig | None = None,
        calibration: Calibration | None = None,
        coded: CodedIndex | None = None,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.config = resolve_config(config, encoder)  # the model's temperature and bonus where left open
        self.calibration = calibration
        self.coded = coded if coded is not None and len(coded) else None
        if self.coded is not None and calibration is None:
            raise ValueError("a coding index needs a calibration (jobmarket.coding.fit)")
        # A combination learned from the coding index reranks; a small index (calibrated on ESCO's labels)
        # only contributes its exact titles.
        self.rerank = self.coded is not None and calibration.kind == "coded-kfold"
        if index.embeddings is None:
            index.embed(encoder)
        if self.coded is not None and self.coded.embeddings is None:
            self.coded.embed(encoder)
        self.exact = ExactStage(index)
        self.fuzzy = FuzzyStage(index, self.config.fuzzy_cutoff)
        self.embedding = EmbeddingScorer(index, self.config.temperature, self.config.preferred_bonus)
        # bf16/fp16 vectors: near ties are re-scored in fp32, so the top-1 stays fp32's.
        low = getattr(encoder, "precision", "fp32") != "fp32"
        self.refiner = NearTieRefiner(index, self.embedding, encoder) if low else None
        self.threshold = self.config.threshold  # a similarity floor, when the user gives one
        self.min_confidence = self._min_confidence()

    def _min_confidence(self) -> float | None:
        cfg = self.config
        if cfg.threshold is not None or self.calibration is None:
            if cfg.target_precision is not None and self.calibration is None:
                raise ValueError("a target precision needs a calibration")
            return None
        if cfg.target_precision is not None:
            return self.calibration.min_confidence(cfg.target_precision)
        return cfg.min_confidence

    @property
    def occupations(self) -> list[str]:
        return self.embedding.occupations

    def match(
        self, titles: Sequence[str], langs: Sequence[str | None], vectors: np.ndarray | None = None
    ) -> list[Match]:
        """Match cleaned titles; ``langs`` (one per title, None if unknown) narrows the fuzzy stage and the
        exact coded-title lookup."""
        if vectors is None:
            vectors = self.encoder.encode_titles(list(titles))
        keys = [normalize_label(t) for t in titles]
        exact = self.exact.find(keys, langs) if self.config.use_exact else {}
        fuzzy = self.fuzzy.find(keys, langs) if self.config.use_fuzzy else {}
        results: list[Match | None] = [None] * len(titles)
        # Titles with near ties wait, with their score rows, until REFINE_BLOCK of them are re-scored in one
        # fp32 call: one call a 256-title chunk encoded ~70 texts of every length as one padded batch, at a
        # fifth of fp32's bulk rate.
        pending: list[tuple[int, np.ndarray, np.ndarray, partial]] = []
        for start in range(0, len(titles), self.config.chunk_size):
            stop = min(start + self.config.chunk_size, len(titles))
            occ_scores = self.embedding.scores(vectors[start:stop])
            near = None
            if self.refiner is not None:
                anchors = [self._anchors(exact.get(i), fuzzy.get(i), occ_scores[row])
                           for row, i in enumerate(range(start, stop))]
                near = self.refiner.near(occ_scores, anchors)
            if self.rerank:
                params = self.calibration.params
                nb_idx, nb_sims = self.coded.neighbours(vectors[start:stop], params.k)
                lex = (self.coded.lexical_neighbours(titles[start:stop], params.lex_k) if params.lex_k
                       else None)
            for row, i in enumerate(range(start, stop)):
                if self.rerank:
                    decide = partial(
                        self._decide_coded,
                        self.coded.exact(keys[i], langs[i]) if self.config.use_exact else None,
                        exact.get(i),
                        fuzzy.get(i),
                        neighbours=(nb_idx[row], nb_sims[row]),
                        lexical=(lex[0][row], lex[1][row]) if lex is not None else (None, None),
                    )
                else:
                    hit = (self.coded.exact(keys[i], langs[i])
                           if self.coded is not None and self.config.use_exact else None)
                    decide = partial(self._decide, exact.get(i), fuzzy.get(i), coded_hit=hit)
                if near is not None and near[row].sum() > 1:
                    pending.append((i, occ_scores[row].copy(), near[row].copy(), decide))
                else:
                    results[i] = decide(occ=occ_scores[row])
            if len(pending) >= REFINE_BLOCK:
                self._refine_pending(pending, titles, vectors, results)
        self._refine_pending(pending, titles, vectors, results)
        return results  # type: ignore[return-value]  # every slot is filled above

    def _refine_pending(self, pending: list, titles: Sequence[str], vectors: np.ndarray,
                        results: list[Match | None]) -> None:
        """Re-score the waiting titles' near ties in fp32 (one encode call), then decide them."""
        if not pending:
            return
        idx = [i for i, *_ in pending]
        occ = np.stack([o for _, o, _, _ in pending])
        near = np.stack([n for _, _, n, _ in pending])
        self.refiner.rescore([titles[i] for i in idx], vectors[idx], occ, near)
        for (i, *_, decide), row in zip(pending, occ, strict=True):
            results[i] = decide(occ=row)
        pending.clear()

    def _anchors(self, exact_hit: StageHit | None, fuzzy_hit: StageHit | None, occ: np.ndarray) -> list[int]:
        """The occupation columns whose scores the decision compares besides the best: a fuzzy hit's
        occupations and the rank they must reach (when one is that close to it), and the occupations sharing
        an exact label."""
        position = self.embedding.position
        cols: list[int] = []
        if fuzzy_hit is not None:
            k = min(self.config.fuzzy_agree_k, len(occ)) - 1
            kth = int(np.argpartition(-occ, k)[k])
            hits = [position[u] for u in fuzzy_hit.uris if u in position]
            if any(abs(occ[c] - occ[kth]) <= self.refiner.delta for c in hits):
                cols += [*hits, kth]
        if exact_hit is not None and len(exact_hit.uris) > 1:
            cols += [position[u] for u in exact_hit.uris if u in position]
        return cols

    # ---------------------------------------------------------------- without coded titles
    def _decide(
        self,
        exact_hit: StageHit | None,
        fuzzy_hit: StageHit | None,
        occ: np.ndarray,
        coded_hit: CodedHit | None = None,
    ) -> Match:
        k = self.config.top_k
        n = max(k, self.config.fuzzy_agree_k)
        top = np.argpartition(-occ, min(n, len(occ) - 1))[: n + 1]
        top = top[np.argsort(-occ[top], kind="stable")]
        occupations = self.embedding.occupations
        ranked = [(occupations[j], float(occ[j])) for j in top]
        fixed: set[str] | frozenset[str] | None = None
        method, method_score = "embedding", None
        if coded_hit is not None:
            fixed, method, method_score = {coded_hit.uri}, "coded", coded_hit.share
        elif exact_hit is not None:
            fixed, method, method_score = exact_hit.uris, "exact", exact_hit.score
        elif fuzzy_hit is not None and (
            agreed := fuzzy_hit.uris & {u for u, _ in ranked[: self.config.fuzzy_agree_k]}
        ):
            # A near-exact string can be a different job ("chemist"/"chemists" fine, "tailor"/"sailor" not):
            # trust it only where the embedding also ranks that occupation near the top.
            fixed, method, method_score = agreed, "fuzzy", fuzzy_hit.score
        best_uri = ranked[0][0]
        if fixed:
            position = self.embedding.position
            # Several occupations can share a label: order them by the embedding's view.
            tied = sorted(((u, float(occ[position[u]])) for u in fixed if u in position), key=lambda x: -x[1])
            best_uri = tied[0][0] if tied else sorted(fixed)[0]
        sim = self._similarity(occ, best_uri)
        cands = [(best_uri, sim)] + [(u, s) for u, s in ranked if u != best_uri]
        cands = cands[:k]
        runner = next((s for u, s in ranked if u != best_uri), sim)
        margin = sim - runner
        if method_score is None:
            method_score = sim
        conf, cand_conf = None, []
        if self.calibration is not None:
            conf = float(
                self.calibration.confidence(self.calibration.scorer(zero_shot_features(sim, margin)))[0]
            )
            best_other = [max((s2 for u2, s2 in ranked if u2 != u), default=s) for u, s in cands]
            raw = self.calibration.scorer(
                np.array([[s, s - o] for (_, s), o in zip(cands, best_other, strict=True)])
            )
            cand_conf = [conf] + [float(c) for c in self.calibration.confidence(raw)[1:]]
            if coded_hit is not None:
                conf = cand_conf[0] = self._coded_confidence(coded_hit)
        return self._finish(best_uri, sim, margin, method, method_score, conf, cands, cand_conf)

    # ---------------------------------------------------------------- with coded titles
    def _decide_coded(
        self,
        hit: CodedHit | None,
        exact_hit: StageHit | None,
        fuzzy_hit: StageHit | None,
        occ: np.ndarray,
        neighbours: tuple[np.ndarray, np.ndarray],
        lexical: tuple[np.ndarray | None, np.ndarray | None],
    ) -> Match:
        cal = self.calibration
        c = title_candidates(
            occ,
            self.embedding.occupations,
            self.embedding.position,
            *neighbours,
            self.coded,
            exact_hit,
            fuzzy_hit,
            cal.params,
            *lexical,
        )
        p = cal.scorer(c.features)
        order = np.argsort(-p, kind="stable")
        if hit is not None:
            # The posting's title was coded by hand: the coders' majority decides.
            best = c.uris.index(hit.uri) if hit.uri in c.uris else None
            method, method_score = "coded", hit.share
            conf = self._coded_confidence(hit)
            best_uri = hit.uri
            order = [j for j in order if j != best]
        else:
            best = int(order[0])
            best_uri = c.uris[best]
            conf = float(cal.confidence(p[best]))
            order = list(order[1:])
            if exact_hit is not None and best_uri in exact_hit.uris:
                method, method_score = "exact", exact_hit.score
            elif fuzzy_hit is not None and best_uri in fuzzy_hit.uris:
                method, method_score = "fuzzy", fuzzy_hit.score
            elif best != 0:  # not the label scores' first: the coded titles' votes moved it up
                method, method_score = "knn", float(c.votes[best])
            else:
                method, method_score = "embedding", float(c.label[best])
        sim = self._similarity(occ, best_uri)
        others = [int(j) for j in order]
        cands = ([(best_uri, sim)] + [(c.uris[j], float(c.label[j])) for j in others])[: self.config.top_k]
        cand_conf = [conf] + [float(x) for x in cal.confidence(p[others[: self.config.top_k - 1]])]
        runner = max((float(c.label[j]) for j in others), default=sim)
        return self._finish(best_uri, sim, sim - runner, method, method_score, conf, cands, cand_conf)

    # ---------------------------------------------------------------- shared
    def _coded_confidence(self, hit: CodedHit) -> float:
        cal = self.calibration
        if cal.exact_coded is not None:
            return float(cal.exact_coded(np.array([[hit.share, np.log1p(hit.n)]]))[0])
        return cal.exact_prior

    def _similarity(self, occ: np.ndarray, uri: str) -> float:
        j = self.embedding.position.get(uri)
        return float(occ[j]) if j is not None else float(occ.min())

    def _finish(
        self,
        uri: str,
        sim: float,
        margin: float,
        method: str,
        method_score: float,
        conf: float | None,
        cands: list[tuple[str, float]],
        cand_conf: list[float],
    ) -> Match:
        reason = None
        if self.threshold is not None:
            # A similarity floor judges the embedding's choices; string and coded-title matches stand.
            if method in ("embedding", "knn") and sim < self.threshold:
                reason = f"best score {sim:.3f} below threshold {self.threshold:.3f}"
        elif self.min_confidence is not None and conf is not None and conf < self.min_confidence:
            target = self.config.target_precision
            why = f" (target precision {target:g})" if target is not None else ""
            reason = f"confidence {conf:.3f} below {self.min_confidence:.3f}{why}"
        status = "abstained" if reason else "matched"
        return Match(
            None if reason else uri,
            sim,
            float(margin),
            method,
            status,
            reason,
            cands,
            method_score=float(method_score),
            confidence=conf,
            candidate_confidence=cand_conf,
        )

"""Real English vacancy titles -> ESCO occupations through the matcher's embedding stage."""

from __future__ import annotations

import pandas as pd

from jobmarket.evaluation._base import Task
from jobmarket.evaluation.data import EvalData
from jobmarket.evaluation.metrics import ir_metrics


class EscoNormalization(Task):
    """Real English vacancy titles → ESCO occupations (JobBERT evaluation set), embedding stage only:
    accuracy@1, MRR@10, recall@5/@10 over the ESCO English labels (the matcher's best label per occupation).
    """

    name = "esco-norm"

    def __init__(self, data: EvalData, limit: int | None = None, seed: int = 0, lang: str = "en",
                 plain_max: bool = False, codes: str | None = None, half: str | None = None,
                 target_precision: float | None = None) -> None:
        self.data, self.limit, self.seed, self.lang = data, limit, seed, lang
        # codes / half / target_precision: the full matcher (as normalize runs it) with that coding index,
        # on one half of the fixed split (jobmarket.evaluation.split), with coverage and realised precision.
        self.codes, self.half, self.target_precision = codes, half, target_precision
        # plain_max: score an occupation by its best label only (no soft maximum, no preferred-label bonus:
        # those defaults were tuned on these titles for the offline model's cosine range).
        self.plain_max = plain_max
        if plain_max:
            self.name = "esco-norm:max"

    def run(self, encoder) -> dict[str, float]:
        if self.codes is not None or self.half is not None or self.target_precision is not None:
            return self._run_matcher(encoder)
        from jobmarket.matching._base import MatchConfig
        from jobmarket.matching.label_index import LabelIndex
        from jobmarket.matching.matcher import Matcher

        df = pd.read_csv(self.data.path("jobbert_eval", "titles.csv"), dtype=str, keep_default_na=False)
        df = df[(df["vacancyTitle"].str.strip() != "") & (df["conceptUri"] != "")]
        if self.limit and len(df) > self.limit:
            df = df.sample(n=self.limit, random_state=self.seed)
        index = LabelIndex.from_store(self.data.con(), [self.lang])
        cfg = MatchConfig(top_k=10, threshold=-1.0, use_exact=False, use_fuzzy=False)
        if self.plain_max:
            cfg.temperature, cfg.preferred_bonus = 0.0, 0.0
        matcher = Matcher(index, encoder, cfg)
        titles = list(df["vacancyTitle"])
        matches = matcher.match(titles, [self.lang] * len(titles))
        run = {str(i): {u: s for u, s in m.candidates} for i, m in enumerate(matches)}
        qrels = {str(i): {u: 1} for i, u in enumerate(df["conceptUri"])}
        res = ir_metrics(qrels, run, ("Success@1", "RR@10", "R@5", "R@10"))
        return {
            "acc@1": res["Success@1"],
            "MRR@10": res["RR@10"],
            "recall@5": res["R@5"],
            "recall@10": res["R@10"],
            "queries": float(len(qrels)),
        }

    def _run_matcher(self, encoder) -> dict[str, float]:
        from jobmarket.evaluation.coding import TARGETS, evaluate_coding
        from jobmarket.evaluation.split import split_titles

        df = split_titles(self.data.path("jobbert_eval", "titles.csv"), self.half)
        if self.limit and len(df) > self.limit:
            df = df.sample(n=self.limit, random_state=self.seed)
        targets = tuple(sorted({*TARGETS, self.target_precision} - {None}))
        out = evaluate_coding(self.data.con(), encoder, df, self.codes, lang=self.lang, targets=targets)
        out["half:" + (self.half or "all")] = 1.0
        return out

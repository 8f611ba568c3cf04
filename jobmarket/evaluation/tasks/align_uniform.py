"""Alignment and uniformity of title embeddings on cross-lingual ESCO preferred-label pairs."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from jobmarket.errors import JobmarketError
from jobmarket.evaluation._base import Task
from jobmarket.evaluation.data import EvalData
from jobmarket.evaluation.metrics import alignment, uniformity
from jobmarket.sql import sql_sections


class AlignUniform(Task):
    """Alignment and uniformity (Wang & Isola) of titles on cross-lingual ESCO preferred-label pairs
    (English vs each other language, same occupation), anchor route. Lower is better for both."""

    name = "align-uniform"

    def __init__(
        self,
        data: EvalData,
        langs: Sequence[str] = ("de", "es", "fr", "nl", "pl", "it"),
        n_pairs: int = 500,
        seed: int = 0,
    ) -> None:
        self.data, self.langs, self.n, self.seed = data, list(langs), n_pairs, seed
        self.occupations: set[str] | None = None  # a trained model's held-out occupations (runner sets it)

    def run(self, encoder) -> dict[str, float]:
        df = (
            self.data.con()
            .execute(sql_sections("evaluate.sql")["preferred_labels"], [["en", *self.langs]])
            .df()
        )
        wide = df.pivot_table(index="occupation_uri", columns="lang", values="label", aggfunc="first")
        if self.occupations is not None:
            wide = wide[wide.index.isin(self.occupations)]
        pairs = [
            (e, o)
            for lang in self.langs
            if lang in wide
            for e, o in wide[["en", lang]].dropna().itertuples(index=False)
        ]
        if not pairs:
            raise JobmarketError("align-uniform needs ESCO labels in English and another language")
        rng = random.Random(self.seed)
        pairs = rng.sample(pairs, min(self.n, len(pairs)))
        x = encoder.encode_titles([p[0] for p in pairs])
        y = encoder.encode_titles([p[1] for p in pairs])
        both = np.concatenate([x, y])
        return {"alignment": alignment(x, y), "uniformity": uniformity(both), "pairs": float(len(pairs))}

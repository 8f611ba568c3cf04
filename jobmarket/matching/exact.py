"""Stage 1: a title whose lookup key equals an ESCO label's (any loaded language) is that occupation."""

from __future__ import annotations

from collections.abc import Sequence

from jobmarket.matching._base import StageHit
from jobmarket.matching.label_index import LabelIndex


class ExactStage:
    method = "exact"

    def __init__(self, index: LabelIndex) -> None:
        self.index = index

    def find(self, keys: Sequence[str], langs: Sequence[str | None]) -> dict[int, StageHit]:
        exact = self.index.exact
        return {i: StageHit(frozenset(exact[k]), 1.0) for i, k in enumerate(keys) if k and k in exact}

"""Evaluation titles kept out of training: a benchmark's queries and corpus never become training pairs.

ESCO labels are both the title ↔ title source and much of TalentCLEF Task A (73% of its English validation
queries are ESCO labels), so a model trained on every ESCO label has seen the benchmark's texts. Every pair
with a side equal to an excluded title (case and spacing aside) is dropped before sources are sized.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from jobmarket.errors import JobmarketError

# The text columns of each source's pairs (skills pairs: the title; title pairs: every side).
_TEXT_COLUMNS = ("title", "positive", "negative")


def title_key(text: str) -> str:
    return " ".join(str(text).casefold().split())


def read_excluded(paths: Sequence[str]) -> set[str]:
    """The keys of every title in ``paths``: TalentCLEF Task A folders (any folder holding ``queries`` and
    ``corpus_elements``, searched recursively), or text files of one title a line."""
    from jobmarket.evaluation.data import read_talentclef

    keys: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            folders = sorted({q.parent for q in path.rglob("queries")
                              if (q.parent / "corpus_elements").is_file()})
            if not folders:
                raise JobmarketError(
                    f"exclude_titles: {path} holds no TalentCLEF folder (queries, corpus_elements)")
            for folder in folders:
                queries, corpus, _ = read_talentclef(folder)
                keys.update(title_key(t) for t in (*queries.values(), *corpus.values()))
        elif path.is_file():
            keys.update(title_key(t) for t in path.read_text(encoding="utf-8").splitlines() if t.strip())
        else:
            raise JobmarketError(f"exclude_titles: {path} does not exist")
    keys.discard("")
    return keys


def drop_excluded(df: pd.DataFrame, keys: set[str]) -> tuple[pd.DataFrame, int]:
    """``df`` without the pairs that have a side among ``keys``, and how many were dropped."""
    cols = [c for c in _TEXT_COLUMNS if c in df.columns]
    hit = pd.Series(False, index=df.index)
    for c in cols:
        hit |= df[c].map(title_key).isin(keys)
    return df[~hit].reset_index(drop=True), int(hit.sum())

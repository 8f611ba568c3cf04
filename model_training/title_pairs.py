"""Title ↔ title pairs: what teaches normalization, which compares a posting's title with ESCO's labels.

Two sources, both with every side through the ``anchor`` (title) route, as ``normalize`` embeds both:

- **ESCO labels** of one occupation: an alternative label → the preferred label in its language; a
  preferred label in another language → the English preferred label (cross-lingual); the English preferred
  label → one of its English alternatives.
- **Coded titles**: real vacancy titles coded by hand (a store's coding index, or a labelled file's tune
  half) → their occupation's preferred label in the title's language (else English).

Each pair gets a hard negative: the preferred label of a sibling occupation in the same ISCO unit group
(else minor group), the near misses the matcher confuses (Deniz et al.'s second stage). Rows keep the
``group`` (occupation) so the batch sampler never puts two rows of one occupation in a batch.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd

from jobmarket.errors import JobmarketError

COLUMNS = ["title", "lang", "group", "positive", "negative"]


class _Labels:
    """Preferred labels by (occupation, language) and sibling occupations by ISCO group."""

    def __init__(self, titles: pd.DataFrame, isco: dict[str, str], seed: int) -> None:
        pref = titles[titles["kind"] == "preferred"]
        self.pref = dict(
            zip(zip(pref["occupation_uri"], pref["lang"], strict=True), pref["title"], strict=True)
        )
        alt_en = titles[(titles["kind"] == "alternative") & (titles["lang"] == "en")]
        self.alt_en = alt_en.groupby("occupation_uri")["title"].agg(list).to_dict()
        self.isco = isco
        self.by_group: dict[str, list[str]] = defaultdict(list)
        for uri, code in sorted(isco.items()):
            for depth in (4, 3):
                self.by_group[code[:depth]].append(uri)
        self.all = sorted({u for u, _ in self.pref})
        self.rng = random.Random(seed)

    def preferred(self, uri: str, lang: str | None) -> str | None:
        return self.pref.get((uri, lang)) or self.pref.get((uri, "en"))

    def negative(self, uri: str, lang: str | None) -> str | None:
        code = self.isco.get(uri, "")
        for depth in (4, 3):  # the closest sibling group that has another occupation
            others = [o for o in self.by_group.get(code[:depth], []) if o != uri] if code else []
            if others:
                return self.preferred(self.rng.choice(others), lang)
        return self.preferred(self.rng.choice(self.all), lang)  # no sibling: any other occupation


def esco_title_pairs(titles: pd.DataFrame, isco: dict[str, str], seed: int = 42) -> pd.DataFrame:
    """Pairs among the labels of each occupation (``titles``: occupation_uri, lang, title, kind)."""
    labels = _Labels(titles, isco, seed)
    rows = []
    for uri, lang, title, kind in titles[["occupation_uri", "lang", "title", "kind"]].itertuples(index=False):
        if kind == "alternative":
            positive = labels.preferred(uri, lang)
        elif lang != "en":
            positive = labels.pref.get((uri, "en"))
        else:
            alts = labels.alt_en.get(uri)
            positive = labels.rng.choice(alts) if alts else None
        if not positive or positive == title:
            continue
        rows.append(
            (title, lang, uri, positive, labels.negative(uri, lang if kind == "alternative" else "en"))
        )
    return _finish(rows)


def read_coded(path: str | Path, half: str | None = None) -> pd.DataFrame:
    """Hand-coded titles (title, lang, occupation_uri): a jobmarket store's coding index (``.duckdb``), or a
    labelled titles file in the JobBERT evaluation format, of which ``half`` keeps the tune half only."""
    path = Path(path).expanduser()
    if not path.exists():
        raise JobmarketError(f"coded titles {path} do not exist")
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            try:
                df = con.execute(
                    "SELECT title_clean AS title, coalesce(language, 'en') AS lang, occupation_uri "
                    "FROM coded_titles ORDER BY source, source_row"
                ).df()
            except duckdb.CatalogException:
                raise JobmarketError(f"{path} has no coded titles (jobmarket codes import)") from None
        return df
    from jobmarket.evaluation.split import split_titles
    from jobmarket.text.clean import clean_title

    if half != "tune":
        # Training on a report half would make every later figure on it meaningless.
        raise JobmarketError(
            f"coded titles file {path}: give coded_half: tune (only the tune half may train)"
        )
    df = split_titles(path, half)
    return pd.DataFrame(
        {
            "title": [clean_title(t).title for t in df["title"]],
            "lang": "en",
            "occupation_uri": df["occupation_uri"],
        }
    )


def coded_title_pairs(
    coded: pd.DataFrame, titles: pd.DataFrame, isco: dict[str, str], seed: int = 42
) -> pd.DataFrame:
    """Each coded title → its occupation's preferred label (title's language, else English)."""
    labels = _Labels(titles, isco, seed)
    rows = []
    for title, lang, uri in coded[["title", "lang", "occupation_uri"]].itertuples(index=False):
        positive = labels.preferred(uri, lang)
        if not title or not positive or positive == title:
            continue
        rows.append((title, lang, uri, positive, labels.negative(uri, lang)))
    return _finish(rows)


def _finish(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS).dropna(subset=["negative"])
    return (
        df[df["negative"] != df["positive"]]
        .drop_duplicates(["title", "lang", "group"])
        .reset_index(drop=True)
    )


def resize(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Exactly ``n`` rows: a language-balanced subsample of a large source, or a small one repeated."""
    from model_training.pairs import balance_languages

    if len(df) >= n:
        return balance_languages(df, n, seed)
    reps = -(-n // len(df))
    return pd.concat([df] * reps, ignore_index=True).sample(n=n, random_state=seed).reset_index(drop=True)

"""Nearest neighbours of a free text: unique titles of the store, ESCO occupations, ESCO skills.

Titles are searched in SQL (the ``similar_titles`` macro over ``titles.embedding``); occupations with
the normalize matcher over ESCO labels (so exact and near-exact labels win, as in a run); skills by
cosine over ESCO skill labels, encoded through the model's skill route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections


def _sql() -> dict[str, str]:
    return sql_sections("api.sql")


def similar_titles(
    con: duckdb.DuckDBPyConnection, vector: np.ndarray, k: int, lang: str | None
) -> pd.DataFrame:
    """The store's unique titles nearest to ``vector`` (optionally of one language)."""
    params = {"vec": [float(x) for x in np.asarray(vector, dtype=np.float32)], "lang": lang, "k": int(k)}
    return con.execute(_sql()["similar_titles"], params).fetch_df()


def nearest_occupations(
    con: duckdb.DuckDBPyConnection, matcher, text: str, k: int, lang: str | None
) -> pd.DataFrame:
    """ESCO occupations for a free-text title, ranked as the normalize matcher ranks them."""
    match = matcher.match([text], [lang])[0]
    cands = match.candidates[:k]
    if not cands:
        return pd.DataFrame(columns=["rank", "occupation_uri", "occupation", "isco_code", "score", "method"])
    info = con.execute(_sql()["occupation_candidates"], [[u for u, _ in cands]]).fetch_df()
    info = info.set_index("occupation_uri")
    rows = [{"rank": r + 1, "occupation_uri": uri, "occupation": info.at[uri, "occupation"],
             "isco_code": info.at[uri, "isco_code"], "score": score,
             "method": match.method if r == 0 else "embedding"}
            for r, (uri, score) in enumerate(cands)]
    return pd.DataFrame(rows)


@dataclass
class SkillIndex:
    """ESCO skill labels of some languages and their embeddings (the model's skill route)."""

    uris: list[str]
    labels: list[str]
    vectors: np.ndarray

    @classmethod
    def build(cls, con: duckdb.DuckDBPyConnection, encoder, langs: Sequence[str] | None = None) -> SkillIndex:
        have = [r[0] for r in con.execute(_sql()["skill_languages"]).fetchall()]
        langs = [lang for lang in (langs or have) if lang in have] or have
        rows = con.execute(_sql()["skill_labels"], [list(langs)]).fetchall()
        if not rows:
            raise JobmarketError(
                "the store has no ESCO skill labels: run `jobmarket esco import PATH` with skills")
        uris = [r[0] for r in rows]
        labels = [r[2] for r in rows]
        return cls(uris, labels, encoder.encode_skills(labels))

    def nearest(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, str, float]]]:
        """Per query vector, the k best skills as (uri, best matching label, cosine), one entry per skill."""
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        out = []
        for row in sims:
            seen: dict[str, tuple[str, str, float]] = {}
            for j in np.argsort(-row, kind="stable"):
                uri = self.uris[j]
                if uri not in seen:
                    seen[uri] = (uri, self.labels[j], float(row[j]))
                    if len(seen) == k:
                        break
            out.append(list(seen.values()))
        return out


def nearest_skills(
    con: duckdb.DuckDBPyConnection, index: SkillIndex, encoder, text: str, k: int
) -> pd.DataFrame:
    """ESCO skills nearest to a free-text skill."""
    hits = index.nearest(encoder.encode_skills([text]), k)[0]
    names = dict(con.execute(_sql()["skill_names"], [[u for u, _, _ in hits]]).fetchall())
    return pd.DataFrame(
        [{"rank": r + 1, "skill_uri": u, "skill": names.get(u, label), "matched_label": label, "score": s}
         for r, (u, label, s) in enumerate(hits)],
        columns=["rank", "skill_uri", "skill", "matched_label", "score"],
    )


def match_skill_names(index: SkillIndex, encoder, names: Sequence[str]) -> pd.DataFrame:
    """Free-text skill names → their nearest ESCO skill (exact label first), with the cosine."""
    exact = {}
    for uri, label in zip(index.uris, index.labels, strict=True):
        exact.setdefault(label.casefold().strip(), uri)
    hits = index.nearest(encoder.encode_skills(list(names)), 1)
    rows = []
    for name, hit in zip(names, hits, strict=True):
        uri = exact.get(name.casefold().strip())
        if uri is not None:
            rows.append({"name": name, "skill_uri": uri, "matched_label": name, "score": 1.0,
                         "method": "exact"})
        else:
            u, label, s = hit[0]
            rows.append({"name": name, "skill_uri": u, "matched_label": label, "score": s,
                         "method": "embedding"})
    return pd.DataFrame(rows, columns=["name", "skill_uri", "matched_label", "score", "method"])

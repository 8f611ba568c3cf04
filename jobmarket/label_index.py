"""The ESCO occupation labels a matcher searches: exact keys, fuzzy keys and label embeddings."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np

from jobmarket.errors import JobmarketError
from jobmarket.sqlfiles import sql_sections
from jobmarket.titles import normalize_label

# ESCO writes gendered pairs as "Softwareentwickler/Softwareentwicklerin"; both halves are real titles.
_SLASH = re.compile(r"\s*/\s*")


def expand_label(label: str) -> list[str]:
    """The label plus its gendered halves, when the halves share a stem (not "sales/marketing manager")."""
    parts = _SLASH.split(label)
    if len(parts) != 2:
        return [label]
    a, b = parts
    stem = len(_common_prefix(a.casefold(), b.casefold()))
    if stem >= 4 and min(len(a), len(b)) >= 4:
        return [label, a, b]
    return [label]


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


@dataclass
class LabelIndex:
    """Occupation labels of some languages, each expanded, with their lookup structures.

    ``uris[i]``, ``langs[i]``, ``texts[i]`` describe label i; ``embed_mask`` says which labels are
    embedded (hidden labels are kept for exact and fuzzy lookup only).
    """

    uris: list[str]
    langs: list[str]
    texts: list[str]
    kinds: list[str]
    keys: list[str] = field(init=False)
    exact: dict[str, set[str]] = field(init=False)
    by_lang: dict[str, np.ndarray] = field(init=False)
    embeddings: np.ndarray | None = None
    embedded_rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.keys = [normalize_label(t) for t in self.texts]
        self.exact = defaultdict(set)
        by_lang: dict[str, list[int]] = defaultdict(list)
        for i, (key, uri, lang) in enumerate(zip(self.keys, self.uris, self.langs, strict=True)):
            if key:
                self.exact[key].add(uri)
            by_lang[lang].append(i)
        self.by_lang = {k: np.asarray(v) for k, v in by_lang.items()}

    @property
    def languages(self) -> list[str]:
        return sorted(self.by_lang)

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection, languages: Sequence[str]) -> LabelIndex:
        rows = con.execute(sql_sections("matching.sql")["occupation_labels"], [list(languages)]).fetchall()
        if not rows:
            raise JobmarketError(
                f"no ESCO occupation labels in languages {', '.join(languages)}: run `jobmarket esco import PATH`"
            )
        uris, langs, texts, kinds = [], [], [], []
        for uri, lang, label, kind in rows:
            for text in expand_label(label):
                uris.append(uri)
                langs.append(lang)
                texts.append(text)
                kinds.append(kind)
        return cls(uris, langs, texts, kinds)

    def embed(self, encoder, include_hidden: bool = False) -> None:
        """Embed every distinct label text once (titles route: labels are titles too)."""
        rows = [i for i, k in enumerate(self.kinds) if include_hidden or k != "hidden"]
        # The same text can label several occupations (or languages); encode it once.
        self.embeddings = encoder.encode_titles([self.texts[i] for i in rows])
        self.embedded_rows = np.asarray(rows)


def available_languages(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute(sql_sections("matching.sql")["label_languages"]).fetchall())

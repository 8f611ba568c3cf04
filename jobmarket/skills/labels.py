"""ESCO skill labels as read from the store: the vocabulary every extraction stage matches against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections


@dataclass
class SkillLabels:
    """ESCO skill labels: ``uris[i]``, ``langs[i]``, ``texts[i]``, ``kinds[i]`` describe label i."""

    uris: list[str]
    langs: list[str]
    texts: list[str]
    kinds: list[str]

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection) -> SkillLabels:
        rows = con.execute(sql_sections("skills.sql")["skill_labels"]).fetchall()
        if not rows:
            raise JobmarketError("no ESCO skill labels in the store: run `jobmarket esco import` with an "
                                 "ESCO classification package that has skills_XX.csv")
        uris, langs, texts, kinds = (list(c) for c in zip(*rows, strict=True))
        return cls(uris, langs, [t.strip() for t in texts], kinds)

    def __len__(self) -> int:
        return len(self.uris)

    def select(self, kinds: Sequence[str]) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k in kinds]

    def preferred(self, lang: str = "en") -> dict[str, str]:
        """Each skill's preferred label in ``lang``, else in any language."""
        out: dict[str, str] = {}
        for uri, lg, text, kind in zip(self.uris, self.langs, self.texts, self.kinds, strict=True):
            if kind == "preferred" and (uri not in out or lg == lang):
                out[uri] = text
        return out

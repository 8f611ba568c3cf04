"""A translation hook for title augmentation: a Translator protocol, a cache, and ESCO as the offline source.

ESCO needs no machine translation: every occupation's labels in every loaded language are real
translations sharing one skill list, so :func:`model_training.pairs.esco_pairs` already yields them.
A :class:`Translator` (MarianMT, an LLM callable, ...) is only needed for a user pairs file whose titles
exist in one language; wrap it in :class:`CachedTranslator` so each text is translated once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd


class Translator(Protocol):
    def __call__(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...


class CachedTranslator:
    """Wraps a translator with a JSON cache on disk keyed by (source, target, text)."""

    def __init__(self, translator: Translator, cache_file: str | Path | None = None) -> None:
        self.translator = translator
        self.cache_file = Path(cache_file) if cache_file else None
        self.cache: dict[str, str] = {}
        if self.cache_file and self.cache_file.exists():
            self.cache = json.loads(self.cache_file.read_text(encoding="utf-8"))

    def __call__(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        keys = [f"{source}\t{target}\t{t}" for t in texts]
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self.cache))
        if todo:
            done = self.translator(todo, source, target)
            self.cache.update({f"{source}\t{target}\t{t}": d for t, d in zip(todo, done, strict=True)})
            if self.cache_file:
                self.cache_file.parent.mkdir(parents=True, exist_ok=True)
                self.cache_file.write_text(json.dumps(self.cache, ensure_ascii=False), encoding="utf-8")
        return [self.cache[k] for k in keys]


class EscoTranslator:
    """Translate occupation labels through ESCO: the same occupation's label in the target language."""

    def __init__(self, pairs: pd.DataFrame, preferred: pd.DataFrame | None = None) -> None:
        # pairs: title, lang, group rows (e.g. from esco_pairs); the first title per (group, lang) stands in
        # for the preferred label unless ``preferred`` (group, lang, title) is given.
        ref = preferred if preferred is not None else pairs.drop_duplicates(["group", "lang"])
        self.by_group_lang = {
            (g, lang): t for g, lang, t in zip(ref["group"], ref["lang"], ref["title"], strict=True)
        }
        self.group_of = {
            (lang, t.casefold()): g
            for t, lang, g in zip(pairs["title"], pairs["lang"], pairs["group"], strict=True)
        }

    def __call__(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        out = []
        for t in texts:
            g = self.group_of.get((source, t.casefold()))
            out.append(self.by_group_lang.get((g, target), t) if g else t)
        return out


def augment(df: pd.DataFrame, translator: Translator, source: str, targets: Sequence[str]) -> pd.DataFrame:
    """Add translated copies of the ``source``-language rows for each target language (same group, skills)."""
    base = df[df["lang"] == source]
    parts = [df]
    for target in targets:
        titles = translator(list(base["title"]), source, target)
        parts.append(base.assign(title=titles, lang=target))
    out = pd.concat(parts, ignore_index=True)
    return out.drop_duplicates(subset=["title", "lang", "group"]).reset_index(drop=True)

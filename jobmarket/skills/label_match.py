"""The label-matching stage: exact and near-exact (rapidfuzz) matches of ESCO skill labels over word
n-grams, in the posting's language (plus capitalised names such as "Python" or "SQL" in any language)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from jobmarket.skills._base import Doc, Finding
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.segments import tokenize

DEFAULT_FUZZY_CUTOFF = 90.0
_PAREN = re.compile(r"\s*\([^)]*\)\s*")


def _key(tokens: Sequence[str]) -> str:
    return " ".join(tokens).casefold().replace("’", "'").replace("-", " ")


class LabelMatchStage:
    """Exact and near-exact ESCO label matches over word n-grams of each segment.

    Exact: the n-gram's key (case-folded, hyphens as spaces) equals a label's key; labels like
    "Java (computer programming)" also match by their short form "Java". Near-exact: rapidfuzz ratio
    >= ``fuzzy_cutoff`` between n-grams and labels with the same number of words and, word by word, the
    same first three letters (inflections such as "managing budgets" ~ "manage budgets", not "baking" ~
    "banking"). Words are whole tokens, so "Java" never matches inside "JavaScript". A match inside a longer
    match is dropped. Labels are those of the text's language, plus labels with a capital letter, digit or
    symbol (names: "Python", "SQL", "Microsoft Access") in any language.
    """

    def __init__(self, labels: SkillLabels, fuzzy_cutoff: float | None = DEFAULT_FUZZY_CUTOFF,
                 min_fuzzy_chars: int = 8, max_ngram: int = 8,
                 kinds: Sequence[str] = ("preferred",)) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self.min_fuzzy_chars = min_fuzzy_chars
        # key -> {(lang, is_name)} -> uris
        self.exact: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.key_text: dict[str, str] = {}
        names: set[str] = set()
        longest = 1
        # Preferred labels only by default: alternative labels scored lower on the validation splits.
        for uri, lang, text, kind in zip(labels.uris, labels.langs, labels.texts, labels.kinds, strict=True):
            if kind not in kinds:
                continue
            variants = [(text, 1.0)]
            short = _PAREN.sub(" ", text).strip()
            if short != text and len(short) >= 2:
                variants.append((short, 1.0))
            for variant, _ in variants:
                tokens = [t for t, _, _ in tokenize(variant)]
                if not tokens:
                    continue
                key = _key(tokens)
                if len(key) == 1:
                    key = tokens[0]  # one-letter labels ("R") match case-sensitively
                self.exact[key][lang].add(uri)
                self.key_text.setdefault(key, text)
                # A one-letter name ("R", "C") in another language's text is mostly an initial or a
                # list marker, not the skill: such labels match only in their own language.
                if len(key) > 1 and any(c.isupper() or c.isdigit() or c in "+#." for c in variant):
                    names.add(key)
                longest = max(longest, len(tokens))
        self.names = names
        self.max_ngram = min(longest, max_ngram)
        # Fuzzy blocks: (n words, first 3 letters) -> keys.
        self.blocks: dict[tuple[int, str], list[str]] = defaultdict(list)
        for key in self.exact:
            if len(key) >= self.min_fuzzy_chars and " " in key:
                self.blocks[(key.count(" ") + 1, key[:3])].append(key)

    def _uris(self, key: str, lang: str | None) -> set[str]:
        by_lang = self.exact.get(key)
        if not by_lang:
            return set()
        if lang is None:
            return set().union(*by_lang.values())
        out = set(by_lang.get(lang, ()))
        if key in self.names:
            out = out.union(*by_lang.values())
        return out

    def find_many(self, docs: Sequence[Doc]) -> list[list[Finding]]:
        # 1. n-grams of every segment of every document, with their spans.
        grams: list[tuple[int, str, int, int, int]] = []  # doc, key, start, end, n words
        for d, doc in enumerate(docs):
            for seg in doc.segments:
                words = tokenize(seg.text)
                for i in range(len(words)):
                    for n in range(1, min(self.max_ngram, len(words) - i) + 1):
                        tokens = [w for w, _, _ in words[i:i + n]]
                        key = _key(tokens)
                        if len(key) == 1:
                            key = tokens[0]
                        grams.append((d, key, seg.start + words[i][1], seg.start + words[i + n - 1][2], n))
        # 2. near-exact: each distinct unmatched key against the labels of its block.
        fuzzy = self._fuzzy({g[1] for g in grams if g[1] not in self.exact})
        found: list[list[Finding]] = [[] for _ in docs]
        for d, key, start, end, _n in grams:
            lang = docs[d].lang
            hits = [(k, 1.0, "exact") for k in [key] if self._uris(k, lang)]
            hits += [(k, s, "fuzzy") for k, s in fuzzy.get(key, ())]
            text = docs[d].text
            for label_key, score, method in hits:
                for uri in sorted(self._uris(label_key, lang)):
                    found[d].append(Finding(uri, score, method, text[start:end], start, end,
                                            self.key_text.get(label_key, label_key)))
        return [_drop_nested(f) for f in found]

    def _fuzzy(self, keys: set[str]) -> dict[str, list[tuple[str, float]]]:
        if not self.fuzzy_cutoff:
            return {}
        from rapidfuzz import fuzz, process

        queries: dict[tuple[int, str], list[str]] = defaultdict(list)
        for key in keys:
            if len(key) >= self.min_fuzzy_chars and " " in key:
                block = (key.count(" ") + 1, key[:3])
                if block in self.blocks:
                    queries[block].append(key)
        out: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for block, qs in queries.items():
            cands = self.blocks[block]
            scores = process.cdist(qs, cands, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff,
                                   dtype=np.uint8)
            for qi, ci in zip(*np.nonzero(scores), strict=True):
                q, c = qs[qi], cands[ci]
                if all(a[:3] == b[:3] for a, b in zip(q.split(), c.split(), strict=False)):
                    out[q].append((c, round(float(scores[qi, ci]) / 100, 4)))
        return out


def _drop_nested(findings: list[Finding]) -> list[Finding]:
    """Drop matches whose span lies inside a longer match's span."""
    spans = sorted({(f.start, f.end) for f in findings}, key=lambda s: (s[0], -(s[1] - s[0])))
    keep = {s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)}
    return [f for f in findings if (f.start, f.end) in keep]

"""The label-matching stage: exact matches of ESCO skill labels through one Aho-Corasick automaton
(pyahocorasick) and near-exact (rapidfuzz) matches of word n-grams, in the posting's language (plus
capitalised names such as "Python" or "SQL" in any language)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from jobmarket.skills._base import Doc, Finding
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.segments import tokenize

DEFAULT_FUZZY_CUTOFF = 85.0  # chosen with the embedding threshold (benchmarks/results/skills.md)
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
        self._ac = None  # built on first use
        self._sigs: tuple[dict, set] | None = None

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

    def _automaton(self):
        """Every label key of more than one character, as " key " in an Aho-Corasick automaton over
        the text's words joined by single spaces (so matches are whole words)."""
        if self._ac is None:
            import ahocorasick

            ac = ahocorasick.Automaton()
            for key in self.exact:
                if len(key) > 1 and key.count(" ") < self.max_ngram:
                    ac.add_word(f" {key} ", key)
            if len(ac):
                ac.make_automaton()
            self._ac = ac
        return self._ac

    def _fuzzy_index(self) -> tuple[dict[tuple[str, ...], list[str]], set[tuple[str, ...]]]:
        """Fuzzy candidates by signature (each word's first three letters) and every signature prefix."""
        if self._sigs is None:
            sigs: dict[tuple[str, ...], list[str]] = defaultdict(list)
            for block in self.blocks.values():
                for key in block:
                    sigs[tuple(w[:3] for w in key.split())].append(key)
            prefixes = {sig[:i] for sig in sigs for i in range(1, len(sig) + 1)}
            self._sigs = (dict(sigs), prefixes)
        return self._sigs

    def find_many(self, docs: Sequence[Doc]) -> list[list[Finding]]:
        # Exact: one automaton pass per segment; near-exact: n-grams whose words' first letters are
        # those of some label (a trie walk over signatures), each distinct one scored once.
        ac = self._automaton()
        sigs, prefixes = self._fuzzy_index() if self.fuzzy_cutoff else ({}, set())
        grams: list[tuple[int, str, int, int, str]] = []  # doc, key, start, end, method
        fuzzy_keys: set[str] = set()
        for d, doc in enumerate(docs):
            for seg in doc.segments:
                words = tokenize(seg.text)
                if not words:
                    continue
                keys = [_key([w]) for w, _, _ in words]
                hits: list[tuple[int, int, str]] = []  # first word, last word, key
                for i, (w, _, _) in enumerate(words):
                    if len(keys[i]) == 1 and w in self.exact:  # one-letter labels ("R"): case-sensitive
                        hits.append((i, i, w))
                if len(ac):
                    joined = " " + " ".join(keys) + " "
                    word_at = {}
                    pos = 0
                    for i, k in enumerate(keys):
                        word_at[pos] = i
                        pos += len(k) + 1
                    for end, key in ac.iter(joined):
                        first = word_at[end - len(key) - 1]
                        hits.append((first, first + key.count(" "), key))
                if prefixes:
                    for i in range(len(keys)):
                        sig: tuple[str, ...] = (keys[i][:3],)
                        for n in range(1, min(self.max_ngram, len(keys) - i) + 1):
                            if n > 1:
                                sig = (*sig, keys[i + n - 1][:3])
                            if sig not in prefixes:
                                break
                            if n > 1 and sig in sigs:
                                gram = " ".join(keys[i:i + n])
                                if gram not in self.exact and len(gram) >= self.min_fuzzy_chars:
                                    hits.append((i, i + n - 1, "\0" + gram))
                                    fuzzy_keys.add(gram)
                for first, last, key in sorted(hits):
                    grams.append((d, key, seg.start + words[first][1], seg.start + words[last][2], ""))
        fuzzy = self._fuzzy(fuzzy_keys, sigs)
        found: list[list[Finding]] = [[] for _ in docs]
        for d, key, start, end, _ in grams:
            lang = docs[d].lang
            if key.startswith("\0"):
                hits = [(k, s, "fuzzy") for k, s in fuzzy.get(key[1:], ())]
            else:
                hits = [(key, 1.0, "exact")] if self._uris(key, lang) else []
            text = docs[d].text
            for label_key, score, method in hits:
                for uri in sorted(self._uris(label_key, lang)):
                    found[d].append(Finding(uri, score, method, text[start:end], start, end,
                                            self.key_text.get(label_key, label_key)))
        return [_drop_nested(f) for f in found]

    def _fuzzy(self, keys: set[str],
               sigs: dict[tuple[str, ...], list[str]]) -> dict[str, list[tuple[str, float]]]:
        if not self.fuzzy_cutoff or not keys:
            return {}
        from rapidfuzz import fuzz, process

        queries: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for key in keys:
            queries[tuple(w[:3] for w in key.split())].append(key)
        out: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for sig, qs in queries.items():
            cands = sigs[sig]
            scores = process.cdist(qs, cands, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff,
                                   dtype=np.uint8)
            for qi, ci in zip(*np.nonzero(scores), strict=True):
                out[qs[qi]].append((cands[ci], round(float(scores[qi, ci]) / 100, 4)))
        return out


def _drop_nested(findings: list[Finding]) -> list[Finding]:
    """Drop matches whose span lies inside a longer match's span."""
    spans = sorted({(f.start, f.end) for f in findings}, key=lambda s: (s[0], -(s[1] - s[0])))
    keep = {s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)}
    return [f for f in findings if (f.start, f.end) in keep]

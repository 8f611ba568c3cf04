"""Boilerplate by corpus statistics: a sentence that recurs, word for word, in many postings of
unrelated occupations (a portal's how-to-apply text, an agency's "about us", a privacy clause) says
nothing about any one job.

A sentence is boilerplate when its key (case-folded, digits as 0, punctuation and spacing collapsed)
occurs in at least ``min_postings`` postings whose occupations fall into at least ``min_groups``
different groups (ISCO-08 sub-major groups in the pipeline), and it has at least ``min_words`` words:
short requirements ("Driving licence B") recur across occupations because many jobs need them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_DIGITS = re.compile(r"\d")
_NONWORD = re.compile(r"[\W_]+")


def sentence_key(sentence: str) -> str:
    """The key sentences are compared by: case-folded words, digits as 0 (dates, phone numbers)."""
    return _NONWORD.sub(" ", _DIGITS.sub("0", sentence.casefold())).strip()


@dataclass(frozen=True)
class BoilerplateRule:
    """When a recurring sentence counts as boilerplate."""

    min_postings: int = 5
    min_groups: int = 3
    min_words: int = 5

    def find(self, sentences: Sequence[Iterable[str]],
             groups: Sequence[str | None] | None = None) -> set[str]:
        """The boilerplate sentence keys of a corpus: ``sentences[i]`` are posting i's sentences,
        ``groups[i]`` its occupation group (None: unknown, then each posting is its own group)."""
        postings: dict[str, int] = defaultdict(int)
        kinds: dict[str, set] = defaultdict(set)
        for i, sents in enumerate(sentences):
            group = groups[i] if groups is not None and groups[i] is not None else ("posting", i)
            for key in {sentence_key(s) for s in sents}:
                if key.count(" ") + 1 < self.min_words:
                    continue
                postings[key] += 1
                if len(kinds[key]) < self.min_groups:
                    kinds[key].add(group)
        return {k for k, n in postings.items() if n >= self.min_postings and len(kinds[k]) >= self.min_groups}

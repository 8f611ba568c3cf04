"""Which ESCO label languages a run indexes: English plus the languages with a real share of its titles.

A language detector names a few languages once in any large file (short titles are easy to misread:
"Controller" as German in an English file), and each indexed language costs 5-20k label embeddings on
a cold cache. So a language is indexed only when at least ``MIN_SHARE`` of the file's unique titles are
in it, and at least ``MIN_TITLES`` of them (or, in a small file, at least ``SMALL_FILE_SHARE`` of them:
four German titles of six are German, not a misreading). Titles of the other languages are still matched: the
encoder is multilingual and every title is scored against every indexed label, so they are matched
cross-lingually against the English labels (plus their own language's, where it is indexed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from jobmarket.errors import JobmarketError

__all__ = ["MIN_SHARE", "MIN_TITLES", "LanguageChoice", "choose_index_languages"]

MIN_SHARE = 0.01  # of the unique titles with a detected language
MIN_TITLES = 10
SMALL_FILE_SHARE = 0.10
PIVOT = "en"  # always indexed: the cross-lingual fallback for every other language


@dataclass(frozen=True)
class LanguageChoice:
    """The label languages of a run and why: recorded in the run's params and printed."""

    languages: list[str]
    rule: str
    titles: dict[str, int] = field(default_factory=dict)  # unique titles per detected language
    left_out: dict[str, int] = field(default_factory=dict)  # detected, but too few titles: English labels
    no_labels: dict[str, int] = field(default_factory=dict)  # detected, but ESCO has no labels loaded

    def summary(self) -> str:
        """One line for the terminal: what is indexed, and which detected languages go cross-lingual."""
        text = f"label languages {', '.join(self.languages)} ({self.rule})"
        cross = {**self.left_out, **self.no_labels}
        if cross:
            text += "; matched against those labels cross-lingually: " + ", ".join(
                f"{lang} ({n:,} titles)" for lang, n in sorted(cross.items(), key=lambda x: -x[1]))
        return text

    def as_params(self) -> dict:
        return asdict(self)


def choose_index_languages(
    title_counts: Mapping[str | None, int],
    available: Sequence[str],
    given: Sequence[str] | None = None,
    *,
    min_share: float = MIN_SHARE,
    min_titles: int = MIN_TITLES,
) -> LanguageChoice:
    """The languages to index for a file whose unique titles per detected language are ``title_counts``.

    ``available``: languages with ESCO occupation labels in the store. ``given`` (``--index-lang``)
    overrides the rule; a given language without labels is an error.
    """
    have = set(available)
    counts = {lang: int(n) for lang, n in title_counts.items() if lang}
    if given:
        missing = [lang for lang in given if lang not in have]
        if missing:
            loaded = ", ".join(sorted(have))
            raise JobmarketError(f"no ESCO occupation labels loaded for {', '.join(missing)}; "
                                 f"loaded: {loaded}")
        return LanguageChoice(list(dict.fromkeys(given)), "given", counts)
    total = sum(counts.values())
    wanted = {PIVOT} if PIVOT in have else set()
    left_out, no_labels = {}, {}
    for lang, n in counts.items():
        if lang == PIVOT:
            continue
        if lang not in have:
            no_labels[lang] = n
        elif n >= min_share * total and (n >= min_titles or n >= SMALL_FILE_SHARE * total):
            wanted.add(lang)
        else:
            left_out[lang] = n
    if not wanted:  # no English and no language with a share: every loaded language rather than none
        return LanguageChoice(sorted(have), "all loaded: no detected language has labels", counts,
                              {}, no_labels)
    rule = (f"English + languages of >= {min_share:.0%} of the unique titles and >= {min_titles} "
            f"(or >= {SMALL_FILE_SHARE:.0%}) of them")
    return LanguageChoice(sorted(wanted), rule, counts, left_out, no_labels)

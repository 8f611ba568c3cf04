"""Which part of a job ad a segment belongs to: requirements, tasks, offer, company, apply, or other.

Evidence is general and multilingual: heading cue words per language (``cues/LANG.tsv``; "Requirements:",
"Wymagania:", "Wir bieten:"), which open a section that runs until the next heading, and sentence cues
that mark a sentence wherever it stands ("send your CV"). Repetition across postings is the other
evidence, computed over a whole corpus in :mod:`jobmarket.skills.boilerplate`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from jobmarket.skills.segments import Segment, split_segments

SECTIONS = ("requirements", "tasks", "offer", "company", "apply", "other")
# The parts of an ad that say what the job needs; skills found only elsewhere are background.
SKILL_SECTIONS = frozenset({"requirements", "tasks", "other"})
MAX_HEADING_WORDS = 6
# Languages a detector names for text of a close neighbour whose cues we keep (Croatian for Bosnian ...).
ALIASES = {"bs": "hr", "sr": "hr", "me": "hr", "nb": "no", "nn": "no", "mk": "bg"}
# A colon that ends a heading: not inside a time ("8:00") or a URL.
_COLON = re.compile(r"(?<!\d):(?!//)(?!\d)")
# What a heading cannot reach back over: sentence ends, bullets, line breaks, another colon.
_HEADING_STOP = re.compile(r"[.!?;:\n\r•·▪●◦►✓➢]|\s[-–—*]\s")
# What a kept sentence keeps of the punctuation right after it (segments are trimmed of it).
_CLOSERS = frozenset(".!?)]}\"'»”’")


@dataclass(frozen=True)
class Heading:
    """A heading in a description: ``text[start:end]`` (its colon included), opening ``section``."""

    start: int
    end: int
    section: str


class _CueSet:
    """Cues as one alternation (longest cue first, so the leftmost and then longest cue wins)."""

    def __init__(self, cues: list[tuple[str, str]]) -> None:
        cues = sorted(dict.fromkeys(cues), key=lambda c: -len(c[0]))
        self.sections = {f"c{i}": section for i, (_, section) in enumerate(cues)}
        body = "|".join(f"(?P<c{i}>{_cue_body(cue)})" for i, (cue, _) in enumerate(cues)) or r"(?!x)x"
        self.pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)")

    def first(self, text: str, whole: bool = False) -> str | None:
        """The section of the earliest cue in ``text``; with ``whole`` only a cue that opens the text
        and leaves at most one more word ("Your tasks") counts."""
        low = text.casefold()
        m = self.pattern.match(low) if whole else self.pattern.search(low)
        if m is None or (whole and len(low[m.end():].split()) > 1):
            return None
        return self.sections[m.lastgroup]


@dataclass(eq=False)  # hashed by identity: cue sets are cached per loaded Cues
class Cues:
    """Per language: the cues of each kind (heading, sentence) as (cue, section) pairs."""

    heading: dict[str, list[tuple[str, str]]]
    sentence: dict[str, list[tuple[str, str]]]

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> Cues:
        heading: dict[str, list[tuple[str, str]]] = {}
        sentence: dict[str, list[tuple[str, str]]] = {}
        for entry in sorted(resources.files("jobmarket.skills.cues").iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".tsv"):
                continue
            with entry.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh, delimiter="\t"):
                    kind, section, cue = row["kind"].strip(), row["section"].strip(), row["cue"].strip()
                    if section in SECTIONS and cue:
                        target = heading if kind == "heading" else sentence
                        target.setdefault(entry.name[:-4], []).append((cue, section))
        return cls(heading, sentence)

    def for_lang(self, kind: str, lang: str | None) -> _CueSet:
        """The cues of ``lang`` and English (ads mix them); every language's when ``lang`` has none."""
        base = (lang or "").split("-")[0].lower()
        base = ALIASES.get(base, base)
        return _cue_set(self, kind, base)


@lru_cache(maxsize=256)
def _cue_set(cues: Cues, kind: str, base: str) -> _CueSet:
    table = cues.heading if kind == "heading" else cues.sentence
    if base not in table:
        return _CueSet([c for items in table.values() for c in items])
    return _CueSet(table[base] + (table.get("en", []) if base != "en" else []))


def _cue_body(cue: str) -> str:
    words = cue.casefold().split()
    last = re.escape(words[-1].rstrip("*")) + (r"\w*" if words[-1].endswith("*") else "")
    return r"\s+".join([re.escape(w) for w in words[:-1]] + [last])


def find_headings(text: str, lang: str | None = None) -> list[Heading]:
    """Headings of a description: up to ``MAX_HEADING_WORDS`` words ending in a colon (also inline, as in
    "… Prednost: - iskustvo") or alone on a short line, holding a heading cue of the language."""
    heads = Cues.load().for_lang("heading", lang)
    found: list[Heading] = []
    for m in _COLON.finditer(text):
        left = max(0, m.start() - 80)
        window = text[left:m.start()]
        stops = list(_HEADING_STOP.finditer(window))
        start = left + (stops[-1].end() if stops else 0)
        words = list(re.finditer(r"\S+", text[start:m.start()]))
        if not words:
            continue
        # An inline heading follows the previous item's words ("… dobavljačima Prednost:"): it starts at
        # a capitalised word among the last few, else (a lower-case sub-heading) at the item's start.
        starts = [i for i in range(max(0, len(words) - MAX_HEADING_WORDS), len(words))
                  if words[i].group()[0].isupper()]
        if len(words) <= MAX_HEADING_WORDS and 0 not in starts:
            starts.append(0)
        for i in starts:
            s = start + words[i].start()
            section = heads.first(text[s:m.start()])
            if section:
                found.append(Heading(s, m.end(), section))
                break
    for line in re.finditer(r"[^\r\n]+", text):  # headings on a line of their own, without a colon
        body = line.group().strip(" \t-–—•*#")
        if not body or len(body.split()) > MAX_HEADING_WORDS or body.endswith((".", ",", ";", ":")):
            continue
        # Without a colon only a line that is a cue heads a section ("We offer", not "A good salary"
        # or "Experience with Python"); the last line of an ad heads nothing.
        section = heads.first(body, whole=True)
        if section and line.end() < len(text):
            found.append(Heading(line.start(), line.end(), section))
    return sorted(found, key=lambda h: h.start)


def sentence_section(sentence: str, lang: str | None = None) -> str | None:
    """The section a sentence's own cues name ("send your CV" -> apply), else None."""
    return Cues.load().for_lang("sentence", lang).first(sentence)


def split_sections(text: str, lang: str | None = None, max_words: int = 25) -> list[Segment]:
    """The segments of a description (headings left out), each with its section: the last heading's
    before it, unless its sentence carries a sentence cue of its own."""
    return [seg for seg, _ in _sectioned(text, lang, max_words)]


def _sectioned(text: str, lang: str | None, max_words: int) -> list[tuple[Segment, Heading | None]]:
    """Each segment with its section, and the heading last before it (None before the first)."""
    headings = find_headings(text, lang)
    segments = split_segments(text, max_words, lang, skip=[(h.start, h.end) for h in headings])
    out: list[tuple[Segment, Heading | None]] = []
    h, heading = 0, None
    cache: dict[tuple[int, int], str | None] = {}
    for seg in segments:
        while h < len(headings) and headings[h].start <= seg.start:
            heading = headings[h]
            h += 1
        span = (seg.sentence_start, seg.sentence_end)
        if span not in cache:
            cache[span] = sentence_section(text[span[0]:span[1]], lang)
        out.append((replace(seg, section=cache[span] or (heading.section if heading else "other")), heading))
    return out


def skill_text(text: str | None, lang: str | None = None, max_words: int = 25) -> str | None:
    """What of a description skill extraction reads as the job's needs (the ``skills`` description
    policy, :mod:`jobmarket.io.privacy`): its sentences of :data:`SKILL_SECTIONS`, one a line, each
    requirements/tasks run under the heading that opened it; offer, company and how-to-apply text is
    dropped. None when nothing is left.

    The headings are kept so that :func:`split_sections` over the result gives its sentences the same
    sections again; one a line, so the segmenter cuts them where it cut the original.
    """
    if not text:
        return None
    out: list[str] = []
    seen: set[tuple[int, int]] = set()
    shown: Heading | None = None
    for seg, heading in _sectioned(text, lang, max_words):
        span = (seg.sentence_start, seg.sentence_end)
        if seg.section not in SKILL_SECTIONS or span in seen:  # clauses of one sentence share its span
            continue
        seen.add(span)
        if heading is not None and heading is not shown and heading.section == seg.section:
            out.append(text[heading.start:heading.end].strip())
            shown = heading
        end = span[1]
        while end < len(text) and text[end] in _CLOSERS:
            end += 1
        out.append(text[span[0]:end])
    return "\n".join(out) or None

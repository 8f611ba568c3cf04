"""The interface of extraction stages: a :class:`Stage` turns a batch of :class:`Doc` into
:class:`Finding` lists. Stages are interchangeable; :class:`~jobmarket.skills.extractor.SkillExtractor`
merges their findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from jobmarket.skills.segments import Segment


@dataclass
class Finding:
    """A skill found in a text: ``text[start:end] == evidence``.

    The extractor adds where it stands: ``sentence`` (the sentence or bullet item holding the evidence),
    its ``section`` and ``boilerplate`` (True when the skill was found only in background text: a
    sentence that recurs across unrelated postings, or an offer/company/apply section).
    """

    skill_uri: str
    score: float
    method: str  # exact | fuzzy | embedding
    evidence: str
    start: int
    end: int
    label: str = ""  # the label or label text that matched
    sentence: str = ""
    section: str = "other"
    boilerplate: bool = False


@dataclass
class Doc:
    """A text to extract from: its segments and language."""

    text: str
    lang: str | None
    segments: list[Segment] = field(default_factory=list)


class Stage(Protocol):
    """One extraction stage: findings for each document of a batch."""

    def find_many(self, docs: Sequence[Doc]) -> list[list[Finding]]: ...

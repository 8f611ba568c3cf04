"""Skill extraction: a :class:`SkillExtractor` splits descriptions into sectioned segments, runs swappable
stages (:mod:`jobmarket.skills._base`) over each distinct segment once, and keeps, per text and skill, the
best finding, preferring what the job needs over background text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from jobmarket.progress import chunk_progress
from jobmarket.skills._base import Doc, Finding, Stage
from jobmarket.skills.boilerplate import BoilerplateRule, sentence_key
from jobmarket.skills.embedding import EmbeddingStage
from jobmarket.skills.label_match import DEFAULT_FUZZY_CUTOFF, LabelMatchStage
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.sections import SKILL_SECTIONS, split_sections
from jobmarket.skills.segments import Segment, split_segments

# Best finding first: a label match beats an embedding guess whatever their scores.
METHOD_RANK = {"exact": 0, "fuzzy": 1, "embedding": 2}
DEFAULT_RULE = BoilerplateRule()


class SkillExtractor:
    """Skills of texts through a list of stages; per text and skill the best finding is kept
    (foreground before background, then exact before fuzzy before embedding, then by score).

    Background is a segment of an offer/company/apply section or a boilerplate sentence (``rule``, over
    the texts of one :meth:`extract_many` call); a skill found only there is kept with
    ``boilerplate=True``. Stages with ``skips_background`` (the embedding stage: the costly one) see
    only foreground segments. Each distinct segment text is given to the stages once (portals repeat
    their sentences across postings). ``sections=False`` skips section classification (plain sentence
    segments, as for the benchmark's single sentences).

    Build with :meth:`default` for the label-matching and embedding stages, or pass any stages.
    """

    def __init__(self, stages: Sequence[Stage], max_words: int = 25, *, sections: bool = True,
                 rule: BoilerplateRule | None = DEFAULT_RULE) -> None:
        self.stages = list(stages)
        self.max_words = max_words
        self.sections = sections
        self.rule = rule

    @classmethod
    def default(cls, labels: SkillLabels, encoder=None, *, threshold: float | None = None,
                top_n: int | None = None, fuzzy_cutoff: float | None = DEFAULT_FUZZY_CUTOFF,
                sentence_route: str | None = None, max_words: int = 25, sections: bool = True,
                rule: BoilerplateRule | None = DEFAULT_RULE) -> SkillExtractor:
        """Label matching, plus embedding similarity when an encoder is given."""
        stages: list[Stage] = [LabelMatchStage(labels, fuzzy_cutoff=fuzzy_cutoff)]
        if encoder is not None:
            stages.append(EmbeddingStage(labels, encoder, threshold=threshold, top_n=top_n,
                                         sentence_route=sentence_route))
        return cls(stages, max_words=max_words, sections=sections, rule=rule)

    def docs(self, texts: Sequence[str | None], langs: Sequence[str | None] | None = None) -> list[Doc]:
        langs = langs if langs is not None else [None] * len(texts)
        split = split_sections if self.sections else (lambda t, lg, n: split_segments(t, n, lg))
        return [Doc(t or "", lang, split(t or "", lang, self.max_words))
                for t, lang in zip(texts, langs, strict=True)]

    def extract(self, text: str, lang: str | None = None) -> list[Finding]:
        return self.extract_many([text], [lang])[0]

    def extract_many(self, texts: Sequence[str | None], langs: Sequence[str | None] | None = None,
                     groups: Sequence[str | None] | None = None, batch: int = 1024,
                     progress: bool = False) -> list[list[Finding]]:
        """Findings for each text, best first: one per skill. ``groups``: each text's occupation group,
        for the boilerplate rule (None: every text its own)."""
        docs = self.docs(texts, langs)
        boiler = self.boilerplate(docs, groups)
        # Distinct segments: (text, language) -> unit; a unit is foreground if any occurrence is.
        units: dict[tuple[str, str | None], int] = {}
        unit_fore: list[bool] = []
        where: list[list[tuple[int, Segment, bool]]] = []  # per doc: (unit, segment, background)
        for doc in docs:
            rows = []
            for seg in doc.segments:
                back = _background(doc.text, seg, boiler)
                u = units.setdefault((seg.text, doc.lang), len(units))
                if u == len(unit_fore):
                    unit_fore.append(False)
                unit_fore[u] = unit_fore[u] or not back
                rows.append((u, seg, back))
            where.append(rows)
        unit_docs = [Doc(text, lang, [Segment(text, 0, len(text))]) for (text, lang) in units]
        unit_found: list[list[Finding]] = [[] for _ in unit_docs]
        # Units in order of length, so each batch holds texts of similar length: the encoder sorts only
        # within a call, and 1,024 units of every length padded ~28% more tokens than the EURES segments
        # hold (2% sorted across all).
        order = sorted(range(len(unit_docs)), key=lambda u: len(unit_docs[u].text))
        with chunk_progress(progress, "skills", len(unit_docs)) as advance:
            for b0 in range(0, len(order), batch):
                part = order[b0:b0 + batch]
                for stage in self.stages:
                    ids = [u for u in part if unit_fore[u]] if getattr(stage, "skips_background", False) \
                        else part
                    for u, fs in zip(ids, stage.find_many([unit_docs[u] for u in ids]), strict=True):
                        unit_found[u].extend(fs)
                advance(len(part))
        out: list[list[Finding]] = []
        for doc, rows in zip(docs, where, strict=True):
            best: dict[str, Finding] = {}
            for u, seg, back in rows:
                sentence = doc.text[seg.sentence_start:seg.sentence_end] if seg.sentence_start >= 0 \
                    else seg.text
                for f in unit_found[u]:
                    g = replace(f, evidence=doc.text[seg.start + f.start:seg.start + f.end],
                                start=seg.start + f.start, end=seg.start + f.end, sentence=sentence,
                                section=seg.section, boilerplate=back)
                    old = best.get(g.skill_uri)
                    if old is None or _rank(g) < _rank(old):
                        best[g.skill_uri] = g
            out.append(sorted(best.values(), key=_rank))
        return out

    def boilerplate(self, docs: Sequence[Doc], groups: Sequence[str | None] | None = None) -> set[str]:
        """The keys of the boilerplate sentences among ``docs`` (empty without a rule)."""
        if self.rule is None or len(docs) < 2:
            return set()
        return self.rule.find([_sentences(d) for d in docs], groups)


def _sentences(doc: Doc) -> set[str]:
    return {doc.text[s.sentence_start:s.sentence_end] for s in doc.segments if s.sentence_start >= 0}


def _background(text: str, seg: Segment, boiler: set[str]) -> bool:
    if seg.section not in SKILL_SECTIONS:
        return True
    return bool(boiler) and seg.sentence_start >= 0 and \
        sentence_key(text[seg.sentence_start:seg.sentence_end]) in boiler


def _rank(f: Finding) -> tuple[int, int, float, int]:
    return int(f.boilerplate), METHOD_RANK.get(f.method, 9), -f.score, f.start

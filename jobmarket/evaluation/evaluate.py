"""Evaluate any model (hub id, folder, offline, trained) on job-title tasks; WorkRB-style task registry.

Each task is a small class with a ``name`` and ``run(encoder) -> dict`` of metrics. IR metrics come from
``ir_measures`` (pytrec_eval underneath), not hand-written code. Tasks read their data from a folder laid
out like the project's shared data (``talentclef2025/``, ``jobbert_eval/``, ``esco/``) and from ESCO
packages imported into an in-memory store; no jobmarket store is needed.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections

TALENTCLEF_LANGS = {"en": "english", "de": "german", "es": "spanish", "zh": "chinese"}
DEFAULT_CROSS = ("en-de", "en-es", "en-zh")
ESCO_DEFAULT = ("esco/v1.1.1", "esco/v1.2", "esco/v1.2-labels")

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


# ---------------------------------------------------------------- metrics


def ir_metrics(qrels: Qrels, run: Run, measures: Sequence[str]) -> dict[str, float]:
    """Aggregate IR metrics by name (``AP``, ``RR``, ``nDCG@10``, ``Success@1``, ``R@10``) via ir_measures.

    Only queries with at least one relevant document count; a query absent from ``run`` scores 0.
    """
    import ir_measures

    qrels = {q: d for q, d in qrels.items() if any(v > 0 for v in d.values())}
    # pytrec_eval skips queries missing from the run; give them an empty-but-present ranking instead.
    run = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    parsed = [ir_measures.parse_measure(m) for m in measures]
    agg = ir_measures.calc_aggregate(parsed, qrels, run)
    return {name: float(agg[m]) for name, m in zip(measures, parsed, strict=True)}


def rank(
    q_vecs: np.ndarray,
    d_vecs: np.ndarray,
    q_ids: Sequence[str],
    d_ids: Sequence[str],
    k: int | None = None,
    chunk: int = 512,
) -> Run:
    """Cosine top-k (all documents when ``k`` is None) of normalised vectors, as an ir_measures run."""
    run: Run = {}
    k = len(d_ids) if k is None else min(k, len(d_ids))
    for start in range(0, len(q_ids), chunk):
        sims = q_vecs[start : start + chunk] @ d_vecs.T
        top = (
            np.argpartition(-sims, k - 1, axis=1)[:, :k]
            if k < len(d_ids)
            else np.tile(np.arange(len(d_ids)), (len(sims), 1))
        )
        for r, row in enumerate(top):
            run[q_ids[start + r]] = {d_ids[j]: float(sims[r, j]) for j in row}
    return run


def alignment(x: np.ndarray, y: np.ndarray, alpha: float = 2.0) -> float:
    """Wang & Isola's alignment: mean ‖f(x) − f(y)‖^α over positive pairs (lower is better)."""
    return float(np.mean(np.linalg.norm(x - y, axis=1) ** alpha))


def uniformity(x: np.ndarray, t: float = 2.0) -> float:
    """Wang & Isola's uniformity: log of the mean of exp(−t‖f(a) − f(b)‖²) over distinct pairs."""
    sq = (
        np.clip(2.0 - 2.0 * (x @ x.T), 0.0, None)
        if np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-3)
        else ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    )
    iu = np.triu_indices(len(x), k=1)
    return float(np.log(np.mean(np.exp(-t * sq[iu]))))


# ---------------------------------------------------------------- data


@dataclass
class EvalData:
    """Where tasks find their data: a root laid out like the shared data, and ESCO packages."""

    root: Path | None = None
    esco: list[Path] = field(default_factory=list)
    _con: duckdb.DuckDBPyConnection | None = None

    def path(self, *parts: str) -> Path:
        if self.root is None:
            raise JobmarketError(
                "evaluation data folder not given: pass --data DIR "
                "(with talentclef2025/, jobbert_eval/, esco/)"
            )
        p = self.root.joinpath(*parts)
        if not p.exists():
            raise JobmarketError(f"evaluation data not found: {p}")
        return p

    def con(self) -> duckdb.DuckDBPyConnection:
        """ESCO in an in-memory store (imported once, a few seconds)."""
        if self._con is None:
            from jobmarket.esco import importer as esco
            from jobmarket.store import connection as store

            paths = (
                self.esco or [p for p in (self.root / e for e in ESCO_DEFAULT) if p.exists()]
                if self.root
                else self.esco
            )
            if not paths:
                raise JobmarketError("no ESCO packages for evaluation: pass --esco PATH or --data DIR")
            con = duckdb.connect(":memory:")
            con.execute("SET enable_progress_bar = false")
            store.apply_schema(con)
            esco.import_esco(con, paths, progress=False)
            self._con = con
        return self._con

    def exact_index(self, langs: Sequence[str]) -> dict[str, set[str]]:
        """Normalised ESCO label (with gendered halves) → occupation URIs, for the given languages."""
        from jobmarket.matching.label_index import LabelIndex

        return dict(LabelIndex.from_store(self.con(), list(langs)).exact)


# ---------------------------------------------------------------- tasks


class Task:
    name: str = "task"

    def run(self, encoder) -> dict[str, float]:  # pragma: no cover - interface
        raise NotImplementedError


def _read_tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)


def read_talentclef(folder: Path) -> tuple[dict[str, str], dict[str, str], Qrels]:
    """Queries and corpus (id → title) and TREC qrels of one TalentCLEF Task A language folder."""
    q = _read_tsv(folder / "queries")
    c = _read_tsv(folder / "corpus_elements")
    qrels: Qrels = defaultdict(dict)
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4:
            qrels[parts[0]][parts[2]] = int(parts[3])
    return (
        dict(zip(q["q_id"], q["jobtitle"], strict=True)),
        dict(zip(c["c_id"], c["jobtitle"], strict=True)),
        dict(qrels),
    )


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
    from jobmarket.text.titles import normalize_label

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
    from jobmarket.text.titles import normalize_label

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


class EscoNormalization(Task):
    """Real English vacancy titles → ESCO occupations (JobBERT evaluation set), embedding stage only:
    accuracy@1, MRR@10, recall@5/@10 over the ESCO English labels (the matcher's best label per occupation).
    """

    name = "esco-norm"

    def __init__(self, data: EvalData, limit: int | None = None, seed: int = 0, lang: str = "en",
                 plain_max: bool = False) -> None:
        self.data, self.limit, self.seed, self.lang = data, limit, seed, lang
        # plain_max: score an occupation by its best label only (no soft maximum, no preferred-label bonus:
        # those defaults were tuned on these titles for the offline model's cosine range).
        self.plain_max = plain_max
        if plain_max:
            self.name = "esco-norm:max"

    def run(self, encoder) -> dict[str, float]:
        from jobmarket.matching.label_index import LabelIndex
        from jobmarket.matching.matcher import MatchConfig, Matcher

        df = pd.read_csv(self.data.path("jobbert_eval", "titles.csv"), dtype=str, keep_default_na=False)
        df = df[(df["vacancyTitle"].str.strip() != "") & (df["conceptUri"] != "")]
        if self.limit and len(df) > self.limit:
            df = df.sample(n=self.limit, random_state=self.seed)
        index = LabelIndex.from_store(self.data.con(), [self.lang])
        cfg = MatchConfig(top_k=10, threshold=-1.0, use_exact=False, use_fuzzy=False)
        if self.plain_max:
            cfg.temperature, cfg.preferred_bonus = 0.0, 0.0
        matcher = Matcher(index, encoder, cfg)
        titles = list(df["vacancyTitle"])
        matches = matcher.match(titles, [self.lang] * len(titles))
        run = {str(i): {u: s for u, s in m.candidates} for i, m in enumerate(matches)}
        qrels = {str(i): {u: 1} for i, u in enumerate(df["conceptUri"])}
        res = ir_metrics(qrels, run, ("Success@1", "RR@10", "R@5", "R@10"))
        return {
            "acc@1": res["Success@1"],
            "MRR@10": res["RR@10"],
            "recall@5": res["R@5"],
            "recall@10": res["R@10"],
            "queries": float(len(qrels)),
        }


class SkillRanking(Task):
    """TalentCLEF Task B style from ESCO: an occupation's preferred label (anchor route) ranks all ESCO skills
    (positive route); its essential skills are relevant. MAP, nDCG@10."""

    name = "skills-rank"

    def __init__(self, data: EvalData, n_occupations: int | None = 300, seed: int = 0) -> None:
        self.data, self.n, self.seed = data, n_occupations, seed

    def run(self, encoder) -> dict[str, float]:
        sql = sql_sections("evaluate.sql")
        con = self.data.con()
        occ = con.execute(sql["preferred_labels"], [["en"]]).df()
        skills = con.execute(sql["skill_labels"]).df()
        rel = con.execute(sql["essential_skills"]).df()
        if skills.empty or rel.empty:
            raise JobmarketError("skills-rank needs ESCO skills and relations (the v1.1.1 packages)")
        qrels: Qrels = defaultdict(dict)
        for o, s in zip(rel["occupation_uri"], rel["skill_uri"], strict=True):
            qrels[o][s] = 1
        occ = occ[occ["occupation_uri"].isin(qrels)]
        if self.n and len(occ) > self.n:
            occ = occ.sample(n=self.n, random_state=self.seed)
        q_ids, d_ids = list(occ["occupation_uri"]), list(skills["skill_uri"])
        qv = encoder.encode_titles(list(occ["label"]))
        dv = encoder.encode_skills(list(skills["label"]))
        res = ir_metrics(
            {q: qrels[q] for q in q_ids}, rank(qv, dv, q_ids, d_ids, k=1000), ("AP@1000", "nDCG@10")
        )
        return {"MAP": res["AP@1000"], "nDCG@10": res["nDCG@10"], "queries": float(len(q_ids))}


class AlignUniform(Task):
    """Alignment and uniformity (Wang & Isola) of titles on cross-lingual ESCO preferred-label pairs
    (English vs each other language, same occupation), anchor route. Lower is better for both."""

    name = "align-uniform"

    def __init__(
        self,
        data: EvalData,
        langs: Sequence[str] = ("de", "es", "fr", "nl", "pl", "it"),
        n_pairs: int = 500,
        seed: int = 0,
    ) -> None:
        self.data, self.langs, self.n, self.seed = data, list(langs), n_pairs, seed

    def run(self, encoder) -> dict[str, float]:
        df = (
            self.data.con()
            .execute(sql_sections("evaluate.sql")["preferred_labels"], [["en", *self.langs]])
            .df()
        )
        wide = df.pivot_table(index="occupation_uri", columns="lang", values="label", aggfunc="first")
        pairs = [
            (e, o)
            for lang in self.langs
            if lang in wide
            for e, o in wide[["en", lang]].dropna().itertuples(index=False)
        ]
        if not pairs:
            raise JobmarketError("align-uniform needs ESCO labels in English and another language")
        rng = random.Random(self.seed)
        pairs = rng.sample(pairs, min(self.n, len(pairs)))
        x = encoder.encode_titles([p[0] for p in pairs])
        y = encoder.encode_titles([p[1] for p in pairs])
        both = np.concatenate([x, y])
        return {"alignment": alignment(x, y), "uniformity": uniformity(both), "pairs": float(len(pairs))}


# ---------------------------------------------------------------- registry and runner

TaskFactory = Callable[[EvalData], list[Task]]


def _talentclef(spec: str | None) -> TaskFactory:
    def make(data: EvalData) -> list[Task]:
        if spec:
            q, _, c = spec.partition("-")
            return [TalentClefTaskA(data, q, c or None)]
        return [TalentClefTaskA(data, lang) for lang in ("de", "en", "es", "zh")] + [
            TalentClefTaskA(data, *pair.split("-")) for pair in DEFAULT_CROSS
        ]

    return make


TASKS: dict[str, TaskFactory] = {
    "talentclef-a": _talentclef(None),
    "esco-norm": lambda d: [EscoNormalization(d)],
    "skills-rank": lambda d: [SkillRanking(d)],
    "align-uniform": lambda d: [AlignUniform(d)],
}


def make_tasks(names: Sequence[str], data: EvalData, norm_limit: int | None = None) -> list[Task]:
    """Task names: ``talentclef-a`` (all its runs), ``talentclef-a:de`` / ``talentclef-a:en-de``,
    ``esco-norm`` (``esco-norm:max``: best label only), ``skills-rank``, ``align-uniform``, or ``all``."""
    names = list(TASKS) if not names or "all" in names else list(names)
    tasks: list[Task] = []
    for name in names:
        base, _, spec = name.partition(":")
        if base == "talentclef-a" and spec:
            tasks += _talentclef(spec)(data)
        elif base == "esco-norm" and spec == "max":
            tasks.append(EscoNormalization(data, plain_max=True))
        elif base in TASKS:
            tasks += TASKS[base](data)
        else:
            raise JobmarketError(f"unknown task {name}: choose from {', '.join(TASKS)}, all")
    for t in tasks:
        if isinstance(t, EscoNormalization):
            t.limit = norm_limit
    return tasks


def evaluate(
    model: str,
    tasks: Sequence[str] = ("all",),
    data_dir: str | Path | None = None,
    esco: Sequence[str | Path] = (),
    norm_limit: int | None = None,
    batch_size: int = 64,
    progress: bool = True,
    encoder=None,
) -> dict:
    """Run the tasks on a model; return ``{"model", "results": [{task, metrics..., seconds}], ...}``.

    A task whose data cannot be judged (e.g. cross-lingual into Chinese) is reported with an ``error``.
    """
    from rich.console import Console

    from jobmarket.encoders.sentence_transformer import Encoder

    console = Console(stderr=True, highlight=False, quiet=not progress)
    data = EvalData(Path(data_dir).expanduser() if data_dir else None, [Path(p) for p in esco])
    task_list = make_tasks(tasks, data, norm_limit)
    enc = encoder or Encoder(model, batch_size=batch_size)
    results = []
    for task in task_list:
        started = time.perf_counter()
        try:
            metrics: dict = task.run(enc)
        except JobmarketError as exc:
            metrics = {"error": str(exc)}
        metrics = {"task": task.name, **metrics, "seconds": round(time.perf_counter() - started, 1)}
        results.append(metrics)
        shown = ", ".join(
            f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float) and k != "seconds"
        )
        console.print(f"{task.name}: {shown or metrics.get('error')} ({metrics['seconds']} s)")
    summary = summarize(results)
    return {
        "model": enc.name,
        "model_id": enc.model_id,
        "title_route": enc.title_route,
        "skill_route": enc.skill_route,
        "results": results,
        "summary": summary,
    }


def summarize(results: Sequence[dict]) -> dict[str, float]:
    """The TalentCLEF Task A MAP averaged over the monolingual de/en/es/zh runs (the done-criterion)."""
    mono = [
        r["MAP"]
        for r in results
        if r["task"] in {f"talentclef-a:{x}" for x in ("de", "en", "es", "zh")} and "MAP" in r
    ]
    return (
        {"talentclef_a_map_mono_avg": float(np.mean(mono)), "talentclef_a_runs": float(len(mono))}
        if mono
        else {}
    )


def results_table(report: dict):
    """A rich table of one report: one row per task and metric (tasks differ in their metrics)."""
    from rich.table import Table

    t = Table(title=f"evaluate {report['model']}")
    for c, justify in (("task", "left"), ("metric", "left"), ("value", "right"), ("s", "right")):
        t.add_column(c, justify=justify)
    for r in report["results"]:
        if "error" in r:
            t.add_row(r["task"], "[yellow]not run[/yellow]", f"[yellow]{r['error']}[/yellow]", "")
            continue
        metrics = [k for k in r if k not in ("task", "seconds")]
        for i, k in enumerate(metrics):
            t.add_row(r["task"] if i == 0 else "", k, _fmt(r[k]), str(r["seconds"]) if i == 0 else "")
    return t


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and v.is_integer() and v > 1:
        return f"{int(v):,}"
    return f"{v:.4f}" if isinstance(v, float) else str(v)

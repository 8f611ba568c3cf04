"""A skills run over the store: extract the skills of a normalize run's postings and rebuild the profiles.

Extraction is :class:`~jobmarket.skills.extractor.SkillExtractor` (sections and boilerplate, label
matching, plus embeddings when an encoder is given). Profiles are functions of tables in, tables out
(``sql/skills.sql``): per occupation,
occupation x country and cluster, the share of postings asking for each skill, joined with ESCO's
essential/optional relations and the model's ranking of skills for the occupation's title.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from jobmarket.errors import JobmarketError
from jobmarket.progress import progress_steps
from jobmarket.skills.boilerplate import BoilerplateRule
from jobmarket.skills.embedding import EmbeddingStage
from jobmarket.skills.extractor import SkillExtractor
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.ranking import rank_skills_for_titles
from jobmarket.sql import sql_sections
from jobmarket.store import runs
from jobmarket.store.schema import apply_tables
from jobmarket.store.transaction import transaction


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()
    return bool(rows[0][0])


def build_profiles(con: duckdb.DuckDBPyConnection, model_rank: pd.DataFrame | None = None) -> dict[str, int]:
    """Rebuild ``skill_profiles`` from posting_skills, assignments, ESCO relations and the model's ranking.

    Call inside a transaction. Counts postings of every run whose skills were extracted.
    """
    sql = sql_sections("skills.sql")
    con.execute(sql["skill_groups_build"])
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
    sections: dict[str, int]  # findings per section of the ad
    n_boilerplate: int  # findings only in background text (kept, flagged, left out of profiles)
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
                model_top_n: int = 50, boilerplate_rule: bool = True, progress: bool = False) -> SkillsReport:
    """Find the skills of a normalize run's postings, store them and rebuild the skill profiles.

    ``encoder`` None runs the label-matching stage only. Each finding keeps its sentence, section and
    boilerplate flag (``boilerplate_rule=False``: only sections make background). A rerun replaces the
    run's rows; all writes are one transaction.
    """
    apply_tables(con)
    run_id = resolve_run(con, run_id)
    sql = sql_sections("skills.sql")
    steps = progress_steps(progress)
    with steps("reading postings and ESCO skill labels"):
        posts = con.execute(sql["run_postings"], [run_id]).fetchall()
        labels = SkillLabels.from_store(con)
    extractor = SkillExtractor.default(labels, encoder, threshold=min_score, top_n=top_n,
                                       rule=BoilerplateRule() if boilerplate_rule else None)
    emb = next((s for s in extractor.stages if isinstance(s, EmbeddingStage)), None)
    if emb is not None:
        with steps(f"embedding {len(emb.label_texts):,} skill labels (cached per model)"):
            emb.label_vectors  # noqa: B018 - computed once here so the step shows its cost
    with steps(f"extracting skills from {len(posts):,} descriptions"):
        findings = extractor.extract_many([p[1] for p in posts], [p[2] for p in posts],
                                          groups=[p[3] for p in posts], progress=progress)
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
    rows = [(p[0], f.skill_uri, f.score, f.method, f.evidence, f.start, f.end, f.sentence, f.section,
             f.boilerplate)
            for p, fs in zip(posts, findings, strict=True) for f in fs
            if min_score is None or f.score >= min_score]
    new = pa.table({
        "posting_id": pa.array([r[0] for r in rows], pa.string()),
        "skill_uri": pa.array([r[1] for r in rows], pa.string()),
        "score": pa.array([r[2] for r in rows], pa.float64()),
        "method": pa.array([r[3] for r in rows], pa.string()),
        "evidence": pa.array([r[4] for r in rows], pa.string()),
        "start": pa.array([r[5] for r in rows], pa.int32()),
        "end": pa.array([r[6] for r in rows], pa.int32()),
        "sentence": pa.array([r[7] for r in rows], pa.string()),
        "section": pa.array([r[8] for r in rows], pa.string()),
        "boilerplate": pa.array([r[9] for r in rows], pa.bool_()),
    })
    sections: dict[str, int] = defaultdict(int)
    for r in rows:
        sections[r[8]] += 1
    n_boiler = sum(1 for r in rows if r[9])
    methods: dict[str, int] = defaultdict(int)
    for r in rows:
        methods[r[3]] += 1
    threshold = emb.threshold if emb is not None else None
    skills_run = "skills-" + hashlib.sha1(run_id.encode()).hexdigest()[:12]
    params = {"source_run": run_id, "threshold": threshold, "top_n": emb.top_n if emb else None,
              "min_score": min_score, "model_ranking": model_rank is not None,
              "boilerplate_rule": vars(extractor.rule) if extractor.rule else None}
    with steps("writing posting skills and profiles"):
        with transaction(con):
            runs.start_run(con, skills_run, "skills", source_file=run_id, source_sha256=None,
                            model_id=encoder.model_id if encoder else None,
                            model_dim=encoder.dim if encoder else None, params=params)
            con.execute(sql["delete_posting_skills"], [run_id])
            con.register("_new_skills", new)
            try:
                con.execute(sql["insert_posting_skills"], [run_id])
            finally:
                con.unregister("_new_skills")
            runs.finish_run(con, skills_run, {"postings": len(posts), "findings": len(rows), **methods,
                                              "boilerplate": n_boiler})
            profiles = build_profiles(con, model_rank)
    return SkillsReport(run_id, len(posts), len(rows), dict(methods), profiles, dict(sections), n_boiler,
                        threshold, encoder.name if encoder else None, steps.seconds)


def _skill_vectors(emb: EmbeddingStage, labels: SkillLabels) -> np.ndarray:
    """One vector per skill (its preferred label), in ``emb.skill_uris`` order, reusing the label vectors."""
    pref = labels.preferred()
    text_row = {t: i for i, t in enumerate(emb.label_texts)}
    rows = [text_row.get(pref.get(u, "")) for u in emb.skill_uris]
    if all(r is not None for r in rows):
        return emb.label_vectors[np.asarray(rows)]
    return emb.encoder.encode_skills([pref.get(u, u) for u in emb.skill_uris])

"""Title -> skills ranking from ESCO (TalentCLEF Task B style): essential skills are relevant."""

from __future__ import annotations

from collections import defaultdict

from jobmarket.errors import JobmarketError
from jobmarket.evaluation._base import Task
from jobmarket.evaluation.data import EvalData
from jobmarket.evaluation.metrics import Qrels, ir_metrics, rank
from jobmarket.sql import sql_sections


class SkillRanking(Task):
    """TalentCLEF Task B style from ESCO: an occupation's preferred label (anchor route) ranks all ESCO skills
    (positive route); its essential skills are relevant. MAP, nDCG@10."""

    name = "skills-rank"

    def __init__(self, data: EvalData, n_occupations: int | None = 300, seed: int = 0) -> None:
        self.data, self.n, self.seed = data, n_occupations, seed
        self.occupations: set[str] | None = None  # a trained model's held-out occupations (runner sets it)

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
        if self.occupations is not None:
            occ = occ[occ["occupation_uri"].isin(self.occupations)]
        if self.n and len(occ) > self.n:
            occ = occ.sample(n=self.n, random_state=self.seed)
        q_ids, d_ids = list(occ["occupation_uri"]), list(skills["skill_uri"])
        qv = encoder.encode_titles(list(occ["label"]))
        dv = encoder.encode_skills(list(skills["label"]))
        res = ir_metrics(
            {q: qrels[q] for q in q_ids}, rank(qv, dv, q_ids, d_ids, k=1000), ("AP@1000", "nDCG@10")
        )
        return {"MAP": res["AP@1000"], "nDCG@10": res["nDCG@10"], "queries": float(len(q_ids))}

"""The small store the SQL, API and example tests query: the real ESCO subset, the first 120 real EURES
postings and the tiny model, plus hand-written skill rows (the skills module's tables)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jobmarket.market import Market

# Abstain below this cosine: the tiny random model's scores sit high, so this makes some abstentions.
THRESHOLD = 0.97


def build_small_store(folder: Path, esco: Path, model: Path, postings: Path) -> Path:
    db = folder / "small.duckdb"
    with Market.open(db, model=str(model), esco=[esco]) as m:
        m.normalize(postings, threshold=THRESHOLD)
        add_skill_rows(m)
        m.search("welding", what="skills")  # caches the ESCO skill label vectors in the store
    return db


def top_occupation(m: Market) -> str:
    return m.sql("SELECT occupation_uri FROM posting_occupations WHERE status = 'matched' "
                 "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")["occupation_uri"][0]


def two_countries(m: Market) -> tuple[str, str]:
    """The two countries with the most postings, most first (Bulgaria and Croatia in the sample)."""
    c = m.sql("SELECT country FROM posting_occupations GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2")
    c = c["country"]
    return c[0], c[1]


def profile_skills(m: Market) -> tuple[list[str], str]:
    """Four essential ESCO skills of the top occupation, and one skill ESCO does not relate to it."""
    uri = top_occupation(m)
    ess = m.sql("SELECT skill_uri FROM esco_occupation_skills WHERE occupation_uri = ? "
                "AND relation = 'essential' ORDER BY skill_uri LIMIT 4", [uri])["skill_uri"].tolist()
    other = m.sql("SELECT skill_uri FROM esco_skills WHERE skill_uri NOT IN (SELECT skill_uri FROM "
                  "esco_occupation_skills WHERE occupation_uri = ?) ORDER BY skill_uri LIMIT 1",
                  [uri])["skill_uri"][0]
    return ess, other


def add_skill_rows(m: Market) -> None:
    """Skill profiles of the most advertised occupation in the two main countries A and B, and skills
    found in their postings: real ESCO skills of that occupation plus one ESCO does not relate to it."""
    uri = top_occupation(m)
    ess, other = profile_skills(m)
    a, b = two_countries(m)
    rows = []
    # A asks for skills 0-2 and the non-ESCO one; B for skills 1-3. Weights are shares of postings.
    for country, skills in ((a, [(ess[0], 0.8), (ess[1], 0.5), (ess[2], 0.4), (other, 0.3)]),
                            (b, [(ess[1], 0.6), (ess[2], 0.1), (ess[3], 0.7)])):
        for skill, w in skills:
            rel = None if skill == other else "essential"
            rows.append(("occupation_country", uri, country, None, skill, w, 10, "postings", rel))
    rows.append(("occupation_country", uri, a, None, ess[0], None, None, "esco", "essential"))
    m.con.executemany("INSERT INTO skill_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    posts = m.sql("SELECT posting_id, run_id, country FROM posting_occupations WHERE status = 'matched' "
                  "AND country IN (?, ?) ORDER BY posting_id", [a, b])
    ps = []
    for i, p in enumerate(posts.itertuples(index=False)):
        # Every posting of A asks for skill 0, every one of B for skill 3; every third one for skill 1.
        ps.append((p.posting_id, p.run_id, ess[0] if p.country == a else ess[3], 1.0, "exact"))
        if i % 3 == 0:
            ps.append((p.posting_id, p.run_id, ess[1], 0.9, "embedding"))
    m.con.executemany("INSERT INTO posting_skills (posting_id, run_id, skill_uri, score, method) "
                      "VALUES (?, ?, ?, ?, ?)", ps)


def eures_head(out: Path, eures: Path, n: int = 120) -> Path:
    pd.read_csv(eures, dtype=str, keep_default_na=False).head(n).to_csv(out, index=False)
    return out

"""Skill gaps that answer a question: an occupation's demand (the share of its postings asking for each
skill) against a supply table (another country's postings, ESCO's essential skills, a programme's
skills), each skill with its status against ESCO's profile (``emerging``: demanded, not in ESCO's
profile; ``essential, not asked``), its place in ESCO's pillar and example sentences from the postings.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from jobmarket.sql import sql_sections

# ESCO's reuse levels; the default leaves out the broad ones, which every job shares.
REUSE_LEVELS = ("occupation-specific", "sector-specific", "cross-sector", "transversal")
DEFAULT_REUSE = ("occupation-specific", "sector-specific")


def reuse_levels(transversal: bool = False, levels: Sequence[str] | None = None) -> list[str]:
    """The reuse levels a gap keeps: ``levels`` as given, else the default plus, with ``transversal``,
    cross-sector and transversal skills."""
    if levels is not None:
        return list(levels)
    return list(REUSE_LEVELS if transversal else DEFAULT_REUSE)


def gap_table(con: duckdb.DuckDBPyConnection, occupation_uri: str, country: str | None,
              supply: pd.DataFrame, *, levels: Sequence[str] = DEFAULT_REUSE,
              evidence: int = 3) -> pd.DataFrame:
    """One row per skill: demand, supply, gap, in_supply, n_postings, esco_relation, status, pillar,
    skill_group, skill_type, reuse_level and ``evidence`` (up to ``evidence`` sentences with counts)."""
    sql = sql_sections("skills.sql")
    cur = con.cursor()
    cur.register("_skill_supply", supply[["skill_uri", "weight"]])
    try:
        df = cur.execute(sql["gap_rows"], {"occ": occupation_uri, "country": country,
                                           "levels": list(levels)}).fetch_df()
        skills = df.loc[df["demand"] > 0, "skill_uri"].tolist()
        ev = cur.execute(sql["gap_evidence"], {"occ": occupation_uri, "country": country, "skills": skills,
                                               "k": evidence}).fetch_df() if skills and evidence else None
    finally:
        cur.unregister("_skill_supply")
        cur.close()
    by_skill: dict[str, list[dict]] = {}
    if ev is not None:
        for r in ev.itertuples(index=False):
            by_skill.setdefault(r.skill_uri, []).append(
                {"sentence": r.sentence, "section": r.section, "n_postings": int(r.n_postings)})
    df["evidence"] = [by_skill.get(u, []) for u in df["skill_uri"]]
    return df


def by_group(gap: pd.DataFrame, column: str = "skill_group") -> pd.DataFrame:
    """A gap summed up per ESCO group (``skill_group``, ``pillar``, ``reuse_level`` or ``skill_type``):
    skills demanded, skills in supply, the mean demand and gap, and the largest gaps' skills."""
    g = gap.assign(key=gap[column].fillna("(no ESCO group)"))
    rows = []
    for key, part in g.groupby("key", sort=False):
        part = part.sort_values("gap", ascending=False)
        rows.append({column: key, "skills": len(part), "demanded": int((part["demand"] > 0).sum()),
                     "in_supply": int(part["in_supply"].sum()), "mean_demand": part["demand"].mean(),
                     "mean_gap": part["gap"].mean(),
                     "top_skills": ", ".join(part["skill"].fillna("").head(5))})
    return pd.DataFrame(rows).sort_values(["mean_gap", "demanded"], ascending=False, ignore_index=True)

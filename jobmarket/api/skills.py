"""Skills of postings, skill profiles and skill gaps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from jobmarket import search
from jobmarket.errors import JobmarketError
from jobmarket.results import (
    QueryResult,
    SkillsResult,
)
from jobmarket.results import as_result as _as
from jobmarket.sql import sql_sections


class SkillsMixin:
    """Part of :class:`jobmarket.market.Market` (uses its ``con``, ``encoder`` and caches)."""

    def skills(self, run_id: str | None = None, min_score: float | None = None, *, model_ranking: bool = True,
               use_model: bool = True, progress: bool = False) -> SkillsResult:
        """Find the ESCO skills each posting of a normalize run asks for (default: the latest run), store
        them in ``posting_skills`` and rebuild ``skill_profiles``; return the run's skills, one row per
        posting and skill with its evidence span.

        ``min_score``: the embedding threshold and a floor for every finding (None: the model's calibrated
        threshold). ``model_ranking``: also store the model's skills of each occupation title.
        ``use_model=False``: label matching only, no model loaded. The result holds the report and the
        rows (lazy).
        """
        from jobmarket.pipelines.skills import extract_run

        encoder = self.encoder if use_model else None
        report = extract_run(self.con, encoder, run_id, min_score=min_score,
                             model_ranking=model_ranking, progress=progress)
        rows = self.con.sql(sql_sections("skills.sql")["posting_skills_rows"],
                            params=[report.run_id, min_score if min_score is not None else -1.0])
        return SkillsResult(report, rows)

    def skill_profile(self, occupation: str, country: str | None = None) -> pd.DataFrame:
        """An occupation's skill profile (by URI or label; ``country``: that country's postings): one row
        per skill with the share of postings asking for it, ESCO's relation and the model's score."""
        uri = self.resolve_occupation(occupation)
        return self.sql(sql_sections("skills.sql")["skill_profile_rows"], {"occ": uri, "country": country})

    def skill_gap(self, occupation: str, country: str | None, supply: str | pd.DataFrame | Path,
                  as_: str = "pandas", *, transversal: bool = False,
                  reuse_levels: Sequence[str] | None = None, group_by: str | None = None,
                  evidence: int = 3) -> QueryResult:
        """Skills an occupation demands in ``country`` (its skill profile; None: all countries) against a
        supply: another country's profile of the same occupation (a country code), ``"esco"`` (ESCO's
        essential skills, weight 1), or skills people have as a DataFrame or CSV file (column ``skill``
        with free-text names, matched to ESCO skills by the model; optional column ``weight``).

        One row per skill: demand, supply, gap = demand − supply (largest first), in_supply, n_postings
        (asking), esco_relation, status (``emerging``: demanded but not in ESCO's profile of the
        occupation; ``essential, not asked``: an ESCO essential no posting asks for), pillar, skill_group,
        skill_type, reuse_level, and ``evidence``: up to ``evidence`` example sentences from the postings
        with how many postings hold each. Demand leaves out skills found only in boilerplate. Kept reuse
        levels: occupation- and sector-specific (``transversal=True`` adds cross-sector and transversal;
        ``reuse_levels`` names them); ``group_by`` (``skill_group``, ``pillar``, ``reuse_level``,
        ``skill_type``) sums the gap up per group.
        """
        from jobmarket.skills import gap as skill_gaps

        uri = self.resolve_occupation(occupation)
        q = sql_sections("api.sql")
        if isinstance(supply, str) and supply.lower() == "esco":
            table = self.sql(q["esco_supply"], [uri])
        elif isinstance(supply, str) and not Path(supply).suffix:
            table = self.sql(q["country_supply"], [uri, supply])
        else:
            table = self._supply_from_names(supply)
        levels = skill_gaps.reuse_levels(transversal, reuse_levels)
        df = skill_gaps.gap_table(self.con, uri, country, table, levels=levels, evidence=evidence)
        if group_by:
            df = skill_gaps.by_group(df, group_by)
        return _as(df, as_, self.con)

    def _supply_from_names(self, supply: pd.DataFrame | str | Path) -> pd.DataFrame:
        if not isinstance(supply, pd.DataFrame) and not Path(supply).is_file():
            raise JobmarketError(
                f"supply {str(supply)!r} is not 'esco', a country code or a CSV file of skills")
        frame = supply if isinstance(supply, pd.DataFrame) else pd.read_csv(supply, dtype={"skill": str})
        col = "skill" if "skill" in frame.columns else frame.columns[0]
        names = [str(x) for x in frame[col].dropna()]
        if not names:
            return pd.DataFrame({"skill_uri": pd.Series(dtype=str), "weight": pd.Series(dtype=float)})
        matched = search.match_skill_names(self._skill_index(None), self._query_encoder(), names)
        weights = frame["weight"].astype(float).tolist() if "weight" in frame.columns else [1.0] * len(names)
        matched["weight"] = weights[: len(matched)]
        return matched

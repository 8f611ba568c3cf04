"""What the analyst API returns: DataFrames by default, Arrow tables or DuckDB relations on request.

The pipelines' results (normalize, skills, cluster) are objects holding the run's report and a lazy DuckDB
relation over its rows: millions of rows stay in DuckDB until ``.df()``/``.arrow()`` asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

QueryResult = pd.DataFrame | pa.Table | duckdb.DuckDBPyRelation
FORMATS = ("pandas", "arrow", "relation")


def as_result(df: pd.DataFrame, as_: str, con: duckdb.DuckDBPyConnection) -> QueryResult:
    """``df`` in the asked-for form."""
    from jobmarket.errors import JobmarketError

    if as_ == "pandas":
        return df
    if as_ == "arrow":
        return pa.Table.from_pandas(df, preserve_index=False)
    if as_ == "relation":
        return con.from_arrow(pa.Table.from_pandas(df, preserve_index=False))
    raise JobmarketError(f"as_ must be one of {', '.join(FORMATS)}, not {as_!r}")


@dataclass
class OccupationInfo:
    """An ESCO occupation as :meth:`jobmarket.market.Market.occupation` describes it."""

    uri: str
    label: str
    isco_code: str | None
    esco_code: str | None
    isco_path: list[tuple[str, str | None]]  # (code, label) from major group to unit group
    labels: pd.DataFrame  # lang, kind (preferred|alternative|hidden), label
    essential_skills: pd.DataFrame  # skill_uri, skill, relation, skill_type
    optional_skills: pd.DataFrame
    postings_by_country: pd.DataFrame  # country, n_postings (matched postings of the current runs)
    n_postings: int = 0
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        path = " › ".join(f"{c} {lab or ''}".strip() for c, lab in self.isco_path)
        langs = ", ".join(sorted(set(self.labels["lang"]))) if len(self.labels) else "-"
        return (f"{self.label} <{self.uri}>\nISCO: {path}\nlabels in: {langs}\n"
                f"essential skills: {len(self.essential_skills)}, optional: {len(self.optional_skills)}\n"
                f"postings: {self.n_postings}")


class LazyRows:
    """Rows kept in DuckDB (``self.rows``, a relation) until asked for."""

    rows: duckdb.DuckDBPyRelation

    def df(self) -> pd.DataFrame:
        """The rows as a DataFrame (materialised now)."""
        return self.rows.df()

    def arrow(self) -> pa.Table:
        return self.rows.to_arrow_table()

    def __len__(self) -> int:
        return int(self.rows.count("*").fetchall()[0][0])


@dataclass
class RunResult(LazyRows):
    """A pipeline run: its ``report`` (counts, timings, parameters) and its rows as a lazy relation."""

    report: Any
    rows: duckdb.DuckDBPyRelation

    @property
    def run_id(self) -> str:
        return self.report.run_id


@dataclass
class NormalizeResult(RunResult):
    """:meth:`jobmarket.Market.normalize`: one row per input row (matched, abstained or rejected), with the
    top-k candidates; ``report`` is a :class:`jobmarket.pipelines.normalize.NormalizeReport`."""

    @property
    def counts(self) -> dict[str, int]:
        return self.report.counts

    @property
    def files(self) -> list[NormalizeResult]:
        """[self]: a single file's result reads like :class:`NormalizeRuns` of one file."""
        return [self]


@dataclass
class NormalizeRuns(LazyRows):
    """:meth:`jobmarket.Market.normalize` over a folder, a glob or a list: one :class:`NormalizeResult`
    per file (its own run, source identity, row numbers and supersession) and the total.

    ``rows`` is every file's result rows with a ``source`` column, lazy as a run's rows are.
    """

    files: list[NormalizeResult]
    rows: duckdb.DuckDBPyRelation

    @property
    def counts(self) -> dict[str, int]:
        """matched / abstained / rejected summed over the files."""
        total: dict[str, int] = {}
        for result in self.files:
            for status, n in result.counts.items():
                total[status] = total.get(status, 0) + n
        return total

    @property
    def n_rows(self) -> int:
        """Input rows over all files (= the sum of ``counts``: every row is accounted for)."""
        return sum(result.report.n_rows for result in self.files)

    @property
    def run_ids(self) -> list[str]:
        return [result.run_id for result in self.files]

    def __iter__(self):
        return iter(self.files)


@dataclass
class SkillsResult(RunResult):
    """:meth:`jobmarket.Market.skills`: one row per posting and skill found, with its evidence span."""

    def postings_with_skills(self) -> int:
        return int(self.rows.aggregate("count(DISTINCT posting_id)").fetchall()[0][0])

    def most_asked(self, n: int = 10, boilerplate: bool = False) -> pd.DataFrame:
        """The ``n`` skills found in most postings: skill, postings. Skills found only in boilerplate
        (offer/company/apply text, sentences repeated across unrelated postings) count only with
        ``boilerplate=True``."""
        rows = self.rows if boilerplate else self.rows.filter("NOT coalesce(boilerplate, false)")
        counts = rows.aggregate("skill, count(DISTINCT posting_id) AS postings", "skill")
        return counts.order("postings DESC, skill").limit(n).df()


@dataclass
class ClusterResult:
    """:meth:`jobmarket.Market.cluster`: the fit's ``report`` and one row per cluster (``clusters``)."""

    report: Any
    clusters: pd.DataFrame

    def df(self) -> pd.DataFrame:
        return self.clusters

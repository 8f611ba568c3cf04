"""What the analyst API returns: DataFrames by default, Arrow tables or DuckDB relations on request."""

from __future__ import annotations

from dataclasses import dataclass, field

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

"""Where evaluation tasks find their data: a folder laid out like the project's shared data
(``talentclef2025/``, ``jobbert_eval/``, ``esco/``) and ESCO packages imported into an in-memory store;
no jobmarket store is needed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.evaluation.metrics import Qrels

ESCO_DEFAULT = ("esco/v1.1.1", "esco/v1.2", "esco/v1.2-labels")


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
            from jobmarket.esco.load import import_esco
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
            import_esco(con, paths, progress=False)
            self._con = con
        return self._con

    def exact_index(self, langs: Sequence[str]) -> dict[str, set[str]]:
        """Normalised ESCO label (with gendered halves) → occupation URIs, for the given languages."""
        from jobmarket.matching.label_index import LabelIndex

        return dict(LabelIndex.from_store(self.con(), list(langs)).exact)


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

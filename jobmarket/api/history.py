"""Runs and their history, store settings, and title clusters."""

from __future__ import annotations

import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.io.privacy import DEFAULT_POLICY, check_policy
from jobmarket.results import (
    ClusterResult,
)
from jobmarket.store import connection as store
from jobmarket.store import runs as store_runs


class HistoryMixin:
    """Part of :class:`jobmarket.market.Market` (uses its ``con``, ``encoder`` and caches)."""

    def runs(self) -> pd.DataFrame:
        """Every run, newest first: command, source, status, whether it is current (counted by the views),
        what superseded it and what it superseded, postings."""
        return store_runs.list_runs(self.con)

    def run(self, run_id: str) -> dict:
        """One run (a unique prefix of its id will do): its row of ``runs`` plus ``current``."""
        return store_runs.run_info(self.con, run_id)

    def delete_run(self, run_id: str) -> dict:
        """Delete a run and its rows (and the skills found from it) in one transaction; the runs it
        superseded become current again. Returns what was deleted."""
        from jobmarket.pipelines.current import delete_run

        return delete_run(self.con, store_runs.resolve_run_id(self.con, run_id))

    def settings(self) -> dict[str, str]:
        """The store's settings (``descriptions``: keep | redact | skills | none)."""
        return {"descriptions": store.get_meta(self.con, "descriptions") or DEFAULT_POLICY}

    def set_setting(self, key: str, value: str) -> None:
        """Change a store setting: ``descriptions`` = ``keep`` | ``redact`` | ``skills`` | ``none`` (what of
        posting descriptions later runs store; runs already written are not changed)."""
        if key != "descriptions":
            raise JobmarketError(f"unknown setting {key!r}; settings are: descriptions")
        store.set_meta(self.con, key, check_policy(value))

    def cluster(
        self,
        min_cluster_size: int | None = None,
        reduce_dims: int | None = None,
        lang: str | None = None,
        attach_outliers: bool = False,
        refit: bool = False,
        *,
        min_samples: int | None = None,
        selection: str | None = None,
        fit_sample: int | None = None,
        reducer: object = "pca",
        clusterer: object = None,
        progress: bool = False,
    ) -> ClusterResult:
        """Cluster the store's unique titles across languages and countries (PCA, HDBSCAN); a row a cluster.

        The first call fits; later calls assign only new titles to the saved clusters, unless ``refit``.
        None settings take the saved clustering's (or the defaults). ``lang`` picks the language of the
        cluster names; ``fit_sample`` caps the titles HDBSCAN is fitted on (the most posted; the others are
        placed in its tree; 0: all, default 100,000); ``attach_outliers`` puts outlier titles into their
        nearest cluster, flagged ``attached`` in ``cluster_members``. Outlier counts are in the result's
        ``report``.
        """
        from jobmarket.pipelines.cluster import ClusterOptions, clusters_frame, run_clustering

        opts = ClusterOptions(min_cluster_size=min_cluster_size, min_samples=min_samples,
                              reduce_dims=reduce_dims, selection=selection, fit_sample=fit_sample, lang=lang,
                              attach_outliers=attach_outliers, refit=refit)
        report = run_clustering(self.con, opts, reducer=reducer, clusterer=clusterer, progress=progress)
        return ClusterResult(report, clusters_frame(self.con))

    def cluster_titles_by_country(
        self, cluster_id: int | None = None, occupation_uri: str | None = None, top: int = 3
    ) -> pd.DataFrame:
        """The titles one cluster (or one ESCO occupation) goes by in each country, most used first."""
        from jobmarket.pipelines.cluster import titles_by_country

        return titles_by_country(self.con, cluster_id=cluster_id, occupation_uri=occupation_uri, top=top)

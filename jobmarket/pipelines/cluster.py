"""A clustering run over the store: read title embeddings, fit (or extend) the clusters, write the tables.

The first run (or ``refit=True``) fits a :class:`TitleClusterer` on every title of the current postings
and keeps its fitted state as arrays in ``cluster_model_arrays`` (never a pickle). Later runs assign only
the titles that are new since then, with the saved state (no refit), so cluster ids stay put; a store
without a saved state (an older one, or a custom reducer) is fitted again with its saved settings.
Cluster names, sizes, country and language mixes are recomputed from the members every run (and by
pipelines/current.py whenever the current runs change); one transaction writes it all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jobmarket.clustering.clusterer import (
    DEFAULT_DIMS,
    DEFAULT_FIT_SAMPLE,
    DEFAULT_MIN_CLUSTER_SIZE,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_SELECTION,
    ClusterFit,
    TitleClusterer,
)
from jobmarket.clustering.state import from_arrays, to_arrays
from jobmarket.errors import JobmarketError
from jobmarket.progress import progress_steps
from jobmarket.sql import sql_sections
from jobmarket.store import connection as store
from jobmarket.store.schema import apply_tables
from jobmarket.store.transaction import transaction


@dataclass
class ClusterOptions:
    """What the user asked for. None means: the saved clustering's value, else the default."""

    min_cluster_size: int | None = None
    min_samples: int | None = None
    reduce_dims: int | None = None  # 0: no reduction
    selection: str | None = None
    fit_sample: int | None = None  # 0: fit on every title
    lang: str | None = None  # language of cluster names and occupation labels
    attach_outliers: bool = False
    refit: bool = False


@dataclass
class ClusterReport:
    cluster_run_id: str
    fitted: bool  # False: new titles were assigned to the saved clusters
    params: dict
    model_id: str | None
    n_titles: int
    n_new_titles: int
    n_clusters: int
    outlier_titles: int
    outlier_postings: int
    postings: int
    attached_titles: int
    multi_country_clusters: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def outlier_share(self) -> float:
        """Share of the clustered postings whose title is an outlier (attached or not)."""
        return self.outlier_postings / self.postings if self.postings else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {"outlier_share": self.outlier_share}


def _load_titles(
    con: duckdb.DuckDBPyConnection,
) -> tuple[list[str], list[str | None], np.ndarray, np.ndarray, str]:
    tbl = con.sql(sql_sections("cluster.sql")["titles_with_embeddings"]).to_arrow_table()
    if tbl.num_rows == 0:
        raise JobmarketError("the store has no title embeddings: run `jobmarket normalize` first")
    models = set(tbl.column("model_id").to_pylist())
    if len(models) > 1:
        raise JobmarketError(
            f"the store's titles were embedded by {len(models)} models "
            f"({', '.join(sorted(map(str, models)))}): "
            "cluster needs one; normalize again with a single --model"
        )
    emb = tbl.column("embedding").combine_chunks()
    dims = set(pc.list_value_length(emb).to_pylist())
    if len(dims) != 1:
        raise JobmarketError(f"title embeddings have mixed dimensions {sorted(dims)}: normalize again")
    matrix = np.asarray(emb.flatten(), dtype=np.float32).reshape(tbl.num_rows, dims.pop())
    return (
        tbl.column("title_id").to_pylist(),
        tbl.column("language").to_pylist(),
        matrix,
        np.asarray(tbl.column("n_postings").to_pylist(), dtype=np.float64),
        models.pop(),
    )


def _resolve(options: ClusterOptions, saved: dict | None) -> dict:
    """Parameters for this run; a change against the saved clustering needs an explicit refit."""
    wanted = {
        "min_cluster_size": options.min_cluster_size,
        "min_samples": options.min_samples,
        "reduce_dims": options.reduce_dims,
        "selection": options.selection,
        "fit_sample": options.fit_sample,
    }
    defaults = {
        "min_cluster_size": DEFAULT_MIN_CLUSTER_SIZE,
        "min_samples": DEFAULT_MIN_SAMPLES,
        "reduce_dims": DEFAULT_DIMS,
        "selection": DEFAULT_SELECTION,
        "fit_sample": DEFAULT_FIT_SAMPLE,
    }
    if saved is not None and not options.refit:
        changed = [
            f"{k}={v} (saved: {saved.get(k)})"
            for k, v in wanted.items()
            if v is not None and v != saved.get(k, defaults[k])
            and not (k in ("reduce_dims", "fit_sample") and not v and not saved.get(k, defaults[k]))
        ]
        if changed:
            raise JobmarketError(
                f"the saved clustering used other settings ({'; '.join(changed)}): "
                "pass --refit to fit again with the new ones"
            )
        return {k: saved.get(k, defaults[k]) for k in defaults}  # a store from before a setting existed
    return {k: (defaults[k] if v is None else v) for k, v in wanted.items()}


def run_id_for(model_id: str, params: dict, ids: list[str]) -> str:
    h = hashlib.sha256(json.dumps([model_id, params], sort_keys=True).encode())
    for i in ids:
        h.update(i.encode())
    return h.hexdigest()[:16]


def _members_table(fit: ClusterFit) -> pa.Table:
    return pa.table(
        {
            "title_id": pa.array(fit.ids, pa.string()),
            "cluster_id": pa.array(fit.cluster.astype(np.int32)),
            "probability": pa.array(fit.probability.astype(np.float64)),
            "centrality": pa.array(fit.centrality.astype(np.float64)),
            "nearest_cluster_id": pa.array(fit.nearest.astype(np.int32)),
            "nearest_similarity": pa.array(fit.nearest_similarity.astype(np.float64)),
        }
    )


def _write_members(con: duckdb.DuckDBPyConnection, fit: ClusterFit, source: str, run_id: str) -> None:
    # On `con` itself, not a cursor: a cursor has its own transaction and would commit on its own.
    con.register("_new_members", _members_table(fit))
    try:
        con.execute(sql_sections("cluster.sql")["insert_members"], [source, run_id])
    finally:
        con.unregister("_new_members")


def run_clustering(
    con: duckdb.DuckDBPyConnection,
    options: ClusterOptions | None = None,
    *,
    reducer: object = "pca",
    clusterer: object = None,
    progress: bool = False,
) -> ClusterReport:
    """Fit or extend the store's title clusters and rewrite ``clusters``; see the module docstring.

    ``reducer`` and ``clusterer`` replace PCA and HDBSCAN (objects with sklearn's interface).
    """
    options = options or ClusterOptions()
    sections = sql_sections("cluster.sql")
    steps = progress_steps(progress)
    apply_tables(con)
    with steps("reading title embeddings"):
        ids, langs, vectors, weights, model_id = _load_titles(con)
        current = con.execute(sections["current_run"]).fetchall()
    saved = None
    state = None
    if current and not options.refit:
        run_id, saved_model, saved_params = current[0]
        if saved_model != model_id:
            raise JobmarketError(
                f"the saved clustering was fitted on embeddings of {saved_model}, the titles now "
                f"come from {model_id}: pass --refit"
            )
        saved = json.loads(saved_params)
        state = _load_state(con, run_id)
    params = _resolve(options, saved)
    fitted = saved is None or state is None  # no usable saved state: fit again with the saved settings
    new_ids: list[str] = []
    with transaction(con):
        if fitted:
            tc = TitleClusterer(
                reducer,
                clusterer,
                reduce_dims=params["reduce_dims"] or None,
                min_cluster_size=params["min_cluster_size"],
                min_samples=params["min_samples"],
                selection=params["selection"],
                fit_sample=params["fit_sample"] or None,
            )
            with steps(f"clustering {len(ids):,} titles"):
                fit = tc.fit(ids, vectors, weights=weights, languages=langs)
            params = tc.params()
            run_id = run_id_for(model_id, params, fit.ids)
            con.execute(sections["retire_runs"])
            con.execute(sections["clear_arrays"])
            con.execute(sections["clear_members"])
            con.execute(
                sections["insert_run"],
                [run_id, model_id, json.dumps(params, sort_keys=True), len(ids), fit.n_clusters],
            )
            _save_state(con, run_id, tc)
            _write_members(con, fit, "fit", run_id)
            new_ids = fit.ids
        else:
            known = {r[0] for r in con.execute(sections["member_ids"]).fetchall()}
            todo = [i for i, t in enumerate(ids) if t not in known]
            if todo:
                tc = state
                with steps(f"assigning {len(todo):,} new titles to the saved clusters"):
                    fit = tc.predict([ids[i] for i in todo], vectors[todo], [langs[i] for i in todo])
                _write_members(con, fit, "predict", run_id)
                new_ids = fit.ids
        with steps("naming clusters"):
            con.execute(sections["apply_attach"], [options.attach_outliers, options.attach_outliers])
            con.execute(sections["clear_clusters"])
            con.execute(sections["insert_clusters"], [run_id, options.lang, options.lang or "en"])
            # Kept so the cluster counts can follow the current runs (pipelines/current.py).
            store.set_meta(con, "cluster_lang", options.lang or "")
    o_titles, n_titles, o_posts, posts, attached = con.execute(sections["outlier_counts"]).fetchall()[0]
    n_clusters, multi = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE n_countries >= 2) FROM clusters"
    ).fetchall()[0]
    return ClusterReport(
        run_id,
        fitted,
        params,
        model_id,
        n_titles,
        len(new_ids) if not fitted else 0,
        n_clusters,
        o_titles,
        int(o_posts),
        int(posts),
        attached,
        multi,
        steps.seconds,
    )


def _save_state(con: duckdb.DuckDBPyConnection, run_id: str, tc: TitleClusterer) -> None:
    """The fit as arrays (and its metadata as one more row): plain numbers, nothing to unpickle."""
    meta, arrays = to_arrays(tc)
    insert = sql_sections("cluster.sql")["insert_array"]
    for name, arr in sorted(arrays.items()):
        con.execute(insert, [run_id, name, list(arr.shape), arr.ravel().tolist()])
    store.set_meta(con, "cluster_state", json.dumps(meta, sort_keys=True))


def _load_state(con: duckdb.DuckDBPyConnection, run_id: str) -> TitleClusterer | None:
    """The saved clusterer, or None when the store has none usable (then the run fits again)."""
    meta = store.get_meta(con, "cluster_state")
    rows = con.execute(sql_sections("cluster.sql")["load_arrays"], [run_id]).fetchall()
    if not meta or not rows:
        return None
    arrays = {name: np.asarray(data, dtype=np.float64).reshape(shape) for name, shape, data in rows}
    try:
        return from_arrays(json.loads(meta), arrays)
    except (JobmarketError, KeyError, ValueError):
        return None


def clusters_frame(con: duckdb.DuckDBPyConnection):
    """The ``clusters`` table as a DataFrame, largest first."""
    return con.execute(sql_sections("cluster.sql")["clusters_frame"]).fetch_df()


def titles_by_country(
    con: duckdb.DuckDBPyConnection,
    cluster_id: int | None = None,
    occupation_uri: str | None = None,
    top: int = 3,
):
    """The titles used for one cluster (or one ESCO occupation) in each country, with posting counts."""
    if (cluster_id is None) == (occupation_uri is None):
        raise JobmarketError("give either a cluster id or an occupation URI")
    sections = sql_sections("cluster.sql")
    try:
        if cluster_id is not None:
            return con.execute(sections["cluster_titles"], [int(cluster_id), top]).fetch_df()
        return con.execute(sections["occupation_titles"], [occupation_uri, top]).fetch_df()
    except duckdb.CatalogException as exc:
        raise JobmarketError("the store has no cluster tables yet: run `jobmarket cluster` first") from exc

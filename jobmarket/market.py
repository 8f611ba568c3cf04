"""``Market``: the analyst's entry point. Every CLI command is a call of it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from jobmarket import search
from jobmarket.encoders.cache import DuckEmbeddingStore, ReadOnlyEmbeddingStore
from jobmarket.encoders.sentence_transformer import DEFAULT_MODEL, Encoder
from jobmarket.errors import JobmarketError
from jobmarket.matching.matcher import MatchConfig
from jobmarket.pipelines.normalize import NormalizeOptions, export_results, normalize_file
from jobmarket.results import ClusterResult, NormalizeResult, OccupationInfo, QueryResult, SkillsResult
from jobmarket.results import as_result as _as
from jobmarket.sql import sql_sections
from jobmarket.store import connection as store
from jobmarket.store import udf as embed_udf


class Market:
    """A DuckDB store plus the model that fills it.

    Open with :meth:`open`; use as a context manager so the store is closed::

        with Market.open("market.duckdb", esco=["../shared/data/esco"]) as m:
            m.normalize("postings.csv")
            m.sql("SELECT status, count(*) FROM assignments GROUP BY 1")
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, db: str, model: str | None, read_only: bool) -> None:
        self.con = con
        self.db = db
        self.model_name = model
        self.read_only = read_only
        self._encoder: Encoder | None = None
        self._query_cache: dict[tuple, object] = {}  # label and skill indexes of search/skill_gap

    @classmethod
    def open(
        cls,
        db: str | Path = store.DEFAULT_DB,
        model: str | None = DEFAULT_MODEL,
        esco: Sequence[str | Path] | None = None,
        read_only: bool = False,
    ) -> Market:
        """Open (or create) the store at ``db``; import ESCO packages from ``esco`` if given."""
        con = store.connect(db, read_only=read_only)
        market = cls(con, str(db), model, read_only)
        market._register_sql_functions()
        if esco:
            market.import_esco(esco)
        return market

    @property
    def encoder(self) -> Encoder:
        """The model, loaded on first use; its embeddings are cached in the store."""
        if self._encoder is None:
            cache = ReadOnlyEmbeddingStore(self.con) if self.read_only else DuckEmbeddingStore(self.con)
            self._encoder = Encoder(self._model_to_load(), cache=cache)
        return self._encoder

    def use_encoder(self, encoder: Encoder) -> None:
        """Use an already loaded encoder (shares one model between stores, as tests and notebooks do)."""
        if not self.read_only:
            encoder.cache = DuckEmbeddingStore(self.con)
        self._encoder = encoder

    def import_esco(self, paths: Sequence[str | Path], progress: bool = False) -> dict[str, int]:
        """Load official ESCO CSV packages (zips or folders, any languages and versions)."""
        from jobmarket.esco.load import import_esco

        return import_esco(self.con, [str(p) for p in paths], progress=progress)

    def has_esco(self) -> bool:
        """Whether the store holds any ESCO data yet."""
        return bool(store.esco_versions(self.con))

    def top_occupations(self, run_id: str, n: int = 10) -> pd.DataFrame:
        """The ``n`` most matched occupations of a normalize run: label, isco_code, n (postings)."""
        return self.sql(sql_sections("api.sql")["run_top_occupations"], [run_id, n])

    def normalize(
        self,
        source: str | Path,
        *,
        out: str | Path | None = None,
        top_k: int = 5,
        threshold: float | None = None,
        progress: bool = False,
        replace_changed: bool = False,
        engine: str = "local",
        ray_address: str | None = None,
        ray_num_gpus: float = 0.0,
        **options,
    ) -> NormalizeResult:
        """Map each posting of ``source`` to an ESCO occupation; one row per input row.

        ``options`` are the fields of :class:`NormalizeOptions` (``title_col``, ``lang``, ``label_lang``…).
        The result's ``report`` has the run's counts and the earlier runs of a since-changed file it
        supersedes; ``replace_changed`` deletes those runs in the same transaction. ``engine="ray"``
        encodes and matches on a Ray cluster (``ray_address``; None: a local one). The result's ``rows``
        are a lazy DuckDB relation: ``.df()`` materialises them; for millions of rows use ``out`` (written
        by DuckDB, never held in Python) or :meth:`sql`.
        """
        opts = NormalizeOptions(**options)
        opts = replace(opts, match=replace(MatchConfig(), top_k=top_k, threshold=threshold))
        # The model loads only once the file has been read, so bad input fails fast.
        report = normalize_file(self.con, source, lambda: self.encoder, opts, progress=progress,
                                replace=replace_changed, engine=engine, ray_address=ray_address,
                                ray_num_gpus=ray_num_gpus)
        self._after_normalize()
        if out is not None:
            export_results(self.con, report.run_id, out)
        return NormalizeResult(report, self.results(report.run_id))

    def results(self, run_id: str) -> duckdb.DuckDBPyRelation:
        """A run's per-posting results, with the top-k candidates, as a lazy relation."""
        return self.con.sql(sql_sections("normalize.sql")["result_rows"], params=[run_id])

    # ------------------------------------------------------------------ skills (issue 4: skill profiles)
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

    # ------------------------------------------------------------------ SQL and analyst queries (issue 5)
    def sql(self, query: str, params: Sequence | dict | None = None, as_: str = "pandas") -> QueryResult:
        """Run SQL against the store: its tables, the views of ``sql/views.sql``, the macros of
        ``sql/macros.sql`` and ``embed()``/``embed_skill()``.

        ``as_``: ``"pandas"`` (default) a DataFrame, ``"arrow"`` a pyarrow Table, ``"relation"`` a lazy
        DuckDB relation (no params).
        """
        if as_ == "relation":
            if params:
                raise JobmarketError("as_='relation' takes no params: inline them or use as_='pandas'")
            return self.con.sql(query)
        if as_ not in ("pandas", "arrow"):
            raise JobmarketError(f"as_ must be pandas, arrow or relation, not {as_!r}")
        # On the connection itself, not a cursor: SET VARIABLE (label_lang…) must outlive the statement.
        args = (params if isinstance(params, dict) else list(params)) if params else None
        if as_ == "arrow":
            if not args:
                return self.con.sql(query).to_arrow_table()
            with warnings.catch_warnings():  # DuckDB's note that a parameterised result is copied once
                warnings.simplefilter("ignore", UserWarning)
                return self.con.execute(query, args).to_arrow_table()
        return self.con.execute(query, args).fetch_df()

    def similar_titles(
        self, text: str, k: int = 10, lang: str | None = None, as_: str = "pandas"
    ) -> QueryResult:
        """The store's unique titles nearest to ``text`` (cosine of the store's model; ``lang`` filters)."""
        vector = self._query_encoder().encode_titles([text])[0]
        df = search.similar_titles(self.con, vector, k, lang)
        return _as(df, as_, self.con)

    def search(self, text: str, what: str = "titles", k: int = 10, lang: str | None = None,
               as_: str = "pandas") -> QueryResult:
        """Nearest ``titles`` (of the store), ``occupations`` (ESCO, ranked by the normalize matcher) or
        ``skills`` (ESCO) to a free text; ``lang`` is the text's language (titles: a filter)."""
        if what == "titles":
            return self.similar_titles(text, k=k, lang=lang, as_=as_)
        if what == "occupations":
            df = search.nearest_occupations(self.con, self._matcher(lang, k), text, k, lang)
            return _as(df, as_, self.con)
        if what == "skills":
            index = self._skill_index([lang] if lang else None)
            return _as(search.nearest_skills(self.con, index, self._query_encoder(), text, k), as_, self.con)
        raise JobmarketError(f"search: what must be titles, occupations or skills, not {what!r}")

    def occupation(self, uri_or_label: str) -> OccupationInfo:
        """An ESCO occupation by URI or by any of its labels (any language): its labels per language, ISCO
        path, essential and optional skills, and the postings matched to it per country."""
        uri = self.resolve_occupation(uri_or_label)
        q = sql_sections("api.sql")
        summary = self.sql(q["occupation_summary"], [uri]).iloc[0]
        postings = self.sql(q["occupation_postings_by_country"], [uri])
        isco = [(summary[f"isco_{n}"], summary[f"isco_{n}_label"]) for n in (1, 2, 3)]
        isco.append((summary["isco_code"], summary["isco_4_label"]))
        return OccupationInfo(
            uri=uri, label=summary["occupation"], isco_code=summary["isco_code"],
            esco_code=summary["esco_code"],
            isco_path=[(c, lab) for c, lab in isco if isinstance(c, str) and c],
            labels=self.sql(q["occupation_labels"], [uri]),
            essential_skills=self.sql(q["occupation_skills"], [uri, "essential"]),
            optional_skills=self.sql(q["occupation_skills"], [uri, "optional"]),
            postings_by_country=postings, n_postings=int(postings["n_postings"].sum()),
        )

    def resolve_occupation(self, uri_or_label: str) -> str:
        """The occupation URI of a URI or a label; an unknown or ambiguous label says so in one line."""
        q = sql_sections("api.sql")
        text = uri_or_label.strip()
        if text.startswith("http"):
            if not self.con.execute(q["occupation_exists"], [text]).fetchall()[0][0]:
                raise JobmarketError(f"no occupation {text} in the store's ESCO data")
            return text
        rows = self.con.execute(q["occupation_by_label"], [text]).fetchall()
        if not rows:
            raise JobmarketError(f"no ESCO occupation is labelled {text!r}: try `jobmarket search {text!r} "
                                 "--what occupations`, or pass the URI")
        best = [uri for uri, rank in rows if rank == rows[0][1]]
        if len(best) > 1:
            raise JobmarketError(
                f"{text!r} labels {len(best)} occupations ({', '.join(best[:3])}…): pass the URI")
        return best[0]

    def skill_gap(self, occupation: str, country: str | None, supply: str | pd.DataFrame | Path,
                  as_: str = "pandas") -> QueryResult:
        """Skills an occupation demands in ``country`` (its skill profile; None: all countries) against a
        supply: another country's profile of the same occupation (a country code), ``"esco"`` (ESCO's
        essential skills, weight 1), or skills people have as a DataFrame or CSV file (column ``skill``
        with free-text names, matched to ESCO skills by the model; optional column ``weight``).

        One row per skill: demand, supply, gap = demand − supply (largest first), in_supply.
        """
        uri = self.resolve_occupation(occupation)
        q = sql_sections("api.sql")
        if isinstance(supply, str) and supply.lower() == "esco":
            table = self.sql(q["esco_supply"], [uri])
        elif isinstance(supply, str) and not Path(supply).suffix:
            table = self.sql(q["country_supply"], [uri, supply])
        else:
            table = self._supply_from_names(supply)
        cur = self.con.cursor()
        cur.register("_skill_supply", table[["skill_uri", "weight"]])
        try:
            df = cur.execute(q["skill_gap"], [uri, country, "_skill_supply"]).fetch_df()
        finally:
            cur.unregister("_skill_supply")
            cur.close()
        return _as(df, as_, self.con)

    # ---------------------------------------------------------------- title clusters (cluster_run.py)
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
        reducer: object = "pca",
        clusterer: object = None,
        progress: bool = False,
    ) -> ClusterResult:
        """Cluster the store's unique titles across languages and countries (PCA, HDBSCAN); a row a cluster.

        The first call fits; later calls assign only new titles to the saved clusters, unless ``refit``.
        None settings take the saved clustering's (or the defaults). ``lang`` picks the language of the
        cluster names; ``attach_outliers`` puts outlier titles into their nearest cluster, flagged
        ``attached`` in ``cluster_members``. Outlier counts are in the result's ``report``.
        """
        from jobmarket.pipelines.cluster import ClusterOptions, clusters_frame, run_clustering

        opts = ClusterOptions(min_cluster_size=min_cluster_size, min_samples=min_samples,
                              reduce_dims=reduce_dims, selection=selection, lang=lang,
                              attach_outliers=attach_outliers, refit=refit)
        report = run_clustering(self.con, opts, reducer=reducer, clusterer=clusterer, progress=progress)
        return ClusterResult(report, clusters_frame(self.con))

    def cluster_titles_by_country(
        self, cluster_id: int | None = None, occupation_uri: str | None = None, top: int = 3
    ) -> pd.DataFrame:
        """The titles one cluster (or one ESCO occupation) goes by in each country, most used first."""
        from jobmarket.pipelines.cluster import titles_by_country

        return titles_by_country(self.con, cluster_id=cluster_id, occupation_uri=occupation_uri, top=top)

    def use_language(self, lang: str) -> None:
        """Show labels in the views and results in ``lang`` (falling back to English): sets label_lang."""
        self.con.execute("SET VARIABLE label_lang = ?", [lang])

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

    def _model_to_load(self) -> str | None:
        """The model asked for; with ``auto`` or none, the store's own model if it is on this machine."""
        if self.model_name not in (None, DEFAULT_MODEL):
            return self.model_name
        cur = self.con.cursor()  # this may run inside embed(), while self.con is busy with the query
        try:
            recorded = store.get_meta(cur, "model_path")
        finally:
            cur.close()
        if recorded and Path(recorded).is_dir():
            return recorded
        return self.model_name

    def _query_encoder(self) -> Encoder:
        """The encoder for query vectors, refused if its vectors cannot be compared with the store's."""
        enc = self.encoder
        embed_udf.check_encoder(self.con, enc)
        return enc

    def _matcher(self, lang: str | None, k: int):
        from jobmarket.matching.label_index import LabelIndex, available_languages
        from jobmarket.matching.matcher import MatchConfig, Matcher

        have = available_languages(self.con)
        langs = sorted({"en", lang} & set(have)) if lang else sorted(have)
        key = ("matcher", tuple(langs))
        if key not in self._query_cache:
            index = LabelIndex.from_store(self.con, langs or sorted(have))
            self._query_cache[key] = Matcher(index, self._query_encoder(), MatchConfig(threshold=0.0))
        matcher = self._query_cache[key]
        matcher.config.top_k = k
        return matcher

    def _skill_index(self, langs: list[str] | None) -> search.SkillIndex:
        key = ("skills", tuple(langs or ()))
        if key not in self._query_cache:
            self._query_cache[key] = search.SkillIndex.build(self.con, self._query_encoder(), langs)
        return self._query_cache[key]

    def _register_sql_functions(self) -> None:
        embed_udf.register(self.con, lambda: self.encoder)

    def _after_normalize(self) -> None:
        # Remember where the store's model lives, so query-time embed() and search load the same one.
        if self.encoder.model_id == store.get_meta(self.con, "model_id") and Path(self.encoder.name).is_dir():
            store.set_meta(self.con, "model_path", str(Path(self.encoder.name).resolve()))
        self._register_sql_functions()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Market:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""SQL and analyst queries over the store: SQL, nearest titles/occupations/skills, occupations."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from jobmarket import search
from jobmarket.encoders.sentence_transformer import Encoder
from jobmarket.errors import JobmarketError
from jobmarket.matching.matcher import MatchConfig
from jobmarket.results import (
    OccupationInfo,
    QueryResult,
)
from jobmarket.results import as_result as _as
from jobmarket.sql import sql_sections
from jobmarket.store import udf as embed_udf


class QueryMixin:
    """Part of :class:`jobmarket.market.Market` (uses its ``con``, ``encoder`` and caches)."""

    def top_occupations(self, run_id: str, n: int = 10) -> pd.DataFrame:
        """The ``n`` most matched occupations of a normalize run: label, isco_code, n (postings)."""
        return self.sql(sql_sections("api.sql")["run_top_occupations"], [run_id, n])

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

    def use_language(self, lang: str) -> None:
        """Show labels in the views and results in ``lang`` (falling back to English): sets label_lang."""
        self._label_lang = lang
        self.con.execute("SET VARIABLE label_lang = ?", [lang])

    def _query_encoder(self) -> Encoder:
        """The encoder for query vectors, refused if its vectors cannot be compared with the store's."""
        enc = self.encoder
        embed_udf.check_encoder(self.con, enc)
        return enc

    def _matcher(self, lang: str | None, k: int):
        from jobmarket.matching.label_index import LabelIndex, available_languages
        from jobmarket.matching.matcher import Matcher

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

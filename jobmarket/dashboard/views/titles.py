"""Titles across countries: the titles one cluster (or one ESCO occupation) goes by in each country, and a
2-D map (PCA) of the store's title embeddings coloured by country or cluster."""

from __future__ import annotations

import altair as alt
import streamlit as st

from jobmarket.dashboard import data, filters

TOP_TITLES = 5  # per country
MAX_COUNTRIES = 9

db, _, f = filters.page(("by",))
st.title("Titles across countries")
st.caption("The same job goes by different titles in each country and language: here are the titles "
           "used per country, with their posting counts.")

with data.guard():
    has_clusters = data.has_table(db, "clusters") and len(data.q(db, "clusters", limit=1)) > 0
    kinds = ["Title cluster", "ESCO occupation"] if has_clusters else ["ESCO occupation"]
    if not has_clusters:
        st.caption("No clusters yet (`jobmarket cluster --db STORE`): titles are grouped by matched "
                   "occupation.")
    filters.from_url("tt_by", "by", lambda s: kinds[0] if s == "cluster" else kinds[-1], kinds[0])
    by = st.radio("Group titles by", kinds, horizontal=True, key="tt_by")
    filters.remember("tt_by")
    filters.to_url("by", "cluster" if by == "Title cluster" else "occupation")

    if by == "Title cluster":
        cl = data.q(db, "clusters", limit=500)
        names = {int(r.cluster_id): f"#{r.cluster_id} {r.name} ({r.size:,} postings, {r.n_countries} "
                                    "countries)"
                 for r in cl.itertuples()}
        cid = st.selectbox("Cluster (largest first)", list(names), format_func=names.get, key="tt_cluster")
        rows = data.q(db, "cluster_titles", cluster_id=int(cid), top=TOP_TITLES)
    else:
        occ = data.q(db, "occupations_with_postings", f, limit=300)
        labels = {r.occupation_uri: f"{r.occupation} ({r.n:,})" for r in occ.itertuples()}
        uri = st.selectbox("Occupation (most postings first)", list(labels), key="tt_occ",
                           format_func=labels.get)
        rows = data.q(db, "occupation_titles", uri=uri, top=TOP_TITLES) if uri else None
    if rows is None or rows.empty:
        st.info("No titles for this choice.")
    else:
        if f.countries:
            rows = rows[rows["country"].isin(f.countries)]
        shown = rows.groupby("country")["n_postings"].sum().sort_values(ascending=False).index[:MAX_COUNTRIES]
        rows = rows[rows["country"].isin(shown)]
        st.altair_chart(
            alt.Chart(rows).mark_bar().encode(
                x=alt.X("n_postings:Q", title="postings"),
                y=alt.Y("title:N", sort="-x", title=None, axis=alt.Axis(labelLimit=230, labelOverlap=False)),
                color=alt.Color("language:N", legend=alt.Legend(orient="bottom")),
                tooltip=["country", "title", "language", "n_postings",
                         alt.Tooltip("share_in_country:Q", format=".0%")],
            ).properties(width=300, height=alt.Step(18)).facet(
                facet=alt.Facet("country:N", sort=list(shown), title=None,
                                header=alt.Header(labelFontSize=14)), columns=2,
            ).resolve_scale(y="independent", x="independent"),
        )
        with st.expander("The titles as a table"):
            st.dataframe(rows.drop(columns=[c for c in rows.columns if c.endswith("_uri")]), hide_index=True)

    st.subheader("Map of the titles")
    proj = data.projection(db, data.stamp(db))
    if proj.empty:
        st.info("The store has no title embeddings.")
        st.stop()
    if f.countries:
        proj = proj[proj["country"].isin(f.countries)]
    colour = st.radio("Colour by", ["country", "cluster"] if has_clusters else ["country"], horizontal=True,
                      key="tt_colour")
    st.caption(f"{len(proj):,} unique titles (a sample of at most {data.PROJECTION_MAX:,}), projected to two "
               "dimensions by PCA of their embeddings: nearby titles mean similar jobs, whatever the "
               "language.")
    shown = proj
    if colour == "cluster":  # 20 colours at most: the largest clusters, the rest grey
        big = proj.loc[proj["cluster"] != "outlier", "cluster"].value_counts().index[:19]
        shown = proj.assign(cluster=proj["cluster"].where(proj["cluster"].isin(big), "other / outlier"))
    st.altair_chart(
        alt.Chart(shown).mark_circle(size=28, opacity=0.65).encode(
            x=alt.X("x:Q", title="PC 1", axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("y:Q", title="PC 2", axis=alt.Axis(labels=False, ticks=False)),
            color=alt.Color(f"{colour}:N", scale=alt.Scale(scheme="tableau20"),
                            legend=alt.Legend(columns=2, symbolLimit=40)),
            tooltip=["title", "language", "country", "cluster", "n_postings"],
        ).properties(height=520).interactive(),
        width="stretch",
    )

"""Overview: postings by country, language and date; matched / abstained / rejected; top occupations and
ISCO major groups per country."""

from __future__ import annotations

import altair as alt
import streamlit as st

from jobmarket.dashboard import data, filters

STATUS_COLORS = alt.Scale(domain=["matched", "abstained", "rejected"],
                          range=["#2e7d32", "#f9a825", "#c62828"])
SMALL_MULTIPLES = 6  # countries shown side by side

db, _, f = filters.page()
st.title("Overview")

with data.guard():
    tot = data.q(db, "totals", f).iloc[0]
    if not tot["postings"]:
        st.info("No postings match the filters (or the store has no normalize run yet).")
        st.stop()
    cols = st.columns(5)
    cols[0].metric("Postings", f"{int(tot['postings']):,}")
    cols[1].metric("Matched", f"{tot['matched'] / tot['postings']:.0%}", help="Assigned an ESCO occupation.")
    cols[2].metric("Abstained", f"{tot['abstained'] / tot['postings']:.0%}",
                   help="Below the matcher's confidence threshold: no occupation assigned.")
    cols[3].metric("Countries", f"{int(tot['countries']):,}")
    cols[4].metric("Occupations", f"{int(tot['occupations']):,}")

    left, right = st.columns([3, 2])
    by_cs = data.q(db, "by_country_status", f)
    left.subheader("Postings by country and outcome")
    left.altair_chart(
        alt.Chart(by_cs).mark_bar().encode(
            x=alt.X("sum(n):Q", title="postings"),
            y=alt.Y("country:N", sort="-x", title=None),
            color=alt.Color("status:N", scale=STATUS_COLORS, legend=alt.Legend(orient="bottom")),
            tooltip=["country", "status", "n"],
        ),
        width="stretch",
    )
    right.subheader("Languages of the titles")
    right.altair_chart(
        alt.Chart(data.q(db, "by_language", f)).mark_bar(color="#1565c0").encode(
            x=alt.X("n:Q", title="postings"), y=alt.Y("language:N", sort="-x", title=None),
            tooltip=["language", "n"]),
        width="stretch",
    )

    weeks = data.q(db, "by_week", f)
    if len(weeks):
        st.subheader("Postings per week")
        st.altair_chart(
            alt.Chart(weeks).mark_bar().encode(
                x=alt.X("week:T", title=None), y=alt.Y("sum(n):Q", title="postings"),
                color=alt.Color("country:N", legend=alt.Legend(columns=2)),
                tooltip=["week:T", "country", "n"]),
            width="stretch",
        )

    st.subheader("Top occupations per country")
    top = data.q(db, "top_occupations_by_country", f, top=8, n_countries=SMALL_MULTIPLES)
    if len(top):
        st.altair_chart(
            alt.Chart(top).mark_bar(color="#6a1b9a").encode(
                x=alt.X("n:Q", title="matched postings"),
                y=alt.Y("occupation:N", sort="-x", title=None,
                        axis=alt.Axis(labelLimit=220, labelOverlap=False)),
                tooltip=["country", "occupation", "n"],
            ).properties(width=300, height=alt.Step(18)).facet(
                facet=alt.Facet("country:N", title=None, header=alt.Header(labelFontSize=14)), columns=2,
            ).resolve_scale(y="independent", x="independent"),
        )
    else:
        st.caption("No matched postings under these filters.")

    st.subheader("ISCO major groups per country")
    isco = data.q(db, "isco_by_country", f)
    if len(isco):
        st.altair_chart(
            alt.Chart(isco).mark_bar().encode(
                x=alt.X("sum(n):Q", stack="normalize", title="share of matched postings",
                        axis=alt.Axis(format="%")),
                y=alt.Y("country:N", title=None),
                color=alt.Color("isco_group:N", title="ISCO major group",
                                legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
                order=alt.Order("isco_1:N"),
                tooltip=["country", "isco_group", "n"],
            ),
            width="stretch",
        )

"""Skill gap: the skills postings demand for an occupation in a country against a supply: ESCO's essential
skills, another country's postings, or the skills a training programme covers (an uploaded CSV). Skills
are grouped by ESCO's skill groups or reuse levels, and each links to the sentences postings ask for it
in (evidence, with counts); skills found only in boilerplate never count as demand."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from jobmarket.dashboard import data, filters

ALL = "(all countries)"
SUPPLY_KINDS = {"esco": "ESCO essential skills", "country": "Another country's postings",
                "csv": "Skills of a programme (CSV upload)"}
CHART_ROWS = 25
GROUPINGS = {"skill": "Skill", "skill_group": "ESCO skill group", "reuse_level": "Reuse level",
             "pillar": "Pillar (skills, knowledge, language, transversal)"}

db, model, f = filters.page(("occ", "demand", "supply"))
st.title("Skill gap")
st.caption("Demand: the share of an occupation's postings that ask for each ESCO skill. Supply: what a "
           "workforce or a programme covers. Gap = demand − supply, largest first.")

with data.guard():
    if not data.has_table(db, "skill_profiles"):
        st.info("The store has no skill profiles yet: run `jobmarket skills --db STORE` first.")
        st.stop()

    # ---- occupation: by ESCO label search, or by a cross-country cluster
    filters.from_url("sg_occ", "occ", str, None)
    has_clusters = data.has_table(db, "clusters") and len(data.q(db, "clusters", limit=1)) > 0
    how = st.radio("Choose the occupation by", ["ESCO label", "Title cluster"], horizontal=True, key="sg_how",
                   disabled=not has_clusters, help=None if has_clusters else "Run `jobmarket cluster` first.")
    c1, c2 = st.columns([2, 3])
    if how == "Title cluster":
        cl = data.q(db, "clusters", limit=300).dropna(subset=["occupation_uri"])
        names = {int(r.cluster_id): f"#{r.cluster_id} {r.name} → {r.occupation_label} ({r.size:,} postings)"
                 for r in cl.itertuples()}
        cid = c1.selectbox("Cluster", list(names), format_func=names.get, key="sg_cluster")
        if cid is None:
            st.stop()
        st.session_state.sg_occ = cl.set_index("cluster_id").at[cid, "occupation_uri"]
        occ_label = cl.set_index("cluster_id").at[cid, "occupation_label"]
        c2.caption(f"The cluster's dominant occupation: {occ_label}")
    else:
        text = c1.text_input("Search ESCO occupations", key="sg_text",
                             placeholder="e.g. accountant, Buchhalter",
                             help="Any label (preferred or alternative) in the label language or English.")
        if text.strip():
            opts = data.q(db, "occupation_label_search", f, text=text.strip(), limit=50)
        else:
            opts = data.q(db, "occupations_with_postings", f, limit=100)
        labels = dict(zip(opts["occupation_uri"], opts["occupation"], strict=True))
        counts = dict(zip(opts["occupation_uri"], opts["n"], strict=True))
        chosen = st.session_state.get("sg_occ")
        if chosen and chosen not in labels:  # a shared link or an earlier pick stays selectable
            row = data.q(db, "occupation_label", f, uri=chosen)
            if len(row):
                labels = {chosen: row["occupation"][0], **labels}
            else:
                st.session_state.sg_occ = None
        if not labels:
            c2.warning("No ESCO occupation has such a label.")
            st.stop()
        c2.selectbox("Occupation", list(labels), key="sg_occ", index=None, placeholder="Pick an occupation",
                     format_func=lambda u: f"{labels[u]} ({int(counts.get(u, 0)):,} postings)")
    uri = st.session_state.get("sg_occ")
    filters.remember("sg_occ")
    filters.to_url("occ", uri)
    if not uri:
        st.info("Pick an occupation to see its skill gap.")
        st.stop()

    # ---- demand country and supply
    prof = data.q(db, "profile_countries", uri=uri)
    countries = [c for c in prof["country"] if not f.countries or c in f.countries]
    filters.from_url("sg_country", "demand", lambda s: s if s in countries else ALL, ALL)
    filters.from_url("sg_supply", "supply", lambda s: s if s in SUPPLY_KINDS else "esco", "esco")
    d1, d2, d3 = st.columns(3)
    if st.session_state.sg_country not in [ALL, *countries]:
        st.session_state.sg_country = ALL
    demand_country = d1.selectbox("Demand: postings from", [ALL, *countries], key="sg_country",
                                  format_func=lambda c: c if c == ALL else
                                  f"{c} ({int(prof.set_index('country').at[c, 'n_postings']):,} postings)")
    kind = d2.radio("Supply", list(SUPPLY_KINDS), format_func=SUPPLY_KINDS.get, key="sg_supply")
    filters.remember("sg_country", "sg_supply")
    filters.to_url("demand", None if demand_country == ALL else demand_country)
    filters.to_url("supply", None if kind == "esco" else kind)
    supply: str | tuple | None = "esco"
    if kind == "country":
        others = [c for c in prof["country"] if c != demand_country]
        if not others:
            d3.warning("No other country has postings of this occupation with skills.")
            st.stop()
        supply = d3.selectbox("Supply: postings from", others, key="sg_supply_country")
    elif kind == "csv":
        up = d3.file_uploader("CSV with a `skill` column (free text, any language) and optional `weight`",
                              type=["csv"], key="sg_csv")
        if up is None:
            st.info("Upload the skills a workforce or a training programme covers; they are matched to ESCO "
                    "skills by the model.")
            st.stop()
        frame = pd.read_csv(up, dtype=str, keep_default_na=False)
        col = "skill" if "skill" in frame.columns else frame.columns[0]
        weights = pd.to_numeric(frame["weight"], errors="coerce").fillna(1.0) if "weight" in frame.columns \
            else pd.Series(1.0, index=frame.index)
        supply = tuple((str(s), float(w)) for s, w in zip(frame[col], weights, strict=True) if str(s).strip())

    o1, o2 = st.columns([2, 3])
    transversal = o1.toggle("Include transversal and cross-sector skills", key="sg_transversal",
                            help="Default: occupation-specific and sector-specific skills and knowledge "
                                 "(ESCO's reuse levels), the ones that set an occupation apart.")
    grouping = o2.radio("Group by", list(GROUPINGS), format_func=GROUPINGS.get, horizontal=True,
                        key="sg_group")
    with st.spinner("Computing the gap…"):
        gap = data.skill_gap(db, model, data.stamp(db), f.lang, uri,
                             None if demand_country == ALL else demand_country, supply, transversal)

    if gap.empty or not (gap["demand"] > 0).any():
        where = "all countries" if demand_country == ALL else demand_country
        st.warning(f"No postings skill profile for this occupation in {where}: pick another country or run "
                   "`jobmarket skills`.")
        st.stop()

    top = gap[gap["demand"] > 0].head(CHART_ROWS).copy()
    top["skill"] = top["skill"].fillna(top["skill_uri"])
    long = top.melt(id_vars=["skill", "gap"], value_vars=["demand", "supply"], var_name="measure",
                    value_name="weight")
    st.subheader(f"Largest gaps: {top.iloc[0]['skill']} first")
    order = top["skill"].tolist()
    st.altair_chart(
        alt.Chart(long).mark_bar().encode(
            y=alt.Y("skill:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("weight:Q", title="share of postings (demand) · coverage (supply)"),
            yOffset=alt.YOffset("measure:N"),
            color=alt.Color("measure:N", scale=alt.Scale(domain=["demand", "supply"],
                                                         range=["#c62828", "#90a4ae"]),
                            legend=alt.Legend(orient="top", title=None)),
            tooltip=["skill", "measure", alt.Tooltip("weight:Q", format=".2f"),
                     alt.Tooltip("gap:Q", format=".2f")],
        ).properties(height=max(220, 26 * len(top))),
        width="stretch",
    )
    if kind == "esco":
        emerging = gap[gap["status"] == "emerging"]
        unasked = gap[gap["status"] == "essential, not asked"]
        m1, m2 = st.columns(2)
        m1.metric("Emerging: demanded, not in ESCO's profile", f"{len(emerging):,}",
                  help="Skills the postings ask for that ESCO lists neither as essential nor optional.")
        m2.metric("ESCO essentials no posting asks for", f"{len(unasked):,}")
    cols = ["skill", "demand", "supply", "gap", "in_supply", "status", "n_postings", "skill_group",
            "reuse_level", "skill_type", "skill_uri"]
    config = {
        "demand": st.column_config.ProgressColumn("demand", format="%.2f", min_value=0.0, max_value=1.0),
        "supply": st.column_config.NumberColumn("supply", format="%.2f"),
        "gap": st.column_config.NumberColumn("gap", format="%+.2f"),
        "n_postings": st.column_config.NumberColumn("postings asking"),
        "skill_uri": st.column_config.LinkColumn("ESCO"),
    }
    if grouping == "skill":
        st.dataframe(gap[cols], hide_index=True, height=360, column_config=config)
    else:
        from jobmarket.skills.gap import by_group

        st.dataframe(by_group(gap, grouping), hide_index=True, height=360, column_config={
            "mean_demand": st.column_config.ProgressColumn("mean demand", format="%.2f", min_value=0.0,
                                                           max_value=1.0),
            "mean_gap": st.column_config.NumberColumn("mean gap", format="%+.2f")})

    # ---- evidence: why a skill is there
    asked = gap[gap["demand"] > 0]
    if len(asked):
        st.subheader("Evidence")
        names = dict(zip(asked["skill_uri"], asked["skill"].fillna(asked["skill_uri"]), strict=True))
        pick = st.selectbox("Sentences that ask for", asked["skill_uri"].tolist(), key="sg_evidence",
                            format_func=names.get)
        row = asked.set_index("skill_uri").loc[pick]
        rows = row["evidence"]
        st.caption(f"{int(row['n_postings']):,} postings ask for it · ESCO group: {row['skill_group'] or '-'}"
                   f" · reuse level: {row['reuse_level'] or '-'} · status: {row['status']}")
        st.dataframe(pd.DataFrame(list(rows), columns=["sentence", "section", "n_postings"]), hide_index=True,
                     column_config={"n_postings": st.column_config.NumberColumn("postings")})
    slug = uri.rsplit("/", 1)[-1][:12]
    st.download_button("Download the gap (CSV)", gap.to_csv(index=False).encode(), icon=":material/download:",
                       file_name=f"skill_gap_{slug}_{demand_country if demand_country != ALL else 'all'}.csv",
                       mime="text/csv", on_click="ignore")

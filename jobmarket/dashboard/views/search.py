"""Search: a free text in any language → the nearest ESCO occupations, titles of the store and ESCO skills,
by the store's model (loaded on the first search, then kept)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from jobmarket.dashboard import data, filters

db, model, f = filters.page(("q", "in"))
st.title("Search")
st.caption("Type a job title or a skill in any language: the store's model finds the nearest ESCO "
           "occupations, the titles postings used, and ESCO skills.")

filters.from_url("s_text", "q", str, "")
c1, c2 = st.columns([4, 1])
text = c1.text_input("Job title or skill", key="s_text", placeholder="e.g. Krankenpfleger, programista, "
                     "soudeur, manage budgets")
k = c2.number_input("Results", min_value=3, max_value=50, value=10, step=1, key="s_k")
filters.remember("s_text")
filters.to_url("q", text.strip() or None)
if not text.strip():
    st.stop()


def bars(df, label: str, score: str, color: str) -> alt.Chart:
    return alt.Chart(df).mark_bar(color=color).encode(
        x=alt.X(f"{score}:Q", title="similarity", scale=alt.Scale(zero=False)),
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        tooltip=list(df.columns.drop([c for c in df.columns if c.endswith("uri") or c.endswith("_id")])),
    ).properties(height=alt.Step(20))


WHAT = {"occupations": "ESCO occupations", "titles": "Titles in the postings", "skills": "ESCO skills"}
filters.from_url("s_what", "in", lambda s: [w for w in s.split(",") if w in WHAT], ["occupations", "titles"])
what = st.pills("Search in", list(WHAT), format_func=WHAT.get, selection_mode="multi", key="s_what",
                help="The first ESCO skills search encodes every skill label not yet in the store's "
                     "embedding cache: minutes on a CPU, unless `jobmarket skills` has cached them.")
filters.remember("s_what")
filters.to_url("in", ",".join(what) if set(what) != {"occupations", "titles"} else None)

empty = pd.DataFrame()
with data.guard():
    with st.spinner("Loading the model and searching…"):
        # Occupations and skills are matched against ESCO labels of the label language (and English), whose
        # vectors the normalize and skills runs cached; the model bridges languages. Titles: all languages.
        found = {w: data.search(db, model, data.stamp(db), f.lang, text.strip(), w, int(k)) if w in what
                 else empty for w in WHAT}
    occ, titles, skills = found["occupations"], found["titles"], found["skills"]

    if not what:
        st.info("Pick where to search.")
        st.stop()
    cols = dict(zip(what, st.columns(len(what)), strict=True))
    if "occupations" in cols and len(occ):
        c = cols["occupations"]
        c.subheader(WHAT["occupations"])
        c.altair_chart(bars(occ, "occupation", "score", "#6a1b9a"), width="stretch")
        c.dataframe(occ[["occupation", "isco_code", "score", "method"]], hide_index=True)
    if "titles" in cols and len(titles):
        c = cols["titles"]
        c.subheader(WHAT["titles"])
        c.altair_chart(bars(titles, "title_clean", "similarity", "#1565c0"), width="stretch")
        c.dataframe(titles[["title_clean", "language", "n_postings", "similarity"]], hide_index=True)
    if "skills" in cols and len(skills):
        c = cols["skills"]
        c.subheader(WHAT["skills"])
        c.altair_chart(bars(skills, "skill", "score", "#2e7d32"), width="stretch")
        c.dataframe(skills[["skill", "matched_label", "score"]], hide_index=True)

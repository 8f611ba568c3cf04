"""The jobmarket dashboard: ``jobmarket dashboard --db market.duckdb`` (or
``streamlit run jobmarket/dashboard/app.py -- --db market.duckdb``). Opens the store read-only; the Review
page saves an answer in one short read-write transaction, closed right after."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="jobmarket", page_icon=":material/bar_chart:", layout="wide")

nav = st.navigation([
    st.Page(str(HERE / "views" / "overview.py"), title="Overview", icon=":material/bar_chart:", default=True),
    st.Page(str(HERE / "views" / "skill_gap.py"), title="Skill gap", icon=":material/join_inner:"),
    st.Page(str(HERE / "views" / "titles.py"), title="Titles across countries", icon=":material/public:"),
    st.Page(str(HERE / "views" / "search.py"), title="Search", icon=":material/search:"),
    st.Page(str(HERE / "views" / "review.py"), title="Review", icon=":material/rate_review:"),
])
nav.run()

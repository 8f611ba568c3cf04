"""Review: the titles most worth a coder's time (the queue of `jobmarket review export`), one at a time:
pick one of its candidates or search ESCO, and save the answer into the store's coding index. The next
`jobmarket normalize` of a file with that title uses it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from jobmarket.dashboard import data, filters

STATUS = {"abstained": "Abstained", "matched": "Matched", "all": "Both"}
ORDER = {"uncertainty": "Least confident first", "postings": "Most postings first"}
SEARCH = "search"  # the pick that opens the ESCO search

db, model, f = filters.page(("status", "order"))
st.title("Review")
st.caption("The titles of the current runs that the matcher was least sure of (or that most postings "
           "use), one row per title, country and language. Pick the right occupation from its candidates "
           "or search ESCO, then save: the answer goes into the coding index, and the next "
           "`jobmarket normalize` uses it. `jobmarket review export` writes the same queue as a file.")

filters.from_url("rv_status", "status", lambda s: s if s in STATUS else "abstained", "abstained")
filters.from_url("rv_order", "order", lambda s: s if s in ORDER else "uncertainty", "uncertainty")
c1, c2, c3 = st.columns([2, 2, 1])
status = c1.radio("Postings", list(STATUS), format_func=STATUS.get, key="rv_status", horizontal=True)
order = c2.radio("Order", list(ORDER), format_func=ORDER.get, key="rv_order", horizontal=True)
limit = c3.number_input("Titles", min_value=10, max_value=5000, value=200, step=10, key="rv_limit")
filters.remember("rv_status", "rv_order")
filters.to_url("status", status if status != "abstained" else None)
filters.to_url("order", order if order != "uncertainty" else None)

if saved := st.session_state.pop("rv_saved", None):
    st.success(saved, icon=":material/check_circle:")

with data.guard():
    queue = data.review_queue(db, data.stamp(db), f.lang, status, order, int(limit), f.countries)
    index = data.coding_index(db)
n_coded = int(index["coded_titles"].sum()) if len(index) else 0
st.caption(f"Coding index: {n_coded:,} coded titles"
           + (f" from {', '.join(index['source'])}" if len(index) else ""))
if not len(queue):
    st.info("Nothing to review: every title of the current runs with this status is coded or matched.")
    st.stop()

shown = queue[["title", "country", "language", "n_postings", "status", "confidence", "candidate_1"]]
st.dataframe(shown, hide_index=True, height=260)


def describe(i: int) -> str:
    r = queue.iloc[i]
    where = ", ".join(str(x) for x in (r["country"], r["language"]) if isinstance(x, str) and x)
    return f"{r['title']} ({where or '?'}) · {int(r['n_postings']):,} postings"


i = st.selectbox("Title to code", range(len(queue)), format_func=describe, key="rv_title")
row = queue.iloc[int(i)]
if isinstance(row["example_title"], str) and row["example_title"] != row["title"]:
    st.caption(f"As written in a posting: {row['example_title']}")

candidates = {row[f"candidate_{n}_uri"]: (row[f"candidate_{n}"], row[f"candidate_{n}_confidence"])
              for n in range(1, 6) if isinstance(row[f"candidate_{n}_uri"], str)}


def pick_label(uri: str) -> str:
    if uri == SEARCH:
        return "None of these: search ESCO"
    label, conf = candidates[uri]
    return f"{label} ({conf:.2f})" if pd.notna(conf) else str(label)


pick = st.radio("Occupation", [*candidates, SEARCH], format_func=pick_label, key=f"rv_pick_{i}")
answer, answer_label = (pick, candidates[pick][0]) if pick != SEARCH else (None, None)
if pick == SEARCH:
    text = st.text_input("Search ESCO occupations", value=row["title"], key=f"rv_search_{i}")
    if text.strip():
        with data.guard(), st.spinner("Loading the model and searching…"):
            found = data.search(db, model, data.stamp(db), f.lang, text.strip(), "occupations", 10)
        if len(found):
            options = dict(zip(found["occupation_uri"], found["occupation"], strict=True))
            answer = st.selectbox("Result", list(options), format_func=options.get, key=f"rv_found_{i}")
            answer_label = options.get(answer)
        else:
            st.warning("No ESCO occupation found.")

if st.button("Save answer", key="rv_save", type="primary", disabled=answer is None):
    with data.guard():
        done = data.save_answer(db, row["title"], answer, row["language"], row["country"])
    if done.n_coded:
        st.session_state["rv_saved"] = (f"Saved: “{row['title']}” → {answer_label}. The next normalize run "
                                        "uses it.")
        st.rerun()
    st.error(f"Not saved: {done.rejects['reason'].iloc[0] if len(done.rejects) else 'rejected'}")

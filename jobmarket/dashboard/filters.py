"""The sidebar filters every page shares, kept in the URL query string so a view can be shared."""

from __future__ import annotations

from datetime import date

import streamlit as st

from jobmarket.dashboard import data

SEP = ","
GLOBAL_PARAMS = ("country", "isco", "from", "to", "lang")  # the sidebar's; pages add their own


def from_url(key: str, param: str, parse, default) -> None:
    """Seed widget ``key``: from its last value (Streamlit forgets a widget's state when another page is
    shown), else from the URL (a shared link opens on the same view), else ``default``."""
    if key in st.session_state:
        # Re-assigning the value makes it the seed of the widget on another page (whose id differs).
        st.session_state[key] = st.session_state[key]
        return
    if "_" + key in st.session_state:
        st.session_state[key] = st.session_state["_" + key]
        return
    raw = st.query_params.get(param)
    try:
        st.session_state[key] = parse(raw) if raw else default
    except (ValueError, TypeError):
        st.session_state[key] = default


def remember(*keys: str) -> None:
    """Keep widget values under shadow keys that survive page switches."""
    for key in keys:
        st.session_state["_" + key] = st.session_state.get(key)


def page(params: tuple[str, ...] = ()) -> tuple[str, str, data.Filters]:
    """What every page starts with: the store, the model and the sidebar filters (drawn by the page itself,
    so they render on every page). ``params``: the page's own URL parameters; other pages' are dropped."""
    for key in [k for k in st.query_params if k not in GLOBAL_PARAMS + params]:
        del st.query_params[key]
    db, model = data.settings()
    with data.guard():
        f = sidebar(db)
    return db, model, f


def to_url(param: str, value: str | None) -> None:
    """Mirror a choice in the URL; an empty choice leaves the URL clean."""
    if value:
        if st.query_params.get(param) != value:
            st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def sidebar(db: str) -> data.Filters:
    """Countries, date range, ISCO major groups and label language; returns the current choice."""
    countries = data.q(db, "countries")
    facts = data.q(db, "store_facts").iloc[0]
    langs = data.q(db, "label_languages")["lang"].tolist() or ["en"]
    groups = data.q(db, "isco_major_groups")
    group_label = dict(zip(groups["isco_code"], groups["label"].fillna(""), strict=True))
    all_c = countries["country"].tolist()
    first = facts["first_day"].date() if hasattr(facts["first_day"], "date") else None
    last = facts["last_day"].date() if hasattr(facts["last_day"], "date") else None

    from_url("f_countries", "country", lambda s: [c for c in s.split(SEP) if c in all_c], [])
    from_url("f_isco", "isco", lambda s: [g for g in s.split(SEP) if g in group_label], [])
    from_url("f_lang", "lang", lambda s: s if s in langs else langs[0], langs[0])
    from_url("f_from", "from", _day, None)
    from_url("f_to", "to", _day, None)

    sb = st.sidebar
    sb.header("Filters")
    sb.multiselect("Countries", all_c, key="f_countries", placeholder="All countries",
                   format_func=lambda c: f"{c} ({int(countries.set_index('country').at[c, 'n']):,})")
    if first and last:
        c1, c2 = sb.columns(2)
        c1.date_input("From", key="f_from", min_value=first, max_value=last, format="YYYY-MM-DD")
        c2.date_input("To", key="f_to", min_value=first, max_value=last, format="YYYY-MM-DD")
    sb.multiselect("Occupation group (ISCO major group)", list(group_label), key="f_isco",
                   placeholder="All groups", format_func=lambda g: f"{g} {group_label.get(g, '')}")
    sb.selectbox("Label language", langs, key="f_lang", help="Language of ESCO occupation and skill labels.")
    sb.caption(f"Store: `{db}` · {int(facts['n_postings']):,} postings")

    remember("f_countries", "f_isco", "f_lang", "f_from", "f_to")
    f = data.Filters(countries=tuple(st.session_state.f_countries), d0=st.session_state.get("f_from"),
                     d1=st.session_state.get("f_to"), isco=tuple(st.session_state.f_isco),
                     lang=st.session_state.f_lang)
    to_url("country", SEP.join(f.countries))
    to_url("isco", SEP.join(f.isco))
    to_url("from", f.d0.isoformat() if f.d0 else None)
    to_url("to", f.d1.isoformat() if f.d1 else None)
    to_url("lang", f.lang if f.lang != langs[0] else None)
    return f

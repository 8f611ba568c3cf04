"""The store the dashboard tests read: the real ESCO subset, the first 120 real EURES postings (bg/hr…) and
a few hand-written English postings whose titles are subset occupations and whose descriptions name real
ESCO skills, so the skill-gap page has content; then skills (label matching) and clusters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jobmarket.market import Market

ACCOUNTANT = "http://data.europa.eu/esco/occupation/eda0d957-3c3c-4139-b89a-a18bc9e18897"
# Real ESCO v1.1.1 skills; the label stage finds them in the descriptions below.
MANAGE_BUDGETS = "http://data.europa.eu/esco/skill/21c5790c-0930-4d74-b3b0-84caf5af12ea"
SQL = "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"

# (title, country code, description): every Irish accountant posting asks to manage budgets and for SQL,
# so in Ireland SQL (not an ESCO essential skill of accountants) tops the gap against ESCO.
HAND_MADE = [
    ("accountant", "IE", "You will manage budgets for our clients. Experience with SQL is required."),
    ("accountant", "IE", "Manage budgets and write SQL reports for the finance team."),
    ("accountant", "IE", "Our firm needs you to manage budgets; SQL is a must."),
    ("accountant", "IE", "Manage budgets, SQL, and Python scripting for reports."),
    ("accountant", "MT", "You manage budgets of three hotels."),
    ("accountant", "MT", "Manage budgets and prepare tax returns."),
    ("software developer", "IE", "Develop services in Python and SQL."),
    ("software developer", "IE", "Python developer: we build data tools with Python and SQL."),
    ("software developer", "MT", "Write Python code; SQL is a plus."),
]


def build_dashboard_store(folder: Path, esco: Path, model: Path, eures: Path, n_eures: int = 120) -> Path:
    rows = pd.read_csv(eures, dtype=str, keep_default_na=False).head(n_eures)
    extra = pd.DataFrame([{"job_id": f"EN{i}", "job_title": t, "date": f"2025-12-{10 + i:02d}",
                           "country": c, "country_code": c, "full_description": d}
                          for i, (t, c, d) in enumerate(HAND_MADE)])
    postings = folder / "postings.csv"
    pd.concat([rows, extra], ignore_index=True).fillna("").to_csv(postings, index=False)
    db = folder / "dashboard.duckdb"
    with Market.open(db, model=str(model), esco=[esco]) as m:
        m.normalize(postings)
        m.skills(use_model=False, model_ranking=False)
        m.cluster(min_cluster_size=2)
        m.search("welding", what="skills", lang="en")  # caches the ESCO skill label vectors in the store
    return db


@pytest.fixture(scope="session", name="dashboard_store")
def dashboard_store_fixture(tmp_path_factory, esco_subset, tiny_model) -> Path:
    from tests.conftest import EURES, need_shared

    need_shared(EURES)
    return build_dashboard_store(tmp_path_factory.mktemp("dashboard_store"), esco_subset, tiny_model, EURES)

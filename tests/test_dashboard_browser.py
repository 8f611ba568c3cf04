"""The dashboard served by ``jobmarket dashboard`` and driven in headless Chromium (``make test-browser``):
pick an occupation and a country on the Skill gap page; the gap chart and table render, top skill first.
The screenshot is saved under tests/artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.dashboard_store import dashboard_store_fixture  # noqa: F401

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser_parts():
    pytest.importorskip("selenium")
    from jobmarket.dashboard import browser

    for exe in (browser.CHROMIUM, browser.CHROMEDRIVER):
        if not shutil.which(exe):
            pytest.skip(f"{exe} not found: apt-get install -y chromium chromium-driver (make test-browser)")
    return browser


def test_skill_gap_in_chromium(browser_parts, dashboard_store):
    b = browser_parts
    from selenium.webdriver.common.by import By

    with b.serve(dashboard_store) as url, b.chromium() as d:
        d.get(url + "/skill_gap")
        # The first load after the server starts shows placeholders only: wait for a real widget.
        b.wait_for(d, '[data-testid="stTextInput"]', 180, text="Search ESCO occupations")
        b.settle(d)
        b.type_into(d, "Search ESCO occupations", "accountant")
        b.choose(d, "Occupation", "accountant (")
        b.choose(d, "Demand: postings from", "IE (")
        # "manage budgets" is a cross-sector skill: shown once broad skills are switched on.
        b.switch_on(d, "Include transversal and cross-sector skills")

        title = b.wait_for(d, '[data-testid="stHeading"]', 120, text="Largest gaps")
        assert "manage budgets" in title.text
        chart = b.wait_for(d, '[data-testid="stVegaLiteChart"]', 120)
        b.wait_for(d, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', 60)
        assert chart.size["height"] > 100
        table = b.wait_for(d, '[data-testid="stDataFrame"]', 120)
        assert table.size["height"] > 100
        # The grid is drawn on a canvas; its accessible table carries the cell text.
        cells = [c.get_attribute("textContent") for c in table.find_elements(By.CSS_SELECTOR, "td")][:12]
        assert "manage budgets" in cells
        assert b.wait_for(d, '[data-testid="stDownloadButton"]', 30)
        assert "demand=IE" in d.current_url and "occ=" in d.current_url
        shot = b.screenshot(d, ARTIFACTS / "skill_gap.png")
    assert shot.stat().st_size > 10_000

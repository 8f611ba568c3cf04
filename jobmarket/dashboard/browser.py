"""Drive the dashboard in headless Chromium (Selenium): serve a store on a free port, open pages, wait for
elements, take screenshots. Used by tests/test_dashboard_browser.py and
``python -m jobmarket.dashboard.browser`` (the README's screenshots). Needs Debian's ``chromium`` and
``chromium-driver`` and ``pip install selenium``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--hide-scrollbars"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(db: str | Path, port: int | None = None, model: str = "auto", timeout: float = 120.0
          ) -> Iterator[str]:
    """``jobmarket dashboard`` on 127.0.0.1 and a free port; yields its URL once it answers."""
    port = port or free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"jobmarket-dashboard-{port}.log", "w")  # noqa: SIM115
    cmd = [sys.executable, "-m", "jobmarket", "dashboard", "--db", str(db), "--port", str(port),
           "--model", model]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({proc.returncode}); see {log.name}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dashboard did not answer within {timeout:.0f} s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the CLI and the streamlit server it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@contextmanager
def chromium(width: int = 1440, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, css: str, timeout: float = 120.0, text: str | None = None):
    """The first element matching ``css`` (whose text contains ``text``), once it shows."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d):
        for el in d.find_elements(By.CSS_SELECTOR, css):
            if el.is_displayed() and (text is None or text in el.text):
                return el
        return False

    return WebDriverWait(driver, timeout, poll_frequency=0.3).until(found)


def settle(driver, timeout: float = 120.0) -> None:
    """Wait until Streamlit has finished running the script (no 'Running…' status, no spinner)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    time.sleep(0.5)
    WebDriverWait(driver, timeout, poll_frequency=0.3).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"] img, '
                                                       '[data-testid="stSpinner"]'))
    time.sleep(0.8)  # charts draw after the script has finished


def choose(driver, label: str, option: str, timeout: float = 120.0) -> None:
    """Pick ``option`` (text it starts with) in the Streamlit selectbox labelled ``label``."""
    from selenium.webdriver.common.by import By

    box = wait_for(driver, '[data-testid="stSelectbox"]', timeout, text=label)
    box.find_element(By.CSS_SELECTOR, 'button[aria-haspopup="listbox"], [role="combobox"]').click()
    item = wait_for(driver, '[role="option"]', timeout, text=option)
    item.click()
    settle(driver, timeout)


def switch_on(driver, label: str, timeout: float = 120.0) -> None:
    """Turn on the Streamlit toggle (or checkbox) labelled ``label``."""
    from selenium.webdriver.common.by import By

    box = wait_for(driver, '[data-testid="stCheckbox"]', timeout, text=label)
    if box.find_element(By.CSS_SELECTOR, "input").get_attribute("aria-checked") != "true":
        box.find_element(By.CSS_SELECTOR, "label").click()
        settle(driver, timeout)


def type_into(driver, label: str, text: str, timeout: float = 120.0) -> None:
    """Type ``text`` and Enter into the Streamlit text input labelled ``label``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = wait_for(driver, '[data-testid="stTextInput"]', timeout, text=label)
    field = box.find_element(By.TAG_NAME, "input")
    field.clear()
    field.send_keys(text, Keys.ENTER)
    settle(driver, timeout)


def screenshot(driver, path: str | Path, full_page: bool = True) -> Path:
    """Save a PNG of the page; ``full_page``: the whole scrolling main area, not just the window."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if full_page:
        height = driver.execute_script(
            "const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
            "return Math.max(m.scrollHeight, document.body.scrollHeight);")
        width = driver.get_window_size()["width"]
        driver.set_window_size(width, min(int(height) + 40, 4000))
        settle(driver)
    driver.save_screenshot(str(path))
    return path


def main() -> None:  # pragma: no cover - the README's screenshots
    ap = argparse.ArgumentParser(description="Screenshots of every dashboard page.")
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--occupation", default=None, help="Occupation URI for the skill-gap page.")
    ap.add_argument("--country", default=None, help="Demand country for the skill-gap page.")
    ap.add_argument("--search", default="Krankenpfleger")
    args = ap.parse_args()
    out = Path(args.out)
    with serve(args.db) as url, chromium() as d:
        pages = [("overview", ""), ("titles_across_countries", "titles?by=cluster"),
                 ("search", f"search?q={urllib.request.quote(args.search)}")]
        gap = "skill_gap"
        if args.occupation:
            gap += f"?occ={urllib.request.quote(args.occupation, safe='')}"
            gap += f"&demand={args.country}" if args.country else ""
        pages.insert(1, ("skill_gap", gap))
        for name, path in pages:
            d.set_window_size(1440, 1000)
            d.get(f"{url}/{path}")
            wait_for(d, '[data-testid="stVegaLiteChart"], [data-testid="stAlert"]', 300)
            settle(d, 300)
            print(screenshot(d, out / f"{name}.png"))


if __name__ == "__main__":
    main()

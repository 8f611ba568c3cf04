"""The package as `pip install` gives it: build the wheel, install it non-editable into a fresh venv, and run
the main commands and the dashboard from the installed copy, outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the venv's setuptools builds it, so the test needs no download.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True, cwd=out)
    (found,) = out.glob("jobmarket-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (no -e). Its dependencies come from this venv's
    site-packages through a .pth path entry, which (unlike a site dir) does not run this venv's editable
    finder, so only the wheel's copy of jobmarket is importable."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    return venv


def test_wheel_ships_sql_dashboard_and_vocabularies(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "jobmarket/sql/schema.sql" in names and "jobmarket/sql/views.sql" in names
    assert "jobmarket/dashboard/app.py" in names and "jobmarket/dashboard/views/overview.py" in names
    assert any(n.startswith("jobmarket/text/vocab/") and n.endswith(".tsv") for n in names)
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def run(venv: Path, cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | (env or {})
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_installed_wheel_runs_import_normalize_sql_and_dashboard(installed, tmp_path, esco_subset,
                                                                  tiny_model, eures_sample):
    work = tmp_path / "elsewhere"  # not the checkout: nothing may be read from the source tree
    work.mkdir()
    where = run(installed, work, "python", "-c", "import jobmarket, jobmarket.sql as s; "
                "print(jobmarket.__file__); print(s.SQL_DIR)")
    assert where.returncode == 0, where.stderr
    assert all(str(installed) in line for line in where.stdout.split()), where.stdout

    db = str(work / "market.duckdb")
    res = run(installed, work, "jobmarket", "esco", "import", str(esco_subset), "--db", db)
    assert res.returncode == 0, res.stdout + res.stderr
    res = run(installed, work, "jobmarket", "normalize", str(eures_sample), "--db", db,
              "--model", str(tiny_model), "--out", str(work / "out.parquet"))
    assert res.returncode == 0, res.stdout + res.stderr
    res = run(installed, work, "jobmarket", "sql", "SELECT status, count(*) AS n FROM posting_occupations "
              "GROUP BY ALL ORDER BY 1", "--db", db, "--format", "json")
    assert res.returncode == 0, res.stdout + res.stderr
    counts = {r["status"]: r["n"] for r in json.loads(res.stdout)}
    assert sum(counts.values()) == 120 and counts.get("matched", 0) > 0

    script = work / "apptest.py"
    script.write_text(textwrap.dedent(f"""
        from streamlit.testing.v1 import AppTest
        from jobmarket.dashboard import APP_PATH
        assert {str(installed)!r} in str(APP_PATH), APP_PATH
        at = AppTest.from_file(str(APP_PATH), default_timeout=180)
        at.run()
        assert not at.exception, at.exception
        metrics = {{m.label: m.value for m in at.metric}}
        print("postings", metrics["Postings"])
    """))
    res = run(installed, work, "python", str(script), env={"JOBMARKET_DB": db, "JOBMARKET_MODEL": "auto"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "postings 120" in res.stdout

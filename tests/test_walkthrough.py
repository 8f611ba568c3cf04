"""docs/walkthrough.md runs: its python blocks are executed in order against a small store, so the
walkthrough cannot rot. Only the first block (paths) is replaced, by the test's real small data."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

DOC = ROOT / "docs" / "walkthrough.md"
SETUP_NAMES = {"DB", "MODEL", "ESCO", "POSTINGS", "EXAMPLES"}


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_walkthrough_runs(tmp_path, esco_subset, tiny_model, eures_sample, monkeypatch):
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    setup = ast.parse(blocks[0])
    # The replaced block may only name the paths, so no walkthrough code escapes the test.
    assert {t.id for node in setup.body for t in node.targets} == SETUP_NAMES
    assert all(isinstance(node, ast.Assign) for node in setup.body)
    monkeypatch.chdir(tmp_path)
    ns: dict = {"DB": str(tmp_path / "walk.duckdb"), "MODEL": str(tiny_model), "ESCO": [str(esco_subset)],
                "POSTINGS": str(eures_sample), "EXAMPLES": str(ROOT / "sql" / "examples")}
    for i, block in enumerate(blocks[1:], start=2):
        try:
            exec(compile(block, f"{DOC.name} block {i}", "exec"), ns)
        except Exception as exc:  # noqa: BLE001 - name the block that broke
            raise AssertionError(f"walkthrough block {i} failed: {exc!r}\n{block}") from exc
    assert Path(ns["DB"]).exists() and ns["gap"] is not None and len(ns["near"]) == 5

"""The package as a user gets it: every module imports in a fresh interpreter, no import cycles, the
public names at the top, and package data (SQL, dashboard, vocabularies) inside the package."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("jobmarket", "model_training")
# Streamlit pages and `__main__` run when imported; they are checked in the graph, not imported.
SCRIPTS = ("jobmarket.dashboard.app", "jobmarket.dashboard.views.", "jobmarket.__main__",
           "model_training.__main__")
OPTIONAL = {"jobmarket.engines.ray": "ray", "jobmarket.dashboard.browser": "selenium"}


def modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports anywhere in its body (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` names a module; `from mod import func` names mod.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_module_imports_one_that_imports_it_back():
    mods = modules()
    graph = {name: imports_of(name, path, set(mods)) for name, path in mods.items()}
    assert "jobmarket.pipelines.normalize" in graph and graph["jobmarket.market"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_in_a_fresh_interpreter():
    names = [n for n in modules() if not n.startswith(SCRIPTS)]
    code = (
        "import importlib, importlib.util, sys\n"
        f"optional = {OPTIONAL!r}\n"
        f"for name in {names!r}:\n"
        "    if name in optional and importlib.util.find_spec(optional[name]) is None:\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0 and res.stdout.startswith("ok"), res.stderr[-2000:]


def test_public_names_at_the_top():
    res = subprocess.run(
        [sys.executable, "-c",
         "import sys, jobmarket; light = 'torch' not in sys.modules\n"
         "from jobmarket import Market, Encoder, clean_title, JobmarketError\n"
         "print(light, Market.__name__, Encoder.__name__, clean_title('Koch (m/w/d)').title)"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["True", "Market", "Encoder", "Koch"]


def test_package_data_is_inside_the_package():
    sql = files("jobmarket.sql")
    for name in ("schema.sql", "views.sql", "macros.sql", "normalize.sql", "dashboard.sql"):
        assert sql.joinpath(name).is_file(), name
    assert files("jobmarket.dashboard").joinpath("app.py").is_file()
    assert any(p.name.endswith(".tsv") for p in files("jobmarket.text").joinpath("vocab").iterdir())
    # One home per file: the package's SQL is not copied into the project's analyst-facing sql/ folder.
    top = {p.name for p in (ROOT / "sql").glob("*.sql")}
    assert not top & {p.name for p in sql.iterdir()}


def test_readme_layout_table_is_the_tree():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| (`[^|]+`) \|", section, flags=re.M)  # the first column: the paths
    paths = {p for cell in cells for p in re.findall(r"`([^`]+)`", cell)}
    named = set()
    for p in paths:
        full = p if "/" in p or p.endswith("/") else f"jobmarket/{p}"
        assert (ROOT / full).exists(), f"README layout names {p}, not in the tree"
        named.add(full.rstrip("/"))
    folders = {f"jobmarket/{d.name}" for d in (ROOT / "jobmarket").iterdir()
               if d.is_dir() and (d / "__init__.py").exists()}
    assert folders <= named, f"folders missing from the README layout: {sorted(folders - named)}"

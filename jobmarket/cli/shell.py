"""`jobmarket sql`: query output in several formats, and a small interactive SQL shell."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
from rich.console import Console
from rich.table import Table

from jobmarket.errors import JobmarketError

FORMATS = ("table", "csv", "json", "parquet")
MAX_ROWS = 200
HELP = """statements end with ';' (they may span lines). Commands:
  .tables          tables, views and table macros of the store
  .schema NAME     the columns of a table or view
  .lang XX         show ESCO labels in language XX (sets label_lang)
  .help            this text
  .quit / .exit    leave (Ctrl-D too)"""


def rich_table(df: pd.DataFrame, max_rows: int = MAX_ROWS, title: str | None = None) -> Table:
    """A DataFrame as a rich table, vectors shortened and long results cut at ``max_rows``."""
    caption = f"{len(df):,} rows, first {max_rows} shown" if len(df) > max_rows else f"{len(df):,} rows"
    t = Table(title=title, caption=caption)
    for c in df.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
    for row in df.head(max_rows).itertuples(index=False):
        t.add_row(*[_cell(v) for v in row])
    return t


def _cell(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if v == v else ""
    if hasattr(v, "__len__") and not isinstance(v, str) and len(v) > 6:
        head = ", ".join(_cell(x) for x in list(v)[:4])
        return f"[{head}, … {len(v)} items]"
    return "" if v is None else str(v)


def write_result(market, query: str, fmt: str, out: Path | None, console: Console) -> None:
    """Run ``query`` and print it (table, csv, json) or write it to ``out`` (any format; parquet needs it)."""
    if fmt not in FORMATS:
        raise JobmarketError(f"--format must be one of {', '.join(FORMATS)}, not {fmt}")
    if fmt == "parquet":
        if out is None:
            raise JobmarketError("--format parquet needs --out FILE.parquet")
        market.sql(query, as_="arrow").to_pandas().to_parquet(out, index=False)
        return
    df = market.sql(query)
    if fmt == "table":
        if out is not None:
            raise JobmarketError("--format table prints to the terminal: use csv, json or parquet with --out")
        console.print(rich_table(df))
    elif fmt == "csv":
        df.to_csv(out if out is not None else sys.stdout, index=False)
    else:
        text = df.to_json(orient="records", force_ascii=False, date_format="iso")
        if out is not None:
            Path(out).write_text(text + "\n", encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")


def _statements(lines: Iterable[str], console: Console, prompt: bool) -> Iterator[str]:
    """Complete statements and dot-commands from a stream of lines."""
    buf: list[str] = []
    it = iter(lines)
    while True:
        if prompt:
            console.print("[bold]jobmarket>[/bold] " if not buf else "      ...> ", end="")
        try:
            line = next(it)
        except StopIteration:
            break
        stripped = line.strip()
        if not buf and stripped.startswith("."):
            yield stripped
            continue
        if stripped:
            buf.append(line.rstrip("\n"))
        if stripped.endswith(";"):
            yield "\n".join(buf)
            buf = []
    if buf:
        yield "\n".join(buf)


def _stdin_lines() -> Iterator[str]:
    try:
        import readline  # noqa: F401 - line editing and history where the platform has it
    except ImportError:
        pass
    while True:
        try:
            yield input()
        except EOFError:
            return


def repl(market, console: Console, lines: Iterable[str] | None = None) -> int:
    """Read statements until ``.quit`` or end of input; errors are printed and the shell goes on.
    Returns the number of statements that failed."""
    interactive = lines is None
    if interactive:
        console.print(f"jobmarket SQL shell on {market.db} (read-only). .help for help, .quit to leave.")
    failures = 0
    for stmt in _statements(_stdin_lines() if interactive else lines, console, interactive):
        if stmt in (".quit", ".exit", ".q"):
            break
        try:
            _run(market, stmt, console)
        except (JobmarketError, duckdb.Error) as exc:
            failures += 1
            console.print(f"[bold red]error:[/bold red] {str(exc).strip().splitlines()[0]}", highlight=False)
    return failures


def _run(market, stmt: str, console: Console) -> None:
    if stmt == ".help":
        console.print(HELP, highlight=False)
    elif stmt == ".tables":
        console.print(rich_table(market.sql(
            "SELECT table_name AS name, 'table' AS kind FROM duckdb_tables() WHERE NOT internal "
            "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE NOT internal "
            "UNION ALL SELECT DISTINCT function_name, 'table macro' FROM duckdb_functions() "
            "WHERE function_type = 'table_macro' AND NOT internal ORDER BY kind, name")))
    elif stmt.startswith(".schema"):
        name = stmt.split(maxsplit=1)[1] if len(stmt.split()) > 1 else ""
        if not name:
            raise JobmarketError(".schema needs a table or view name")
        console.print(rich_table(market.sql(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [name])))
    elif stmt.startswith(".lang"):
        parts = stmt.split()
        if len(parts) != 2:
            raise JobmarketError(".lang needs a language code, e.g. .lang de")
        market.use_language(parts[1])
        console.print(f"labels in {parts[1]} (English where missing)")
    elif stmt.startswith("."):
        raise JobmarketError(f"unknown command {stmt.split()[0]}: .help lists them")
    else:
        console.print(rich_table(market.sql(stmt.rstrip().rstrip(";"))))

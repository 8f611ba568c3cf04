"""Clean titles and detect their languages for a whole chunk at once: each distinct input once, and over a
process pool when the chunk is large.

Cleaning is pure-Python regex work (~0.5 ms a title) and detection walks each text byte by byte, so
both are CPU-bound and hold the GIL: processes, not threads, use the other cores. Results are exactly
those of :func:`clean_title` and :func:`detect_title_language` called one by one (the tests compare).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from jobmarket.text.clean import CleanTitle, clean_title
from jobmarket.text.countries import country_languages
from jobmarket.text.language import detect_language

__all__ = ["PARALLEL_MIN", "clean_and_detect", "detect_title_language", "workers"]

PARALLEL_MIN = 4_000  # distinct items below which a pool's start-up (~1 s) costs more than it saves
_BLOCK = 1_000  # items per task: large enough that pickling is small next to the work
_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    """Processes for cleaning: ``JOBMARKET_CLEAN_WORKERS`` or the CPUs this process may use."""
    env = os.environ.get("JOBMARKET_CLEAN_WORKERS")
    if env:
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def detect_title_language(title: str, description: str | None, country: str | None) -> str | None:
    """A posting's language from its clean title and description; the country narrows the choice and
    English is always possible (international postings)."""
    known = country_languages(country)
    candidates = list(dict.fromkeys([*known, "en"])) if known else None
    text = f"{title}. {description or ''}".strip()
    return detect_language(text, candidates)


def clean_and_detect(
    rows: Sequence[tuple[str, str | None, str | None, str | None]], lang: str | None = None
) -> list[tuple[CleanTitle, str | None]]:
    """(clean title, language) for each (raw title, country, given language, description) row.

    ``lang`` forces every row's language; a row's given language wins over detection.
    """
    raws = list(dict.fromkeys(raw for raw, *_ in rows))
    cleaned = dict(zip(raws, _map(_clean_block, raws), strict=True))
    todo = list(dict.fromkeys(
        (cleaned[raw].title, desc, country) for raw, country, given, desc in rows if not (lang or given)
    ))
    detected = dict(zip(todo, _map(_detect_block, todo), strict=True))
    out = []
    for raw, country, given, desc in rows:
        c = cleaned[raw]
        out.append((c, lang or given or detected[(c.title, desc, country)]))
    return out


def _clean_block(raws: list) -> list[CleanTitle]:
    return [clean_title(r) for r in raws]


def _detect_block(items: list) -> list[str | None]:
    return [detect_title_language(t, d, c) for t, d, c in items]


def _map(fn, items: list) -> list:
    n = workers()
    if len(items) < PARALLEL_MIN or n < 2:
        return fn(items)
    blocks = [items[i : i + _BLOCK] for i in range(0, len(items), _BLOCK)]
    return [x for part in _executor(n).map(fn, blocks) for x in part]


def _executor(n: int) -> ProcessPoolExecutor:
    """One pool for the process's life (a run cleans chunk after chunk). Spawned, not forked: the parent
    holds DuckDB's and torch's threads, which a fork would copy mid-flight."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool

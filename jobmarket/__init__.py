"""jobmarket: multilingual labor-market analytics in DuckDB.

Postings → ESCO occupations, cross-country title clusters and skill profiles::

    from jobmarket import Market

    with Market.open("market.duckdb", esco=["esco/"]) as market:
        result = market.normalize("postings.csv")
        print(result.report.counts, result.df().head())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["Encoder", "JobmarketError", "Market", "__version__", "clean_title"]

# Resolved on first use (PEP 562): `import jobmarket` stays light (no torch) and no submodule's import of
# `jobmarket.errors` runs back into the whole package.
_EXPORTS = {
    "Market": ("jobmarket.market", "Market"),
    "Encoder": ("jobmarket.encoders.sentence_transformer", "Encoder"),
    "clean_title": ("jobmarket.text.clean", "clean_title"),
    "JobmarketError": ("jobmarket.errors", "JobmarketError"),
}

if TYPE_CHECKING:
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.errors import JobmarketError
    from jobmarket.market import Market
    from jobmarket.text.clean import clean_title


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'jobmarket' has no attribute {name!r}")

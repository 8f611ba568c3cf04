"""jobmarket: multilingual labor-market analytics in DuckDB.

Postings → ESCO occupations, cross-country title clusters and skill profiles.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

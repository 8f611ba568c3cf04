"""jobmarket: multilingual labor-market analytics (postings → ESCO occupations, clusters, skills) in DuckDB."""

__version__ = "0.1.0"

__all__ = ["__version__"]

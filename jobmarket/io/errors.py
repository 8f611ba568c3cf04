"""The error raised for a postings file that cannot be read.

A module of its own so that every stage of a read (encoding, dialect, columns, reader) can raise it without
importing another stage.
"""

from __future__ import annotations

from jobmarket.errors import JobmarketError

__all__ = ["PostingsError"]


class PostingsError(JobmarketError, ValueError):
    """A postings file that cannot be read; the message is one line naming the file (row, column)."""

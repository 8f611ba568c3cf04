"""What of a posting's description the store keeps: ``keep`` (as given), ``redact`` (the default: e-mail
addresses and phone numbers replaced by ``[e-mail]``/``[phone]``) or ``none`` (nothing is stored).

Recruiters' contact details are personal data and no analysis needs them. E-mail addresses are found by
a pattern in DuckDB; phone numbers by libphonenumber (``phonenumbers``) with the posting's country as the
region, so numbers are recognised as each country writes them and dates or salaries are left alone. Only
descriptions with a run of seven or more digit-like characters reach Python.

The run itself still sees the (redacted) description, for language detection; with ``none`` it is not
written to the store (``keep_description`` false in the reader's table).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from jobmarket.errors import JobmarketError

__all__ = ["POLICIES", "apply_description_policy", "redact_phones", "stricter"]

POLICIES = ("keep", "redact", "none")  # from most to least kept
DEFAULT_POLICY = "redact"
EMAIL = r"[^\s@<>()\[\]{},;:\"']+@[^\s@<>()\[\]{},;:\"']+\.[^\s@<>()\[\]{},;:\"'.]+"
PHONE_CANDIDATE = r"[+(]?[0-9][0-9 ().\-/]{5,}[0-9]"
UDF = "_jm_redact_phones"


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise JobmarketError(f"descriptions must be one of {', '.join(POLICIES)}, not {policy!r}")
    return policy


def stricter(a: str, b: str) -> str:
    """The policy that keeps less."""
    return max(check_policy(a), check_policy(b), key=POLICIES.index)


def redact_phones(text: str | None, region: str | None) -> str | None:
    """``text`` with each phone number libphonenumber finds (as written in ``region``) → ``[phone]``."""
    import phonenumbers

    if not text:
        return text
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, (region or "ZZ").upper())]
    for start, end in reversed(spans):
        text = text[:start] + "[phone]" + text[end:]
    return text


def _redact_batch(texts: pa.Array, regions: pa.Array) -> pa.Array:
    pairs = zip(texts.to_pylist(), regions.to_pylist(), strict=True)
    return pa.array([redact_phones(t, r) for t, r in pairs], pa.string())


def apply_description_policy(con: duckdb.DuckDBPyConnection, table: str, policy: str) -> int:
    """Apply ``policy`` to the reader's table; returns how many descriptions hold a redaction."""
    check_policy(policy)
    con.execute(f"ALTER TABLE {table} ADD COLUMN keep_description BOOLEAN DEFAULT {policy != 'none'}")
    if policy == "keep":
        return 0
    con.execute(f"UPDATE {table} SET description = regexp_replace(description, ?, '[e-mail]', 'g') "
                f"WHERE regexp_matches(description, ?)", [EMAIL, EMAIL])
    con.create_function(UDF, _redact_batch, [duckdb.sqltype("VARCHAR")] * 2, duckdb.sqltype("VARCHAR"),
                        type="arrow")
    try:
        con.execute(f"UPDATE {table} SET description = {UDF}(description, country) "
                    f"WHERE regexp_matches(description, ?)", [PHONE_CANDIDATE])
    finally:
        con.remove_function(UDF)
    return con.execute(f"SELECT count(*) FROM {table} WHERE contains(description, '[e-mail]') "
                       "OR contains(description, '[phone]')").fetchall()[0][0]

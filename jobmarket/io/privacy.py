"""What of a posting's description the store keeps: ``keep`` (as given), ``redact`` (the default: e-mail
addresses and phone numbers replaced by ``[e-mail]``/``[phone]``), ``skills`` (only what skill extraction
reads, redacted) or ``none`` (nothing is stored).

Recruiters' contact details are personal data and no analysis needs them. E-mail addresses are found by
a pattern in DuckDB; phone numbers by libphonenumber (``phonenumbers``) with the posting's country as the
region, so numbers are recognised as each country writes them and dates or salaries are left alone. Only
descriptions with a run of seven or more digit-like characters reach Python.

``skills`` keeps the sentences :func:`jobmarket.skills.sections.skill_text` finds in the requirement,
task and unlabelled parts of an ad (with their section headings), and drops the offer, company and
how-to-apply text that skill extraction treats as background: `jobmarket skills` still finds what the
job needs, while the store holds no more of the ad than that. It is computed after redaction, so it
holds no contact details either; the sections are found with the row's language (its language column,
else the language detected on its description).

The run itself still sees the whole (redacted) description, for language detection, so a run's matches
do not depend on the policy. What is written to the store: the description where ``keep_description``
is true (keep, redact), else ``skill_text`` (NULL with ``none``).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from jobmarket.errors import JobmarketError

__all__ = ["POLICIES", "apply_description_policy", "redact_phones", "stricter"]

POLICIES = ("keep", "redact", "skills", "none")  # from most to least kept
DEFAULT_POLICY = "redact"
EMAIL = r"[^\s@<>()\[\]{},;:\"']+@[^\s@<>()\[\]{},;:\"']+\.[^\s@<>()\[\]{},;:\"'.]+"
PHONE_CANDIDATE = r"[+(]?[0-9][0-9 ().\-/]{5,}[0-9]"
UDF = "_jm_redact_phones"
SKILL_UDF = "_jm_skill_text"


def check_policy(policy: str) -> str:
    """``policy`` if it is one of :data:`POLICIES`, else a one-line error."""
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


def _skill_text_batch(texts: pa.Array, langs: pa.Array) -> pa.Array:
    from jobmarket.skills.sections import skill_text
    from jobmarket.text.language import detect_language

    pairs = zip(texts.to_pylist(), langs.to_pylist(), strict=True)
    return pa.array([skill_text(t, lang or detect_language(t)) if t else None for t, lang in pairs],
                    pa.string())


def apply_description_policy(con: duckdb.DuckDBPyConnection, table: str, policy: str) -> dict[str, int]:
    """Apply ``policy`` to the reader's table (adds ``keep_description`` and ``skill_text``); returns the
    reader's notes: how many descriptions hold a redaction (``redacted_descriptions``) and, with
    ``skills``, how many keep skill text (``skill_descriptions``) and how many kept none of it
    (``descriptions_without_skill_text``)."""
    check_policy(policy)
    con.execute(f"ALTER TABLE {table} ADD COLUMN keep_description BOOLEAN DEFAULT "
                f"{policy in ('keep', 'redact')}")
    con.execute(f"ALTER TABLE {table} ADD COLUMN skill_text VARCHAR DEFAULT NULL")
    if policy == "keep":
        return {"redacted_descriptions": 0}
    con.execute(f"UPDATE {table} SET description = regexp_replace(description, ?, '[e-mail]', 'g') "
                f"WHERE regexp_matches(description, ?)", [EMAIL, EMAIL])
    # null_handling "special": rows without a country are redacted too (international numbers only); by
    # default DuckDB returns NULL for a NULL argument without calling the UDF, which erased the description.
    con.create_function(UDF, _redact_batch, [duckdb.sqltype("VARCHAR")] * 2, duckdb.sqltype("VARCHAR"),
                        type="arrow", null_handling="special")
    try:
        con.execute(f"UPDATE {table} SET description = {UDF}(description, country) "
                    f"WHERE regexp_matches(description, ?)", [PHONE_CANDIDATE])
    finally:
        con.remove_function(UDF)
    if policy == "skills":
        # Python's sentence splitter, a batch of rows at a time (DuckDB hands the UDF Arrow vectors).
        # "special" again: rows without a language are reduced too (their description's language is detected).
        con.create_function(SKILL_UDF, _skill_text_batch, [duckdb.sqltype("VARCHAR")] * 2,
                            duckdb.sqltype("VARCHAR"), type="arrow", null_handling="special")
        try:
            con.execute(f"UPDATE {table} SET skill_text = {SKILL_UDF}(description, language) "
                        "WHERE nullif(trim(description), '') IS NOT NULL")
        finally:
            con.remove_function(SKILL_UDF)
    redacted, with_skills, without = con.execute(
        "SELECT count(*) FILTER (WHERE contains(description, '[e-mail]') OR "
        "contains(description, '[phone]')), count(skill_text), count(*) FILTER (WHERE skill_text IS NULL AND "
        f"nullif(trim(description), '') IS NOT NULL) FROM {table}").fetchall()[0]
    notes = {"redacted_descriptions": redacted}
    if policy == "skills":
        notes |= {"skill_descriptions": with_skills, "descriptions_without_skill_text": without}
    return notes

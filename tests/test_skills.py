"""Skill extraction and skill profiles on real ESCO skills (the esco_subset fixture) in a hand-made store."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from jobmarket.esco.load import import_esco
from jobmarket.pipelines.skills import extract_run
from jobmarket.skills.extractor import SkillExtractor
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.segments import split_segments
from jobmarket.store import connection as store
from jobmarket.store import runs

ROOT = Path(__file__).resolve().parents[1]
MANAGE_BUDGETS = "http://data.europa.eu/esco/skill/21c5790c-0930-4d74-b3b0-84caf5af12ea"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
SQL = "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"
JAVASCRIPT = "http://data.europa.eu/esco/skill/3cd569a2-4f88-4c1e-9995-8dce8c5e51a7"
JAVA = "http://data.europa.eu/esco/skill/19a8293b-8e95-4de3-983f-77484079c389"
RUN = "run-test"

# (posting, occupation label or None for abstained, country, language, description)
POSTINGS = [
    ("p1", "accountant", "DE", "en",
     "Accountant wanted.\n- Manage budgets for three clients\n- Prepare tax returns"),
    ("p2", "accountant", "DE", "en", "You prepare financial statements and reports."),
    ("p3", "accountant", "AT", "en", "Our team needs you to manage budgets. Experience with SQL is a plus."),
    ("p4", "software developer", "AT", "en",
     "Develop services in Python and SQL; JavaScript is a plus, Javanese is not."),
    ("p5", "software developer", "AT", "en", ""),
    ("p6", None, "DE", "en", "You manage budgets."),
]


@pytest.fixture()
def skills_store(tmp_path, esco_subset):
    """A store with the real ESCO subset and a hand-made finished normalize run of POSTINGS."""
    con = store.connect(tmp_path / "skills.duckdb")
    import_esco(con, [esco_subset], progress=False)
    occ = dict(con.execute("SELECT label, concept_uri FROM esco_labels WHERE concept_type = 'occupation' "
                           "AND kind = 'preferred' AND lang = 'en'").fetchall())
    con.execute("BEGIN TRANSACTION")
    runs.start_run(con, RUN, "normalize", source_file="hand-made", source_sha256=None, model_id=None,
                    model_dim=None, params={})
    for row, (pid, occupation, country, lang, text) in enumerate(POSTINGS, start=1):
        con.execute("INSERT INTO postings (posting_id, run_id, source_row, description, country, language, "
                    "title_id) VALUES (?, ?, ?, ?, ?, ?, ?)", [pid, RUN, row, text, country, lang, f"t{row}"])
        con.execute("INSERT INTO assignments (posting_id, run_id, occupation_uri, status) "
                    "VALUES (?, ?, ?, ?)",
                    [pid, RUN, occ.get(occupation), "matched" if occupation else "abstained"])
    runs.finish_run(con, RUN, {})
    con.execute("COMMIT")
    yield con, occ
    con.close()


def test_segments_are_sentences_bullets_and_clauses_with_exact_offsets():
    text = ("We are hiring.\n- Manage budgets\n• Write SQL reports. Work in a team!  * Travel "
            "- CAD design; - coordination with partners\n"
            + ", ".join(f"skill number {i}" for i in range(12)))
    segs = split_segments(text, max_words=10)
    assert all(text[s.start:s.end] == s.text for s in segs)
    texts = [s.text for s in segs]
    assert texts[:7] == ["We are hiring", "Manage budgets", "Write SQL reports", "Work in a team", "Travel",
                         "CAD design", "coordination with partners"]
    # The 36-word last line is over max_words: split into its comma clauses.
    assert texts[7:] == [f"skill number {i}" for i in range(12)]


def test_label_stage_finds_real_esco_skills_with_word_boundaries(skills_store):
    con, _ = skills_store
    extractor = SkillExtractor.default(SkillLabels.from_store(con))
    text = "You will manage budgets and write Python and SQL; JavaScript is a plus, as is Javanese."
    found = {f.skill_uri: f for f in extractor.extract(text, "en")}
    assert {MANAGE_BUDGETS, PYTHON, SQL, JAVASCRIPT} <= set(found)
    assert JAVA not in found  # "Java" is no whole word of "JavaScript" or "Javanese"
    for f in found.values():
        assert text[f.start:f.end] == f.evidence
    assert found[MANAGE_BUDGETS].evidence == "manage budgets"
    assert (found[MANAGE_BUDGETS].method, found[MANAGE_BUDGETS].score) == ("exact", 1.0)


def test_fuzzy_stage_tolerates_inflections_only(skills_store):
    con, _ = skills_store
    labels = SkillLabels.from_store(con)
    found = {f.skill_uri: f for f in SkillExtractor.default(labels).extract("She manages budgets.", "en")}
    assert found[MANAGE_BUDGETS].method == "fuzzy"
    assert 0.9 <= found[MANAGE_BUDGETS].score < 1.0
    assert found[MANAGE_BUDGETS].evidence == "manages budgets"
    exact_only = SkillExtractor.default(labels, fuzzy_cutoff=None).extract("She manages budgets.", "en")
    assert MANAGE_BUDGETS not in {f.skill_uri for f in exact_only}


def test_names_match_in_any_language_words_only_in_their_own(skills_store):
    con, _ = skills_store
    extractor = SkillExtractor.default(SkillLabels.from_store(con))
    text = "Kenntnisse in Python-Programmierung und SQL; Sie manage budgets."
    found = {f.skill_uri for f in extractor.extract(text, "de")}
    assert {PYTHON, SQL} <= found  # names (capitals) cross languages; "SQL-" splits at the hyphen
    assert MANAGE_BUDGETS not in found  # English words are not German skill labels
    assert MANAGE_BUDGETS in {f.skill_uri for f in extractor.extract(text, None)}  # unknown language: all


def _rows(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_profiles_weights_are_shares_of_postings_per_occupation_and_country(skills_store):
    con, occ = skills_store
    report = extract_run(con, None, RUN)
    assert report.n_postings == 5  # p5 has no description
    acc = occ["accountant"]
    prof = {(scope, country): (weight, n, relation) for scope, country, weight, n, relation in con.execute(
        "SELECT scope, country, weight, n_postings, relation FROM skill_profiles WHERE occupation_uri = ? "
        "AND skill_uri = ? AND source = 'postings'", [acc, MANAGE_BUDGETS]).fetchall()}
    # p1 and p3 of the 3 accountant postings ask for it (p6 is abstained: not counted).
    assert prof[("occupation", None)] == (pytest.approx(2 / 3), 3, "optional")
    assert prof[("occupation_country", "DE")] == (pytest.approx(1 / 2), 2, "optional")
    assert prof[("occupation_country", "AT")] == (pytest.approx(1.0), 1, "optional")
    # ESCO's relations come along for the occupation and for each of its countries.
    n_rel = con.execute("SELECT count(DISTINCT skill_uri) FROM esco_occupation_skills "
                        "WHERE occupation_uri = ?", [acc]).fetchall()[0][0]
    esco_rows = con.execute("SELECT scope, count(*) FROM skill_profiles WHERE occupation_uri = ? AND "
                            "source = 'esco' GROUP BY ALL ORDER BY 1", [acc]).fetchall()
    assert esco_rows == [("occupation", n_rel), ("occupation_country", 2 * n_rel)]
    # Evidence offsets point into the stored descriptions.
    for desc, evidence, start, end in con.execute(
            'SELECT p.description, s.evidence, s."start", s."end" FROM posting_skills s '
            "JOIN postings p USING (posting_id, run_id)").fetchall():
        assert desc[start:end] == evidence
    p4 = {r[0] for r in con.execute("SELECT skill_uri FROM posting_skills WHERE posting_id = 'p4'")
          .fetchall()}
    assert {PYTHON, SQL, JAVASCRIPT} <= p4 and JAVA not in p4


def test_rerun_replaces_its_rows(skills_store):
    con, _ = skills_store
    extract_run(con, None, RUN)
    first = {t: _rows(con, t) for t in ("posting_skills", "skill_profiles")}
    extract_run(con, None)  # the latest normalize run: the same one
    assert {t: _rows(con, t) for t in first} == first
    assert con.execute("SELECT count(*) FROM runs WHERE command = 'skills'").fetchall()[0][0] == 1


def test_market_skills_with_a_model_ranks_skills_for_titles(skills_store, tiny_router_model, tmp_path):
    from typer.testing import CliRunner

    from jobmarket.cli.app import app
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.market import Market

    con, occ = skills_store
    db = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")\
        .fetchall()[0][0]
    con.close()
    with Market.open(db, model=str(tiny_router_model)) as market:
        market.use_encoder(Encoder(str(tiny_router_model)))
        df = market.skills(min_score=0.0).df()
        assert set(df["method"]) >= {"exact", "embedding"}
        assert (df["score"] >= 0).all()
        n_model = market.sql("SELECT count(*) AS n FROM skill_profiles WHERE source = 'model' AND scope = "
                             "'occupation' AND occupation_uri = ?", [occ["accountant"]])["n"][0]
        assert n_model == 50
        prof = market.skill_profile("accountant").set_index("skill_uri")
        assert prof.loc[MANAGE_BUDGETS, "posting_share"] == pytest.approx(2 / 3)
        assert prof.loc[MANAGE_BUDGETS, "esco_relation"] == "optional"
        de = market.skill_profile("accountant", country="DE").set_index("skill_uri")
        assert de.loc[MANAGE_BUDGETS, "posting_share"] == pytest.approx(1 / 2)
    result = CliRunner().invoke(app, ["skills", "--db", db, "--labels-only", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "5 descriptions" in result.output and "manage budgets" in result.output


def test_benchmark_metrics_match_a_hand_worked_case():
    spec = importlib.util.spec_from_file_location("bench_skills", ROOT / "benchmarks" / "skills.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ranked, gold = ["a", "x", "b", "y", "z", "c"], {"a", "b", "c"}
    assert bench.rp_at_k(ranked, gold, 5) == pytest.approx(2 / 3)  # 2 relevant in top 5, min(5, 3) = 3
    assert bench.rp_at_k(["x", "y", "a"], {"a"}, 5) == 1.0  # min(5, 1) = 1
    assert bench.reciprocal_rank(["x", "y", "b"], gold) == pytest.approx(1 / 3)
    assert bench.reciprocal_rank(["x"], gold) == 0.0


def test_one_letter_skills_are_found_by_name_never_by_embedding(tiny_router_model):
    from jobmarket.encoders.sentence_transformer import Encoder

    labels = SkillLabels(uris=["skill:r", "skill:c", "skill:budgets"], langs=["en"] * 3,
                         texts=["R", "C", "manage budgets"], kinds=["preferred"] * 3)
    # threshold -1: every skill the embedding stage scores at all would be a finding.
    extractor = SkillExtractor.default(labels, Encoder(str(tiny_router_model)), threshold=-1.0, top_n=3)
    found = extractor.extract("Statistics with R. You manage budgets.", "en")
    by_skill = {f.skill_uri: f.method for f in found}
    assert by_skill["skill:r"] == "exact"  # the name itself, by the label stage
    assert "skill:c" not in by_skill  # a letter's embedding would land near any sentence
    assert by_skill["skill:budgets"] in ("exact", "embedding")
    assert extractor.stages[1].label_texts == ["manage budgets"]


def test_store_keeps_evidence_and_profiles_leave_background_out(skills_store):
    from jobmarket.skills.gap import by_group, gap_table

    con, occ = skills_store
    # p2 also says how to apply, naming a skill there: stored, flagged, not counted.
    con.execute("UPDATE postings SET description = description || "
                "'\nHow to apply:\nSend your CV; knowledge of SQL helps us sort the applications.' "
                "WHERE posting_id = 'p2'")
    extract_run(con, None, RUN)
    rows = con.execute("SELECT posting_id, skill_uri, sentence, section, boilerplate FROM posting_skills "
                       "ORDER BY posting_id, skill_uri").fetchall()
    by = {(p, u): (sent, sec, b) for p, u, sent, sec, b in rows}
    assert by[("p3", SQL)] == ("Experience with SQL is a plus", "other", False)
    assert by[("p2", SQL)][1:] == ("apply", True)
    acc = occ["accountant"]
    share = con.execute("SELECT weight FROM skill_profiles WHERE scope = 'occupation' "
                        "AND source = 'postings' AND occupation_uri = ? AND skill_uri = ?",
                        [acc, SQL]).fetchall()
    assert share == [(pytest.approx(1 / 3),)]  # p3 only: p2's SQL is in its how-to-apply text
    # The gap against ESCO: each demanded skill with its status and evidence sentences with counts.
    supply = pd.DataFrame({"skill_uri": pd.Series([], dtype=str), "weight": pd.Series([], dtype=float)})
    gap = gap_table(con, acc, None, supply, levels=[]).set_index("skill_uri")
    assert gap.loc[SQL, "status"] == "emerging" and gap.loc[SQL, "n_postings"] == 1
    assert gap.loc[SQL, "evidence"] == [{"sentence": "Experience with SQL is a plus", "section": "other",
                                         "n_postings": 1}]
    assert gap.loc[MANAGE_BUDGETS, "reuse_level"] == "cross-sector"
    # The default reuse levels (occupation- and sector-specific) leave the cross-sector skill out.
    narrow = gap_table(con, acc, None, supply)
    assert MANAGE_BUDGETS not in set(narrow["skill_uri"]) and SQL in set(narrow["skill_uri"])
    grouped = by_group(gap.reset_index(), "reuse_level")
    assert {"cross-sector", "sector-specific"} <= set(grouped["reuse_level"])


def test_embedding_findings_are_the_threshold_rows_whatever_the_batches(skills_store, tiny_router_model):
    """The embedding stage ranks only segments whose best skill reaches the threshold, and the extractor
    hands it units in order of length: findings are those of ranking every segment, for any batch size."""
    import numpy as np

    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.skills._base import Doc
    from jobmarket.skills.embedding import EmbeddingStage
    from jobmarket.skills.segments import Segment

    con, _ = skills_store
    labels = SkillLabels.from_store(con)
    texts = [p[4] for p in POSTINGS] + ["Budgets.", "You will work with spreadsheets, budgets and reports "
                                        "for our clients in three countries every week."]
    encoder = Encoder(str(tiny_router_model))
    probe = EmbeddingStage(labels, encoder, threshold=0.0, top_n=1)
    units = sorted({s.text for t in texts for s in split_segments(t, 25, "en")})
    sims = probe.similarities(probe.encode_segments(units))
    threshold = float(np.quantile(sims.max(axis=1), 0.5))  # half the segments find something
    every = len(probe.skill_uris)
    for top_n in (1, every):
        stage = EmbeddingStage(labels, encoder, threshold=threshold, top_n=top_n)
        found = stage.find_many([Doc(u, "en", [Segment(u, 0, len(u))]) for u in units])
        for row, fs in zip(sims, found, strict=True):
            # every skill at or above the threshold, at most top_n of them; ties make the skills arbitrary
            assert len(fs) == min(top_n, int((row >= threshold).sum()))
            best = np.sort(row)[::-1][:len(fs)]
            assert sorted((f.score for f in fs), reverse=True) == pytest.approx(best.round(4), abs=2e-4)
        assert 0 < sum(map(len, found)) < len(units) * top_n

    seen: list[int] = []
    stage = EmbeddingStage(labels, encoder, threshold=threshold, top_n=every)
    ranked = stage.find_many

    def recording(docs):
        seen.extend(len(d.text) for d in docs)
        return ranked(docs)

    stage.find_many = recording
    results = []
    for batch in (1, 3, 1024):
        seen.clear()
        extractor = SkillExtractor([stage], sections=False, rule=None)
        results.append([sorted((f.skill_uri, f.start, f.end) for f in fs)
                        for fs in extractor.extract_many(texts, ["en"] * len(texts), batch=batch)])
        assert seen == sorted(seen) and len(seen) == len(units)  # shortest units first, each once
    assert results[0] == results[1] == results[2]
    assert any(results[0])

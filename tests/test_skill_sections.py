"""Where a skill stands in an ad: sentences (a maintained splitter), sections (heading cues per language,
on real EURES postings), boilerplate by corpus statistics, and the evidence kept in the store."""

from __future__ import annotations

import pandas as pd
import pytest

from jobmarket.skills._base import Doc
from jobmarket.skills.boilerplate import BoilerplateRule, sentence_key
from jobmarket.skills.extractor import SkillExtractor
from jobmarket.skills.label_match import LabelMatchStage
from jobmarket.skills.labels import SkillLabels
from jobmarket.skills.sections import find_headings, split_sections
from jobmarket.skills.segments import split_segments
from tests.conftest import EURES, need_shared


def _sections(text: str, lang: str) -> dict[str, str]:
    """Each segment's text -> its section."""
    return {s.text: s.section for s in split_sections(text, lang)}


def test_sentences_do_not_end_at_abbreviations_and_keep_offsets():
    cases = [("de", "Wir erwarten z.B. Erfahrung mit SQL. Sie arbeiten im Team."),
             ("pl", "Specjalista ds. sprzedaży. Umowa nr. 5 na czas określony."),
             ("en", "Knowledge of tools, e.g. Excel. You work in shifts.")]
    for lang, text in cases:
        segs = split_segments(text, lang=lang)
        assert all(text[s.start:s.end] == s.text for s in segs)
        sentences = {text[s.sentence_start:s.sentence_end] for s in segs}
        assert len(sentences) == 2, (lang, sentences)


def _eures(job_id: str) -> str:
    need_shared(EURES)
    df = pd.read_csv(EURES, dtype=str, keep_default_na=False)
    return df.set_index("job_id").at[job_id, "full_description"]


@pytest.mark.parametrize("job_id, lang, expect", [
    # Polish: tasks, then requirements.
    ("PL4", "pl", {"plany i harmonogramy robót": "tasks", "wyższe (w tym licencjat": "requirements"}),
    # Portuguese: PERFIL (requirements) first, then FUNÇÕES (tasks).
    ("PT13", "pt", {"Experiência prévia em funções similares": "requirements",
                    "Diagnóstico e reparação de avarias em instalações elétricas": "tasks"}),
    # Romanian: an intro, Atribuții (tasks), Cerințe (requirements).
    ("RO63", "ro", {"Alegerea și adaptarea template-urilor": "tasks",
                    "Creativitate și simț estetic": "requirements"}),
    # Estonian: Tööülesanded (tasks), then "Omalt poolt pakume" (we offer).
    ("EE2", "et", {"Elektrooniliste süsteemide projekteerimine ja arendamine": "tasks",
                   "Sõbralik kollektiiv ja toetav tööõhkkond": "offer"}),
    # Latvian: Darba pienākumi (tasks), Prasības (requirements).
    ("LV4", "lv", {"Plānot un koordinēt ražošanas iekārtu un sistēmu uzturēšanas": "tasks"}),
])
def test_sections_of_real_eures_postings(job_id, lang, expect):
    text = _eures(job_id)
    got = _sections(text, lang)
    for start, section in expect.items():
        hits = [sec for seg, sec in got.items() if seg.startswith(start)]
        assert hits and hits[0] == section, (start, hits, got)


def test_inline_headings_and_sentence_cues_in_several_languages():
    hr = ("Opis posla: - izrada tehničke dokumentacije - komunikacija s investitorima i dobavljačima "
          "Prednost: - iskustvo u prodaji. Prijave šaljite na e-mail adresu.")
    got = _sections(hr, "hr")
    assert got["izrada tehničke dokumentacije"] == "tasks"
    # The inline heading "Prednost:" (an advantage: requirements) is cut off the item before it.
    assert got["komunikacija s investitorima i dobavljačima"] == "tasks"
    assert got["iskustvo u prodaji"] == "requirements"
    assert got["Prijave šaljite na e-mail adresu"] == "apply"
    de = "Ihre Aufgaben:\nWartung von Anlagen\nWir bieten:\nEin gutes Gehalt\nIhr Profil:\nSPS-Kenntnisse"
    got = _sections(de, "de")
    assert got == {"Wartung von Anlagen": "tasks", "Ein gutes Gehalt": "offer",
                   "SPS-Kenntnisse": "requirements"}
    # Headings of a line of their own, without a colon; the heading text is no segment.
    en = "Requirements\nExperience with Python\nHow to apply\nSend your CV to jobs@example.com"
    assert _sections(en, "en") == {"Experience with Python": "requirements",
                                   "Send your CV to jobs@example.com": "apply"}
    assert [(en[h.start:h.end], h.section) for h in find_headings(en, "en")] == [
        ("Requirements", "requirements"), ("How to apply", "apply")]
    # A time of day is no heading.
    assert find_headings("Work from 8:00 to 16:00 daily.", "en") == []


def test_boilerplate_rule_needs_many_postings_of_unrelated_occupations():
    rule = BoilerplateRule(min_postings=5, min_groups=3, min_words=5)
    portal = "To apply, register on the portal and upload the required documents."
    short = "Driving licence category B."
    agency = "Our agency places staff in many companies across the region."
    jobs = ["welding", "baking", "nursing", "teaching", "plumbing", "driving"]
    corpus = [[portal, short, f"The {job} work of this particular job here."] for job in jobs]
    groups = ["21", "21", "72", "72", "93", "93"]
    corpus += [[agency] for _ in range(6)]
    groups += ["51"] * 6  # one occupation group only: a company's own jobs, not boilerplate
    found = rule.find(corpus, groups)
    assert found == {sentence_key(portal)}
    # Fewer postings than min_postings: not boilerplate, whatever the groups.
    assert rule.find(corpus[:4], groups[:4]) == set()
    # Digits and case do not make a sentence new.
    assert sentence_key("Call 555-1234 TODAY.") == sentence_key("call 555-9876 today")


@pytest.fixture(scope="module")
def en_labels():
    from jobmarket.esco.load import import_esco
    from jobmarket.store.connection import connect
    from tests.conftest import ESCO_EN_ZIP

    need_shared(ESCO_EN_ZIP)
    con = connect(":memory:")
    import_esco(con, [ESCO_EN_ZIP], progress=False)
    yield SkillLabels.from_store(con), con
    con.close()


def test_skills_only_in_boilerplate_are_flagged_and_ranked_last(en_labels):
    labels, _ = en_labels
    extractor = SkillExtractor([LabelMatchStage(labels)], rule=BoilerplateRule(min_postings=3, min_groups=2))
    footer = "Applicants should have good communication skills and a friendly attitude to colleagues."
    texts = [f"Requirements: experience in {job}. {footer}" for job in ("accounting", "SQL", "nursing")]
    texts.append("Requirements: communication skills and accounting.")
    found = extractor.extract_many(texts, ["en"] * 4, groups=["72", "24", "22", "72"])
    by_uri = [{f.label: f for f in fs} for fs in found]
    assert by_uri[0]["accounting"].boilerplate is False
    assert by_uri[0]["accounting"].section == "requirements"
    # "communication" appears only in the recurring footer in postings 0-2: flagged there ...
    comm = [k for k in by_uri[0] if k.startswith("communicat")]
    assert comm and all(by_uri[0][k].boilerplate for k in comm)
    assert by_uri[0][comm[0]].sentence == footer.rstrip(".")
    # ... but not in posting 3, where the posting itself asks for it.
    assert any(not f.boilerplate for k, f in by_uri[3].items() if k.startswith("communicat"))
    # Background findings come after the foreground ones.
    flags = [f.boilerplate for f in found[0]]
    assert flags == sorted(flags)


def test_distinct_segments_go_to_the_stages_once(en_labels):
    labels, _ = en_labels

    class Counting(LabelMatchStage):
        seen: list[str] = []

        def find_many(self, docs):
            self.seen.extend(s.text for d in docs for s in d.segments)
            return super().find_many(docs)

    stage = Counting(labels)
    texts = ["Welding of steel. Use SQL daily.", "Use SQL daily. Welding of steel.", "Use SQL daily."]
    found = SkillExtractor([stage], rule=None).extract_many(texts, ["en"] * 3)
    assert sorted(stage.seen) == ["Use SQL daily", "Welding of steel"]
    # Offsets are the posting's own, though the segment was matched once.
    for text, fs in zip(texts, found, strict=True):
        assert fs and all(text[f.start:f.end] == f.evidence for f in fs)
    assert Doc  # the stage interface is unchanged


def test_esco_skill_pillar_is_imported_and_each_skill_placed(en_labels):
    from jobmarket.esco.load import import_esco
    from jobmarket.sql import sql_sections
    from tests.conftest import ESCO_REL_ZIP

    _, con = en_labels
    need_shared(ESCO_REL_ZIP)
    import_esco(con, [ESCO_REL_ZIP], progress=False)
    levels = dict(con.execute("SELECT level, count(*) FROM esco_skill_groups GROUP BY 1").fetchall())
    assert set(levels) == {0, 1, 2, 3} and levels[0] == 4  # skills, knowledge, language, transversal
    con.execute(sql_sections("skills.sql")["skill_groups_build"])
    rows = con.execute("""
        SELECT g.pillar, g.group_label, g.skill_type, g.reuse_level FROM skill_groups g
        JOIN esco_labels l ON l.concept_uri = g.skill_uri AND l.kind = 'preferred' AND l.lang = 'en'
        WHERE l.label = 'manage musical staff'""").fetchall()
    assert rows == [("skills", rows[0][1], "skill/competence", "sector-specific")] and rows[0][1]
    placed = con.execute("SELECT count(*) FILTER (WHERE pillar IS NOT NULL) / count(*) FROM skill_groups")
    assert placed.fetchall()[0][0] > 0.99


def test_skill_texts_are_documents_titles_queries_as_the_model_configures(tiny_model, tiny_router_model):
    """encode_skills goes through sentence-transformers' encode_document (e5's "passage: " prompt, a
    Router's document route), encode_titles through encode_query; the cache keeps them apart."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from jobmarket.encoders.sentence_transformer import Encoder

    texts = ["manage budgets", "Python"]
    model = SentenceTransformer(str(tiny_model), device="cpu")
    model.prompts = {"query": "query: ", "passage": "passage: "}
    enc = Encoder.from_model(model, "tiny-e5-like")
    doc = model.encode([f"passage: {t}" for t in texts], normalize_embeddings=True, prompt="")
    query = model.encode([f"query: {t}" for t in texts], normalize_embeddings=True, prompt="")
    assert np.allclose(enc.encode_skills(texts), doc, atol=1e-5)
    assert np.allclose(enc.encode_titles(texts), query, atol=1e-5)
    assert not np.allclose(doc, query, atol=1e-3)
    # JobBERT-V3-style routes (anchor/positive): each side through its own route, no prompt.
    router = SentenceTransformer(str(tiny_router_model), device="cpu")
    renc = Encoder.from_model(router, "tiny-router")
    assert np.allclose(renc.encode_skills(texts),
                       router.encode(texts, task="positive", normalize_embeddings=True), atol=1e-5)
    assert np.allclose(renc.encode_titles(texts),
                       router.encode(texts, task="anchor", normalize_embeddings=True), atol=1e-5)

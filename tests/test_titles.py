"""Title cleaning: a table of real-world titles per language, properties, lookup keys, language detection."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jobmarket.text import patterns as titles  # titles.GENDER_BRACKETED
from jobmarket.text.clean import CleanTitle, clean_title
from jobmarket.text.keys import normalize_label
from jobmarket.text.language import detect_language
from tests.conftest import EURES, SHARED, need_shared

JOBBERT = SHARED / "jobbert_eval" / "titles.csv"

# (language, raw title, cleaned title, seniority, contract). Many are real EURES / JobBERT titles.
CASES = [
    # German
    ("de", "Mitarbeiter/-in (m/w/d) Vollzeit", "Mitarbeiter", None, "full-time"),
    ("de", "Softwareentwickler (w/m/d) in Teilzeit", "Softwareentwickler", None, "part-time"),
    ("de", "Bauleiter:in", "Bauleiter", None, None),
    ("de", "Lehrer*in Mathematik", "Lehrer Mathematik", None, None),
    ("de", "Elektroniker/in für Betriebstechnik", "Elektroniker für Betriebstechnik", None, None),
    ("de", "MitarbeiterIn Service", "Mitarbeiter Service", None, None),
    ("de", "Kaufmann/-frau für Büromanagement (m/w/d)", "Kaufmann für Büromanagement", None, None),
    ("de", "Verkäufer (m/w/d) 20 Std./Woche", "Verkäufer", None, "20 std./woche"),
    ("de", "Koch (m/w/d) ab 2.800 € brutto", "Koch", None, None),
    ("de", "Mitarbeiter Lager (gn*)", "Mitarbeiter Lager", None, None),
    ("de", "Praktikant (m/w/d) im Marketing", "Marketing", "intern", None),
    ("de", "Sales Manager (m/f/d) - Berlin", "Sales Manager", None, None),
    ("de", "Werkstudent Vertrieb (m/w/d)", "Vertrieb", None, "student job"),
    # English
    ("en", "Senior Software Engineer - Ref. 12345", "Software Engineer", "senior", None),
    ("en", "Sales Manager - in Warsaw", "Sales Manager", None, None),
    ("en", "Sr. Data Analyst II", "Data Analyst", "senior, level 2", None),
    ("en", "Software Engineer Intern", "Software Engineer", "intern", None),
    ("en", "Customer Service - Part-time", "Customer Service", None, "part-time"),
    ("en", "Internship - Business Admin / Finance / HR", "Business Admin / Finance / HR", None, "internship"),
    ("en", "Software Engineer (Unix & Java) - 1462032", "Software Engineer (Unix & Java)", None, None),
    ("en", "Manufacturing Engineer (Fresh Graduate) - 39907 (Contract)", "Manufacturing Engineer", "junior",
     "contract"),
    ("en", "Assembly / Production Technician @ Pasir Gudang", "Assembly / Production Technician", None, None),
    ("en", "General Supervisor - Labuan Based", "General Supervisor", None, None),
    ("en", "Job ID: A-77 Cashier", "Cashier", None, None),
    ("en", "Cashier #123", "Cashier", None, None),
    ("en", ".NET Developer (Remote)", ".NET Developer", None, "remote"),
    ("en", "C++ Developer", "C++ Developer", None, None),
    ("en", "Lead Developer", "Developer", "lead", None),
    ("en", "Team Lead", "Team Lead", None, None),
    ("en", "Lead Generation Specialist", "Lead Generation Specialist", None, None),
    ("en", "Head of Marketing", "Head of Marketing", None, None),
    ("en", "Remote Sensing Specialist", "Remote Sensing Specialist", None, None),
    ("en", "Contract Manager", "Contract Manager", None, None),
    ("en", "Auditor ISO 27001", "Auditor ISO 27001", None, None),
    ("en", "<b>Chef</b> &amp; Cook 🍳🍳!!!", "Chef & Cook", None, None),
    ("en", "Sales Customer Support Specialist m/f/d (80-100%)", "Sales Customer Support Specialist", None,
     "80-100%"),
    ("en", "JUNIOR LEGAL COUNSEL\n", "LEGAL COUNSEL", "junior", None),
    # Spanish, Portuguese, Italian
    ("es", "Camarero/a", "Camarero", None, None),
    ("es", "Enfermero/a - tiempo completo", "Enfermero", None, "full-time"),
    ("es", "Técnico/a de mantenimiento (jornada completa)", "Técnico de mantenimiento", None, "full-time"),
    ("pt", "Cozinheiro(a)", "Cozinheiro", None, None),
    ("pt", "Operador(a) de Loja - Part-time", "Operador de Loja", None, "part-time"),
    ("pt", "ENGENHEIRO ELETROTÉCNICO", "ENGENHEIRO ELETROTÉCNICO", None, None),
    ("it", "Impiegato/a amministrativo/a", "Impiegato amministrativo", None, None),
    ("it", "Addetto/a vendite part time", "Addetto vendite", None, "part-time"),
    # French, Dutch
    ("fr", "Vendeur H/F", "Vendeur", None, None),
    ("fr", "Infirmier/Infirmière (H/F) CDI", "Infirmier", None, "permanent"),
    ("fr", "Directeur/Directrice commercial(e)", "Directeur commercial", None, None),
    ("fr", "Serveur·euse", "Serveur", None, None),
    ("fr", "Chargé(e) de clientèle - Analyste crédit - H/F", "Chargé de clientèle - Analyste crédit", None,
     None),
    ("nl", "Medewerker klantenservice (m/v/x) 32-40 uur", "Medewerker klantenservice", None, "32-40 uur"),
    # Polish
    ("pl", "Opiekun medyczny/Opiekunka", "Opiekun medyczny", None, None),
    ("pl", "Kierownik budowy/Kierowniczka budowy", "Kierownik budowy", None, None),
    ("pl", "Kierowca/Kierownik", "Kierowca/Kierownik", None, None),
    ("pl", "Monter/pomocnik montera sieci wod-kan", "Monter/pomocnik montera sieci wod-kan", None, None),
    ("pl", "Kasjer/ka - pół etatu", "Kasjer", None, "part-time"),
    ("pl", "Sprzedawca (k/m) - umowa o pracę", "Sprzedawca", None, "employment contract"),
    ("pl", "Młodszy księgowy (K/M)", "księgowy", "junior", None),
    ("pl", "Stażysta lub młodszy asystent w Sekcji (nr 2637)", "asystent w Sekcji", "intern, junior", None),
    ("pl", "Pracownik produkcji 3.000 zł brutto", "Pracownik produkcji", None, None),
    ("pl", "Pełnomocnik ds. ochrony informacji niejawnych - 1/4 etatu (sygn.: OK.1101.1.43.2025) K/M",
     "Pełnomocnik ds. ochrony informacji niejawnych", None, "1/4 etatu"),
    ("pl", "Programista maszyn sterowanych numerycznie (MAZAK, HAAS, DOOSAN)",
     "Programista maszyn sterowanych numerycznie (MAZAK, HAAS, DOOSAN)", None, None),
    # Croatian
    ("hr", "RADNIK/RADNICA U PROIZVODNJI", "RADNIK U PROIZVODNJI", None, None),
    ("hr", "VODITELJ/ICA ODJELA TEHNOLOŠKE PODRŠKE", "VODITELJ ODJELA TEHNOLOŠKE PODRŠKE", None, None),
    ("hr", "INŽENJER/ INŽENJERKA STROJARSTVA", "INŽENJER STROJARSTVA", None, None),
    ("hr", "SURADNIK / SURADNICA U PROJEKTIRANJU", "SURADNIK U PROJEKTIRANJU", None, None),
    ("hr", "STRUČNI SAVJETNIK INFORMATIČKE STRUKE M/Ž", "STRUČNI SAVJETNIK INFORMATIČKE STRUKE", None, None),
    ("hr", "Kuhar (m/ž) na određeno vrijeme", "Kuhar", None, "temporary"),
    ("hr", "ELEKTROMONTER/ELEKTROMONTERKA", "ELEKTROMONTER", None, None),
    # Lithuanian, Latvian, Estonian
    ("lt", "Prieskonių maišytojas (-a)", "Prieskonių maišytojas", None, None),
    ("lt", "Degalinės operatorius (-ė)-pardavėjas (-a)", "Degalinės operatorius-pardavėjas", None, None),
    ("lt", "Etnokultūrinės veiklos koordinatorius (0,5 etato)", "Etnokultūrinės veiklos koordinatorius", None,
     "0,5 etato"),
    ("lv", "VECĀKAIS PĀRDEVĒJS", "PĀRDEVĒJS", "senior", None),
    ("lv", "Pārdevējs (pilna slodze)", "Pārdevējs", None, "full-time"),
    ("et", "Vahetuse vanem", "Vahetuse vanem", None, None),
    ("et", "Müüja (osalise tööajaga)", "Müüja", None, "part-time"),
    # Hungarian, Romanian
    ("hu", "Rakodómunkás (Raktári segédmunkás)", "Rakodómunkás (Raktári segédmunkás)", None, None),
    ("hu", "Eladó - részmunkaidős", "Eladó", None, "part-time"),
    ("ro", "Vânzător/oare", "Vânzător", None, None),
    ("ro", "Inginer constructii (m/f) - normă întreagă", "Inginer constructii", None, "full-time"),
    # Bulgarian, Greek
    ("bg", "Продавач-консултант (м/ж)", "Продавач-консултант", None, None),
    ("bg", "Камериер/камериерка", "Камериер", None, None),
    ("bg", "Старши счетоводител", "счетоводител", "senior", None),
    ("el", "ΚΑΘΑΡΙΣΤΗΣ/ΚΑΘΑΡΙΣΤΡΙΑ", "ΚΑΘΑΡΙΣΤΗΣ", None, None),
    ("el", "ΥΠΑΛΛΗΛΟΣ/Η ΓΡΑΦΕΙΟΥ", "ΥΠΑΛΛΗΛΟΣ ΓΡΑΦΕΙΟΥ", None, None),
    ("el", "ΜΗΧΑΝΟΔΗΓΟΣ Α'/ΜΗΧΑΝΟΔΗΓΟΣ Β'", "ΜΗΧΑΝΟΔΗΓΟΣ Α'/ΜΗΧΑΝΟΔΗΓΟΣ Β'", None, None),
    ("el", "Σερβιτόρος (Α/Γ) μερικής απασχόλησης", "Σερβιτόρος", None, "part-time"),
]


@pytest.mark.parametrize(("lang", "raw", "title", "seniority", "contract"), CASES,
                         ids=[f"{c[0]}:{c[1][:40]}" for c in CASES])
def test_real_world_titles(lang, raw, title, seniority, contract):
    got = clean_title(raw)
    assert (got.title, got.seniority, got.contract) == (title, seniority, contract)


def test_clean_title_shape():
    got = clean_title("Senior Mitarbeiter/-in (m/w/d) Vollzeit - Ref. 4711")
    assert isinstance(got, CleanTitle)
    assert got.title == "Mitarbeiter"
    assert got.seniority == "senior" and got.contract == "full-time"
    assert {"(m/w/d)", "/-in", "Vollzeit", "Ref. 4711", "Senior"} <= set(got.removed)


@pytest.mark.parametrize("raw", ["Senior", "Praktikant", "Internship", "Vollzeit", "(m/w/d)", "Principal",
                                 "Lead"])
def test_never_empties_a_title(raw):
    assert clean_title(raw).title  # "Senior" alone is what the poster called the job


def test_none_and_blank():
    assert clean_title(None) == CleanTitle("", None, None, ())
    assert clean_title("   ").title == ""
    assert clean_title("12345").title == "12345"  # no letters: nothing to protect, nothing removed


# ------------------------------------------------------------------------------------------ properties
# Independent of the module's own patterns: the common written forms of gender markers.
GENDER_FORMS = re.compile(
    r"\(\s*(?:[mwdfhxvkžz]|div)(?:\s*[/,|]\s*(?:[mwdfhxvkžz]|div\.?)){1,3}\s*\)"
    r"|(?<![\w/])[mwdfhxvk](?:/[mwdfhxvkž]){2,3}(?![\w/])"
    r"|(?<=[^\W\d_])(?:/-?|:|\*)innen?(?![\w-])|(?<=[^\W\d_])\((?:a|-a|-ė|e)\)",
    re.I,
)
MARKERS = ["(m/w/d)", "(w/m/d)", "(m/f/d)", "(h/f)", "(f/h)", "(m/f/x)", "(m/v/x)", "(k/m)", "(m/ž)", "(M/K)",
           "(ž/m)", "(f/m/div)", "m/w/d", "(m,f)", "(M/W/D)", "( m / w / d )", "(gn)", "(all genders)"]
SUFFIXES = ["/-in", "/in", ":in", "*in", "(a)", "(-a)", "(-ė)", "/a", "/ka", "/ica", ":innen", "(in)"]
WORDS = ["Mitarbeiter", "Verkäufer", "Koch", "Engineer", "Sales", "Manager", "Kasjer", "Operador", "Técnico",
         "Inżynier", "RADNIK", "Vadovas", "Pārdevējs", "Müüja", "Eladó", "Inginer", "Продавач", "Μάγειρας",
         "Lagerist", "Senior", "Vollzeit", "Berlin", "de", "für", "im", "Service", "Technik", "Projekt"]


@st.composite
def marked_titles(draw) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
    out = []
    for w in words:
        out.append(w + (draw(st.sampled_from(SUFFIXES)) if draw(st.booleans()) else ""))
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(MARKERS)))
    sep = draw(st.sampled_from([" ", " - ", ", "]))
    return sep.join(out) if len(out) < 3 else " ".join(out)


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text(max_size=120))
@example("&amp;amp;lt;b&amp;amp;gt;")
@example("(m/w/d)")
@example("\u200b\u00ad")
def test_never_raises_and_keeps_letters(raw):
    got = clean_title(raw)
    assert isinstance(got.title, str)
    if any(ch.isalpha() for ch in raw):
        assert any(ch.isalpha() for ch in got.title) or not any(
            ch.isalpha() for ch in re.sub(r"\s+", " ", raw)
        )
        assert got.title.strip()


@SETTINGS
@given(st.one_of(st.text(max_size=80), marked_titles(),
                 st.text(alphabet="mwdfh/()-:*in aeMWD ,.|#0123456789Senior", max_size=40)))
def test_idempotent(raw):
    once = clean_title(raw).title
    assert clean_title(once).title == once


@SETTINGS
@given(marked_titles())
def test_no_gender_markers_left(raw):
    out = clean_title(raw).title
    if any(ch.isalpha() for ch in GENDER_FORMS.sub("", out)):
        assert not GENDER_FORMS.search(out), (raw, out)


@SETTINGS
@given(st.text(max_size=80))
def test_gender_markers_survive_only_as_the_whole_title(raw):
    out = clean_title(raw).title
    if GENDER_FORMS.search(out):
        assert not any(ch.isalpha() for ch in GENDER_FORMS.sub("", out)), (raw, out)


@pytest.mark.parametrize("source", [EURES, JOBBERT], ids=["eures", "jobbert"])
def test_real_titles_are_idempotent_and_non_empty(source):
    need_shared(source)
    column = "job_title" if source == EURES else "vacancyTitle"
    raws = pd.read_csv(source, dtype=str, keep_default_na=False)[column].tolist()[:4000]
    for raw in raws:
        out = clean_title(raw).title
        assert clean_title(out).title == out, raw
        if any(ch.isalpha() for ch in raw):
            assert out, raw
        assert not titles.GENDER_BRACKETED.search(out) or not re.sub(titles.GENDER_BRACKETED, "", out).strip()


# ------------------------------------------------------------------------------------------ lookup keys
@pytest.mark.parametrize(("a", "b"), [
    ("Software Developer", "  software   developer. "),
    ("Softwareentwickler", "SOFTWAREENTWICKLER"),
    ("ﬁnancial analyst", "Financial Analyst"),  # NFKC folds the ligature
    ("Straße", "STRASSE"),  # casefold
    ("Σερβιτόρος", "ΣΕΡΒΙΤΌΡΟΣ"),
    ("waiter/waitress", "Waiter/Waitress"),
    ("cook’s assistant", "Cook's Assistant"),
    ("- plumber -", "plumber"),
    ("«Koch»", "koch"),
    ("sales (retail)", "Sales (Retail)"),
])
def test_normalize_label_equal(a, b):
    assert normalize_label(a) == normalize_label(b)


@pytest.mark.parametrize(("text", "key"), [
    ("C++ Developer", "c++ developer"),
    ("C#", "c#"),
    (".NET developer", ".net developer"),
    ("Developer (Java)", "developer (java)"),
    ("Developer (Java", "developer (java"),
    ("(m/w/d)", "(m/w/d)"),  # balanced brackets stay
    ("", ""),
])
def test_normalize_label_keeps_meaningful_punctuation(text, key):
    assert normalize_label(text) == key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalize_label_idempotent(text):
    key = normalize_label(text)
    assert normalize_label(key) == key
    assert key == key.strip()


# ------------------------------------------------------------------------------------------ language
@pytest.mark.parametrize(("text", "lang"), [
    ("Kierownik robót budowlanych", "pl"),
    ("Технически ръководител, строителство", "bg"),
    ("ΕΡΓΑΤΗΣ ΟΙΚΟΔΟΜΩΝ", "el"),
    ("Gépészmérnök", "hu"),
    ("Mitarbeiter im Verkauf und Kundenservice", "de"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_detect_language_candidates_decide_short_titles():
    assert detect_language("Software Engineer") is None  # too unsure among all languages
    assert detect_language("Software Engineer", ["de", "en"]) == "en"
    assert detect_language("MŪRNIEKS", ["lv", "en"]) == "lv"
    assert detect_language("Cozinheiro", ["pt", "en"]) == "pt"


def test_detect_language_unsure_or_unknown():
    assert detect_language("") is None
    assert detect_language("ab") is None
    assert detect_language("12345 !!!") is None
    assert detect_language("Kokk", ["xx"]) is None  # no candidate that py3langid knows
    assert detect_language("Kierownik robót budowlanych", ["PL", "xx"]) == "pl"


def test_vocabulary_alternation_prefers_the_longer_phrase():
    """The trie alternation matches what the flat longest-first one matched: the longest phrase at a
    position, with spaces and hyphens loose as the phrase writes them."""
    _alt = titles._alt
    pattern = re.compile(rf"(?:{_alt(['full', 'full time', 'full-time job', 'part time', 'f'])})", re.I)
    assert pattern.match("Full time position").group(0) == "Full time"
    assert pattern.match("fulltime job").group(0) == "fulltime job"
    assert pattern.match("full - time job").group(0) == "full - time job"
    assert pattern.match("fully").group(0) == "full"
    assert pattern.match("part  time").group(0) == "part  time"
    assert pattern.match("parttime") is None  # "part time" has a space: one at least
    assert _alt(["b a", "a"]) == _alt(["a", "b a"])  # the same pattern whatever the order given


def test_digit_free_noise_pattern_removes_what_the_full_one_removes():
    """_is_noise uses the noise pattern without its measures (hours, durations, workload, numbers) on a
    segment without digits; on every such segment of the real EURES and JobBERT titles, and on each
    vocabulary phrase, both must leave the same text."""
    need_shared(EURES, JOBBERT)
    raws = list(pd.read_csv(EURES, dtype=str, keep_default_na=False)["job_title"])
    raws += list(pd.read_csv(JOBBERT, dtype=str, keep_default_na=False)["vacancyTitle"])
    segments = {s for raw in raws for s in titles.SEGMENT_SPLIT.split(raw)[0::2]}
    segments |= {p for ps in (*titles.SENIORITY.values(), *titles.CONTRACT.values()) for p in ps}
    segments = [s for s in segments if s.strip() and not titles.DIGIT.search(s)]
    assert len(segments) > 10_000
    changed = 0
    for s in segments:
        full = titles.SEGMENT_NOISE.sub(" ", s)
        assert titles.SEGMENT_NOISE_NO_DIGIT.sub(" ", s) == full, s
        changed += full != s
    assert changed > 1_000  # the patterns really removed something


def _tidy_every_substitution(text: str) -> str:
    """_tidy as it was before its character tests: every substitution on every text."""
    from jobmarket.text.clean import _one_separator

    for _ in range(3):
        before = text
        brackets = titles.OPENING.search(text)
        if brackets:
            text = titles.EMPTY_BRACKETS.sub(" ", text)
        text = titles.WHITESPACE.sub(" ", text)
        text = titles.SPACE_BEFORE_PUNCT.sub(r"\1", text)
        if brackets:
            text = titles.SPACE_AFTER_OPEN.sub(r"\1", text)
        text = titles.DOUBLE_SEPARATOR.sub(_one_separator, text)
        text = titles.EDGE_JUNK.sub("", text).strip()
        m = titles.ONLY_BRACKET.fullmatch(text) if brackets else None
        if m:
            text = m.group(1).strip()
        if text == before:
            break
    return text


_TIDY_PIECES = st.sampled_from([
    "Koch", "Senior", "C++", ".NET", "-", "–", "—", "|", ",", ";", ":", "/", "@", "•", "·", "*", "&", "_",
    "=", "~", "!", "?", "(", ")", "[", "]", "{", "}", ".", " ", "  ", "\t", "\n", "\xa0", "\u2009", "\u3000",
    "\x85", "\u2028", "\x1f", "\u00ad",
])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_TIDY_PIECES, min_size=1, max_size=12).map("".join))
@example("Koch\xa0 ,  Küche")
@example("  - Engineer -\n")
def test_tidy_character_tests_change_nothing(text):
    """_tidy skips a substitution when the text lacks the characters it needs; whitespace of every kind,
    separators at the edges and brackets must come out as with every substitution applied."""
    from jobmarket.text.clean import _tidy

    assert _tidy(text) == _tidy_every_substitution(text)


def test_tidy_character_tests_change_nothing_on_real_titles():
    need_shared(EURES, JOBBERT)
    from jobmarket.text.clean import _tidy

    raws = list(pd.read_csv(EURES, dtype=str, keep_default_na=False)["job_title"])
    raws += list(pd.read_csv(JOBBERT, dtype=str, keep_default_na=False)["vacancyTitle"])
    for raw in dict.fromkeys(raws):
        assert _tidy(raw) == _tidy_every_substitution(raw), raw

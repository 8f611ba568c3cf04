"""Clean raw job titles: gender markers, codes, locations and noise out; seniority and contract apart.

Postings write the same job in many ways: "Mitarbeiter/-in (m/w/d) Vollzeit", "Senior Software Engineer -
Ref. 12345", "Cozinheiro(a)", "RADNIK/RADNICA U PROIZVODNJI". The matcher wants the occupation only, so
:func:`clean_title` removes what is not the occupation and keeps seniority and contract words apart,
where analysts still want them. Everything is driven by the small per-language word lists below
(general labour-market vocabulary); the rules are conservative: when in doubt a word stays.

:func:`normalize_label` is the exact-lookup key shared by ESCO labels and cleaned titles, and
:func:`detect_language` wraps py3langid with an optional restriction to candidate languages.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

__all__ = ["CleanTitle", "clean_title", "detect_language", "normalize_label"]


@dataclass(frozen=True)
class CleanTitle:
    title: str
    seniority: str | None
    contract: str | None
    removed: tuple[str, ...]


# ------------------------------------------------------------------------------------------ vocabulary
def _words(text: str) -> tuple[str, ...]:
    """A word list written compactly: phrases separated by "|"."""
    return tuple(w.strip() for w in text.split("|") if w.strip())


# Gender markers in brackets: "(m/w/d)", "(h/f)", "(M/Ž)", "(k/m)", "(Α/Γ)", "(м/ж)", "(m,f)", "(f/m/div)".
GENDER_LETTERS = _words("m|w|d|f|h|x|v|k|n|ž|z|o|div|div.|divers|diverse|α|γ|ά|м|ж|mf|fm|mwd")
GENDER_WORDS = _words(
    "male|female|man|woman|mann|frau|homme|femme|uomo|donna|hombre|mujer|homem|mulher|mężczyzna"
    "|kobieta|muškarac|žena|férfi|nő|bărbat|femeie|vyras|moteris|vīrietis|sieviete|mees|naine"
    "|άνδρας|γυναίκα|мъж|жена|man|vrouw"
)
# Bracketed single markers: "(gn)", "(all genders)", "(a)" (Spanish/Portuguese feminine), "(-ė)" ...
GENDER_SOLO = _words(
    "gn|gn*|all genders|all gender|any gender|gender neutral|genderneutral|alle geschlechter"
    "|divers|m/w/d|w/m/d|mwd|d|hf|fh|mf|fm|mfd|mfx|mwx|wmd"
)
# Unbracketed two-letter pairs that are safe on their own ("Vendeur H/F", "Kellner m/w").
GENDER_PAIRS = _words("m/f|f/m|h/f|f/h|m/w|w/m|m/v|v/m|m/k|k/m|m/ž|ž/m|m/z|z/m|м/ж|ж/м|α/γ|γ/α|ά/γ|f/n|n/f")
# Feminine (or masculine) endings written after a slash or in brackets: "Kasjer/ka", "Camarero/a",
# "Cozinheiro(a)", "mechanikas(-ė)", "Ingénieur(e)", "VODITELJ/ICA", "Vânzător/oare", "ΥΠΑΛΛΗΛΟΣ/Η".
FEMININE_SUFFIXES = _words(
    "a|as|ă|e|ė|ės|ka|ki|ica|ice|ca|ce|ne|nne|euse|se|rice|trice|ère|ière|oare|esse|ienė"
    "|inė|ius|is|ys|o|os|ja|ija|ina|ova|η|α|ισσα|τρια|ια|ка|а|ица|ня"
)
FEMININE_SLASH_SUFFIXES = tuple(s for s in FEMININE_SUFFIXES if s not in ("o", "os", "is", "ys"))
# Endings that mark the feminine half of a full pair ("RADNIK/RADNICA", "Infirmier/Infirmière").
FEMININE_PAIR_ENDINGS = _words("a|ă|e|é|ė|in|innen|ni|ne|ere|ère|se|ce|η|α|а|я")

# Seniority, keyed by a canonical English value.
SENIORITY: dict[str, tuple[str, ...]] = {
    "senior": _words(
        "senior|sr|sr.|snr|snr.|sénior|sênior|starszy|starsza|старши|старша|viši|viša|vyresnysis"
        "|vyresnioji|vecākais|vecākā|vanem|ανώτερος|ανώτερη|experienced|erfahrener|erfahrene"
        "|confirmé|confirmée|expérimenté|expérimentée|ervaren|tapasztalt|cu experiență"
        "|con experiencia|com experiência|z doświadczeniem|έμπειρος|έμπειρη|с опит"
    ),
    "junior": _words(
        "junior|jr|jr.|jnr|júnior|młodszy|młodsza|младши|младша|mlađi|mlađa|jaunesnysis"
        "|jaunesnioji|jaunākais|jaunākā|noorem|débutant|débutante|berufseinsteiger"
        "|berufseinsteigerin|einsteiger|pályakezdő|debutant|începător|entry level|entry-level"
        "|fresh graduate|sin experiencia|sem experiência|bez doświadczenia|fără experiență"
        "|χωρίς εμπειρία|без опит"
    ),
    "mid": _words("mid|mid-level|mid level|mid-senior|medior|regular|pleno|intermediate"),
    "lead": _words("lead|leitender|leitende"),
    "principal": _words("principal"),
    "intern": _words(
        "intern|trainee|praktikant|praktikantin|stagiaire|stagiair|becario|becaria|practicante"
        "|estagiário|estagiária|stagista|tirocinante|stażysta|stażystka|praktykant|praktykantka"
        "|gyakornok|stagiar|praktikantas|praktikantė|stažuotojas|stažuotoja|praktikants"
        "|praktikante|ασκούμενος|ασκούμενη|εκπαιδευόμενος|εκπαιδευόμενη|стажант|стажантка"
        "|pripravnik|pripravnica|vježbenik|vježbenica"
    ),
    "apprentice": _words(
        "apprentice|azubi|auszubildender|auszubildende|apprenti|apprentie|aprendiz"
        "|apprendista|ucenic|ucenik|učenik|tanuló|māceklis|õpipoiss|μαθητευόμενος"
        "|μαθητευόμενη|чирак"
    ),
}
# Only these may be taken off the end of a title ("Software Engineer Intern"); "Team Lead" keeps "Lead",
# "Vahetuse vanem" (et: shift leader) keeps "vanem".
SENIORITY_TRAILING = _words(
    "senior|junior|sr|sr.|jr|jr.|snr|jnr|mid|medior|intern|trainee|apprentice|praktikant|praktikantin"
    "|stagiaire|stagiair|stagista|becario|becaria|estagiário|estagiária|stażysta|stażystka|gyakornok"
    "|pripravnik|pripravnica|стажант"
)
# "Lead Developer" is a lead developer, but "Lead" alone or "Principal" alone is a title: these go only
# when they open a title that has more words.
SENIORITY_LEADING_ONLY = ("lead", "principal")

# Titles where a seniority word is the occupation itself: "Lead Generation Specialist".
LEAD_EXCEPTIONS = ("lead generation", "lead gen")

# Contract and working-time words that are never part of an occupation: removed wherever they stand.
CONTRACT: dict[str, tuple[str, ...]] = {
    "full-time": _words(
        "full-time|fulltime|full time|vollzeit|vollzeitstelle|tiempo completo|jornada completa"
        "|temps plein|temps complet|voltijd|pełny etat|pełen etat|cały etat|pełnym etacie"
        "|pełen wymiar|pełny wymiar|tempo integral|tempo inteiro|tempo pieno"
        "|puno radno vrijeme|punim radnim vremenom|teljes munkaidő|teljes munkaidős"
        "|teljes munkaidőben|normă întreagă|norma intreaga|normă întreagă de lucru|pilnu etatu"
        "|visu etatu|pilnas etatas|pilna slodze|pilnas slodzes|pilnu slodzi|täiskohaga"
        "|täistööajaga|πλήρης απασχόληση|πλήρους απασχόλησης|пълен работен ден"
        "|voll- oder teilzeit|voll-/teilzeit|voll- und teilzeit|vollzeit oder teilzeit"
        "|vollzeit/teilzeit"
    ),
    "part-time": _words(
        "part-time|parttime|part time|teilzeit|teilzeitstelle|tiempo parcial|media jornada"
        "|jornada parcial|temps partiel|mi-temps|deeltijd|część etatu|pół etatu|niepełny etat"
        "|niepełnym wymiarze|1/2 etatu|3/4 etatu|meio período|meio tempo|tempo parcial"
        "|tempo parziale|nepuno radno vrijeme|skraćeno radno vrijeme|részmunkaidő"
        "|részmunkaidős|részmunkaidőben|jumătate de normă|normă parțială|timp parțial"
        "|nepilnu etatu|puse etato|nepilna slodze|nepilnas slodzes|pusslodze|osalise tööajaga"
        "|osaajaga|μερική απασχόληση|μερικής απασχόλησης|непълен работен ден|minijob|mini-job"
    ),
    "temporary": _words(
        "befristet|zeitlich befristet|tempo determinato|na određeno vrijeme|na određeno"
        "|određeno vrijeme|határozott idejű|határozott időre|perioadă determinată"
        "|durată determinată|czas określony|na czas określony|fixed-term|fixed term"
        "|contrat à durée déterminée|cdd|contrato temporal|contrato temporário"
        "|uz noteiktu laiku|terminuota|tähtajaline|ορισμένου χρόνου|срочен договор"
    ),
    "permanent": _words(
        "unbefristet|festanstellung|tempo indeterminato|na neodređeno vrijeme|na neodređeno"
        "|neodređeno vrijeme|határozatlan idejű|perioadă nedeterminată|durată nedeterminată"
        "|czas nieokreślony|na czas nieokreślony|cdi|contrat à durée indéterminée"
        "|contrato indefinido|uz nenoteiktu laiku|neterminuota|tähtajatu|αορίστου χρόνου"
        "|безсрочен договор"
    ),
    "employment contract": _words("umowa o pracę|arbeitsvertrag"),
    "freelance": _words("umowa zlecenie|umowa o dzieło|umowa b2b"),
    "remote": _words(
        "homeoffice|teletrabajo|télétravail|praca zdalna|pracy zdalnej|zdalnie|távmunka"
        "|rad od kuće|rad na daljinu|attālināti|attālinātais darbs|nuotolinis darbas"
        "|nuotoliniu būdu|kaugtöö|εξ αποστάσεως|τηλεργασία|дистанционно|teletrabalho"
        "|trabalho remoto|smart working|lavoro da remoto|100% remote|fully remote|remote-first"
        "|work from home|wfh|telemuncă|telemunca"
    ),
    "hybrid": _words("hybrydowo|praca hybrydowa|hybrid working|hybrid work|hybrid-remote"),
    "student job": _words(
        "werkstudent|werkstudentin|werkstudierende|werkstudierender|diákmunka|student job"
        "|studentenjob|studentjob"
    ),
}
# Contract words that can also be part of an occupation ("Contract Manager", "Remote Sensing
# Specialist", "Stage Manager"): removed only as a whole bracketed or separated segment.
CONTRACT_SEGMENT: dict[str, tuple[str, ...]] = {
    "remote": _words("remote|remotely|home based|home-based|home office|remoto|da remoto|à distance"),
    "hybrid": _words("hybrid|hybride|híbrido|ibrido|hibrid|hibrid munkavégzés"),
    "on-site": _words("on-site|onsite|on site|vor ort|presencial|sur site|stacjonarnie"),
    "temporary": _words(
        "temporary|temp|temporal|temporário|temporária|temporaire|temporaneo|tymczasowa"
        "|tymczasowy|privremeni|privremeno|ideiglenes|temporar|laikinas|laikinai|pagaidu"
        "|ajutine|ajutine töö|προσωρινή|временна|zeitarbeit|leiharbeit|interim|intérim"
        "|intérimaire|uitzend"
    ),
    "permanent": _words(
        "permanent|perm|permanente|stała|stały|vast|stalni|állandó|nuolatinis|pastāvīgs"
        "|alaline|μόνιμη|постоянна"
    ),
    "contract": _words(
        "contract|contractor|contrato|contrat|contratto|umowa|ugovor|szerződés"
        "|contract de muncă|sutartis|līgums|leping|σύμβαση|договор|vertrag|b2b"
    ),
    "freelance": _words(
        "freelance|freelancer|freiberuflich|autónomo|indépendant|zlecenie|self-employed"
        "|self employed|vállalkozói"
    ),
    "seasonal": _words(
        "seasonal|saisonal|saisonnier|saisonnière|estacional|temporada|sazonal|stagionale"
        "|sezonowa|sezonowy|sezonski|sezonska|szezonális|sezonier|sezonieră|sezoninis|sezonāls"
        "|sezonāla|hooajaline|εποχική|εποχικός|сезонна|summer job|ferienjob|sommerjob|seizoen"
        "|seizoensgebonden"
    ),
    "internship": _words(
        "internship|praktikum|pflichtpraktikum|stage|stage pfe|prácticas|pasantía|estágio"
        "|tirocinio|staż|praktyki|praktyka|stáž|praksa|gyakornoki|gyakornoki program|stagiu"
        "|practică|praktika|prakse|stažuotė|πρακτική άσκηση|стаж|stageplaats|work placement"
        "|placement"
    ),
    "apprenticeship": _words(
        "apprenticeship|ausbildung|alternance|apprentissage|aprendizaje|aprendizagem"
        "|apprendistato|praktyka zawodowa|naukowanie|tanulószerződés|ucenicie|mācekļa"
        "|μαθητεία"
    ),
    "part-time": _words("nebenjob|aushilfsjob|weekend job|weekend"),
    "shift work": _words(
        "night shift|day shift|nights|shift work|shifts|schichtarbeit|nachtschicht|wochenende"
        "|weekends|rotating shifts|turnos|zmianowa|praca zmianowa|smjenski rad|műszakos"
        "|több műszakos"
    ),
    "student job": _words("student|students|studenten|estudiante|étudiant"),
}
# Contract words that may open or close a title when more words remain ("Internship Digital Marketer",
# "GRAPHIC DESIGN INTERNSHIP").
CONTRACT_EDGE = ("internship", "apprenticeship")

# Words between a leading seniority or contract word and the occupation: "Apprentice for Content Writer".
EDGE_PREPOSITIONS = _words("for|in|im|w|en|em|de|di|at|bei|na|u|à|a|as|als|jako|como|come|ca|zum|zur|with")
# Places common enough in postings to be recognised alone after a separator: "Sales Manager - Berlin".
# Capitals and large cities of Europe (local and English names) and country names; the list is
# deliberately small: a place that is not here stays in the title.
PLACES = _words(
    "Berlin|Hamburg|München|Munich|Köln|Cologne|Frankfurt|Frankfurt am Main|Stuttgart|Düsseldorf|Leipzig"
    "|Dresden|Hannover|Nürnberg|Nuremberg|Bremen|Essen|Dortmund|Wien|Vienna|Graz|Linz|Salzburg|Zürich"
    "|Zurich|Genf|Geneva|Genève|Basel|Bern|Lausanne|Paris|Lyon|Marseille|Toulouse|Lille|Bordeaux|Nantes"
    "|Strasbourg|Nice|Bruxelles|Brussels|Brussel|Antwerpen|Antwerp|Gent|Ghent|Liège|Amsterdam|Rotterdam"
    "|Den Haag|The Hague|Utrecht|Eindhoven|Luxembourg|Luxemburg|London|Manchester|Birmingham|Leeds"
    "|Glasgow|Edinburgh|Bristol|Liverpool|Dublin|Cork|Madrid|Barcelona|Valencia|Sevilla|Seville|Bilbao"
    "|Málaga|Zaragoza|Lisboa|Lisbon|Porto|Braga|Coimbra|Faro|Roma|Rome|Milano|Milan|Torino|Turin|Napoli"
    "|Naples|Bologna|Firenze|Florence|Genova|Venezia|Venice|Verona|Warszawa|Warsaw|Kraków|Krakow|Cracow"
    "|Wrocław|Wroclaw|Poznań|Poznan|Gdańsk|Gdansk|Gdynia|Łódź|Lodz|Katowice|Szczecin|Lublin|Bydgoszcz"
    "|Praha|Prague|Brno|Ostrava|Bratislava|Košice|Budapest|Debrecen|Szeged|Győr|Pécs|București|Bucuresti"
    "|Bucharest|Cluj-Napoca|Cluj|Timișoara|Timisoara|Iași|Iasi|Constanța|Constanta|Brașov|Brasov|Sofia"
    "|София|Plovdiv|Пловдив|Varna|Варна|Burgas|Бургас|Zagreb|Split|Rijeka|Osijek|Ljubljana|Maribor"
    "|Beograd|Belgrade|Novi Sad|Sarajevo|Athens|Αθήνα|Athina|Thessaloniki|Θεσσαλονίκη|Patras|Heraklion"
    "|Nicosia|Λευκωσία|Lefkosia|Limassol|Λεμεσός|Lemesos|Larnaca|Λάρνακα|Paphos|Πάφος|Valletta|Tallinn"
    "|Tartu|Pärnu|Narva|Riga|Rīga|Daugavpils|Liepāja|Jelgava|Vilnius|Kaunas|Klaipėda|Šiauliai|Panevėžys"
    "|Helsinki|Espoo|Tampere|Turku|Oulu|Stockholm|Göteborg|Gothenburg|Malmö|Uppsala|Oslo|Bergen"
    "|Trondheim|Stavanger|København|Copenhagen|Aarhus|Odense|Aalborg|Reykjavík|Reykjavik|Kyiv|Kiev"
    "|Istanbul|Ankara|Germany|Deutschland|Austria|Österreich|Switzerland|Schweiz|Suisse|France|Belgium"
    "|Belgique|België|Netherlands|Nederland|United Kingdom|UK|Ireland|Spain|España|Portugal|Italy|Italia"
    "|Poland|Polska|Czechia|Czech Republic|Česko|Slovakia|Slovensko|Hungary|Magyarország|Romania"
    "|România|Bulgaria|България|Croatia|Hrvatska|Slovenia|Slovenija|Serbia|Srbija|Greece|Ελλάδα|Cyprus"
    "|Κύπρος|Malta|Estonia|Eesti|Latvia|Latvija|Lithuania|Lietuva|Finland|Suomi|Sweden|Sverige|Norway"
    "|Norge|Denmark|Danmark|Iceland|Europe|EU|EMEA|DACH|Benelux"
)
# Small words that may glue a noise segment together: "(Vollzeit oder Teilzeit)", "(full-time, 40h/week)".
FILLERS = _words(
    "and|or|und|oder|et|ou|y|o|e|i|a|és|vagy|și|sau|ir|arba|un|vai|ja|või|και|ή|и|или|lub|albo|ili"
    "|with|mit|avec|con|com|z|ze|s|sa|su|ar|με|с|in|im|na|em|en|à|au|op|auf|de|on|za|на|в|за|σε|per"
    "|basis|based|position|job|jobs|work|working|stelle|contrato de|hours|h|week|woche"
)
# Prepositions that may precede a contract phrase: "Mitarbeiter in Teilzeit", "Kierowca na pełny etat".
CONTRACT_PREPOSITIONS = _words(
    "in|im|na|em|a|à|en|cu|u|op|auf|de|on|za|на|в|за|con|σε|με|em regime de"
    "|in regime di|with|z|w|ar"
)
# Prepositions that open a location segment: "- in Warsaw", "(w Krakowie)", "@ Pasir Gudang".
LOCATION_PREPOSITIONS = _words(
    "in|at|w|we|na|u|em|en|à|a|au|nel|nella|στην|στη|στο|в|във|vo|v|near|bei|based in"
    "|located in|near"
)
LOCATION_CONNECTORS = _words(
    "am|an|der|de|del|la|le|upon|on|nad|pod|and|&|i|und|y|e|do|da|dos|das|di|sur|im|ob|in"
    "|over"
)
LOCATION_KEYWORDS = _words(
    "location|locations|standort|arbeitsort|einsatzort|dienstort|ort|lokalizacja"
    "|miejsce pracy|local|local de trabalho|lieu|sede|ubicación|luogo di lavoro|locatie"
    "|werkplek|mjesto rada|munkavégzés helye|helyszín|locație|locul de muncă|darbo vieta"
    "|darba vieta|asukoht|töökoht|τοποθεσία|място на работа|based"
)
# Keywords that introduce a reference code: "Ref. 12345", "Job ID: A-77", "Kennziffer 4711", "nr ref. 12/24".
CODE_KEYWORDS = _words(
    "ref|ref.|reference|réf|réf.|référence|job id|job-id|jobid|job no|job nr|job code|job ref"
    "|job number|req|req.|req id|requisition|requisition id|vacancy id|vacancy no|posting id"
    "|stellen-id|stellenid|kennziffer|kennz.|referenz|referenznummer|nr ref.|nr ref|nr.|nr|no."
    "|nº|n°|numer|numer referencyjny|código|codice|kod|kód|cod|šifra|id|ID|sygn.|sygnatura|znak"
)
# Standards whose numbers end titles legitimately: "Auditor ISO 27001".
STANDARD_PREFIXES = _words("iso|iec|din|en|iatf|ieee|nfpa|ohsas|as|api|asme|vda")
CURRENCIES = _words(
    "€|£|$|rm|eur|euro|euros|pln|zł|zl|usd|gbp|chf|ron|lei|huf|ft|bgn|лв|лв.|kn|hrk|kč|czk|sek|dkk"
    "|nok|₹|¥|tys."
)
SALARY_QUALIFIERS = _words(
    "up to|bis zu|bis|ab|from|do|od|até|hasta|desde|jusqu'à|von|min.|max.|min|max|salary"
    "|gehalt|wynagrodzenie|salário|salario|salaire|stipendio|plata|fizetés|atlyginimas|alga"
    "|palk|μισθός|заплата|>|<|~"
)
SALARY_UNITS = _words(
    "h|hr|hour|hours|month|mo|mth|year|yr|annum|godz.|godz|mies.|m-c|monat|mes|mois|std|stunde"
    "|stunden|hora|ora|óra|hó|mėn.|mēn.|kuu|μήνα|месец"
)
SALARY_TAX = _words("brutto|netto|gross|net|bruto|neto|brut|lordo")
# Working-time words after a number: "40h", "8 órás", "32-40 uur", "20 Std./Woche".
HOUR_UNITS = _words(
    "h|hrs|hours|hour|std.|std|stunden|uur|óra|órás|godz.|godzin|godz|horas|heures|ore|val."
    "|valandų|stundas|tundi|ώρες|часа"
)
HOUR_PERIODS = _words(
    "week|woche|wk|w|tydzień|tyg.|semana|semaine|settimana|hét|săptămână|savaitę|nedēļā|nädalas"
    "|εβδομάδα|седмица|day|tag|dzień"
)
DURATION_UNITS = _words(
    "years|year|yrs|yr|months|month|mths|mth|weeks|monate|monat|jahre|jahr|meses|mois|mesi"
    "|miesięcy|miesiące|mies.|mjeseci|godina|hónap|hónapos|luni|mėn.|mėnesiai|mēneši|kuud"
    "|μήνες|месеца"
)
HTML_TAGS = _words(
    "b|i|u|em|strong|br|p|div|span|a|font|li|ul|ol|h1|h2|h3|h4|h5|h6|sup|sub|small|big|center|table"
    "|tr|td|th|img|hr|blockquote|code|pre|mark|del|ins|s|strike|label|section|article|header|footer"
    "|nav|title|style|script|tt|abbr|wbr"
)


# ------------------------------------------------------------------------------------------ regex helpers
def _alt(phrases: Iterable[str]) -> str:
    """An alternation of literal phrases, longest first; spaces and hyphens match loosely."""
    out = []
    for p in sorted(set(phrases), key=len, reverse=True):
        parts = [re.escape(w) for w in re.split(r"[\s\-]+", p) if w]
        if not parts:
            continue
        out.append(r"[\s\-]*".join(parts) if "-" in p else r"\s+".join(parts))
    return "|".join(out)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "", text.casefold())


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(p): canonical for canonical, phrases in table.items() for p in phrases}


_W = r"(?<![^\W_])"  # not preceded by a letter or digit
_E = r"(?![^\W_])"  # not followed by a letter or digit
_I = re.I

_SENIORITY_KEYS = _lookup(SENIORITY)
_PLACE_KEYS = frozenset(p.casefold() for p in PLACES)
_CONTRACT_KEYS = {**_lookup(CONTRACT_SEGMENT), **_lookup(CONTRACT)}
_SEN_ALL = _alt(p for ps in SENIORITY.values() for p in ps)
_SEN_TRAIL = _alt(SENIORITY_TRAILING)
_CON_ALL = _alt(p for ps in CONTRACT.values() for p in ps)
_CON_SEG = _alt(p for ps in (*CONTRACT.values(), *CONTRACT_SEGMENT.values()) for p in ps)
_CON_EDGE = _alt(p for k in CONTRACT_EDGE for p in CONTRACT_SEGMENT[k])
_CONNECT = (r"(?:\s*(?:[/,&+]|\b(?:or|oder|und|and|ou|o|y|e|i|lub|albo|ili|vagy|és|sau|și|arba|või|ή|или)\b)"
            r"\s*)")

_GL = _alt(GENDER_LETTERS + GENDER_WORDS)
_SEP_IN = r"\s*[/,|\\\-]\s*"
GENDER_BRACKETED = re.compile(
    rf"\s*[(\[]\s*(?:(?:{_GL})\s*\*?(?:{_SEP_IN}(?:{_GL})\s*\*?){{1,3}}|{_alt(GENDER_SOLO)})\s*[)\]]", _I)
GENDER_UNBRACKETED = re.compile(
    rf"(?<![\w/])(?:(?:m|w|d|f|h|x|v|k|ž|n)(?:\s?[/|]\s?(?:m|w|d|f|h|x|v|k|ž|n|div\.?|divers)){{2,3}}"
    rf"|{_alt(GENDER_PAIRS)})(?![\w/])", _I)
GENDER_GERMAN = re.compile(r"(?<=[^\W\d_])(?:(?:/\s?-?|:|\*|_)(?:in|innen)|\(-?(?:in|innen)\))(?![\w-])", _I)
GENDER_BINNEN_I = re.compile(r"(?<=[a-zäöüß]er)In(?:nen)?(?![\w-])")
GENDER_MANN_FRAU = re.compile(r"(?i)(?<![\w])(\w*?)(mann|frau)\s*/\s*-?\s*(\w*?)(frau|mann)(?![\w-])")
GENDER_SLASH_SUFFIX = re.compile(
    rf"(?<=[^\W\d_]{{3}})\s?/\s?-?(?:{_alt(FEMININE_SLASH_SUFFIXES)})(?![\w\-/])", _I)
GENDER_PAREN_SUFFIX = re.compile(
    rf"(?<=[^\W\d_])-?\s?\(\s?-?(?:{_alt(FEMININE_SUFFIXES)})(?:\s?[/,]\s?-?(?:{_alt(FEMININE_SUFFIXES)}))*\s?\)",
    _I)
GENDER_DOT_SUFFIX = re.compile(
    r"(?<=[^\W\d_]{3})[.·•](?:e|es|euse|rice|trice|ne|ère|se)(?:[.·•]s)?(?![\w-])", _I)
GENDER_SUFFIXES = (GENDER_GERMAN, GENDER_BINNEN_I, GENDER_SLASH_SUFFIX, GENDER_PAREN_SUFFIX,
                   GENDER_DOT_SUFFIX)
_SLASH = re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])")
_WORD = re.compile(r"[^\W\d_][\w'-]*")

CODE_KEYWORD = re.compile(
    rf"{_W}(?:{_alt(CODE_KEYWORDS)})\s*[.:#]?\s*[:#\-]?\s*(?=[\w/.\-]*\d)[^\W_][\w/.\-]*", _I)
HASHTAG = re.compile(r"(?<![\w&#+])#\s?(?:\d[\w/\-]*|[^\W\d_]\w*)")
DATE = re.compile(
    r"(?<![\w.])(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\.?"
    r"(?:\s?[-–]\s?(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\.?)?(?![\w])")
_CUR = _alt(CURRENCIES)
_AMOUNT = r"\d[\d.,]*(?:\s\d{3})*(?:\s?(?:k|tys\.?|tsd\.?))?"
SALARY = re.compile(
    rf"(?:{_W}(?:{_alt(SALARY_QUALIFIERS)})\s*:?\s*)?"
    rf"{_W}(?:(?:{_CUR})\s?{_AMOUNT}(?:\s?[-–]\s?(?:{_CUR})?\s?{_AMOUNT})?"
    rf"|{_AMOUNT}(?:\s?[-–]\s?{_AMOUNT})?\s?(?:{_CUR}))\*?"
    rf"(?:\s?(?:/|per|a|an|pro)\s?(?:{_alt(SALARY_UNITS)})\.?)?(?:\s?(?:{_alt(SALARY_TAX)}))?(?![^\W_])", _I)
# Workload as a share of a full post: "1/4 etatu", "0,5 etato", "(80-100%)".
WORKLOAD = re.compile(
    rf"{_W}(?:\d+(?:[.,/]\d+)?\s?(?:etatu|etato|etatas|etat|slodzes|slodze|normă|norma|fte)"
    rf"|\d{{1,3}}(?:\s?[-–]\s?\d{{1,3}})?\s?%)(?![^\W_])", _I)
HOURS = re.compile(
    rf"{_W}\d{{1,2}}(?:[.,]\d)?(?:\s?[-–/]\s?\d{{1,2}})?\s?(?:{_alt(HOUR_UNITS)})\.?"
    rf"(?:\s?(?:/|per|pro|a)\s?(?:{_alt(HOUR_PERIODS)})\.?)?(?![^\W_])", _I)
DURATION = re.compile(
    rf"{_W}\d{{1,2}}(?:\s?[-–]\s?\d{{1,2}})?\s?-?\s?(?:{_alt(DURATION_UNITS)})(?![^\W_])", _I)
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s\-/().]{6,}\d(?![\w])")  # 8+ digits, checked in _codes
TRAILING_NUMBER = re.compile(
    r"(?:\s*[-–|#:,/]\s*(?:\(\d{3,}\)|\d{3,})|\s+\(\s*\d{3,}\s*\)|\s+[A-Z]{1,4}[-_]?\d{4,}(?:[-_/]\d+)*)\s*$")
TRAILING_LONG_NUMBER = re.compile(r"(?<=\s)(\S+)\s+(\d{5,})\s*$")

_MEASURES = (HOURS, DURATION, WORKLOAD)  # kept as written in ``contract``: "40h", "6 months", "1/4 etatu"
CONTRACT_ANYWHERE = re.compile(
    rf"{_W}(?:(?:{_alt(CONTRACT_PREPOSITIONS)})\s+)?(?:{_CON_ALL})(?:{_CONNECT}(?:{_CON_ALL}))*{_E}\.?", _I)
SEGMENT_NOISE = re.compile(
    rf"{_W}(?:{_CON_SEG}|{_SEN_ALL}|{_alt(FILLERS)}){_E}\.?|{HOURS.pattern}|{DURATION.pattern}"
    rf"|{WORKLOAD.pattern}"
    r"|[^\w\s]+|\b\d+\b", _I)
LOCATION_SEGMENT = re.compile(rf"^(?:{_alt(LOCATION_PREPOSITIONS)}|@)\s+(.+)$", _I)
LOCATION_KEYWORD = re.compile(rf"^(?:{_alt(LOCATION_KEYWORDS)})\s*:\s*\S.*$", _I)
LOCATION_BASED = re.compile(r"^(.+?)[\s-]based$", _I)

LEADING_SENIORITY = re.compile(
    rf"^(?!{_alt(LEAD_EXCEPTIONS)})(?:{_SEN_ALL})(?:{_CONNECT}(?:{_SEN_ALL}))*\.?"
    rf"(?:\s+(?:{_alt(EDGE_PREPOSITIONS)}))?(?:\s*[,:\-–]\s*|\s+)(?=\S)", _I)
TRAILING_SENIORITY = re.compile(rf"(?<=\S)(?:\s*[,/\-–]\s*|\s+)(?:{_SEN_TRAIL})\.?$", _I)
LEADING_CONTRACT = re.compile(
    rf"^(?:{_CON_EDGE})(?:\s+(?:{_alt(EDGE_PREPOSITIONS)}))?"
    rf"(?:\s*[,:\-–]\s*|\s+)(?=\S)", _I)
TRAILING_CONTRACT = re.compile(rf"(?<=\S)(?:\s*[,/\-–]\s*|\s+)(?:{_CON_EDGE})$", _I)
TRAILING_LEVEL = re.compile(
    r"(?<=\S)(?:\s*[,\-–]\s*|\s+)((?:level|lvl\.?|tier|grade|stufe|poziom|nivel|niveau)\s?[0-9IVX]{1,3}"
    r"|(?-i:II|III|IV|V|VI|I)(?![\w]))$", _I)

HTML_TAG = re.compile(rf"</?\s*(?:{'|'.join(HTML_TAGS)})(?:\s[^<>]{{0,200}})?\s*/?>", _I)
BRACKET = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
SEGMENT_SPLIT = re.compile(r"(\s+[-–—]\s*|\s*[–—]\s+|(?<=\w)-\s+|\s*[|;•·]\s*|\s+@\s*|,(?!\d)\s*|\s+/\s+)")
REPEATED_PUNCT = re.compile(r"([!?,;:*_=~|#])\1+|(-){2,}|\.{2,}")
EDGE_JUNK = re.compile(r"^[\s\-–—|,;:/@•·*&_=~!?]+|[\s\-–—|,;:/@•·*&_=~!?]+$")  # keeps ".NET", "C++"
EMPTY_BRACKETS = re.compile(r"[(\[{][\s\-–—|,;:/@•·*+&_=~.]*[)\]}]")
SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:!?)\]}])")
SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")
DOUBLE_SEPARATOR = re.compile(r"\s+([-–—|,;])(?:\s*[-–—|,;])+\s*|([,;|])(?:\s*[-–—|,;])+\s*")
WHITESPACE = re.compile(r"\s+")


# ------------------------------------------------------------------------------------------ light cleaning
def _light(raw: str) -> str:
    """HTML, emoji, control characters and whitespace: what may be removed from any title."""
    text = raw
    for _ in range(8):  # "&amp;amp;" needs more than one pass; removing one thing can reveal another
        new = _light_once(text)
        if new == text:
            break
        text = new
    return text


def _light_once(text: str) -> str:
    text = html.unescape(text)
    text = HTML_TAG.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    text = "".join(_light_char(ch) for ch in text)
    text = REPEATED_PUNCT.sub(lambda m: m.group(1) or m.group(2) or ".", text)
    return WHITESPACE.sub(" ", text).strip()


def _light_char(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Zl", "Zp", "Zs"):
        return " "
    if cat in ("Cf", "Cs", "Co", "Cn", "So") or ch in "\ufe0f\ufe0e\u20e3":
        return ""  # emoji, zero-width and format characters, soft hyphens
    return ch


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


# ------------------------------------------------------------------------------------------ the passes
class _Pass:
    """One cleaning pass; collects what it removes."""

    def __init__(self) -> None:
        self.removed: list[str] = []
        self.seniority: list[str] = []
        self.contract: list[str] = []

    def sub(self, pattern: re.Pattern, text: str, kind: str | None = None, repl: str = " ") -> str:
        def drop(m: re.Match) -> str:
            self._note(m.group(0), kind)
            return repl

        return pattern.sub(drop, text)

    def _note(self, fragment: str, kind: str | None) -> None:
        fragment = fragment.strip()
        if not fragment:
            return
        self.removed.append(fragment)
        if kind == "seniority":
            self.seniority.extend(_canonical(fragment, SENIORITY_RE, _SENIORITY_KEYS))
        elif kind == "contract":
            self.contract.extend(_canonical(fragment, CONTRACT_RE, _CONTRACT_KEYS, *_MEASURES))
        elif kind == "level":
            self.seniority.append(_level(fragment))


SENIORITY_RE = re.compile(rf"{_W}(?:{_SEN_ALL}){_E}", _I)
CONTRACT_RE = re.compile(rf"{_W}(?:{_CON_SEG}){_E}", _I)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}


def _canonical(fragment: str, pattern: re.Pattern, keys: dict[str, str], *extra: re.Pattern) -> list[str]:
    """Canonical values ("senior", "part-time") of the vocabulary words inside a removed fragment."""
    found = [(m.start(), keys.get(_key(m.group(0)).rstrip("."), m.group(0).casefold()))
             for m in pattern.finditer(fragment)]
    for p in extra:  # hours and durations are kept as written: "40h", "6 months"
        found += [(m.start(), WHITESPACE.sub(" ", m.group(0).casefold())) for m in p.finditer(fragment)]
    return [value for _, value in sorted(found)]


def _level(fragment: str) -> str:
    word = fragment.strip().casefold()
    if word in _ROMAN:
        return f"level {_ROMAN[word]}"
    digits = re.sub(r"^\D+\s?", "", word)
    return f"level {_ROMAN.get(digits, digits)}"


def _gender(p: _Pass, text: str) -> str:
    text = p.sub(GENDER_BRACKETED, text)
    text = p.sub(GENDER_UNBRACKETED, text)
    text = GENDER_MANN_FRAU.sub(lambda m: _mann_frau(p, m), text)
    for pattern in GENDER_SUFFIXES:
        text = p.sub(pattern, text, repl="")
    return _gender_pairs(p, text)


def _mann_frau(p: _Pass, m: re.Match) -> str:
    """"Kaufmann/-frau", "Kauffrau/Kaufmann" → "Kaufmann"."""
    stem, first, stem2, second = m.groups()
    if first.casefold() == second.casefold() or (stem2 and stem2.casefold() != stem.casefold()):
        return m.group(0)
    p.removed.append(m.group(0)[len(stem) + len(first):].strip())
    return stem + (first if first.casefold() == "mann" else second)


def _gender_pairs(p: _Pass, text: str) -> str:
    """Full gendered pairs: "RADNIK/RADNICA", "Opiekun medyczny/Opiekunka medyczna" → the masculine half."""
    pos = 0
    while m := _SLASH.search(text, pos):
        right = _WORD.match(text, m.end())
        replaced = _pair_at(text, m, right) if right else None
        if replaced is None:
            pos = m.end()
            continue
        text, removed, pos = replaced
        p.removed.append(removed)
    return text


def _pair_at(text: str, slash: re.Match, right: re.Match) -> tuple[str, str, int] | None:
    """The text with the pair at ``slash`` reduced to one half; None when the halves are not a pair."""
    left_words = list(_WORD.finditer(text, 0, slash.start()))[-4:]
    r = right.group(0).casefold()
    for back in range(1, len(left_words) + 1):
        word = left_words[-back]
        w = word.group(0).casefold()
        stem = _common_prefix_len(w, r)
        if stem < max(3, len(w) - 3):
            continue
        w_rest, r_rest = w[stem:], r[stem:]
        end = _twins_end(text, [x.group(0) for x in left_words[len(left_words) - back + 1:]], right.end())
        if end is None:
            continue
        removed = text[slash.end() - 1:end].strip()
        if len(w_rest) <= 3 and 0 < len(r_rest) <= 5 and r_rest.endswith(FEMININE_PAIR_ENDINGS):
            return text[: slash.start()] + text[end:], removed, slash.start()
        if not r_rest and 0 < len(w_rest) <= 5 and w_rest.endswith(FEMININE_PAIR_ENDINGS):
            # the left half is the feminine one ("Kelnerka/Kelner"): the right half takes its place
            head = text[: word.start()] + right.group(0) + text[word.end(): slash.start()]
            return head + text[end:], word.group(0), len(head)
    return None


def _twins_end(text: str, tail: list[str], start: int) -> int | None:
    """Where the right half ends: after the words that repeat the left half's tail ("budowy", "medyczna").

    None when the right half goes on with other words, which makes it an alternative title, not a twin.
    """
    pos = start
    for word in tail:
        m = _WORD.match(text, _skip_space(text, pos))
        if not m:
            break
        a, b = word.casefold(), m.group(0).casefold()
        if _common_prefix_len(a, b) < max(3, len(a) - 3):
            return None
        pos = m.end()
    else:
        return pos
    # tail words were not repeated: fine only if nothing word-like follows ("Opiekun medyczny/Opiekunka")
    return start if not _WORD.match(text, _skip_space(text, start)) else None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _common_prefix_len(a: str, b: str) -> int:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return i


def _codes(p: _Pass, text: str) -> str:
    text = p.sub(CODE_KEYWORD, text)
    text = p.sub(HASHTAG, text)
    text = p.sub(DATE, text)
    text = p.sub(SALARY, text)
    text = PHONE.sub(lambda m: _phone(p, m), text)
    text = p.sub(TRAILING_NUMBER, text, repl="")
    m = TRAILING_LONG_NUMBER.search(text)
    if m and m.group(1).casefold().strip("(:") not in STANDARD_PREFIXES:
        p.removed.append(m.group(2))
        text = text[: m.start(2)]
    return text


def _contract_words(p: _Pass, text: str) -> str:
    text = p.sub(CONTRACT_ANYWHERE, text, "contract")
    text = p.sub(WORKLOAD, text, "contract")
    return p.sub(HOURS, text, "contract")


def _phone(p: _Pass, m: re.Match) -> str:
    if sum(ch.isdigit() for ch in m.group(0)) < 8:
        return m.group(0)
    p.removed.append(m.group(0).strip())
    return " "


def _is_noise(segment: str) -> bool:
    """A segment made only of contract, seniority, working-time words, numbers and glue."""
    rest = SEGMENT_NOISE.sub(" ", segment)
    return not rest.strip() and bool(segment.strip())


def _is_location(segment: str) -> bool:
    """"in Warsaw", "@ Pasir Gudang", "Location: Porto", "Labuan Based", "Berlin": clearly a place."""
    s = segment.strip()
    if LOCATION_KEYWORD.match(s) or _is_place(s):
        return True
    m = LOCATION_SEGMENT.match(s) or LOCATION_BASED.match(s)
    if not m:
        return False
    words = m.group(1).split()
    if not 1 <= len(words) <= 4:
        return False
    named = [w for w in words if w.casefold() not in LOCATION_CONNECTORS]
    # Proper names in title case ("Warsaw", "Pasir Gudang"); all-caps words may be acronyms ("in IT")
    return bool(named) and all(w[:1].isupper() and any(c.islower() for c in w[1:]) for w in named)


def _is_place(text: str) -> bool:
    parts = [normalize_label(x) for x in re.split(r"\s*[/,&+]\s*|\s+(?:and|und|i|et|y|e|és|și)\s+", text)]
    return bool(parts) and all(x in _PLACE_KEYS for x in parts)


def _classify(p: _Pass, segment: str) -> bool:
    """Note a noise segment's seniority/contract words; True when the segment should go."""
    if not _is_noise(segment):
        if _is_location(segment):
            p._note(segment, None)
            return True
        return False
    kind_s = _canonical(segment, SENIORITY_RE, _SENIORITY_KEYS)
    kind_c = _canonical(segment, CONTRACT_RE, _CONTRACT_KEYS, *_MEASURES)
    p.removed.append(segment.strip(" -–—|,;:/"))
    p.seniority.extend(kind_s)
    p.contract.extend(kind_c)
    return True


def _brackets(p: _Pass, text: str) -> str:
    def one(m: re.Match) -> str:
        inner = m.group(1)
        parts = re.split(r"(\s*[;|]\s*|\s*,(?!\d)\s*)", inner)
        kept = [x for x in parts[0::2] if not (x.strip() and _classify(p, x))]
        kept = [k for k in kept if k.strip()]
        if not kept:
            return " "
        if len(kept) == len([x for x in parts[0::2] if x.strip()]):
            return m.group(0)
        return m.group(0)[0] + ", ".join(k.strip() for k in kept) + m.group(0)[-1]

    return BRACKET.sub(one, text)


def _segments(p: _Pass, text: str) -> str:
    parts = SEGMENT_SPLIT.split(text)
    segs = parts[0::2]
    seps = parts[1::2]
    keep = [True] * len(segs)
    for i, seg in enumerate(segs):
        if not seg.strip():
            continue
        if i == 0 and not _is_noise(seg):
            continue  # the first segment is the title unless it is pure noise
        others = any(_has_letter(s) for j, s in enumerate(segs) if j != i and keep[j])
        if i > 0 and seps[i - 1].strip() == "@":  # "Technician @ Pasir Gudang"
            seg = "@ " + seg
        if others and _classify(p, seg):
            keep[i] = False
    out = ""
    for i, seg in enumerate(segs):
        if not keep[i]:
            continue
        if out and i > 0:
            out += seps[i - 1]
        out += seg
    return out


def _edges(p: _Pass, text: str) -> str:
    text = _edge(p, LEADING_SENIORITY, text, "seniority")
    text = _edge(p, TRAILING_SENIORITY, text, "seniority")
    text = _edge(p, LEADING_CONTRACT, text, "contract")
    text = _edge(p, TRAILING_CONTRACT, text, "contract")
    return _edge(p, TRAILING_LEVEL, text, "level")


def _edge(p: _Pass, pattern: re.Pattern, text: str, kind: str) -> str:
    m = pattern.search(text)
    if not m:
        return text
    rest = text[: m.start()] + " " + text[m.end():]
    if not _has_letter(EMPTY_BRACKETS.sub(" ", rest)):
        return text  # "Senior" alone or "Internship" alone stays a title
    p._note(m.group(0), kind)
    return rest


def _tidy(text: str) -> str:
    for _ in range(3):
        text = EMPTY_BRACKETS.sub(" ", text)
        text = WHITESPACE.sub(" ", text)
        text = SPACE_BEFORE_PUNCT.sub(r"\1", text)
        text = SPACE_AFTER_OPEN.sub(r"\1", text)
        text = DOUBLE_SEPARATOR.sub(_one_separator, text)
        text = EDGE_JUNK.sub("", text).strip()
        m = re.fullmatch(r"[(\[]([^()\[\]]*)[)\]]", text)
        if m:  # a title that is only a bracket: "(E-Commerce Assistant)"
            text = m.group(1).strip()
    return text


def _one_separator(m: re.Match) -> str:
    sep = m.group(1) or m.group(2)
    return f" {sep} " if sep in "-–—|" else f"{sep} "


def _full_pass(p: _Pass, text: str) -> str:
    text = _gender(p, text)
    text = _codes(p, text)
    text = _contract_words(p, _tidy(text))
    text = _brackets(p, _tidy(text))
    text = _segments(p, _tidy(text))
    text = _edges(p, _tidy(text))
    return _light(_tidy(text))


def _marker_pass(p: _Pass, text: str) -> str:
    """Only gender markers and codes: the fallback when a full pass would leave no letters."""
    return _light(_tidy(_codes(p, _gender(p, text))))


def _fixpoint(step: Callable[[_Pass, str], str], p: _Pass, text: str, limit: int = 8) -> str:
    for _ in range(limit):
        new = step(p, text)
        if new == text or not _has_letter(new):
            return new
        text = new
    return text


def clean_title(raw: str | None) -> CleanTitle:
    """Clean one raw title; never returns an empty title when ``raw`` had letters."""
    if raw is None:
        return CleanTitle("", None, None, ())
    light = _light(str(raw))
    p = _Pass()
    title = _fixpoint(_full_pass, p, light)
    if not _has_letter(title):
        p = _Pass()  # what was "removed" is the title after all: report only the markers
        title = _fixpoint(_marker_pass, p, light)
        if not _has_letter(title):
            p, title = _Pass(), light
    if not _has_letter(title) and _has_letter(str(raw)):
        p, title = _Pass(), WHITESPACE.sub(" ", str(raw)).strip()
    return CleanTitle(
        title=title,
        seniority=_join(p.seniority),
        contract=_join(p.contract),
        removed=tuple(dict.fromkeys(r for r in p.removed if r)),
    )


def _join(values: list[str]) -> str | None:
    unique = list(dict.fromkeys(v for v in values if v))
    return ", ".join(unique) if unique else None


# ------------------------------------------------------------------------------------------ lookup keys
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                         "«": '"', "»": '"', "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_LEADING_PUNCT = set(",;:!?¡¿'\"-_/\\|*·•…~")  # not ".": ".net developer"
_TRAILING_PUNCT = _LEADING_PUNCT | {"."}  # not "+" or "#": "c++", "c#"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def normalize_label(text: str) -> str:
    """The exact-lookup key of a label or title: NFKC, casefold, one space, no punctuation at the ends."""
    key = unicodedata.normalize("NFKC", text or "")
    key = unicodedata.normalize("NFKC", key.casefold()).translate(_QUOTES)
    key = "".join(ch for ch in key if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
    key = WHITESPACE.sub(" ", key).strip()
    while key:
        trimmed = _strip_edge_punct(key)
        if trimmed == key:
            break
        key = trimmed
    return key


def _strip_edge_punct(key: str) -> str:
    start, end = 0, len(key)
    while start < end and (
        key[start] in _LEADING_PUNCT or key[start].isspace() or _unmatched_open(key, start)
    ):
        start += 1
    while end > start and (
        key[end - 1] in _TRAILING_PUNCT or key[end - 1].isspace() or _unmatched_close(key, end - 1)
    ):
        end -= 1
    return key[start:end]


def _unmatched_open(key: str, i: int) -> bool:
    ch = key[i]
    if ch not in "([{":
        return False
    close = {"(": ")", "[": "]", "{": "}"}[ch]
    return close not in key[i + 1:]


def _unmatched_close(key: str, i: int) -> bool:
    ch = key[i]
    if ch not in _PAIRS:
        return False
    return _PAIRS[ch] not in key[:i]


# ------------------------------------------------------------------------------------------ language
MIN_LETTERS = 3
MIN_CONFIDENCE = 0.4
MAX_DETECT_CHARS = 1000  # the first 1,000 characters decide; longer texts only cost time


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(
    text: str, candidates: Sequence[str] | None = None, *, min_confidence: float = MIN_CONFIDENCE
) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when the text is too short or the guess unsure.

    ``candidates`` restricts the choice (e.g. a country's languages plus English): the probabilities
    are renormalised over them, which makes short titles far more reliable. Codes py3langid does not
    know are ignored.
    """
    if not text or sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    lid = _identifier()
    known = set(lid.labels)
    wanted = None
    if candidates is not None:
        wanted = [c for c in dict.fromkeys(c.casefold() for c in candidates if c) if c in known]
        if not wanted:
            return None
    ranked = lid.rank(text[:MAX_DETECT_CHARS])
    if wanted is not None:
        ranked = [(lang, p) for lang, p in ranked if lang in wanted]
        total = sum(p for _, p in ranked) or 1.0
        ranked = [(lang, p / total) for lang, p in ranked]
    lang, p = ranked[0]
    if lang == "zxx" or p < min_confidence:
        return None
    return lang

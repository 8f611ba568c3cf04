"""An adversarial postings corpus, written by the tests into a folder (nothing binary is committed).

Each file comes with the number of input records it holds, as a person reading it would count them, so a
test can check that a normalize run accounts for every one (matched, abstained or rejected with a reason).
"""

from __future__ import annotations

import json
from pathlib import Path

HUGE = "Ingenieur " * 100_000  # a 1 MB title

ROWS = [  # (id, title, country): the troublemakers every text format gets
    ("a1", 'Koch "Chef de partie" (m/w/d)', "DE"),
    ("a2", "<b>Elektriker</b> &amp; Helfer <br/>", "DE"),
    ("a3", "Software Developer 🚀💻 (f/m/d)", "IE"),
    ("a3", "Duplicate id, other title: Accountant", "IE"),  # duplicate id
    ("a5", "12345", "ES"),  # a number as title
    ("a6", "3.14", "ES"),
    ("a7", "مهندس برمجيات", "AE"),  # Arabic, right to left
    ("a8", "מהנדס תוכנה", "IL"),  # Hebrew
    ("a9", "Verkäufer; Kasse, Lager", "DE"),  # delimiters inside a field
    ("a10", "line one\nline two (multi-line title)", "DE"),
    ("a11", "   ", "DE"),  # empty after stripping
    ("a12", "ÀÉÎÕÜ ñ ß ø", "ES"),
]


def _csv_field(value: str, delim: str = ",") -> str:
    if any(ch in value for ch in (delim, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv(rows, newline: str = "\n", delim: str = ",", header=("id", "title", "country")) -> str:
    lines = [delim.join(header)] + [delim.join(_csv_field(v, delim) for v in row) for row in rows]
    return newline.join(lines) + newline


def write_corpus(folder: Path) -> dict[str, int | None]:
    """Write the corpus into ``folder``; returns file name → number of input records (None: the reader
    must refuse the file with one clear line)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, int | None] = {}

    def put(name: str, data: bytes, n: int | None) -> None:
        (folder / name).write_bytes(data)
        files[name] = n

    text = _csv(ROWS)
    put("utf8_lf.csv", text.encode(), len(ROWS))
    put("utf8_bom_crlf.csv", b"\xef\xbb\xbf" + _csv(ROWS, "\r\n").encode(), len(ROWS))
    put("utf8_cr_only.csv", _csv([r for r in ROWS if "\n" not in r[1]], "\r").encode(), len(ROWS) - 1)
    latin = [r for r in ROWS if all(ch.encode("cp1252", "ignore").decode("cp1252") == ch for ch in r[1])]
    put("cp1252.csv", _csv(latin, "\r\n").encode("cp1252"), len(latin))
    put("utf16_bom.csv", _csv(ROWS).encode("utf-16"), len(ROWS))
    put("utf16le_bom_tsv.tsv", b"\xff\xfe" + _csv(ROWS, delim="\t").encode("utf-16-le"), len(ROWS))
    ragged = "id,title,country\nr1,Plumber,DE\nr2,Welder,DE,extra,fields\nr3\nr4,Cook,ES\nr5,\"unclosed,ES\n"
    put("ragged.csv", ragged.encode(), 5)
    nul = "id,title,country\nn1,Pro\x00grammer,DE\nn2,\x00\x00,DE\nn3,Baker,DE\n"
    put("nul_bytes.csv", nul.encode(), 3)
    put("huge_title.csv", _csv([("h1", HUGE, "DE"), ("h2", "Carpenter", "DE")]).encode(), 2)
    bad_utf8 = b"id,title,country\nb1,Tischler,DE\nb2,Bad \xff\xfe byte,DE\nb3,Maurer,DE\n"
    put("invalid_utf8_row.csv", bad_utf8, 3)
    put("empty.csv", b"", None)
    put("header_only.csv", b"id,title,country\n", 0)
    put("header_only_crlf_bom.csv", b"\xef\xbb\xbfid,title,country\r\n", 0)
    # LF lines with a bare CR and a CRLF (pasted together): Python's csv module reads both as line breaks.
    put("mixed_line_endings.csv", b"id,title,country\nm1,Baker\rm2,Cook,DE\r\nm3,\"Chef\rde partie\",ES\n", 3)
    put("blank_lines.csv", b"id,title,country\n\nx1,Pharmacist,DE\n\n\nx2,Waiter,ES\n", 2)
    records = [json.dumps({"id": i, "title": t, "country": c}, ensure_ascii=False) for i, t, c in ROWS]
    jsonl = "\n".join(records[:4] + ["{not json", "[1, 2]", ""] + records[4:]) + "\n"
    put("mixed.jsonl", jsonl.encode(), len(ROWS) + 2)
    put("array.json", json.dumps([dict(zip(("id", "title", "country"), r, strict=True)) for r in ROWS],
                                 ensure_ascii=False).encode(), len(ROWS))
    return files

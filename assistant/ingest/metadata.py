"""Article metadata (title, publisher, date, author) read from the text itself.

Method: positional rules over the news-article layout described in wire-service
style guides (AP Stylebook "datelines" and "bylines"): a headline, optionally a
byline, then a first body paragraph that may open with a dateline
(``PLACE (Outlet) -``, ``Month D, Outlet.``). Author bio boxes at the end of a
page ("Jane Doe is a reporter at Outlet") name the author and the outlet.

Everything here is conservative: an empty string is returned whenever the
evidence is ambiguous, and a date without a year stays partial (``--10-28``)
because inventing a year would put the article in the wrong place on a timeline.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable

from assistant.text.dates import MONTHS

MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY_RE = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
_DAY_RE = r"\d{1,2}(?:st|nd|rd|th)?"
# "June 16, 2022", "Jun. 16 2022", "June 16"
_MDY = re.compile(rf"\b{_WEEKDAY_RE}(?P<m>{MONTH_RE})\s+(?P<d>{_DAY_RE})\b(?:,?\s+(?P<y>\d{{4}})\b)?", re.I)
# "16 June 2022", "16 June"
_DMY = re.compile(rf"\b{_WEEKDAY_RE}(?P<d>{_DAY_RE})\s+(?P<m>{MONTH_RE})(?![a-z])(?:,?\s+(?P<y>\d{{4}})\b)?", re.I)
# "June 2022"
_MY = re.compile(rf"\b(?P<m>{MONTH_RE})(?:,)?\s+(?P<y>\d{{4}})\b", re.I)
_ISO = re.compile(r"\b(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?(?![\d])")
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})\b")
_YEAR = re.compile(r"^\s*(?P<y>(?:1[6-9]|20|21)\d{2})\s*$")

_ROLE_WORDS = (
    r"reporter|correspondent|editor|journalist|writer|columnist|contributor|producer|anchor|"
    r"photographer|photojournalist|videographer|news\s+editor|bureau\s+chief|staff\s+writer"
)
_ROLE_LINE = re.compile(rf"^(?:[A-Z][\w'’-]*\s+){{0,3}}(?i:{_ROLE_WORDS})s?(?:\s*[,|/]\s*.{{0,40}})?$")
# A person's name: 2-4 capitalised tokens (initials and particles allowed).
_NAME = r"[A-Z][\w'’.-]*[a-z\u00C0-\u024F][\w'’-]*(?:\s+(?:[A-Z]\.|(?:van|von|de|da|del|der|la|le|bin|al)\b|[A-Z][\w'’.-]*[a-z\u00C0-\u024F][\w'’-]*)){1,3}"
_NAME_LINE = re.compile(rf"^{_NAME}$")
_BYLINE = re.compile(
    rf"^(?i:by|byline:?|written by|words by|story by)\s+(?P<names>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*)"
    r"(?:\s*[,|–—-]\s*[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|and|&|the)){0,5})?\.?$",
)
_REPORTING_BY = re.compile(rf"^[(\[]?\s*(?i:reporting|reported|writing) by\s+(?P<names>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*)")
_ORG = r"(?:[Tt]he\s+)?[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|and|&|for|on|de|du|der|the))*"
_BIO = re.compile(
    rf"^(?P<name>{_NAME}),?\s+(?:is|was)\s+(?:a|an|the)\s+(?:[\w-]+\s+){{0,3}}?(?:{_ROLE_WORDS})s?\s+"
    rf"(?:at|for|with|of)\s+(?P<org>{_ORG})"
)

# Datelines at the start of the first body paragraph.
_DATE_IN_DATELINE = rf"{MONTH_RE}\s+{_DAY_RE}(?:,?\s+\d{{4}})?|{_DAY_RE}\s+{MONTH_RE}(?:\s+\d{{4}})?"
_OUTLET_TOKEN = r"[A-Z][\w'’&.+-]*"
# "October 28, Outlet. Body" (date, then the outlet, closed by a period) or "Feb 20, 2025, Place: Body".
_DATE_FIRST = re.compile(
    rf"^(?P<date>{_DATE_IN_DATELINE})\s*,?\s*(?P<name>{_OUTLET_TOKEN}(?:\s+{_OUTLET_TOKEN}){{0,3}})?\s*"
    r"(?P<sep>[.:]|\s[–—-]{1,2})\s+(?=\S)"
)
# "WASHINGTON (Reuters) - ", "NEW YORK, Dec. 22 (UPI) — ", "MINSK – ", "Cleveland (AFP) – "
_PLACE_FIRST = re.compile(
    r"^(?P<place>[A-Z][\w.'’ -]{1,40}?)"
    rf"(?:,\s*(?!{MONTH_RE}\s+\d)(?P<region>[A-Z][\w.'’ -]{{1,30}}?))?"
    rf"(?:,\s*(?P<date>{_DATE_IN_DATELINE}))?\s*(?:\((?P<outlet>[A-Z][\w.&'’ -]{{0,30}})\))?\s*"
    r"(?:[–—]|--?)\s+(?=\S)"
)
_CAPTION_TAIL = re.compile(
    r"\((?:[^()]*?(?:/|\bvia\b|\bphoto|\bimage|\bcredit|\bcourtesy|\bfile\b)[^()]*)\)\s*\.?$", re.I
)
_CAPTION_HEAD = re.compile(r"^\(?\s*(?:photo|image|picture|caption|illustration)s?\s*(?:credit)?\s*[:|/]", re.I)
_DATE_LINE = re.compile(
    r"^(?:(?:published|posted|updated|last updated|first published|date)(?:\s+on)?\s*:?\s*)?"
    r"(?P<date>.{4,60}?)\s*(?:(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4}|GMT[+-]?\d*)?)?\.?$",
    re.I,
)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b", re.I)
_LEAD_WORDS = re.compile(
    r"\b(?:said|told|according\s+to|announced|reported|(?:mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|today|tonight|last\s+(?:week|month|year))\b",
    re.I,
)
_TERMINAL = re.compile(r"[.!?…:;\"”’)\]]$")


def _valid(y: int | None, m: int, d: int | None) -> bool:
    if not 1 <= m <= 12:
        return False
    if d is None:
        return True
    # A missing year is checked against a leap year so that "February 29" survives.
    return 1 <= d <= calendar.monthrange(y or 2000, m)[1]


def _iso(y: int | None, m: int | None, d: int | None) -> str:
    if m is None:
        return f"{y:04d}" if y else ""
    if not _valid(y, m, d):
        return ""
    if y is None:
        return f"--{m:02d}-{d:02d}" if d else ""
    return f"{y:04d}-{m:02d}-{d:02d}" if d else f"{y:04d}-{m:02d}"


def _month(name: str) -> int:
    key = name.rstrip(".").lower()
    return MONTHS.get(key) or MONTHS.get(key[:3], 0)


def _day(text: str) -> int:
    return int(re.match(r"\d+", text).group(0))  # type: ignore[union-attr]


def find_date(text: str) -> tuple[str, int, int]:
    """First date in ``text`` as ``(iso, start, end)``; ``("", -1, -1)`` if none.

    Method: ordered regular expressions for the written forms news text uses
    (ISO, "Month D, YYYY", "D Month YYYY", "Month YYYY", unambiguous numeric).
    A day and month without a year give ``--MM-DD``; the year is never guessed.
    """
    best: tuple[str, int, int] = ("", -1, -1)
    candidates: list[tuple[int, int, str]] = []
    for rx in (_MDY, _DMY):
        for m in rx.finditer(text):
            y = int(m.group("y")) if m.group("y") else None
            iso = _iso(y, _month(m.group("m")), _day(m.group("d")))
            if iso:
                candidates.append((m.start(), m.end(), iso))
                break
    for m in _MY.finditer(text):
        iso = _iso(int(m.group("y")), _month(m.group("m")), None)
        if iso:
            candidates.append((m.start(), m.end(), iso))
            break
    for m in _ISO.finditer(text):
        d = int(m.group("d")) if m.group("d") else None
        iso = _iso(int(m.group("y")), int(m.group("m")), d)
        if iso:
            candidates.append((m.start(), m.end(), iso))
            break
    for m in _NUMERIC.finditer(text):
        a, b = int(m.group("a")), int(m.group("b"))
        # 06/07/2022 is June 7 in the US and July 6 elsewhere: refuse rather than guess.
        if a > 12 >= b:
            mo, d = b, a
        elif b > 12 >= a:
            mo, d = a, b
        else:
            continue
        iso = _iso(int(m.group("y")), mo, d)
        if iso:
            candidates.append((m.start(), m.end(), iso))
            break
    if candidates:
        # Earliest match wins; at the same start the longest (most complete) one.
        start, end, iso = min(candidates, key=lambda c: (c[0], -(c[1] - c[0])))
        best = (iso, start, end)
    return best


def parse_date(text: str) -> str:
    """ISO 8601 (full or partial) for a date string, or ``""`` if it holds none.

    ``"2022-06-16"`` -> ``2022-06-16``; ``"June 16, 2022"`` -> ``2022-06-16``;
    ``"2022-06-16T10:00:00Z"`` -> ``2022-06-16``; ``"June 2022"`` -> ``2022-06``;
    ``"June 16"`` -> ``--06-16`` (no year is invented); ``"2022"`` -> ``2022``.
    """
    text = (text or "").strip()
    if not text:
        return ""
    m = _COMPACT.match(text)
    if m:
        return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    m = _YEAR.match(text)
    if m:
        return m.group("y")
    return find_date(text)[0]


# ---------------------------------------------------------------------------
# Line classification shared with cleaning


def is_caption(line: str) -> bool:
    """A photo caption: ends with a parenthesised credit or starts with "Photo:"."""
    s = line.strip()
    return bool(_CAPTION_TAIL.search(s) or _CAPTION_HEAD.match(s))


def byline_names(line: str) -> str:
    """Author names from a byline ("By Jane Doe and John Roe"), else ``""``."""
    s = line.strip()
    if len(s.split()) > 14:
        return ""
    m = _BYLINE.match(s)
    if not m:
        return ""
    names = re.split(r"\s*(?:,|\band\b|&)\s*", m.group("names"))
    return ", ".join(n.strip() for n in names if n.strip())


def is_role_line(line: str) -> bool:
    """A job title on its own line ("Reporter", "Senior Correspondent")."""
    s = line.strip()
    return len(s) <= 80 and 0 < len(s.split()) <= 6 and bool(_ROLE_LINE.match(s))


def is_name_line(line: str) -> bool:
    """A line that is just a person's name (2-4 capitalised tokens, no digits)."""
    s = line.strip()
    return len(s) <= 60 and bool(_NAME_LINE.match(s)) and not any(c.isdigit() for c in s)


def bio_match(line: str) -> tuple[str, str]:
    """``(name, outlet)`` from an author bio sentence "Jane Doe is a reporter at Outlet"."""
    m = _BIO.match(line.strip())
    if not m:
        return "", ""
    org = m.group("org").strip()
    # The outlet ends at the first lowercase connector that has nothing capitalised after it.
    org = re.sub(r"(?:\s+(?:of|and|&|for|on|de|du|der|the))+$", "", org).rstrip(".,;")
    return m.group("name").strip(), org


def headline_like(line: str, max_words: int = 20) -> bool:
    """Short and not ending like a sentence: a headline, label or name line."""
    s = line.strip()
    words = s.split()
    return 0 < len(words) <= max_words and len(s) <= 200 and not _TERMINAL.search(s)


def parse_dateline(paragraph: str) -> tuple[str, str]:
    """``(iso_date, outlet)`` from a dateline opening ``paragraph``, each ``""`` if absent.

    Two layouts (AP Stylebook): date first ("October 28, Outlet. ...",
    "Feb 20, 2025, Place: ...") and place first ("WASHINGTON (Reuters) - ...",
    "NEW YORK, Dec. 22 (UPI) — ...", "MINSK – ..."). A name closed by a period
    after the date is an outlet; one closed by a colon is a place. A name in
    parentheses after the place is the outlet (a wire service, or the site).
    """
    s = paragraph.strip()
    m = _DATE_FIRST.match(s)
    if m:
        iso = parse_date(m.group("date"))
        outlet = ""
        name = (m.group("name") or "").strip()
        if name and m.group("sep") == "." and not parse_date(name):
            outlet = name
        return iso, outlet
    m = _PLACE_FIRST.match(s)
    if m:
        place = m.group("place").strip()
        outlet = (m.group("outlet") or "").strip()
        # A mixed-case opener ("Trump - who ...") is only a dateline with an outlet or date.
        if not (place.isupper() or outlet or m.group("date")):
            return "", ""
        iso = parse_date(m.group("date")) if m.group("date") else ""
        if not iso and re.fullmatch(_DATE_IN_DATELINE, place):
            iso = parse_date(place)  # "Dec 29 (Reuters) - ...": the date stands where the place would
        return iso, outlet
    return "", ""


def _date_only(line: str) -> str:
    """ISO date if ``line`` is nothing but a (possibly labelled) date."""
    s = line.strip()
    if len(s) > 80 or len(s.split()) > 10:
        return ""
    m = _DATE_LINE.match(s)
    if not m:
        return ""
    iso, start, end = find_date(m.group("date"))
    if not iso or start > 0 or end < len(m.group("date").rstrip(" ,.")):
        return ""
    return iso


def _title_candidate(line: str, next_para: str, alone: bool = True) -> bool:
    """Method: headline shape. Headlines are short and do not end like a
    sentence; a short line that does end with a period (some archives add one)
    still counts when it reads like headlinese (no articles, Title Case, or an
    "X: Y" kicker) or is followed by a dateline paragraph."""
    s = line.strip()
    words = s.split()
    if not words or len(words) > 25 or len(s) > 220:
        return False
    if byline_names(s) or is_caption(s) or _date_only(s) or parse_dateline(s) != ("", ""):
        return False
    if not re.search(r"[.!…]$", s.rstrip("\"”’'")):
        return True
    if not alone:
        return False
    long_words = [w.lstrip("\"'“‘") for w in words]
    long_words = [w for w in long_words if len(w) >= 4 and w[0].isalpha()]
    title_case = bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words)
    # Leads, unlike headlines, carry attribution and a day ("..., officials said on Monday.").
    lead_like = bool(_LEAD_WORDS.search(s))
    if len(words) > (25 if title_case or ":" in s else 20):
        return False
    return bool(
        not _ARTICLES.search(s)
        or title_case
        or ":" in s
        or (len(words) <= 16 and not lead_like)
        or (next_para and any(parse_dateline(next_para)))
    )


def _paragraphs(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def extract_metadata(raw_text: str, cleaned_text: str, origins: dict[str, str] | None = None) -> dict[str, str]:
    """Title, publisher, date and author found in an article's own text.

    ``raw_text`` is the loader's text (with page furniture, where author bio
    boxes live); ``cleaned_text`` is the article after cleaning (headline,
    byline and dateline are read from its top). Keys: ``title``, ``publisher``,
    ``date``, ``author``; ``""`` when unknown. ``origins``, when given, receives the
    rule that found each field (``"text:headline"``, ``"text:dateline"``...).
    """
    out = {"title": "", "publisher": "", "date": "", "author": ""}
    why: dict[str, str] = {}

    def put(key: str, value: str, rule: str) -> None:
        if value and not out[key]:
            out[key] = value
            why[key] = f"text:{rule}"

    lines = _paragraphs(cleaned_text)
    raw_lines = _paragraphs(raw_text)
    if not lines:
        return out
    dateline_outlet = _read_head(lines, cleaned_text, put)
    bio_name, bio_org, role_name, reporting = _read_tail(lines, raw_lines)
    put("author", bio_name, "author bio")
    put("author", role_name, "name and role lines")
    put("author", reporting, "reporting line")
    put("publisher", bio_org, "author bio")
    put("publisher", dateline_outlet, "dateline")
    if origins is not None:
        origins.update(why)
    return out


def _read_head(lines: list[str], cleaned_text: str, put: Callable[[str, str, str], None]) -> str:
    """The head of the article: the title, then bylines, date lines and captions, then the
    first body paragraph's dateline. ``put``s what it finds; returns the dateline's outlet."""
    i = 0
    # A title needs text after it; a period-ending one must also stand as its own paragraph.
    first_alone = bool(re.match(r"^\s*[^\n]*\n[ \t]*\n", cleaned_text.lstrip("\n")))
    if len(lines) > 1 and _title_candidate(lines[0], lines[1], first_alone):
        put("title", lines[0].rstrip(" ;,:"), "headline")
        i = 1
    for j in range(i, min(len(lines), i + 8)):
        ln = lines[j]
        names = byline_names(ln)
        if names:
            put("author", names, "byline")
            continue
        if is_caption(ln):
            continue
        iso = _date_only(ln)
        if iso:
            put("date", iso, "date line")
            continue
        if j + 1 < len(lines) and is_name_line(ln) and is_role_line(lines[j + 1]):
            put("author", ln, "name and role lines")
            continue
        if is_role_line(ln):
            continue
        if len(ln) >= 40 or _TERMINAL.search(ln):
            iso, outlet = parse_dateline(ln)
            put("date", iso, "dateline")
            return outlet
    return ""


def _read_tail(lines: list[str], raw_lines: list[str]) -> tuple[str, str, str, str]:
    """The author and outlet the end of the article gives: (bio name, bio outlet, a name
    line over a role line, a "Reporting by" line's names), "" each when absent. A bio is
    read only in text the cleaner removed, or the article's last paragraph, so that a body
    sentence about some reporter is never taken for the byline."""
    kept = set(lines)
    tail = [ln for ln in raw_lines if ln not in kept] + lines[-1:]
    bio_name = bio_org = ""
    for ln in tail:
        name, org = bio_match(ln)
        if name:
            bio_name, bio_org = name, org
            break
    role_name = ""
    for j, ln in enumerate(raw_lines[:-1]):
        if is_name_line(ln) and is_role_line(raw_lines[j + 1]) and not bio_match(raw_lines[j + 1])[0]:
            role_name = ln
            break
    reporting = ""
    for ln in [*lines[-3:], *tail]:
        m = _REPORTING_BY.match(ln)
        if m:
            reporting = ", ".join(n.strip() for n in re.split(r"\s*(?:,|\band\b|&)\s*", m.group("names")) if n.strip())
            break
    return bio_name, bio_org, role_name, reporting


#: Metadata a file format states about the *file*, not the article: the day the PDF or the
#: Word file was made (exported, scanned, printed), often days or years after the story.
#: For news the dateline in the text wins, and these only fill a date the text lacks.
FILE_DATE_ORIGINS = frozenset({"pdf:CreationDate", "docx:created"})
#: Appended to the origin of a date taken from the file as a fallback, so `assistant stats`,
#: the documents table and ``meta_origin`` say it is the file's date, not the article's.
FILE_DATE_MARK = " (file date: the text gives none)"
#: Appended to a dateline's origin when its year comes from a file made on the same day.
FILE_YEAR_MARK = " (year from the file date)"


def merge_metadata(loaded: dict[str, str], loaded_origins: dict[str, str], found: dict[str, str],
                   found_origins: dict[str, str], fmt: str,
                   keys: tuple[str, ...] = ("title", "publisher", "date", "author", "url"),
                   ) -> tuple[dict[str, str], dict[str, str]]:
    """Each field's value and where it came from: what the file format states (JSONL fields,
    HTML meta tags, PDF information, Word properties, feed items) wins over what the text
    rules ``found``, except a file's own date (``FILE_DATE_ORIGINS``), which the text's
    dateline or date line beats and which is marked as a fallback when it is kept."""
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for key in keys:
        value, origin = loaded.get(key, ""), loaded_origins.get(key) or fmt
        file_date = key == "date" and origin in FILE_DATE_ORIGINS
        if file_date and value and found.get(key, "").startswith("--") and value[4:10] == found[key][1:]:
            # "October 28" in the dateline of a file made on 2025-10-28: the same day, so
            # the file's year is the article's (no year is guessed otherwise).
            values[key] = value[:4] + found[key][1:]
            origins[key] = found_origins.get(key, "text") + FILE_YEAR_MARK
            continue
        if value and not (file_date and found.get(key)):
            values[key] = value
            origins[key] = origin + (FILE_DATE_MARK if file_date else "")
        elif found.get(key):
            values[key] = found[key]
            origins[key] = found_origins.get(key, "text")
        else:
            values[key] = ""
    # What the loader noted about the text itself (``"text": "ocr:tesseract ..."``) is kept.
    origins.update({k: v for k, v in loaded_origins.items() if k not in keys})
    return values, origins


"""How much one file may inflate to while it is read, checked before it is parsed.

The upload and file-size limits are on the bytes a file holds; a compressed format can
hold far more. A 1.3 MB PDF whose content stream inflates to 395 MB, or a 1.4 MB .docx
whose document.xml inflates to 600 MB, took a server to 4.7 GB (issue 25). So every format
is read against caps on what it inflates to:

| what | cap (at the default 25 M characters) | where |
|---|---|---|
| one document's text | ``document_chars`` (25 M) | every loader, cleaning |
| a .docx part (XML, media) inflated | ``part_bytes`` (100 MB), ratio <= ``MAX_ZIP_RATIO`` | ``word`` |
| all .docx parts together | ``inflated_bytes`` (200 MB) | ``word`` |
| XML elements of a .docx | ``xml_elements`` (2.5 M) | ``word`` |
| one PDF page's decoded streams | ``page_bytes`` (32 MB) | ``pdf_guard`` |
| all of a PDF's decoded streams | ``inflated_bytes`` (200 MB) | ``pdf_guard`` |
| glyphs and drawings on one PDF page | ``page_objects`` (100 K) | ``pdf_guard`` |
| an HTML page, a feed file | ``markup_bytes`` (25 MB) | ``html``, ``feeds`` |
| a JSONL line | ``markup_bytes`` | ``jsonl`` |

Every cap scales with ``Settings.max_document_chars`` (``ASSISTANT_MAX_DOCUMENT_CHARS``),
so the fix a failure names (raise it) works (a PDF over two caps names the second once
past the first: its glyphs are not known until its pages are read), above a floor for what every file carries
whatever its text (a .docx's styles are ~0.5 MB of XML, a PDF may embed a whole font). The factors were measured on this machine
(``tests/ingest/test_bombs.py`` prints the peaks): a document at the caps stays well
under 1.5 GB of memory, and a bomb fails before it inflates.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant import config

#: Bytes of a .docx part, or of all of a PDF's decoded streams, per character of text
#: allowed: Word's XML carries 1.3 (python-docx's plain paragraphs) to ~5 bytes of markup
#: per character of text. At 25 M characters: 100 MB; parsing a 40 MB document.xml peaked
#: at 215 MB over the process's start here (python-docx over lxml).
PART_BYTES_PER_CHAR = 4
#: All the parts of a .docx (or a PDF's streams) together: twice one part (media included).
INFLATED_BYTES_PER_CHAR = 8
#: XML elements of a .docx per character allowed: one per 10 characters of text covers
#: paragraphs with several runs (~100 characters per paragraph, ~5 elements each). Bytes
#: alone do not bound memory here: 16 MB of empty paragraphs (2.7 M elements) peaked at
#: 500 MB and took 33 s, ~185 bytes and ~12 us per element.
XML_ELEMENTS_PER_CHAR = 0.1
#: Inflated size over compressed size above which a zip part over ``RATIO_MIN_BYTES`` is
#: refused as a decompression bomb: deflate gets 3-10x on prose and 20-30x on Word's XML
#: (23x measured on python-docx's own), while a bomb of repeated bytes gets ~1000x.
MAX_ZIP_RATIO = 200
RATIO_MIN_BYTES = 10_000_000
#: Decoded bytes of one PDF page (its content streams, the forms it draws and the fonts it
#: first uses) per character allowed: 32 MB at the default. A dense newspaper page's content
#: decodes to 0.1-0.5 MB; room is left for a fully embedded font (a CJK font is 5-20 MB).
#: Parsing is what it bounds: pdfminer reads content at a few MB/s.
PAGE_BYTES_PER_CHAR = 1.28
#: Glyphs and drawings pdfminer may make for one PDF page, per character allowed: 100 K at
#: the default. Each costs ~2.1 KB and ~0.2 ms in pdfminer and pdfplumber (measured: a
#: page of 100 K glyphs peaked at 247 MB and took 20 s); a dense newspaper page has 5-20 K.
PAGE_OBJECTS_PER_CHAR = 0.004
#: Bytes of an HTML page, a feed file or a JSONL line per character allowed: markup around
#: a text is rarely more than its size again, and lxml's tree of a page is ~5-10x its bytes.
MARKUP_BYTES_PER_CHAR = 1.0

#: How far past a cap a file is still inflated (and thrown away) to learn its size for the
#: fix: a few seconds of CPU at most, no memory.
COUNT_PAST_CAP = 20

#: The floors, whatever the setting: what a file carries besides its text. python-docx's
#: own template holds 0.5 MB of styles XML (~10 K elements); a saved news page's scripts and
#: menus are 0.5-3 MB; a PDF page may first use a fully embedded font.
PART_BYTES_FLOOR = 16_000_000
INFLATED_BYTES_FLOOR = 32_000_000
XML_ELEMENTS_FLOOR = 200_000
PAGE_BYTES_FLOOR = 8_000_000
PAGE_OBJECTS_FLOOR = 20_000
MARKUP_BYTES_FLOOR = 4_000_000


@dataclass(frozen=True)
class ReadLimits:
    """The caps for one ingest, from ``document_chars`` (``Settings.max_document_chars``)."""

    document_chars: int = config.DEFAULT_MAX_DOCUMENT_CHARS
    #: Whether the floors apply (off only in tests of the caps, with small files).
    floors: bool = True

    @classmethod
    def from_env(cls) -> ReadLimits:
        return cls(config.max_document_chars())

    def _cap(self, per_char: float, floor: int) -> int:
        return max(int(self.document_chars * per_char), floor if self.floors else 0)

    @property
    def part_bytes(self) -> int:
        return self._cap(PART_BYTES_PER_CHAR, PART_BYTES_FLOOR)

    @property
    def inflated_bytes(self) -> int:
        return self._cap(INFLATED_BYTES_PER_CHAR, INFLATED_BYTES_FLOOR)

    @property
    def xml_elements(self) -> int:
        return self._cap(XML_ELEMENTS_PER_CHAR, XML_ELEMENTS_FLOOR)

    @property
    def page_bytes(self) -> int:
        return self._cap(PAGE_BYTES_PER_CHAR, PAGE_BYTES_FLOOR)

    @property
    def page_objects(self) -> int:
        return self._cap(PAGE_OBJECTS_PER_CHAR, PAGE_OBJECTS_FLOOR)

    @property
    def markup_bytes(self) -> int:
        return self._cap(MARKUP_BYTES_PER_CHAR, MARKUP_BYTES_FLOOR)

    def fix(self, needed: float = 0.0) -> str:
        """The fix every cap's failure gives: split the file, or raise the one setting,
        which raises every cap with it, to ``needed`` characters (when the file's size is
        known: enough for it) or else to twice what it is."""
        value = _round_up(max(needed, self.document_chars * 2))
        return (f"split it into smaller files, or raise {config.ENV_MAX_DOCUMENT_CHARS} (now "
                f"{self.document_chars}), e.g. {config.ENV_MAX_DOCUMENT_CHARS}={value}")


def _round_up(n: float) -> int:
    step = 10 ** max(3, len(str(int(n))) - 2)
    return int((int(n) // step + 1) * step)


class TooLarge(Exception):
    """A file that inflates past a cap while it is read; the message names the cap and
    the fix (split the file, or raise ``ASSISTANT_MAX_DOCUMENT_CHARS``)."""


def markup_too_large(what: str, size: int, limits: ReadLimits) -> str:
    """The failure of an HTML page, feed or JSONL line over ``limits.markup_bytes``."""
    return (f"the {what} is {megabytes(size)}, past the {megabytes(limits.markup_bytes)} cap on one {what}; "
            f"{limits.fix(size / MARKUP_BYTES_PER_CHAR)}")


def megabytes(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} KB"

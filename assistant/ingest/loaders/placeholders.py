"""Metadata values that authoring tools write when nobody filled the field in.

A PDF made by a word processor is titled after its file ("Microsoft Word - draft3.docx"),
reportlab writes "untitled" and "anonymous", python-docx's template says its author is
"python-docx", and an office suite records the login of whoever made the file. Such a
value says nothing about the article: it is skipped, and the text rules fill the field.
"""

from __future__ import annotations

import re

#: Titles that name no article (the defaults of common PDF and office tools).
GENERIC_TITLES = frozenset({
    "untitled", "untitled document", "no title", "title", "document", "document1", "unknown", "none",
    "microsoft word document", "new document", "slide 1", "presentation",
})
#: Authors that name no person: tool defaults (reportlab "anonymous", python-docx's template)
#: and the generic accounts office suites record.
GENERIC_AUTHORS = frozenset({
    "anonymous", "unknown", "none", "author", "user", "admin", "administrator", "owner", "root", "guest",
    "python-docx", "microsoft office user", "windows user", "office user", "apple", "reportlab",
})
#: "Microsoft Word - report.docx", "Microsoft PowerPoint - x.pptx": the app and the file name.
_APP_PREFIX = re.compile(r"^(?:microsoft\s+\w+|libreoffice\s+\w+|openoffice\s+\w+)\s+-\s+", re.I)
#: A file name: no spaces before an editing format's extension.
_FILE_NAME = re.compile(r"^\S+\.(?:docx?|pdf|odt|rtf|txt|indd|qxd|qxp|p65|pm\d|pages|xml|html?|tex|ps|eps|ai)$", re.I)
#: A login rather than a name: one token with a digit, underscore, at-sign, or all lower case.
_LOGIN = re.compile(r"^(?:\S*[\d_@\\]\S*|[a-z][a-z.\-]*)$")


def plausible_title(value: str) -> bool:
    v = " ".join(value.split())
    if not v or not re.search(r"[^\W\d_]", v) or v.casefold() in GENERIC_TITLES:
        return False
    return not (_APP_PREFIX.match(v) or _FILE_NAME.match(v))


def plausible_author(value: str) -> bool:
    v = " ".join(value.split())
    if not v or not re.search(r"[^\W\d_]", v) or v.casefold() in GENERIC_AUTHORS:
        return False
    return not _LOGIN.match(v)

#: Creation stamps that belong to a template, not a document: python-docx's default template
#: (every document it makes without setting ``created`` carries it).
TOOL_DATES = frozenset({"2013-12-23T23:15:00"})

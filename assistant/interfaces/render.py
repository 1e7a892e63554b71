"""Turn answers and documents into text, HTML and Markdown for people to read.

Pure functions, no gradio: the CLI (``assistant ask``) prints ``answer_to_text``,
the chat shows ``answer_to_html`` and ``document_html``, and the chat's export
button writes ``conversation_to_markdown``.

Everything that comes from the corpus or from a user (article text, titles,
publishers, questions) is data: it goes through ``html.escape`` before it is
placed in HTML, so markup or script inside an article is shown as text and never
runs. Offsets follow ``models``: character offsets into a document's cleaned
text, end exclusive.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any
from urllib.parse import quote, unquote

from assistant.models import Answer, Citation, Conflict, Passage
from assistant.text.dates import show_date
from assistant.text.sentences import split_sentences

__all__ = [
    "answer_from_dict",
    "answer_to_html",
    "answer_to_text",
    "citation_key",
    "confidence_words",
    "conversation_to_markdown",
    "display_title",
    "document_html",
    "ingest_results_html",
    "lead_title",
    "ocr_line",
    "parse_citation_key",
    "show_date",
    "source_link",
    "stats_html",
]

_MARKER = re.compile(r"\[(\d{1,3})\]")
#: Anchor the document viewer scrolls to; only ``document_html`` emits it, so it is unique on the page.
SENTENCE_ANCHOR = "cited-sentence"
#: Fragment prefix of source links: ``#cite=<url-encoded citation_key>``.
CITE_PREFIX = "cite="


# -- small helpers -------------------------------------------------------------------------------
def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _e_lines(s: str) -> str:
    """Escape, and keep line breaks without blank lines (a blank line would end the
    HTML block in the chat's Markdown renderer and expose the rest to Markdown)."""
    return "<br>".join(_e(line) for line in s.split("\n"))


def _build(cls: type, d: Mapping[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})


def answer_from_dict(d: Answer | Mapping[str, Any]) -> Answer:
    """An ``Answer`` from its ``to_dict()`` form (what the chat keeps in its state)."""
    if isinstance(d, Answer):
        return d
    base = _build(Answer, {k: v for k, v in d.items() if k not in ("citations", "conflicts", "passages")})
    base.citations = [c if isinstance(c, Citation) else _build(Citation, c) for c in d.get("citations", [])]
    base.conflicts = [c if isinstance(c, Conflict) else _build(Conflict, c) for c in d.get("conflicts", [])]
    base.passages = [p if isinstance(p, Passage) else _build(Passage, p) for p in d.get("passages", [])]
    return base


def citation_key(c: Citation) -> str:
    """A compact, JSON-safe handle for a citation (what a click on a source sends back)."""
    return json.dumps([c.doc_id, c.start, c.end, c.answer_start, c.answer_end], ensure_ascii=False)


def parse_citation_key(key: str) -> tuple[str, int, int, int, int] | None:
    """Inverse of ``citation_key`` (also given as a link's ``#cite=...`` fragment);
    None for anything malformed (it comes from a browser)."""
    key = (key or "").strip()
    if key.startswith("#"):
        key = key[1:]
    if key.startswith(CITE_PREFIX):
        key = unquote(key[len(CITE_PREFIX):])
    try:
        v = json.loads(key)
        doc_id, s, e, a_s, a_e = v[:5]
        return str(doc_id), int(s), int(e), int(a_s), int(a_e)
    except (ValueError, TypeError, IndexError, KeyError):
        return None


#: Longest title taken from an untitled article's lead, in characters: about a news
#: headline's length (the seed corpus's titles run 60 to 95 characters).
LEAD_TITLE_CHARS = 90

DocText = Callable[[str], "str | None"]


def lead_title(text: str, limit: int = LEAD_TITLE_CHARS) -> str:
    """A title for an untitled article: its first sentence, cut at a word to ``limit`` characters."""
    text = (text or "").strip()
    if not text:
        return ""
    spans = split_sentences(text[: limit * 4])
    first = " ".join(text[spans[0][0]: spans[0][1]].split()) if spans else " ".join(text.split())
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return cut + "…"


def display_title(title: str, doc_id: str, text: str | None = None) -> str:
    """The stored title; else one from the lead of ``text``; else the document id."""
    return (title or "").strip() or lead_title(text or "") or doc_id


def _title_of(c: Any, doc_text: DocText | None) -> str:
    if c.title:
        return c.title
    return display_title("", c.doc_id, doc_text(c.doc_id) if doc_text is not None else None)


def _source_line(c: Citation, doc_text: DocText | None = None) -> str:
    """title · publisher · date · doc_id (the id once, even when it stands in for the title)."""
    title = _title_of(c, doc_text)
    parts = (title, c.publisher, show_date(c.date), c.doc_id if title != c.doc_id else "")
    return " · ".join(x for x in parts if x)


#: ``scanned(doc_id)``: how a document's text was read when it was OCRed from a scan
#: (``meta_origin["text"]``, e.g. "ocr:tesseract 5.3.0, page 1 of 1"), else "".
Scanned = Callable[[str], str]


def ocr_line(ans: Answer, scanned: Scanned | None) -> str:
    """"Source [2] was read by OCR from a scanned page: ..." when a cited document was OCRed, else ""."""
    if scanned is None:
        return ""
    ns = [c.n for c in ans.citations if scanned(c.doc_id)]
    if not ns:
        return ""
    which = ", ".join(f"[{n}]" for n in ns)
    many = len(ns) > 1
    return (f"Source{'s' if many else ''} {which} {'were' if many else 'was'} read by OCR from a scanned page: "
            "check figures and names against the original.")


def _headline(ans: Answer) -> str:
    first = ans.text.split("\n", 1)[0].strip()
    return first or "The corpus does not say."


# -- plain text (CLI) ----------------------------------------------------------------------------------
#: How a calibrated confidence reads: (lowest probability, words), best first. Display bands,
#: not learned: "very likely" where 9 in 10 such answers were right on validation, and so on.
CONFIDENCE_WORDS = ((0.9, "very likely right"), (0.7, "likely right"), (0.5, "uncertain"),
                    (0.0, "doubtful: check the sources"))


def confidence_words(ans: Answer) -> str:
    """The answer's confidence in words ("likely right, 78%"), or "" when it is not a
    calibrated probability."""
    if not ans.calibrated or ans.abstained:
        return ""
    words = next(w for lo, w in CONFIDENCE_WORDS if ans.confidence >= lo)
    return f"{words} ({ans.confidence:.0%})"


def answer_to_text(ans: Answer | Mapping[str, Any], *, doc_text: DocText | None = None,
                   scanned: Scanned | None = None) -> str:
    """The answer for a terminal: short answer, reply with ``[n]`` markers, then each
    citation (title · publisher · date · doc_id, and the quoted sentence).
    ``doc_text(doc_id)`` gives untitled articles a title from their lead; ``scanned``
    names the cited documents read by OCR."""
    ans = answer_from_dict(ans)
    out: list[str] = []
    if ans.notice:
        out.append(f"note: {ans.notice}")
    if ans.rewritten:
        out.append(f"(understood as: {ans.rewritten})")
    if ans.abstained:
        out.append(_headline(ans))
        if ans.citations:
            out.append("Closest passages:")
    else:
        out.append(f"Answer: {ans.answer}")
        out.append(ans.text)
        if confidence_words(ans):
            out.append(f"Confidence: {confidence_words(ans)}")
    if not ans.abstained and ocr_line(ans, scanned):
        out.append(f"note: {ocr_line(ans, scanned)}")
    if ans.conflicts:
        out.append("Sources differ:")
        for cf in ans.conflicts:
            src = ", ".join(x for x in (cf.publisher or cf.doc_id, show_date(cf.date)) if x)
            out.append(f"  {cf.value}  ({src}) [{cf.citation}]")
    if ans.citations and not ans.abstained:
        out.append("Sources:")
    for c in ans.citations:
        out.append(f"[{c.n}] {_source_line(c, doc_text)}")
        out.append(f"    “{' '.join(c.quote.split())}”")
    return "\n".join(out)


# -- HTML (chat) -------------------------------------------------------------------------------------
def _marked(text: str, base: int, s: int, e: int, a_s: int, a_e: int, *, anchor: bool = False) -> str:
    """``text`` (which starts at document offset ``base``) escaped, with the sentence
    ``s:e`` in ``<mark>`` and the answer ``a_s:a_e`` (inside it) in ``<mark class="ans">``."""
    n = len(text)

    def cut(x: int) -> int:
        return max(0, min(n, x - base))

    if not (0 <= s < e) or cut(s) >= cut(e):
        return _e_lines(text)
    ls, le = cut(s), cut(e)
    pre, sent, post = text[:ls], text[ls:le], text[le:]
    if 0 <= a_s < a_e and s <= a_s and a_e <= e:
        i, j = cut(a_s) - ls, cut(a_e) - ls
        inner = (_e_lines(sent[:i]) + '<mark class="ans">' + _e_lines(sent[i:j]) + "</mark>"
                 + _e_lines(sent[j:])) if i < j else _e_lines(sent)
    else:
        inner = _e_lines(sent)
    id_attr = f' id="{SENTENCE_ANCHOR}"' if anchor else ""
    return f'{_e_lines(pre)}<mark class="sent"{id_attr}>{inner}</mark>{_e_lines(post)}'


def _passage(c: Citation, doc_text: str | None, context: int) -> str:
    """The cited sentence with up to ``context`` characters around it, cut at word boundaries."""
    if doc_text is None or not (0 <= c.start < c.end <= len(doc_text)):
        return _marked(c.quote, c.start, c.start, c.end, c.answer_start, c.answer_end)
    lo = max(0, c.start - context)
    hi = min(len(doc_text), c.end + context)
    while lo > 0 and not doc_text[lo - 1].isspace() and lo < c.start:
        lo += 1
    while hi < len(doc_text) and not doc_text[hi].isspace() and hi > c.end:
        hi -= 1
    body = _marked(doc_text[lo:hi], lo, c.start, c.end, c.answer_start, c.answer_end)
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(doc_text) else "")


def source_link(c: Citation, label: str, cls: str, title: str = "") -> str:
    """A link (HTML ``label``) that opens ``c``'s sentence in the chat's document viewer."""
    # The key rides in the fragment: the chat's sanitiser drops data-* and event attributes.
    return (f'<a href="#{CITE_PREFIX}{quote(citation_key(c), safe="")}" class="src-link {cls}"'
            f' title="{_e("show " + (title or c.title or c.doc_id))}">{label}</a>')


def _reply_with_links(text: str, cites: Mapping[int, Citation], titles: Mapping[int, str]) -> str:
    """Escape the reply, then turn the ``[n]`` markers that name a citation into links."""
    def sub(m: re.Match[str]) -> str:
        c = cites.get(int(m.group(1)))
        return source_link(c, f"[{c.n}]", "marker", titles.get(c.n, "")) if c is not None else m.group(0)

    return _MARKER.sub(sub, _e_lines(text))


def _source_card(c: Citation, title: str, doc_text: str | None, context: int, ocr: str = "") -> str:
    meta = " · ".join(_e(x) for x in (c.publisher, show_date(c.date)) if x)
    doc_id = f" · <code>{_e(c.doc_id)}</code>" if title != c.doc_id else ""
    scan = f' · <span class="ocr-badge" title="{_e(ocr)}">OCR from a scan</span>' if ocr else ""
    return (
        f'<div class="source" data-n="{c.n}">'
        f'<div class="source-head">{source_link(c, f"[{c.n}]", "marker", title)} '
        f'{source_link(c, _e(title), "title", title)}'
        f'{" · " + meta if meta else ""}{doc_id}{scan}</div>'
        f'<div class="passage">{_passage(c, doc_text, context)}</div>'
        "</div>"
    )


#: A reply that cites this many sentences or fewer shows its source open under the verdict
#: (one short card); more, or closest passages of an abstention, are folded behind a
#: summary line, so the verdict stays in view in the 560 px chat box (issue #17).
OPEN_SOURCES_UP_TO = 1


def answer_to_html(ans: Answer | Mapping[str, Any], *,
                   doc_text: DocText | None = None, context: int = 160,
                   with_sources: bool = True, streaming: bool = False, scanned: Scanned | None = None,
                   sources_shown: int | None = None) -> str:
    """One chat reply as a single HTML block (no blank lines, no newlines).

    The verdict leads (the reply, "Sources differ", or "The corpus does not say"); the
    passages follow, folded in a ``<details>`` unless there is only one. ``doc_text(doc_id)``
    may give a document's cleaned text so each source shows its sentence in context (and
    an untitled article a title from its lead); without it the source shows the quoted
    sentence alone. ``streaming`` marks a reply still being revealed (the page keeps it in
    view until the full one replaces it; ``sources_shown`` then limits the source cards to
    the first few, as they arrive). ``scanned(doc_id)`` marks sources read by OCR. Every
    corpus or question string is escaped; the only markup is ours.
    """
    ans = answer_from_dict(ans)
    cites = {c.n: c for c in ans.citations}

    def text_of(doc_id: str) -> str | None:
        return doc_text(doc_id) if doc_text is not None else None

    titles = {c.n: _title_of(c, doc_text) for c in ans.citations}
    parts: list[str] = []
    cls = "answer abstained" if ans.abstained else "answer conflicting" if ans.conflicts else "answer"
    parts.append(f'<div class="{cls}{" streaming" if streaming else ""}">')
    if ans.abstained:
        parts.append(f'<div class="abstain-head verdict">{_e(_headline(ans))}</div>')
    elif ans.conflicts:
        parts.append('<div class="conflict-head verdict">Sources differ:</div><div class="conflicts">')
        for cf in ans.conflicts:
            c = cites.get(cf.citation)
            src = " · ".join(_e(x) for x in (cf.publisher or cf.doc_id, show_date(cf.date)) if x)
            body = _passage(c, text_of(c.doc_id), 60) if c is not None else ""
            link = source_link(c, f"[{c.n}]", "marker", titles[c.n]) if c is not None else ""
            parts.append(f'<div class="conflict"><div class="conflict-value">{_e(cf.value)} {link}</div>'
                         f'<div class="conflict-src">{src}</div><div class="passage">{body}</div></div>')
        parts.append("</div>")
    else:
        parts.append(f'<div class="reply verdict">{_reply_with_links(ans.text, cites, titles)}</div>')
        if confidence_words(ans):
            parts.append(f'<div class="confidence">Confidence: {_e(confidence_words(ans))}</div>')
        if ocr_line(ans, scanned):
            parts.append(f'<div class="ocr-note">{_e(ocr_line(ans, scanned))}</div>')
    if ans.rewritten:
        parts.append(f'<div class="rewritten">Understood as: <q>{_e(ans.rewritten)}</q></div>')
    if ans.notice:
        parts.append(f'<div class="notice">{_e(ans.notice)}</div>')
    shown = ans.citations if sources_shown is None else ans.citations[:sources_shown]
    if with_sources and shown:
        n = len(ans.citations)
        if ans.abstained:
            head = f"Closest passages ({n}) — they do not answer the question"
        else:
            head = "Source" if n == 1 else f"Sources ({n})"
        opened = " open" if not ans.abstained and n <= OPEN_SOURCES_UP_TO else ""
        parts.append(f'<details class="sources-box"{opened}><summary class="sources-head">{head}</summary>'
                     '<div class="sources">')
        parts.extend(_source_card(c, titles[c.n], text_of(c.doc_id), context,
                                  scanned(c.doc_id) if scanned is not None else "") for c in shown)
        parts.append("</div></details>")
    parts.append("</div>")
    return "".join(parts)


def question_html(question: str) -> str:
    """A user's question for the chat: shown as typed, never as markup or Markdown."""
    return f'<div class="question">{_e_lines(question)}</div>'


def document_html(doc: Any, start: int = -1, end: int = -1, answer_start: int = -1,
                  answer_end: int = -1, *, empty: str = "") -> str:
    """The full cleaned article, escaped, with the sentence ``start:end`` highlighted and
    carrying the anchor id ``cited-sentence`` for the viewer to scroll to.

    ``doc`` is anything with ``doc_id``, ``text``, ``title``, ``publisher``, ``date``
    (``cache.Document``), or None for an empty viewer that says ``empty``. An untitled
    article is headed by its lead. On a narrow screen, where the viewer sits below the
    chat, a link leads back up to the chat.
    """
    if doc is None:
        msg = empty or "Click a source or a [n] marker to see the article here."
        return f'<div class="doc-view empty">{_e(msg)}</div>'
    title = display_title(getattr(doc, "title", ""), doc.doc_id, doc.text)
    meta = " · ".join(_e(x) for x in (getattr(doc, "publisher", ""), show_date(getattr(doc, "date", "")),
                                      getattr(doc, "author", "")) if x)
    body = _marked(doc.text, 0, start, end, answer_start, answer_end, anchor=True)
    return ('<a class="back-to-chat" href="#chat">↑ back to the chat</a>'
            f'<div class="doc-view"><div class="doc-title">{_e(title)}</div>'
            f'<div class="doc-meta">{meta}{" · " if meta else ""}<code>{_e(doc.doc_id)}</code></div>'
            f'<div class="doc-text">{body}</div></div>')


# -- Markdown export ---------------------------------------------------------------------------------
_MD_BLOCK_START = re.compile(r"^(?:[#>+=|-]|\d{1,9}[.)](?=\s|$))")


def _md(s: str, *, block: bool = False) -> str:
    """Text made inert in Markdown with only the escapes CommonMark needs, so the file
    still reads as written: backslashes, code and emphasis marks (`` ` ``, ``*``, ``~``,
    ``_`` at a word's edge), the start of a link (``](``, ``![``), HTML tags and entities,
    a closing ``#`` run, and (``block``: the text starts a line) a list, quote or heading
    marker. Parentheses, ``[1]`` markers and ``000_d3a1.txt`` stay as they are."""
    s = " ".join(str(s).split())
    s = re.sub(r"([\\`*~])", r"\\\1", s)
    s = re.sub(r"(?<![^\W_])_|_(?![^\W_])", r"\\_", s)
    s = s.replace("](", "\\](").replace("![", "!\\[")
    s = re.sub(r"&(?=#?\w+;)", "&amp;", s)
    s = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", s)
    s = re.sub(r"(?<=\s)#+$", lambda m: "\\#" * len(m.group()), s)
    if block:
        s = _MD_BLOCK_START.sub(lambda m: "\\" + m.group() if not m.group()[0].isdigit()
                                else m.group()[:-1] + "\\" + m.group()[-1], s)
    return s


def conversation_to_markdown(turns: Iterable[tuple[str, Answer | Mapping[str, Any]]], *,
                             title: str = "Conversation", doc_text: DocText | None = None,
                             scanned: Scanned | None = None) -> str:
    """A conversation (question, answer) as Markdown, each answer followed by its citations.

    Everything the chat showed, in its order: the verdict (the short answer, every value
    when sources differ, or the abstention), the reply, its confidence ("Confidence:
    uncertain (52%)"), the note on sources read by OCR, the question as understood, the
    notice, then the sources. ``doc_text(doc_id)`` titles untitled articles from their lead."""
    out = [f"# {title}", ""]
    for i, (q, a) in enumerate(turns, start=1):
        ans = answer_from_dict(a)
        out += [f"## {i}. {_md(q)}", ""]
        if ans.rewritten:
            out += [f"*Understood as:* {_md(ans.rewritten)}", ""]
        if ans.abstained:
            out += [f"**{_md(_headline(ans))}**", ""]
        elif ans.conflicts:
            out += ["**Sources differ:**", ""]
            for cf in ans.conflicts:
                src = ", ".join(x for x in (cf.publisher or cf.doc_id, show_date(cf.date)) if x)
                out.append(f"- {_md(cf.value)} ({_md(src)}) [{cf.citation}]")
            out.append("")
        else:
            out += [f"**Answer:** {_md(ans.answer)}", "", _md(ans.text, block=True), ""]
            if confidence_words(ans):
                out += [f"*Confidence:* {_md(confidence_words(ans))}", ""]
            if ocr_line(ans, scanned):
                out += [f"*Note:* {_md(ocr_line(ans, scanned))}", ""]
        if ans.notice:
            out += [f"*Note:* {_md(ans.notice)}", ""]
        if ans.citations:
            out += ["Closest passages:" if ans.abstained else "Sources:", ""]
        for c in ans.citations:
            out.append(f"{c.n}. {_md(_source_line(c, doc_text))} (characters {c.start}–{c.end})")
            out.append(f"   > {_md(c.quote)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# -- side panel ------------------------------------------------------------------------------------
def stats_html(stats: Mapping[str, Any]) -> str:
    """Corpus summary for the chat: documents, chunks, time of the last ingest. Not where
    the index is: a chat user has no business with the server's file system."""
    last = float(stats.get("last_ingest") or 0)
    when = dt.datetime.fromtimestamp(last).strftime("%Y-%m-%d %H:%M") if last else "never"
    return (f'<div class="corpus-stats"><b>{int(stats.get("documents", 0))}</b> documents · '
            f'<b>{int(stats.get("chunks", 0))}</b> chunks · last ingest {_e(when)}</div>')


def ingest_results_html(rows: Sequence[Mapping[str, Any]], summary: str = "") -> str:
    """Per-file ingest results as a table that fits its panel: the file (and the document
    id it got, when that differs), status, chunks, and the reason or note."""
    head = "<tr><th>file</th><th>status</th><th>chunks</th><th>note</th></tr>"

    def file_cell(r: Mapping[str, Any]) -> str:
        f, d = str(r.get("file", "")), str(r.get("doc_id", "") or "")
        return _e(f) + (f'<div class="doc-id">→ <code>{_e(d)}</code></div>' if d and d != f else "")

    body = "".join(
        f'<tr class="st-{_e(r.get("status", ""))}"><td class="file">{file_cell(r)}</td>'
        f'<td>{_e(r.get("status", ""))}</td><td>{_e(r.get("chunks", ""))}</td>'
        f'<td class="note">{_e(r.get("reason", ""))}</td></tr>'
        for r in rows)
    tail = f'<div class="ingest-summary">{_e(summary)}</div>' if summary else ""
    return f'<div class="ingest-results"><div class="table-wrap"><table>{head}{body}</table></div>{tail}</div>'

"""Rendering of answers and documents (pure functions, no gradio) and upload name safety."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import IngestError
from assistant.ingest.uploads import confined_path, safe_name, stage_uploads
from assistant.interfaces.render import (
    LEAD_TITLE_CHARS,
    answer_from_dict,
    answer_to_html,
    answer_to_text,
    citation_key,
    conversation_to_markdown,
    display_title,
    document_html,
    ingest_results_html,
    lead_title,
    parse_citation_key,
    question_html,
    show_date,
    stats_html,
)
from assistant.interfaces.web import HIDDEN_PATH, error_html, scrub_paths
from assistant.models import Answer, Citation, Conflict

DOC = ("Officials met on Monday. The agency counted 1,234 arrivals in March, it said. "
       "Critics disagreed.")
SENT = "The agency counted 1,234 arrivals in March, it said."
S0 = DOC.index(SENT)
A0 = DOC.index("1,234 arrivals")


@dataclass
class FakeDoc:
    doc_id: str
    text: str
    title: str = ""
    publisher: str = ""
    date: str = ""
    author: str = ""
    annotations: dict[str, Any] = field(default_factory=dict)


def cite(n: int = 1, **kw: Any) -> Citation:
    base = dict(n=n, doc_id="a.txt", title="Arrivals rise", publisher="Daily Record", date="2025-04-02",
                quote=SENT, start=S0, end=S0 + len(SENT), answer_start=A0, answer_end=A0 + len("1,234 arrivals"))
    base.update(kw)
    return Citation(**base)


def answer(**kw: Any) -> Answer:
    base = dict(text=f"1,234 arrivals [1] — “{SENT}”", answer="1,234 arrivals", kind="figure", abstained=False,
                citations=[cite()], question="How many arrivals were counted in March?")
    base.update(kw)
    return Answer(**base)


def visible_text(h: str) -> str:
    """What a browser shows: tags dropped, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", h.replace("<br>", "\n")))


# -- text ------------------------------------------------------------------------------------------
def test_answer_to_text_lists_answer_markers_and_citation_fields():
    out = answer_to_text(answer(rewritten="How many arrivals were counted in March 2025?"))
    assert "Answer: 1,234 arrivals" in out
    assert "[1]" in out
    assert "understood as: How many arrivals were counted in March 2025?" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("[1] "))
    assert line == "[1] Arrivals rise · Daily Record · 2025-04-02 · a.txt"
    assert f"“{SENT}”" in out


def test_untitled_article_is_titled_from_its_lead_and_named_once():
    """Issue #17, item 6: "003_e42f....txt · 003_e42f....txt"."""
    lead = ("Belarusian President Alexander Lukashenko rejected claims that Minsk promotes illegal migration "
            "into the European Union. The remarks came at a ceremony.")
    c = cite(doc_id="003_e42f.txt", title="", publisher="", date="", quote=lead[:60], start=0, end=60,
             answer_start=-1, answer_end=-1)
    assert lead_title(lead) == "Belarusian President Alexander Lukashenko rejected claims that Minsk promotes illegal…"
    assert len(lead_title(lead)) <= LEAD_TITLE_CHARS
    assert lead_title("Short lead. More.") == "Short lead."
    assert display_title("", "d.txt", "") == "d.txt" and display_title("T", "d.txt", lead) == "T"
    out = answer_to_text(answer(citations=[c]), doc_text=lambda d: lead)
    line = next(ln for ln in out.splitlines() if ln.startswith("[1] "))
    assert line == f"[1] {lead_title(lead)} · 003_e42f.txt"
    bare = next(ln for ln in answer_to_text(answer(citations=[c])).splitlines() if ln.startswith("[1] "))
    assert bare == "[1] 003_e42f.txt"  # no text to take a title from: the id, once
    h = answer_to_html(answer(citations=[c]), doc_text=lambda d: lead)
    assert visible_text(h).count("003_e42f.txt") == 1 and lead_title(lead) in visible_text(h)
    assert lead_title(lead) in visible_text(document_html(FakeDoc("003_e42f.txt", lead)))
    md = conversation_to_markdown([("q", answer(citations=[c]))], doc_text=lambda d: lead)
    assert md.count("003_e42f.txt") == 1


def test_verdict_leads_and_passages_fold():
    """Issue #17, item 3: the verdict first; an abstention's passages, or several sources, folded."""
    cites = [cite(i, quote=SENT) for i in (1, 2, 3)]
    ab = answer_to_html(answer(text="The corpus does not say: never mentions Atlantis.", answer="", abstained=True,
                               citations=cites, rewritten="What did the mayor of Atlantis say?"))
    assert ab.index("abstain-head") < ab.index("<details") < ab.index('class="sources"')
    assert '<details class="sources-box">' in ab  # closed
    assert "Closest passages (3)" in ab
    one = answer_to_html(answer())
    assert '<details class="sources-box" open>' in one  # one short source stays open
    several = answer_to_html(answer(citations=cites))
    assert '<details class="sources-box">' in several and "Sources (3)" in several
    assert several.index('class="reply verdict"') < several.index("<details")


def test_abstention_is_distinct_and_lists_closest_passages():
    ans = answer(text="The corpus does not say: the corpus never mentions Atlantis.\nClosest passages:\n[1] …",
                 answer="", abstained=True, citations=[cite(answer_start=-1, answer_end=-1)])
    out = answer_to_text(ans)
    assert out.splitlines()[0] == "The corpus does not say: the corpus never mentions Atlantis."
    assert "Answer:" not in out and "Closest passages:" in out
    h = answer_to_html(ans)
    assert 'class="answer abstained"' in h and "abstain-head" in h
    assert "The corpus does not say: the corpus never mentions Atlantis." in visible_text(h)
    assert "do not answer the question" in h


def test_text_shows_conflicts():
    ans = answer(text="Sources differ: 1,234 (Daily Record) [1]; 1,300 (Other Post) [2].",
                 citations=[cite(), cite(2, doc_id="b.txt", publisher="Other Post", date="2025-04-05")],
                 conflicts=[Conflict("1,234", 1, "a.txt", "Daily Record", "2025-04-02"),
                            Conflict("1,300", 2, "b.txt", "Other Post", "2025-04-05")])
    out = answer_to_text(ans)
    assert "1,234  (Daily Record, 2025-04-02) [1]" in out and "1,300  (Other Post, 2025-04-05) [2]" in out
    h = answer_to_html(ans)
    assert h.count('class="conflict"') == 2 and 'class="conflicts"' in h
    vis = visible_text(h)
    assert vis.index("1,234") < vis.index("1,300")  # side by side, in citation order


# -- HTML ------------------------------------------------------------------------------------------
def test_html_highlights_sentence_and_marks_answer_span_inside_it():
    h = answer_to_html(answer(), doc_text=lambda d: DOC)
    m = re.search(r'<mark class="sent">(.*?)</mark>(?!</mark>)', h)
    assert m is not None
    sent_html = re.search(r'<mark class="sent">((?:(?!</mark>).)*<mark class="ans">[^<]*</mark>[^<]*)</mark>', h)
    assert sent_html is not None
    assert visible_text(sent_html.group(1)) == SENT
    assert re.search(r'<mark class="ans">1,234 arrivals</mark>', h)
    # context around the sentence comes from the document
    assert "Officials met on Monday." in visible_text(h) and "Critics disagreed." in visible_text(h)


def test_html_marker_links_carry_a_parsable_citation_key():
    h = answer_to_html(answer())
    hrefs = re.findall(r'href="(#cite=[^"]+)"', h)
    assert hrefs, h
    assert parse_citation_key(hrefs[0]) == ("a.txt", S0, S0 + len(SENT), A0, A0 + len("1,234 arrivals"))
    assert parse_citation_key(citation_key(cite())) == parse_citation_key(hrefs[0])
    for bad in ("", "#cite=%5B", "null", "[1,2]", "<script>"):
        assert parse_citation_key(bad) is None


def test_html_has_no_blank_lines_so_markdown_never_sees_the_text():
    ans = answer(text="line one\n\nline *two* [1]", citations=[cite(quote="a\n\nb")])
    h = answer_to_html(ans)
    assert "\n" not in h
    assert "*two*" in h  # not turned into emphasis by us


SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def test_corpus_and_question_strings_are_escaped_everywhere():
    evil_doc = f"Intro. {SCRIPT} The count was 7. End."
    s = evil_doc.index(SCRIPT)
    c = cite(doc_id="<b>x</b>.txt", title="<i>T</i>", publisher="P&<Q>", quote=evil_doc[s:s + len(SCRIPT)],
             start=s, end=s + len(SCRIPT), answer_start=-1, answer_end=-1)
    ans = answer(text=f"{SCRIPT} [1]", answer=SCRIPT, citations=[c], question=SCRIPT, rewritten=SCRIPT,
                 notice="<u>n</u>")
    for h in (answer_to_html(ans, doc_text=lambda d: evil_doc), question_html(SCRIPT),
              document_html(FakeDoc("<b>x</b>.txt", evil_doc, title="<i>T</i>", publisher="P&<Q>"), s, s + 5),
              ingest_results_html([{"file": SCRIPT, "status": "failed", "reason": SCRIPT}], SCRIPT)):
        assert "<script" not in h and "<img" not in h and "<i>" not in h and "<b>" not in h and "<u>" not in h
        assert "&lt;script&gt;" in h or "&lt;b&gt;" in h
    # and the text is still all there for the reader
    assert SCRIPT in visible_text(question_html(SCRIPT))


def test_document_html_renders_script_as_text_with_anchor_on_sentence():
    evil = f"First line.\n{SCRIPT}\nThe count was 7 on Friday. Last line."
    s = evil.index("The count")
    e = evil.index("Last") - 1
    h = document_html(FakeDoc("d.txt", evil, title="T", publisher="P", date="--10-28"), s, e, s + 14, s + 15)
    assert "<script" not in h and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in h
    assert h.count('id="cited-sentence"') == 1
    tail = h[h.index('id="cited-sentence">') + len('id="cited-sentence">'):]
    assert visible_text(tail).startswith(evil[s:e]) and "on Friday.</mark> Last line." in tail
    assert '<mark class="ans">7</mark>' in h
    assert visible_text(h).count("First line.") == 1 and "Last line." in visible_text(h)
    assert "October 28, year not stated" in visible_text(h)
    assert "id=" not in document_html(FakeDoc("d.txt", evil))  # no sentence: no anchor


def test_out_of_range_offsets_degrade_to_plain_escaped_text():
    h = document_html(FakeDoc("d.txt", "short <x>"), 50, 80)
    assert "<mark" not in h and "short &lt;x&gt;" in h
    h2 = answer_to_html(answer(citations=[cite(start=10_000, end=10_010)]), doc_text=lambda d: DOC)
    assert SENT in visible_text(h2)


def test_show_date_never_invents_a_year():
    assert show_date("--10-28") == "October 28, year not stated"
    assert show_date("2025-10") == "2025-10"
    assert show_date("") == ""


# -- markdown export ---------------------------------------------------------------------------------
def test_conversation_markdown_has_questions_answers_and_citations():
    a1 = answer()
    a2 = answer(text="The corpus does not say: nothing matches.", answer="", abstained=True,
                question="What about <b>Mars</b>?")
    md = conversation_to_markdown([("How many arrivals were counted in March?", a1.to_dict()),
                                   ("What about <b>Mars</b>?", a2)])
    assert md.startswith("# Conversation\n")
    assert "## 1. How many arrivals were counted in March?" in md
    assert "**Answer:** 1,234 arrivals" in md
    assert "1. Arrivals rise · Daily Record · 2025-04-02 · a.txt" in md
    assert "> The agency counted 1,234 arrivals in March, it said." in md
    assert "**The corpus does not say: nothing matches.**" in md
    assert "<b>" not in md and "&lt;b>Mars&lt;/b>" in md  # a tag is never live in the file


def test_markdown_export_keeps_text_as_written_and_shows_every_conflicting_value():
    """Issue #17, item 9: a conflict exported as one figure, and ``\\(``/``\\_`` everywhere."""
    a = answer(text="Sources differ: 1,234 (Daily Record, 2025-04-02) [1]; 1,300 (Other Post) [2].",
               answer="1,234", citations=[cite(), cite(2, doc_id="b_2.txt", publisher="Other Post",
                                                         title="Count (revised) for snake_case_town")],
               conflicts=[Conflict("1,234", 1, "a.txt", "Daily Record", "2025-04-02"),
                          Conflict("1,300", 2, "b_2.txt", "Other Post", "")])
    b = answer(text="It was 5 *really* [1] — “see _this_ [link](http://x) and `code`”", answer="5")
    md = conversation_to_markdown([("How many (roughly)?", a), ("And *then*?", b)])
    assert "**Sources differ:**" in md and "**Answer:** 1,234" not in md
    assert "- 1,234 (Daily Record, 2025-04-02) [1]" in md and "- 1,300 (Other Post) [2]" in md
    assert "Count (revised) for snake_case_town" in md and "b_2.txt" in md  # no \( and no \_ inside words
    assert "## 2. And \\*then\\*?" in md
    assert "\\*really\\*" in md and "\\_this\\_" in md and "\\](http" in md and "\\`code\\`" in md
    assert "\\(" not in md and "\\[" not in md


def test_markdown_block_text_cannot_start_a_list_or_heading():
    for text, want in (("# big", "\\# big"), ("2021. It began [1]", "2021\\. It began [1]"),
                       ("- a", "\\- a"), ("> q", "\\> q")):
        md = conversation_to_markdown([("q", answer(text=text, answer="x"))])
        assert "\n" + want + "\n" in md, md


def test_chat_side_panel_and_errors_never_show_server_paths(tmp_path):
    """Issue #17, item 7: the index's path was shown to every chat user."""
    idx = tmp_path / "srv" / "index"
    h = stats_html({"documents": 5, "chunks": 17, "last_ingest": 0, "where": str(idx)})
    assert str(idx) not in h and "5</b> documents" in h
    from assistant.errors import IndexLocked

    exc = IndexLocked(f"another ingest (pid 7) is writing to {idx}",
                      fix=f"rebuild it: `assistant ingest --rebuild --index-dir {idx}`; logs in /var/log/x.log")
    shown = error_html(exc, [(idx, "the index")])
    assert str(tmp_path) not in shown and "/var/log" not in shown
    assert "writing to the index" in shown and HIDDEN_PATH in shown
    # URLs, fractions and "and/or" are not paths
    kept = "see http://127.0.0.1:8000/api and/or 3/4 of it"
    assert scrub_paths(kept) == kept
    assert scrub_paths(r"at C:\Users\me\index now") == f"at {HIDDEN_PATH} now"


def test_ingest_results_fit_their_panel():
    """Issue #17, item 5: a fixed-layout table in a scrolling wrapper, the id only when it differs."""
    h = ingest_results_html([{"file": "a-very-long-file-name-" * 4 + ".txt", "status": "added", "chunks": 1,
                              "doc_id": "a-very-long-file-name-" * 4 + ".txt"},
                             {"file": "x.jsonl", "status": "added", "chunks": 2, "doc_id": "line-7"}], "2 added")
    assert '<div class="table-wrap"><table>' in h and h.count("<th>") == 4
    assert h.count("→") == 1 and "line-7" in h


def test_answer_round_trips_through_dict():
    a = answer(conflicts=[Conflict("1", 1, "a.txt", "P", "2025")])
    b = answer_from_dict(a.to_dict())
    assert b == a


# -- uploads ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("../evil.txt", "evil.txt"),
    ("../../etc/cron.d/x.md", "x.md"),
    ("/etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.html", "evil.html"),
    ("a/../../b.jsonl", "b.jsonl"),
    (".hidden.txt", "hidden.txt"),
    ("bad\x00na\nme.TXT", "bad_na_me.txt"),
    ("report: <final>.md", "report_ _final_.md"),
])
def test_safe_name_strips_paths_and_control_characters(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["..", "../", "/", "evil.exe", "noext", "../.txt/", "x.txt/.."])
def test_safe_name_rejects_unusable_names(name):
    with pytest.raises(IngestError):
        safe_name(name)


def test_stage_uploads_confines_names_limits_size_and_count(tmp_path: Path):
    up = tmp_path / "uploads"
    src = tmp_path / "incoming"
    src.mkdir()
    good = src / "g.txt"
    good.write_text("An article.\n")
    big = src / "big.txt"
    big.write_bytes(b"x" * 2048)
    empty = src / "empty.txt"
    empty.write_bytes(b"")
    staged = stage_uploads([("../evil.txt", good), (str(tmp_path / "abs.txt"), good), ("big.txt", big),
                            ("empty.txt", empty), ("bad.exe", good)], up, max_bytes=1024)
    assert [p.name for p in staged.paths] == ["evil.txt", "abs.txt"]
    assert all(p.parent == up.resolve() for p in staged.paths)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "abs.txt").exists()
    reasons = dict(staged.rejected)
    assert "limited to" in reasons["big.txt"] and "empty" in reasons["empty.txt"]
    assert "not a supported file type" in reasons["bad.exe"]
    # a different file under a taken name gets a new name; the same bytes reuse it
    other = src / "o.txt"
    other.write_text("Another article.\n")
    again = stage_uploads([("evil.txt", other), ("evil.txt", good)], up)
    assert [p.name for p in again.paths] == ["evil-2.txt", "evil.txt"]
    with pytest.raises(IngestError, match="limit is 2"):
        stage_uploads([("a.txt", good)] * 3, up, max_files=2)
    assert confined_path(up, "../../x.txt") == up.resolve() / "x.txt"


def test_confidence_reads_in_words_only_when_calibrated():
    from assistant.interfaces.render import confidence_words

    a = Answer(text="x [1]", answer="x", kind="other", abstained=False, confidence=0.78, calibrated=True)
    assert confidence_words(a) == "likely right (78%)"
    assert "Confidence: likely right (78%)" in answer_to_text(a)
    assert "Confidence: likely right (78%)" in visible_text(answer_to_html(a))
    rule = Answer(text="x [1]", answer="x", kind="summary", abstained=False, confidence=0.78)
    assert confidence_words(rule) == "" and "Confidence" not in answer_to_text(rule)


# -- issue 27: the export keeps what the chat showed; sources read by OCR say so -------------------
def test_export_keeps_the_confidence_line_and_notices_the_chat_showed():
    a = answer(confidence=0.52, calibrated=True, notice="Filtered to publisher Daily Record.")
    chat = visible_text(answer_to_html(a))
    assert "Confidence: uncertain (52%)" in chat
    md = conversation_to_markdown([("How many arrivals were counted in March?", a.to_dict())])
    assert "*Confidence:* uncertain (52%)" in md
    assert "*Note:* Filtered to publisher Daily Record." in md


def test_a_source_read_by_ocr_is_named_in_the_reply_the_card_the_terminal_and_the_export():
    def scanned(doc_id: str) -> str:
        return "ocr:tesseract 5.3.0, page 1 of 1" if doc_id == "a.txt" else ""

    a = answer(citations=[cite(1), cite(2, doc_id="b.txt")], text=f"1,234 arrivals [1][2] — “{SENT}”")
    html_out = answer_to_html(a, scanned=scanned)
    assert "Source [1] was read by OCR from a scanned page" in visible_text(html_out)
    assert html_out.count('class="ocr-badge"') == 1  # only the scanned source's card
    assert "note: Source [1] was read by OCR" in answer_to_text(a, scanned=scanned)
    assert "Source [1] was read by OCR" in conversation_to_markdown([("q", a)], scanned=scanned)
    assert "OCR" not in visible_text(answer_to_html(a))  # nothing said when nothing was scanned

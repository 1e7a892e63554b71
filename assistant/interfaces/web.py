"""The parts of the chat page that are not Gradio: its stylesheet, its page scripts, and
the messages it shows (no server paths, no tracebacks).

``app.py`` lays the page out with Gradio and passes these strings in; keeping them here
keeps ``app.py`` to layout and handlers, and lets the path scrubbing be tested alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from pathlib import Path

from assistant.errors import AssistantError

__all__ = ["CSS", "PAGE_JS", "SHOW_SOURCE_JS", "error_html", "pending_html", "scrub_paths", "status_html"]

CSS = """
.question { white-space: pre-wrap; }
.answer .reply { font-size: 1.05em; margin-bottom: .4em; }
.answer mark.sent { background: #fff3b0; color: inherit; padding: 0 .1em; }
.answer mark.ans, .doc-view mark.ans { background: #ffd166; font-weight: 600; color: inherit; }
.abstain-head { border-left: 4px solid #c0392b; padding: .3em .6em; background: #fdecea; color: #7b241c;
  font-weight: 600; }
.answer.abstained .sources { opacity: .85; }
.answer.pending { color: #57606a; font-style: italic; }
.conflict-head { font-weight: 600; margin-bottom: .3em; }
.conflicts { display: flex; flex-wrap: wrap; gap: .6em; }
.conflict { flex: 1 1 14em; border: 1px solid #d0d7de; border-radius: 6px; padding: .4em .6em; }
.conflict-value { font-weight: 700; font-size: 1.1em; }
.conflict-src { color: #57606a; font-size: .9em; }
details.sources-box { margin-top: .5em; }
.sources-head { font-weight: 600; font-size: .9em; color: #57606a; cursor: pointer; }
.source { border-top: 1px solid #e5e7eb; padding: .3em 0; font-size: .92em; }
.source-head { color: #57606a; }
.passage { margin-top: .15em; }
a.src-link { cursor: pointer; text-decoration: none; }
a.src-link.marker { font-weight: 600; }
.notice, .rewritten, .confidence { font-size: .9em; color: #57606a; }
.error-msg { border-left: 4px solid #b35900; padding: .3em .6em; background: #fff4e5; }
#status:not(:has(.status)) { display: none; }
#status .status { font-size: .9em; color: #57606a; padding: .2em .1em; }
.doc-view { max-height: 560px; overflow-y: auto; }
.doc-title { font-weight: 700; font-size: 1.1em; }
.doc-meta { color: #57606a; font-size: .9em; margin-bottom: .5em; }
.doc-text { white-space: pre-wrap; line-height: 1.5; }
.doc-view mark.sent { background: #fff3b0; color: inherit; scroll-margin: 120px; }
.back-to-chat { display: none; font-size: .9em; }
#upload-hint { font-size: .9em; color: #57606a; }
.ingest-results .table-wrap { max-width: 100%; overflow-x: auto; }
.ingest-results table { font-size: .85em; width: 100%; table-layout: fixed; border-collapse: collapse; }
.ingest-results th:nth-child(2), .ingest-results td:nth-child(2) { width: 5.5em; }
.ingest-results th:nth-child(3), .ingest-results td:nth-child(3) { width: 5em; }
.ingest-results th { white-space: nowrap; }
.ingest-results td, .ingest-results th { overflow-wrap: anywhere; padding: .2em .35em; }
.ingest-results .doc-id { color: #57606a; }
.ingest-results .st-failed, .ingest-results .st-rejected { color: #b00020; }
.ingest-summary { font-size: .85em; color: #57606a; margin-top: .3em; }
#src-key, #doc-action { display: none !important; }
.ocr-note { font-size: .9em; color: #7a4b00; }
.ocr-badge { font-size: .8em; border: 1px solid #d4a72c; color: #7a4b00; border-radius: 4px; padding: 0 .3em; }
.answer.draft .reply { color: #3b4148; }
.docs-table .table-wrap { max-width: 100%; overflow-x: auto; }
.docs-table table { font-size: .85em; width: 100%; table-layout: fixed; border-collapse: collapse; }
.docs-table th, .docs-table td { overflow-wrap: anywhere; padding: .25em .35em; vertical-align: top;
  border-top: 1px solid #e5e7eb; text-align: left; }
.docs-table th:nth-child(2), .docs-table td:nth-child(2) { width: 22%; }
.docs-table th:nth-child(3), .docs-table td:nth-child(3) { width: 20%; }
.docs-table th.acts, .docs-table td.acts { width: 5.2em; }
.docs-table .doc-meta { color: #57606a; font-size: .9em; }
.docs-table a.doc-act { text-decoration: none; }
.docs-table a.act-delete { color: #b00020; }
.docs-count { font-size: .85em; color: #57606a; margin-bottom: .3em; }
#docs-result .status.error { color: #b00020; }
#conv-list label { width: 100%; }

@media (max-width: 768px) {
  .back-to-chat { display: inline-block; margin-bottom: .4em; }
  .doc-view { max-height: 70vh; }
}
"""

# Runs once when the page loads.
# 1. A click on a [n] marker or a source title (rendered inside chat messages, where
#    Gradio strips event attributes) is caught here and forwarded to the hidden
#    ``src-key`` textbox, whose input event opens the document viewer.
# 2. The document viewer keeps its cited sentence in view: whenever it shows a new
#    article or sentence (an answer opened it, perhaps while its tab was hidden), it is
#    scrolled to the sentence once it can be seen. A poll, since the viewer may be
#    re-rendered or revealed at any time; it costs nothing when nothing changed.
# 3. The chat follows the newest turn by its *question*: while an answer arrives, the
#    question is kept at the top of the chat box, so the verdict under it is in view
#    however long the passages below are, and even if the reader had scrolled up.
#    Once the answer is complete the reader scrolls freely.
#: Narrowest window (CSS pixels) that shows the conversations sidebar open beside the chat:
#: at 1024 px the chat keeps about 440 px beside a 280 px sidebar and the side panel.
SIDEBAR_MIN_WIDTH = 1024

PAGE_JS = """
() => {
  const SIDEBAR_MIN_WIDTH = @SIDEBAR_MIN_WIDTH@;
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.src-link, a.doc-act');
    if (!a) return;
    ev.preventDefault();
    const id = a.matches('.doc-act') ? '#doc-action' : '#src-key';
    const box = document.querySelector(id + ' textarea, ' + id + ' input');
    if (!box) return;
    box.value = (a.getAttribute('href') || '') + ' ' + Date.now();
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }, true);
  let followed = null, settled = false;
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowY;
      if ((s === 'auto' || s === 'scroll') && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const follow = () => {
    const chat = document.getElementById('chat');
    if (!chat) return;
    const qs = chat.querySelectorAll('.question');
    const q = qs[qs.length - 1];
    if (!q) { followed = null; return; }
    if (q !== followed) { followed = q; settled = false; }
    if (settled) return;
    const box = scroller(q);
    if (box) {
      const top = q.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop = Math.max(0, box.scrollTop + top - 8);
    }
    const answers = chat.querySelectorAll('.answer, .error-msg');
    const last = answers[answers.length - 1];
    if (last && !last.matches('.pending, .streaming')
        && q.compareDocumentPosition(last) & Node.DOCUMENT_POSITION_FOLLOWING) settled = true;
  };
  const watch = () => {
    const chat = document.getElementById('chat');
    if (!chat) { setTimeout(watch, 200); return; }
    new MutationObserver(() => requestAnimationFrame(follow))
      .observe(chat, { childList: true, subtree: true, characterData: true });
  };
  watch();
  // 4. The conversations sidebar starts closed (a phone shows the chat first); a wide screen
  //    has room for it beside the chat, so it is opened there once.
  const openSidebar = (tries) => {
    const bar = document.getElementById('conversations');
    if (!bar) { if (tries > 0) setTimeout(() => openSidebar(tries - 1), 200); return; }
    if (window.innerWidth >= SIDEBAR_MIN_WIDTH && !bar.classList.contains('open')) {
      const t = bar.querySelector('.toggle-button'); if (t) t.click();
    }
  };
  openSidebar(50);
  let centred = null;
  setInterval(() => {
    const m = document.getElementById('cited-sentence');
    const box = m && m.closest('.doc-view');
    if (!box || box.clientHeight === 0) return;
    const title = box.querySelector('.doc-title');
    const key = (title ? title.textContent : '') + '|' + m.textContent;
    if (key === centred) return;
    centred = key;
    box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
  }, 300);
}
""".replace("@SIDEBAR_MIN_WIDTH@", str(SIDEBAR_MIN_WIDTH))


#: After a source is opened: on a narrow screen the viewer sits far below the chat, so the
#: page scrolls to it (once); then the viewer scrolls to the cited sentence. The viewer may
#: still be rendering or switching tabs: try again as it settles.
SHOW_SOURCE_JS = """
() => { let paged = false; const go = () => {
  const m = document.getElementById('cited-sentence'); if (!m) return;
  const box = m.closest('.doc-view'); if (!box) return;
  if (!paged) {
    paged = true;
    const tabs = document.getElementById('side-tabs') || box;
    const r = tabs.getBoundingClientRect();
    if (r.top > window.innerHeight * 0.5 || r.bottom < 0) tabs.scrollIntoView({ block: 'start' });
  }
  box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
};
  for (const t of [150, 500, 1200, 2500]) setTimeout(go, t); }
"""


#: An absolute path (POSIX or Windows drive) standing alone: not the path part of a URL
#: ("http://host/x"), not a fraction ("3/4") and not "and/or".
_ABS_PATH = re.compile(r"(?<![\w:/.~-])(?:/[^\s/'\"`()<>,;]+)+/?|\b[A-Za-z]:\\[^\s'\"`]+")
HIDDEN_PATH = "(a path on the server)"


def scrub_paths(text: str, known: Iterable[tuple[str | Path, str]] = ()) -> str:
    """``text`` without file-system paths: each ``(path, name)`` in ``known`` is replaced by
    its name (as given and resolved), and any other absolute path by a placeholder."""
    subs: dict[str, str] = {}
    for path, name in known:
        for form in {str(path), str(Path(path).resolve())}:
            if "/" in form or "\\" in form:  # a bare relative name ("index") reveals nothing
                subs[form] = name
    for form in sorted(subs, key=len, reverse=True):
        text = text.replace(form, subs[form])
    return _ABS_PATH.sub(HIDDEN_PATH, text)


def error_html(exc: AssistantError | str, known: Iterable[tuple[str | Path, str]] = ()) -> str:
    """An error for the chat: the message and its fix, with no server paths."""
    known = list(known)
    if isinstance(exc, AssistantError):
        msg, fix = exc.message, exc.fix
    else:
        msg, fix = exc, ""
    fix_html = f"<div>fix: {escape(scrub_paths(fix, known))}</div>" if fix else ""
    return f'<div class="error-msg">{escape(scrub_paths(msg, known))}{fix_html}</div>'


def pending_html(text: str = "…") -> str:
    """The bubble that stands in for an answer while it is being worked out."""
    return f'<div class="answer pending">{escape(text)}</div>'


def status_html(text: str, kind: str = "") -> str:
    """The one-line status under the question box (empty: nothing shown)."""
    return f'<div class="status {escape(kind)}">{escape(text)}</div>' if text else ""

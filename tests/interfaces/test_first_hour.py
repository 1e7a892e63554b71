"""A new user's first hour in the chat (issue #17), in a real Chromium at 1366 and 390 px.

Each test checks one thing the first try found wrong, at both widths, and saves a
screenshot (``ASSISTANT_SCREENSHOT_DIR``, else pytest's temporary directory):

1. the models load at start and the page says so until they are ready;
2. the Document tab follows the newest answer (never the article of an earlier one);
3. the verdict leads, an abstention's passages are folded, and a new answer is in view
   even after the reader scrolled the chat up;
4. tapping [1] brings the cited sentence into view (on a phone the viewer is far below);
5. one progress bar while uploading, on the results; a table that fits; the upload hint clear
   of the icon;
6. an untitled article is titled from its lead, and its id shown once;
7. no server path anywhere on the page, errors included;
8. an empty question adds no bubble and says what to do;
9. the Markdown export lists every conflicting figure and keeps the text as written.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import free_port, wait_for_port

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WIDTHS = {"1366": (1366, 900), "390": (390, 844)}
FINAL = "#chat .answer .sources, #chat .answer.abstained, #chat .error-msg"
HARBOUR = ("Harbour board reports record ferry season\n\nPORTVILLE, March 3, 2025 (Coastal Wire) - The harbour "
           "board said on Monday that 48,215 ferry passengers crossed the bay in 2024. \"It was our busiest year,\" "
           "said board chair Mira Testova.\n")
UNION = ("Ferry union disputes passenger count\n\nPORTVILLE, March 9, 2025 (Bay Herald) - The ferry workers' "
         "union said on Sunday that 51,300 ferry passengers crossed the bay in 2024, more than the board had "
         "counted.\n")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("ASSISTANT_SCREENSHOT_DIR") or tmp_path_factory.mktemp("first-hour"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def served(chromium, seed_index, minilm_embedder, tmp_path_factory):
    """(url, assistant, base dir) of the chat over a private copy of the seed index."""
    import app
    from assistant.api import Assistant

    base = tmp_path_factory.mktemp("first-hour-app")
    shutil.copytree(seed_index, base / "index")
    asst = Assistant.open(index_dir=base / "index", embedder=minilm_embedder)
    demo = app.build_app(asst, upload_dir=base / "uploads", stream_delay=0)
    assert demo.warmup.ready.wait(120)
    port = free_port()
    app.launch(demo, port=port, block=False)
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}/", asst, base
    finally:
        demo.close()
        asst.close()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield b
        finally:
            b.close()


def _open(browser, url: str, width: str):
    w, h = WIDTHS[width]
    pg = browser.new_page(viewport={"width": w, "height": h}, accept_downloads=True)
    pg.width_name = width  # type: ignore[attr-defined]
    pg.goto(url)
    pg.wait_for_selector("#question textarea", timeout=60_000)
    return pg


@pytest.fixture(scope="module", params=list(WIDTHS))
def page(request, browser, served):
    pg = _open(browser, served[0], request.param)
    try:
        yield pg
    finally:
        pg.close()


def shot(pg, shots: Path, name: str, at: str = "") -> Path:
    """Save the window; ``at`` scrolls that element to the top first (a phone shows one thing at a time)."""
    if at:
        pg.evaluate("(s) => { const e = document.querySelector(s);"
                    " window.scrollBy(0, e.getBoundingClientRect().top - 4); }", at)
        pg.wait_for_timeout(200)
    out = shots / f"after-{pg.width_name}-{name}.png"
    pg.screenshot(path=str(out), type="png")
    return out


def ask(pg, question: str, *, wait: bool = True):
    n = pg.locator(FINAL).count()
    pg.fill("#question textarea", question)
    pg.click("#ask-btn")
    if wait:
        pg.wait_for_function(f"document.querySelectorAll('{FINAL}').length > {n}", timeout=90_000)
        pg.wait_for_timeout(400)  # the page script settles the scroll
    return pg.locator("#chat .answer, #chat .error-msg").last


def in_box(pg, inner: str, outer: str) -> bool:
    """Is the element ``inner`` (a locator's element handle) inside ``outer``'s visible area?"""
    return pg.evaluate("""([a, b]) => { const r = a.getBoundingClientRect(), o = b.getBoundingClientRect();
        return r.height > 0 && r.top >= o.top - 1 && r.bottom <= o.bottom + 1; }""", [inner, outer])


def in_window(pg, el) -> bool:
    return pg.evaluate("""(a) => { const r = a.getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }""", el)


def sentence_in_view(pg) -> None:
    """The viewer has scrolled its cited sentence into its visible part."""
    pg.wait_for_function("""() => { const m = document.querySelector('#doc-viewer #cited-sentence');
        const b = m && m.closest('.doc-view'); if (!b) return false;
        const r = m.getBoundingClientRect(), o = b.getBoundingClientRect();
        return r.height > 0 && r.top >= o.top - 1 && r.top <= o.bottom - 10; }""", timeout=10_000)


def chat_box(pg):
    return pg.locator("#chat [role=log]").first.element_handle()


def show_tab(pg, name: str) -> None:
    pg.locator('button[role="tab"]', has_text=name).click()
    pg.wait_for_timeout(300)


# -- 1 ------------------------------------------------------------------------------------------------
class GatedWarmup:
    """The app's real warm-up, started only when the test opens the gate, so the page can
    be seen while the models are still loading (here they load in under a second)."""

    def __init__(self, asst) -> None:
        import app

        self.gate = threading.Event()
        self.inner = app.Warmup(asst)
        self.ready = self.inner.ready

    def start(self) -> GatedWarmup:
        threading.Thread(target=lambda: (self.gate.wait(120), self.inner._run()), daemon=True).start()
        return self

    def elapsed(self) -> int:
        return self.inner.elapsed()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_1_models_load_at_start_and_the_page_says_so(served, browser, shots, width):
    from playwright.sync_api import expect

    import app

    asst = served[1]
    warm = GatedWarmup(asst).start()
    demo = app.build_app(asst, upload_dir=served[2] / "uploads", stream_delay=0, warmup=warm)
    port = free_port()
    app.launch(demo, port=port, block=False)
    wait_for_port(port)
    try:
        pg = _open(browser, f"http://127.0.0.1:{port}/", width)
        status = pg.locator("#status")
        expect(status).to_contain_text("Loading the language models", timeout=10_000)
        ask(pg, "How many crossings were thwarted in 2025?", wait=False)
        pending = pg.locator("#chat .answer.pending").last
        expect(pending).to_contain_text("Loading the language models", timeout=10_000)
        expect(pending).to_contain_text(" s")  # with the seconds so far: something is happening
        shot(pg, shots, "1-loading")
        warm.gate.set()
        expect(pg.locator("#chat .answer .reply").last).to_contain_text("40,549", timeout=90_000)
        expect(status).to_be_hidden(timeout=10_000)  # ready: the notice goes
        assert warm.ready.is_set()
        shot(pg, shots, "1-ready")
        pg.close()
    finally:
        warm.gate.set()
        demo.close()


# -- 2 ------------------------------------------------------------------------------------------------
def test_2_document_tab_follows_the_newest_answer(page, shots):
    from playwright.sync_api import expect

    ask(page, "How many crossings were thwarted in 2025?")
    show_tab(page, "Document")
    cited = page.locator("#doc-viewer #cited-sentence")
    expect(cited).to_contain_text("40,549")
    ask(page, "How many attempts since the start of 2024 were made via Poland?")
    expect(cited).to_contain_text("28,668")  # the new answer's article, not the first one's
    sentence_in_view(page)
    expect(page.locator("#doc-viewer")).not_to_contain_text("40,549 irregular crossings via Belarus")
    assert "EU diplomats ignore Minsk conference" in page.locator("#source-pick input").first.input_value()
    ask(page, "How many migrants have died on the Belarus-Finland border?")
    expect(page.locator("#doc-viewer")).to_contain_text("was not answered from the corpus")
    expect(cited).to_have_count(0)
    assert page.locator("#source-pick input").first.input_value() == ""
    shot(page, shots, "2-document-follows", at="#side-tabs" if page.width_name == "390" else "")


# -- 3 ------------------------------------------------------------------------------------------------
def test_3_verdict_leads_passages_fold_and_new_answers_come_into_view(page, shots):
    from playwright.sync_api import expect

    reply = ask(page, "How many migrants have died on the Belarus-Finland border?")
    verdict = reply.locator(".abstain-head")
    expect(verdict).to_contain_text("The corpus does not say")
    box = chat_box(page)
    assert in_box(page, verdict.element_handle(), box), "the verdict scrolled out of the chat box"
    expect(reply.locator("details.sources-box summary")).to_contain_text("Closest passages (3)")
    expect(reply.locator(".source").first).to_be_hidden()  # folded
    reply.locator("details.sources-box summary").click()
    expect(reply.locator(".source").first).to_be_visible()  # one click away
    # the reader scrolls up to an earlier answer, then asks again
    page.evaluate("(b) => { b.scrollTop = 0; }", box)
    page.wait_for_timeout(300)
    reply = ask(page, "When did the migration crisis on the Belarus-EU border begin?")
    question = page.locator("#chat .question").last
    assert in_box(page, question.element_handle(), box), "the new question is out of view"
    assert in_box(page, reply.locator(".reply").element_handle(), box), "the new answer is out of view"
    expect(reply.locator(".reply")).to_contain_text("2021")
    shot(page, shots, "3-verdict-in-view", at="#chat")


# -- 4 ------------------------------------------------------------------------------------------------
def test_4_tapping_a_marker_brings_the_cited_sentence_into_view(page, shots):
    from playwright.sync_api import expect

    show_tab(page, "Corpus")  # as a new reader would be
    page.evaluate("window.scrollTo(0, 0)")
    reply = ask(page, "How many crossings were thwarted in 2025?")
    reply.locator(".reply a.src-link.marker").first.click()
    cited = page.locator("#doc-viewer #cited-sentence")
    expect(cited).to_contain_text("40,549", timeout=20_000)
    page.wait_for_function("""() => { const m = document.querySelector('#doc-viewer #cited-sentence');
        if (!m) return false; const r = m.getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }""", timeout=15_000)
    shot(page, shots, "4-marker-opens-article")
    back = page.locator("#doc-viewer a.back-to-chat")
    if page.width_name == "390":  # type: ignore[attr-defined]
        expect(back).to_be_visible()  # and the way back up
        back.click()
        page.wait_for_function("() => { const r = document.getElementById('chat').getBoundingClientRect();"
                               " return r.top >= -1 && r.top < window.innerHeight / 2; }", timeout=10_000)
    else:
        expect(back).to_be_hidden()  # side by side: nothing to go back to
        assert page.evaluate("window.scrollY") < 50  # the wide page did not jump


# -- 5 ------------------------------------------------------------------------------------------------
#: The ids of the elements showing a progress display a person can see (each display named by its
#: closest element with an id). An event with ``show_progress="hidden"`` still lays out its
#: display, at opacity 0 (Gradio's ``.hide``): only displays with no transparent or hidden
#: ancestor count.
PROGRESS_DISPLAYS = """() => { const seen = e => { for (let x = e; x; x = x.parentElement) {
        const st = getComputedStyle(x); if (st.opacity === '0' || st.visibility === 'hidden') return false; }
        return e.offsetParent !== null; };
    return Array.from(new Set(Array.from(document.querySelectorAll('.progress-text, .progress-level'))
        .filter(seen).map(e => e.closest('[id]') && e.closest('[id]').id))).sort().join(' '); }"""


def test_5_upload_shows_one_progress_bar_and_a_table_that_fits(page, served, shots, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    # Hold the ingest until the page has been sampled: on a fast machine the upload could
    # otherwise finish between two samples, and the check would see no progress at all.
    asst = served[1]
    entered, release = threading.Event(), threading.Event()
    ingest = asst.ingest

    def held_ingest(*args, **kwargs):
        entered.set()
        release.wait(120)
        return ingest(*args, **kwargs)

    monkeypatch.setattr(asst, "ingest", held_ingest)
    show_tab(page, "Corpus")
    hint, upload = page.locator("#upload-hint"), page.locator("#upload")
    expect(hint).to_contain_text("MB each")
    assert hint.bounding_box()["y"] + hint.bounding_box()["height"] <= upload.bounding_box()["y"] + 1
    (tmp_path / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    (tmp_path / "union-report-with-a-rather-long-file-name-for-the-table.txt").write_text(UNION, encoding="utf-8")
    upload.locator("input[type=file]").set_input_files(sorted(str(p) for p in tmp_path.glob("*.txt")))
    page.wait_for_timeout(500)
    page.click("#ingest-btn")
    seen: set[str] = set()  # the ids of the elements showing progress, at each sample
    results = page.locator("#ingest-results")
    try:
        assert entered.wait(60), "the upload never reached the ingest"
        # while it is held, a progress display must show (waited for, not sampled by luck) ...
        page.wait_for_function(f"({PROGRESS_DISPLAYS})() !== ''", timeout=30_000)
        for _ in range(5):
            seen.add(page.evaluate(PROGRESS_DISPLAYS))
            page.wait_for_timeout(100)
    finally:
        release.set()
    for _ in range(200):  # ... and never more than one, until the results are in
        seen.add(page.evaluate(PROGRESS_DISPLAYS))
        if results.locator("table").count():
            break
        page.wait_for_timeout(150)
    counts = {len(ids.split()) for ids in seen}
    assert 1 in counts and max(counts) <= 1, f"progress displays seen at once: {sorted(seen)}"
    expect(results).to_contain_text("harbour.txt", timeout=120_000)
    expect(results.locator("tr")).to_have_count(3)
    fits = page.evaluate("""() => { const t = document.querySelector('#ingest-results table');
        const p = document.querySelector('#ingest-results'); return t.getBoundingClientRect().right
        <= p.getBoundingClientRect().right + 1 && t.scrollWidth <= t.clientWidth + 1; }""")
    assert fits, "the results table overflows its panel"
    shot(page, shots, "5-upload", at="#upload-hint" if page.width_name == "390" else "")


# -- 6 ------------------------------------------------------------------------------------------------
def test_6_untitled_article_is_titled_from_its_lead(page, shots):
    from playwright.sync_api import expect

    reply = ask(page, "Who presented letters of credence at the ceremony in Minsk?")
    head = reply.locator(".source-head").first
    expect(head).to_contain_text("Belarusian President Alexander Lukashenko rejected claims")
    assert head.inner_text().count("003_e42f40467c54dca3.txt") == 1
    show_tab(page, "Document")  # it was opened while the Corpus tab was showing (test 5)
    expect(page.locator("#doc-viewer .doc-title")).to_contain_text("Belarusian President Alexander Lukashenko")
    sentence_in_view(page)
    shot(page, shots, "6-untitled", at="#chat")


# -- 7 ------------------------------------------------------------------------------------------------
def test_7_no_server_path_on_the_page(page, served, shots):
    from playwright.sync_api import expect

    _, asst, base = served
    show_tab(page, "Corpus")
    expect(page.locator("#corpus-stats")).to_contain_text("documents")
    # an error that names the index (a source that is not there) must not show its path either
    key = json.dumps(["gone.txt", 0, 5, -1, -1])
    page.evaluate("""(v) => { const b = document.querySelector('#src-key textarea, #src-key input');
        b.value = v; b.dispatchEvent(new Event('input', { bubbles: true })); }""",
                  f"#cite={quote(key, safe='')} 1")
    expect(page.locator("#doc-viewer .error-msg")).to_contain_text("no document 'gone.txt'", timeout=15_000)
    text = page.evaluate("document.body.innerText")
    for path in (str(base), str(asst.settings.index_dir), str(asst.settings.cache_dir), "/tmp/"):
        assert path not in text
    shot(page, shots, "7-no-paths")


# -- 8 ------------------------------------------------------------------------------------------------
def test_8_empty_question_adds_no_bubble(page, shots):
    from playwright.sync_api import expect

    n = page.locator("#chat .question").count()
    page.fill("#question textarea", "   ")
    page.click("#ask-btn")
    expect(page.locator("#status")).to_contain_text("Type a question first")
    page.wait_for_timeout(1000)
    assert page.locator("#chat .question").count() == n
    assert page.locator("#chat .question").evaluate_all("qs => qs.filter(q => !q.innerText.trim()).length") == 0
    shot(page, shots, "8-empty-question", at="#question")
    ask(page, "How many crossings were thwarted in 2025?")
    expect(page.locator("#status")).to_be_hidden()  # the hint goes with the next question


# -- 9 ------------------------------------------------------------------------------------------------
def test_9_export_lists_every_conflicting_figure_as_written(page, shots, tmp_path):
    from playwright.sync_api import expect

    reply = ask(page, "How many ferry passengers crossed the bay in 2024?")  # both uploads (test 5)
    expect(reply.locator(".conflict")).to_have_count(2)
    ask(page, "Who presented letters of credence at the ceremony in Minsk?")
    page.click("#export-btn")
    link = page.locator("#export-file a").first
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as dl:
        link.click()
    md_path = tmp_path / "conversation.md"
    dl.value.save_as(str(md_path))
    md = md_path.read_text(encoding="utf-8")
    shutil.copy(md_path, shots / f"after-{page.width_name}-9-export.md")
    turn = md[md.index("How many ferry passengers"):]
    turn = turn[: turn.index("\n## ")]
    assert "**Sources differ:**" in turn and "**Answer:**" not in turn
    assert "- 51,300 ferry passengers (Bay Herald" in turn and "- 48,215 ferry passengers (Coastal Wire" in turn
    assert "\\(" not in md and "\\_" not in md and "\\[" not in md
    assert "000_d3a1bc41f45c605a.txt" in md or "003_e42f40467c54dca3.txt" in md
    assert "003_e42f40467c54dca3.txt · 003_e42f40467c54dca3.txt" not in md
    shot(page, shots, "9-export")


# -- the views (issue 15) -----------------------------------------------------------------------------
def test_timeline_and_quotes_views_open_their_sentences(page, shots):
    from playwright.sync_api import expect

    show_tab(page, "Timeline & quotes")
    page.fill("#view-topic input, #view-topic textarea", "the migration crisis")
    page.click("#timeline-btn")
    items = page.locator("#view-out .view-item")
    expect(items.first).to_be_visible(timeout=60_000)
    assert items.count() >= 2
    when = page.locator("#view-out .view-when").first.inner_text()
    assert when.strip()
    shot(page, shots, "views-timeline", at="#side-tabs")
    sentence = items.first.inner_text().split("“", 1)[1].split("”", 1)[0]
    items.first.locator("a.src-link").click()
    expect(page.locator("#doc-viewer #cited-sentence")).to_contain_text(sentence[:40], timeout=20_000)
    show_tab(page, "Timeline & quotes")
    page.click("#who-btn")
    expect(page.locator("#view-out section.speaker").first).to_be_visible(timeout=60_000)
    page.fill("#view-topic input, #view-topic textarea", "")
    page.click("#who-btn")
    expect(page.locator("#view-out")).to_contain_text("Type a topic first")

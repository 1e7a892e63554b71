"""The chat in a real browser: Playwright driving Chromium (``tests/browsers.py`` finds it; ``make browser`` installs it).

Types a question, waits for the streamed reply, checks the answer, the [1] marker and
the highlighted sentence; opens the cited article by clicking the marker; uploads a
file whose text contains markup and script, asks about it, and checks the markup is
shown as text and nothing ran. Saves a screenshot: to ``docs/screenshot.png`` when
``ASSISTANT_REFRESH_SCREENSHOT=1`` (refreshing the README picture), else to a temporary
folder, so a test run never changes a tracked file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, free_port, wait_for_port

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

README_SCREENSHOT = ROOT / "docs" / "screenshot.png"
EVIL = ('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
        "${window.__pwned = 3}")
UPLOAD = ("Harbour board reports record ferry season\n\nPORTVILLE, March 3, 2025 (Coastal Wire) - "
          f"The harbour board said on Monday that 48,215 ferry passengers crossed the bay in 2024 {EVIL}. "
          "\"It was our busiest year,\" said board chair Mira Testova.\n")


@pytest.fixture(scope="module")
def page_url(chromium, seed_index, minilm_embedder, tmp_path_factory):
    import app
    from assistant.api import Assistant

    base = tmp_path_factory.mktemp("browser")
    shutil.copytree(seed_index, base / "index")
    asst = Assistant.open(index_dir=base / "index", embedder=minilm_embedder)
    demo = app.build_app(asst, upload_dir=base / "uploads")
    port = free_port()
    app.launch(demo, port=port, block=False)
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
        asst.close()


@pytest.fixture(scope="module")
def page(chromium, page_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.goto(page_url)
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.dialogs = dialogs  # type: ignore[attr-defined]
        try:
            yield pg
        finally:
            browser.close()


def ask(pg, question: str):
    n = pg.locator("#chat .answer .sources, #chat .answer.abstained, #chat .error-msg").count()
    pg.fill("#question textarea", question)
    pg.click("#ask-btn")
    final = pg.locator("#chat .answer .sources, #chat .answer.abstained, #chat .error-msg")
    pg.wait_for_function(f"document.querySelectorAll('#chat .answer .sources, #chat .answer.abstained,"
                         f" #chat .error-msg').length > {n}", timeout=90_000)
    return final.last.locator("xpath=ancestor-or-self::div[contains(@class,'answer') or contains(@class,'error-msg')][1]")


def test_question_answer_marker_and_highlight_visible(page, tmp_path: Path):
    reply = ask(page, "How many crossings were thwarted in 2025?")
    from playwright.sync_api import expect

    expect(reply.locator(".reply")).to_contain_text("40,549")
    expect(reply.locator("a.src-link.marker", has_text="[1]").first).to_be_visible()
    sent = reply.locator("mark.sent").first
    expect(sent).to_be_visible()
    expect(sent).to_contain_text("thwarted at least 40,549")
    expect(sent.locator("mark.ans")).to_contain_text("40,549")
    # clicking the marker opens the full article, scrolled to the cited sentence
    reply.locator(".reply a.src-link.marker").first.click()
    cited = page.locator("#doc-viewer #cited-sentence")
    expect(cited).to_be_visible(timeout=20_000)
    expect(cited).to_contain_text("40,549")
    page.wait_for_function(
        "() => { const m = document.querySelector('#doc-viewer #cited-sentence'); if (!m) return false;"
        " const b = m.closest('.doc-view').getBoundingClientRect(); const r = m.getBoundingClientRect();"
        " return r.top >= b.top && r.bottom <= b.bottom + 40; }", timeout=15_000)

    shot = README_SCREENSHOT if os.environ.get("ASSISTANT_REFRESH_SCREENSHOT") else tmp_path / "screenshot.png"
    page.screenshot(path=str(shot), type="png")
    assert 0 < shot.stat().st_size < 300_000


def test_abstention_is_shown_distinctly(page):
    from playwright.sync_api import expect

    reply = ask(page, "What did the mayor of Atlantis say about the harbour?")
    expect(reply.locator(".abstain-head")).to_contain_text("The corpus does not say")


def test_upload_then_ask_and_markup_in_documents_stays_text(page, tmp_path: Path):
    from playwright.sync_api import expect

    f = tmp_path / "harbour.txt"
    f.write_text(UPLOAD, encoding="utf-8")
    bad = tmp_path / "notes.exe.txt"
    bad.write_bytes(b"")
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#upload input[type=file]").set_input_files([str(f), str(bad)])
    page.wait_for_timeout(500)
    page.click("#ingest-btn")
    results = page.locator("#ingest-results")
    expect(results).to_contain_text("added", timeout=120_000)
    expect(results).to_contain_text("harbour.txt")
    expect(results).to_contain_text("empty")  # the bad file is reported, the good one ingested
    expect(page.locator("#corpus-stats")).to_contain_text("6 documents")

    reply = ask(page, "How many ferry passengers crossed the bay in 2024?")
    expect(reply.locator(".reply")).to_contain_text("48,215")
    expect(reply.locator(".source").first).to_contain_text("<script>window.__pwned = 1</script>")
    reply.locator(".source a.src-link.title").first.click()
    cited = page.locator("#doc-viewer #cited-sentence")
    expect(cited).to_contain_text("48,215", timeout=20_000)
    expect(page.locator("#doc-viewer")).to_contain_text(EVIL)  # shown as text, verbatim
    assert page.locator("#doc-viewer script, #chat script, #doc-viewer img, #chat .answer img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"

    # a question with markup is shown as typed and does not run either
    ask(page, "<img src=x onerror=\"window.__pwned = 4\"> how many passengers?")
    expect(page.locator("#chat .question").last).to_contain_text('<img src=x onerror="window.__pwned = 4">')
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []  # type: ignore[attr-defined]

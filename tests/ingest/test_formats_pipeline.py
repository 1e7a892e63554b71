"""A directory mixing every format, through the real ingest (Chroma, spaCy, the hashing
embedder) and the real answerer: each file answers a question with a citation into its own
cleaned text; `assistant stats` shows each document's metadata and where it came from; a
second ingest changes nothing; the chat's upload path takes the new formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from documents import creation, rss, saved_page, write_docx, write_pdf

from assistant.api import Assistant

pytestmark = pytest.mark.slow  # ingest runs the spaCy pipeline on every new document

PDF_PARAGRAPHS = [
    "October 28, Pozirk. The regional parliament approved a budget of 4.2 billion euros on Tuesday "
    "after a twelve-hour debate over hospital spending and transport subsidies.",
    "Opposition members said the government had underestimated inflation and that the hospital "
    "programme would be delayed again.",
    "The finance minister, Alena Kavaliova, told deputies that revenue from the new customs "
    "terminal would cover the shortfall within two years.",
]
DOCX_PARAGRAPHS = [
    "March 3, Valley Courier. Lakeside hospital will add 240 beds by 2027, the regional health board said on Monday.",
    "The expansion includes a new maternity ward and a rooftop helipad.",
    "“We have waited a decade for this,” said Mira Olsen, the hospital's director.",
]
FEED_ITEMS = [
    {"title": "Oakford library extends opening hours", "link": "https://oakford.example/library-hours",
     "guid": "https://oakford.example/library-hours", "pubDate": "Tue, 28 Oct 2025 09:30:00 +0200",
     "author": "Lena Fischer",
     "description": "<p>The Oakford city library will stay open until 22:00 on weekdays from November, "
                    "the council said on Tuesday.</p><p>Longer hours will cost the city 90,000 euros a year.</p>"},
    {"title": "Night buses return to Oakford", "link": "https://oakford.example/night-buses",
     "guid": "oakford-2025-1031", "pubDate": "Fri, 31 Oct 2025 18:00:00 +0000",
     "description": "<p>Night buses will run on seven routes in Oakford from December, the transport "
                    "company announced on Friday.</p>"},
]

#: (question, doc_id it must cite, words the cited sentence holds)
QUESTIONS = [
    ("How much will the Harbor City flood barrier cost?", "barrier.txt", "312 million euros"),
    ("How many turbines will the Ridge wind farm have?", "windfarm.md", "14-turbine"),
    ("How many ferry passengers were rebooked after the storm?", "ferry.html", "1,200 passengers"),
    ("How many goats did the Alpine cheese cooperative buy?", "coop-7", "3,400 goats"),
    ("How big is the regional budget the parliament approved?", "budget.pdf", "4.2 billion euros"),
    ("How many beds will Lakeside hospital add?", "hospital.docx", "240 beds"),
    ("How much will the Oakford library's longer hours cost a year?", "https://oakford.example/library-hours",
     "90,000 euros"),
    ("On how many routes will night buses run in Oakford?", "oakford-2025-1031", "seven routes"),
]


def write_mixed(d: Path) -> Path:
    """One article per format (two in the feed), each with a fact no other file states."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "barrier.txt").write_text(
        "Harbor council approves flood barrier\n\n"
        "The Harbor City council voted 9-2 on Tuesday to fund a 4.2-kilometre flood barrier along the docks.\n"
        "The barrier will cost 312 million euros, of which the regional fund covers 40 percent.\n",
        encoding="utf-8")
    (d / "windfarm.md").write_text(
        "---\ntitle: Wind farm gets green light\ndate: 2024-09-12\n---\n"
        "The regional planning board approved a 14-turbine wind farm on the northern ridge on Wednesday.\n\n"
        "Residents' group Ridge Watch said it would appeal the decision.\n", encoding="utf-8")
    (d / "ferry.html").write_text(saved_page(
        "Ferry service resumes after storm",
        ["The ferry between the islands resumed on Monday, three days after the storm damaged the pier.",
         "The operator said 1,200 passengers had been rebooked onto later sailings."],
        teasers=["Storm damage estimated at 3 million", "Schools reopen on the islands"],
        date_meta="2025-02-03T08:00:00Z", author_meta="Tom Reed", site="Island Herald"), encoding="utf-8")
    (d / "wire.jsonl").write_text(json.dumps({
        "id": "coop-7", "title": "Cheese cooperative expands herd", "date": "2025-05-20", "publisher": "Alpine Wire",
        "text": "The Alpine cheese cooperative bought 3,400 goats this spring to meet demand, its chair said."}) + "\n",
        encoding="utf-8")
    write_pdf(d / "budget.pdf", PDF_PARAGRAPHS, headline="Parliament approves regional budget", columns=2,
              order="rows", metadata={"title": "Regional budget passes", "author": "Jana Novak",
                                      "creation_date": creation(2025, 10, 28)})
    write_docx(d / "hospital.docx", DOCX_PARAGRAPHS, headline="Lakeside hospital to add 240 beds",
               core={"author": "Ana Ruiz"})
    (d / "oakford.rss").write_text(rss("Oakford Gazette", FEED_ITEMS), encoding="utf-8")
    return d


@pytest.fixture
def mixed_index(tmp_path, hashing_embedder):
    corpus = write_mixed(tmp_path / "corpus")
    asst = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    report = asst.ingest([corpus])
    yield asst, report, corpus
    asst.close()


def test_every_format_answers_with_a_citation_into_its_cleaned_text(mixed_index):
    asst, report, _ = mixed_index
    assert report.count("failed") == 0, [(r.source, r.reason) for r in report.failures]
    assert report.count("added") == 8
    for question, doc_id, words in QUESTIONS:
        ans = asst.ask(question)
        assert not ans.abstained, question
        cited = [c for c in ans.citations if c.doc_id == doc_id]
        assert cited, (question, [c.doc_id for c in ans.citations])
        c = cited[0]
        text = asst.document(doc_id).text
        assert text[c.start:c.end] == c.quote, question  # the offsets point at the quoted sentence
        assert words in c.quote, (question, c.quote)


def test_stats_show_metadata_and_where_it_came_from(mixed_index):
    asst, _, _ = mixed_index
    docs = {d["doc_id"]: d for d in asst.stats()["docs"]}
    pdf = docs["budget.pdf"]
    assert (pdf["fmt"], pdf["title"], pdf["author"], pdf["date"], pdf["publisher"]) == (
        "pdf", "Regional budget passes", "Jana Novak", "2025-10-28", "Pozirk")
    assert pdf["meta_origin"] == {"title": "pdf:Title", "author": "pdf:Author",
                                  "date": "text:dateline (year from the file date)", "publisher": "text:dateline"}
    word = docs["hospital.docx"]
    assert word["meta_origin"] == {"title": "docx:title style", "author": "docx:author",
                                   "date": "text:dateline", "publisher": "text:dateline"}
    item = docs["oakford-2025-1031"]
    assert (item["fmt"], item["publisher"], item["date"]) == ("feed", "Oakford Gazette", "2025-10-31")
    assert item["meta_origin"]["publisher"] == "feed:channel title"
    assert docs["barrier.txt"]["meta_origin"] == {"title": "text:headline"}
    assert docs["coop-7"]["meta_origin"]["publisher"] == "jsonl:publisher"
    assert docs["windfarm.md"]["meta_origin"]["date"] == "md:front matter"
    assert docs["ferry.html"]["meta_origin"]["publisher"] == "html:og:site_name"


def test_cli_stats_prints_the_origins(mixed_index, capsys):
    from assistant.interfaces import cli

    asst, _, _ = mixed_index
    code = cli.main(["stats", "--index-dir", str(asst.settings.index_dir), "--origins"])
    out = capsys.readouterr().out
    assert code == 0
    rows = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip()}
    assert "pdf: title author; text: date publisher" in rows["budget.pdf"]
    assert "docx: title author; text: date publisher" in rows["hospital.docx"]
    assert "text: title" in rows["barrier.txt"]
    assert "feed: title date publisher url" in rows["oakford-2025-1031"]
    assert "budget.pdf: title <- pdf:Title, date <- text:dateline (year from the file date), author <- pdf:Author, " \
           "publisher <- text:dateline" in out


def test_reingesting_the_mixed_directory_changes_nothing(mixed_index):
    asst, _, corpus = mixed_index
    before = sorted(cid for cid, _ in asst.store.chunk_rows())
    again = asst.ingest([corpus])
    assert again.count("unchanged") == 8 and again.chunks_written == 0
    assert sorted(cid for cid, _ in asst.store.chunk_rows()) == before


def test_the_chat_upload_path_takes_the_new_formats(tmp_path, hashing_embedder):
    from assistant.ingest.uploads import stage_uploads

    corpus = write_mixed(tmp_path / "corpus")
    files = [(p.name, p) for p in sorted(corpus.iterdir())]
    staged = stage_uploads(files, tmp_path / "uploads")
    assert staged.rejected == []
    assert {p.suffix for p in staged.paths} == {".txt", ".md", ".html", ".jsonl", ".pdf", ".docx", ".rss"}
    asst = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    try:
        report = asst.ingest(staged.paths)
        assert report.count("added") == 8 and report.count("failed") == 0
    finally:
        asst.close()

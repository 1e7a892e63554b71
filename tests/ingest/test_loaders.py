"""Loading files, directories and JSONL into Document records, and every bad-input path."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import FIXTURES

from assistant import config
from assistant.ingest.loaders import (
    LoadFailure,
    decode_bytes,
    html_to_text,
    iter_sources,
    markdown_to_text,
    strip_inline_html,
)
from assistant.models import Document


def _split(items):
    docs = [x for x in items if isinstance(x, Document)]
    fails = [x for x in items if isinstance(x, LoadFailure)]
    return docs, fails


def _load(*paths):
    return _split(list(iter_sources(paths)))


# --- directories, ordering, ids -------------------------------------------------------


def test_fixture_directory_loads_in_sorted_order_with_jsonl_failures():
    docs, fails = _load(FIXTURES)
    ids = [d.doc_id for d in docs]
    assert ids == [
        "j-1", "j-2", "batch.jsonl:7",
        "bio_box.txt", "body_first.txt", "comments_form.txt", "notes.md", "page.html", "paywall_teasers.txt",
    ]
    assert {d.fmt for d in docs} == {"jsonl", "txt", "md", "html"}
    # Every bad JSONL line is reported with its line number, the rest of the batch loads.
    where = sorted(f.source.rsplit(":line ", 1)[1] for f in fails)
    assert where == ["3", "4", "5", "6", "9"]
    assert all(f.source.startswith(str(FIXTURES / "batch.jsonl")) for f in fails)


def test_hidden_entries_and_unknown_extensions_are_skipped_in_a_directory(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "a.txt").write_text("hidden dir file")
    (tmp_path / ".draft.txt").write_text("hidden file")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "notes.odt").write_text("odt")
    (tmp_path / "UPPER.TXT").write_text("Upper-case extension still counts.")
    (tmp_path / "a.txt").write_text("An article.")
    docs, fails = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["UPPER.TXT", "a.txt"]
    assert fails == []


def test_explicit_unknown_extension_is_a_failure(tmp_path):
    p = tmp_path / "report.odt"
    p.write_bytes(b"PK\x03\x04")
    docs, fails = _load(p)
    assert docs == []
    assert fails[0].source == str(p)
    assert ".odt" in fails[0].reason
    assert all(s in fails[0].reason for s in (".txt", ".pdf", ".docx", ".rss", ".html"))


def test_recursive_walk_and_duplicate_base_names_are_disambiguated(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "a" / "deep" / "story.txt").write_text("First story.")
    (tmp_path / "b" / "story.txt").write_text("Second story.")
    (tmp_path / "story.txt").write_text("Third story.")
    docs, _ = _load(tmp_path)
    # Sorted walk: a/deep/story.txt, b/story.txt, story.txt; later ones get their relative path.
    assert [d.doc_id for d in docs] == ["story.txt", "b/story.txt", "story.txt#2"]
    assert [d.text for d in docs] == ["First story.", "Second story.", "Third story."]
    # Deterministic: the same input gives the same ids.
    assert [d.doc_id for d in _load(tmp_path)[0]] == [d.doc_id for d in docs]


def test_document_source_is_absolute_failures_keep_the_given_path(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("Text.")
    (tmp_path / "d" / "y.jsonl").write_text('{"id": "j", "text": "Line."}\nnot json\n')
    monkeypatch.chdir(tmp_path)
    docs, fails = _load("d")
    assert [d.source for d in docs] == [str(tmp_path / "d" / "x.txt"), str(tmp_path / "d" / "y.jsonl")]
    assert [f.source for f in fails] == ["d/y.jsonl:line 2"]


def test_single_string_path_is_accepted(tmp_path):
    (tmp_path / "x.txt").write_text("Text.")
    docs = [d for d in iter_sources(str(tmp_path)) if isinstance(d, Document)]
    assert [d.doc_id for d in docs] == ["x.txt"]


def test_raw_hash_is_sha256_of_the_file_bytes_and_newlines_are_normalised(tmp_path):
    data = b"Headline\r\n\r\nBody line one.\r\nBody line two.\r\n"
    p = tmp_path / "crlf.txt"
    p.write_bytes(data)
    (doc,), _ = _load(p)
    assert doc.raw_hash == hashlib.sha256(data).hexdigest()
    assert doc.text == "Headline\n\nBody line one.\nBody line two.\n"
    assert doc.source == str(p) and doc.fmt == "txt"


# --- unreadable input ------------------------------------------------------------------


def test_missing_path_broken_symlink_and_directory_symlink_loop(tmp_path):
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "ok.txt").write_text("Fine.")
    docs, fails = _load(tmp_path / "missing.txt", tmp_path)
    assert [d.doc_id for d in docs] == ["ok.txt"]
    reasons = {Path(f.source).name: f.reason for f in fails}
    assert "no such file" in reasons["missing.txt"]
    assert "broken symbolic link" in reasons["gone.txt"]


def test_permission_denied_is_reported(tmp_path, monkeypatch):
    p = tmp_path / "locked.txt"
    p.write_text("secret")
    q = tmp_path / "open.txt"
    q.write_text("Readable.")
    real = Path.read_bytes

    def deny(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    docs, fails = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["open.txt"]
    assert fails[0].source == str(p) and "permission denied" in fails[0].reason


def test_file_over_the_size_limit_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("x" * 101)
    small = tmp_path / "small.txt"
    small.write_text("x" * 100)
    docs, fails = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["small.txt"]
    assert fails[0].source == str(big) and "limit" in fails[0].reason and "split" in fails[0].reason


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", "  \n".encode("utf-16")])
def test_empty_or_whitespace_file_is_a_failure(tmp_path, content):
    p = tmp_path / "blank.txt"
    p.write_bytes(content)
    docs, fails = _load(p)
    assert docs == [] and "empty" in fails[0].reason


def test_binary_files_are_rejected(tmp_path):
    (tmp_path / "nul.txt").write_bytes(b"\x00\x01\x02\x00" * 200 + b"PK")
    (tmp_path / "ctrl.txt").write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18]) * 40)
    docs, fails = _load(tmp_path)
    assert docs == []
    assert len(fails) == 2 and all("binary" in f.reason for f in fails)


# --- encodings -------------------------------------------------------------------------


def test_cp1252_file_is_loaded_with_a_correct_decode(tmp_path):
    p = tmp_path / "legacy.txt"
    p.write_bytes("The café’s owner said “welcome” — twice.\n".encode("cp1252"))
    (doc,), fails = _load(p)
    assert fails == []
    assert doc.text == "The café’s owner said “welcome” — twice.\n"


def test_latin1_bytes_undefined_in_cp1252_still_decode(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes(b"Die Stra\xdfe in M\xfcnchen ist gesperrt \x81 seit Montag, sagt die Polizei.\n")
    (doc,), _ = _load(p)
    assert doc.text == "Die Straße in München ist gesperrt \x81 seit Montag, sagt die Polizei.\n"


def test_text_saved_after_a_wrong_decode_is_repaired(tmp_path):
    # UTF-8 read as cp1252 once ("GuantÃ¡namo") or twice ("SarukhÃÂ¡n") before it was saved.
    once = "Detainees left Guantánamo, said Arturo Sarukhán.".encode().decode("cp1252")
    twice = "Miguel Basáñez spoke.".encode().decode("cp1252").encode().decode("cp1252")
    p = tmp_path / "mojibake.txt"
    p.write_text(f"{once}\nŁukašenka and Лукашенко stay as written — “quoted”.\n{twice}\n", encoding="utf-8")
    (doc,), fails = _load(p)
    assert fails == []
    lines = doc.text.splitlines()
    assert lines[0] == "Detainees left Guantánamo, said Arturo Sarukhán."
    assert lines[1] == "Łukašenka and Лукашенко stay as written — “quoted”."
    assert "Basáñez" in lines[2]


def test_jsonl_text_with_mojibake_is_repaired(tmp_path):
    p = tmp_path / "feed.jsonl"
    bad = "The ambassador, Arturo Sarukhán, was replaced.".encode().decode("cp1252")
    p.write_text(json.dumps({"id": "a1", "text": bad}) + "\n", encoding="utf-8")
    (doc,), fails = _load(p)
    assert fails == [] and "Arturo Sarukhán," in doc.text


def test_mixed_encodings_decode_per_byte_run(tmp_path):
    p = tmp_path / "mixed.txt"
    p.write_bytes("UTF-8 café, ".encode() + "cp1252 café “quoted”".encode("cp1252") + b"\n")
    (doc,), _ = _load(p)
    assert doc.text == "UTF-8 café, cp1252 café “quoted”\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8-sig"),
        lambda s: s.encode("utf-16"),
        lambda s: s.encode("utf-16-le"),
        lambda s: s.encode("utf-16-be"),
        lambda s: s.encode("utf-32"),
    ],
)
def test_bom_and_utf16_files(tmp_path, encode):
    text = "Zürich council votes — “yes”\n\nBody text follows here.\n"
    p = tmp_path / "enc.txt"
    p.write_bytes(encode(text))
    (doc,), fails = _load(p)
    assert fails == []
    assert doc.text == text


def test_stray_nul_bytes_are_removed_not_fatal(tmp_path):
    p = tmp_path / "nul.txt"
    p.write_bytes(b"A normal\x00 article line with a stray NUL byte.\n" * 3)
    (doc,), _ = _load(p)
    assert "\x00" not in doc.text and doc.text.startswith("A normal article line")


def test_decode_bytes_reports_the_encoding_used():
    assert decode_bytes(b"plain")[1] == "utf-8"
    assert decode_bytes("caf\u00e9".encode("cp1252"))[1] == "utf-8+cp1252"
    assert decode_bytes("x".encode("utf-16"))[1] == "utf-16"


# --- JSONL -----------------------------------------------------------------------------


def test_jsonl_fields_inline_html_and_hash():
    docs, _ = _load(FIXTURES / "batch.jsonl")
    j1 = docs[0]
    assert j1.doc_id == "j-1" and j1.fmt == "jsonl"
    assert j1.text == "Officials said the new ferry carries 300 passengers & 40 cars."
    assert (j1.title, j1.publisher, j1.date) == ("Ferry launched", "Example Wire", "2022-06-16")
    line = (FIXTURES / "batch.jsonl").read_text().split("\n")[0]
    canonical = json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert j1.raw_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert docs[1].date == "2022-06-17"
    # A line without an id gets "<file>:<line>".
    assert docs[2].doc_id == "batch.jsonl:7"


def test_jsonl_failure_reasons():
    _, fails = _load(FIXTURES / "batch.jsonl")
    by_line = {int(f.source.rsplit(":line ", 1)[1]): f.reason for f in fails}
    assert "not valid JSON" in by_line[3]
    assert "not an object" in by_line[4]
    assert '"text"' in by_line[5] and '"text"' in by_line[9]
    assert "duplicate id 'j-1'" in by_line[6]


def test_jsonl_duplicate_id_across_files_and_non_string_ids(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "x", "text": "One."}) + "\n")
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"id": "x", "text": "Two."}) + "\n"
        + json.dumps({"id": 7, "text": "Numeric id."}) + "\n"
        + json.dumps({"id": ["bad"], "text": "List id."}) + "\n"
        + json.dumps({"id": "y", "text": "<p>  </p>"}) + "\n"
    )
    docs, fails = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["x", "7"]
    reasons = [f.reason for f in fails]
    assert any("duplicate id 'x'" in r for r in reasons)
    assert any("use a string id" in r for r in reasons)
    assert any("only markup" in r for r in reasons)
    assert fails[0].source == f"{tmp_path / 'b.jsonl'}:line 1"


def test_strip_inline_html_keeps_plain_text_exactly():
    plain = "Spacing  stays   as is, AT&T and R&D too."
    assert strip_inline_html(plain) == plain
    assert strip_inline_html("Fish &amp; chips") == "Fish & chips"
    assert strip_inline_html("x < 5 and <strong>bold</strong> y") == "x < 5 and bold y"
    assert strip_inline_html("one<br>two") == "one\ntwo"


# --- HTML and Markdown -----------------------------------------------------------------


def test_html_page_text_and_metadata():
    (doc,), _ = _load(FIXTURES / "page.html")
    assert doc.fmt == "html"
    assert doc.title == "Bridge reopens after repairs"
    assert (doc.date, doc.author, doc.publisher) == ("2024-05-17", "Sam Ruiz", "Valley Courier")
    text = doc.text
    assert "The Elm Street bridge reopened to traffic on Friday after eight months of repairs costing 2.1 million dollars." in text
    assert "“It is safer than the day it opened,” city engineer Priya Nand said. Tolls & fees stay unchanged." in text
    assert "- Speed limit: 40 km/h\n- Weight limit: 12 tonnes" in text
    for junk in ("tracking", "color: red", "Home", "Enable JavaScript", "template content", "svg label",
                 "Subscribe", "Unrelated sidebar", "Copyright"):
        assert junk not in text
    # Paragraphs are separated by a blank line.
    assert "dollars.\n\n“It is" in text


def test_html_title_fallbacks_and_time_element():
    _, info = html_to_text("<html><head><title>Storm hits coast | The Daily Example</title></head>"
                           "<body><p>Body <time datetime='2023-10-13T09:00'>Friday</time></p></body></html>")
    assert info["title"] == "Storm hits coast"
    assert info["date"] == "2023-10-13"
    _, info = html_to_text("<meta property='og:title' content='From og'><p>x</p>")
    assert info["title"] == "From og"


def test_html_breaks():
    text, _ = html_to_text("<p>a<br>b<br><br>c</p><div>d</div><div><div>e</div></div>")
    assert text == "a\nb\n\nc\n\nd\ne"


def test_markdown_is_stripped_lightly():
    (doc,), _ = _load(FIXTURES / "notes.md")
    assert doc.title == "Wind farm gets green light"
    assert doc.text.splitlines() == [
        "Wind farm gets green light",
        "",
        "The regional planning board approved a 14-turbine wind farm on the northern ridge on Wednesday.",
        "",
        "Objections",
        "",
        "Residents' group Ridge Watch said it would appeal the decision.",
        "See the planning file for details.",
    ]


def test_markdown_front_matter_and_snake_case():
    text, info = markdown_to_text("---\ntitle: \"Front title\"\ndate: 2021-03-04\nauthor: Kim Lee\n---\nUse my_var_name and *x*.\n")
    assert info == {"title": "Front title", "date": "2021-03-04", "author": "Kim Lee"}
    assert text == "Use my_var_name and x."


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_failures_do_not_stop_the_batch(tmp_path):
    (tmp_path / "a_empty.txt").write_bytes(b"")
    (tmp_path / "b_ok.txt").write_text("Still loaded.")
    (tmp_path / "c_bin.txt").write_bytes(b"\x00" * 100)
    items = list(iter_sources([tmp_path]))
    assert [type(x).__name__ for x in items] == ["LoadFailure", "Document", "LoadFailure"]


# --- the registry -----------------------------------------------------------------------


def test_every_format_is_one_registered_loader():
    from assistant.ingest.loaders import REGISTRY, register
    from assistant.ingest.uploads import ALLOWED_SUFFIXES

    assert {s: loader.fmt for s, loader in REGISTRY.items()} == {
        ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
        ".jsonl": "jsonl", ".pdf": "pdf", ".docx": "docx", ".rss": "feed", ".atom": "feed", ".xml": "feed",
    }
    assert all(callable(getattr(loader, "load", None)) for loader in REGISTRY.values())
    # The chat's upload accepts exactly what the loaders read.
    assert set(ALLOWED_SUFFIXES) == set(REGISTRY)
    with pytest.raises(ValueError, match="already served by"):
        register(".pdf")(type("Again", (), {"fmt": "x"}))

"""The real chat app on a free loopback port, driven through ``gradio_client`` and raw HTTP.

One in-process server over a copy of the seed index (real MiniLM embedder) serves
the API, concurrency and upload tests; a second page over the same ``Assistant``
adds ``--auth``. The last test runs ``assistant serve`` as a user would, on an
empty index directory, which it must build from the seeds folder first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port, stop, wait_for_port

pytestmark = [pytest.mark.server, pytest.mark.slow]

EVAL = ROOT / "eval" / "seeds.jsonl"


def _questions(n: int) -> list[str]:
    """``n`` single-turn, answerable questions from the project's seed eval set, distinct answers."""
    out, answers = [], set()
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d.get("history") or d["type"] == "unanswerable" or not d["answers"] or d["answers"][0] in answers:
            continue
        answers.add(d["answers"][0])
        out.append(d["question"])
    return out[:n]


@pytest.fixture(scope="module")
def served(seed_index, minilm_embedder, tmp_path_factory):
    """(url, assistant, upload_dir) of the app over a private copy of the seed index."""
    import app
    from assistant.api import Assistant

    base = tmp_path_factory.mktemp("app")
    index = base / "index"
    shutil.copytree(seed_index, index)
    asst = Assistant.open(index_dir=index, embedder=minilm_embedder)
    demo = app.build_app(asst, upload_dir=base / "uploads", stream_delay=0)
    port = free_port()
    app.launch(demo, port=port, block=False)
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}/", asst, base / "uploads"
    finally:
        demo.close()
        asst.close()


def _client(url: str, **kw):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, **kw)


def test_ask_endpoint_returns_answer_with_citations(served):
    url, _, _ = served
    r = _client(url).predict("How many crossings were thwarted in 2025?", "", "", api_name="/ask")
    assert not r["abstained"]
    assert "40,549" in r["answer"] and "[1]" in r["text"]
    c = r["citations"][0]
    assert "40,549" in c["quote"] and c["doc_id"].endswith(".txt") and c["start"] < c["end"]
    assert c["start"] <= c["answer_start"] < c["answer_end"] <= c["end"]


def test_ask_endpoint_history_filters_and_errors(served):
    url, asst, _ = served
    client = _client(url)
    q1 = "When did the migration crisis on the Belarus-EU border begin?"
    follow = client.predict("And when did it escalate?", json.dumps([q1]), "", api_name="/ask")
    assert follow["rewritten"] and follow["rewritten"] != "And when did it escalate?"
    # a filter that leaves out the article holding the answer cites only the others ...
    doc_ids = [d["doc_id"] for d in asst.stats()["docs"]]
    ans = client.predict("How many crossings were thwarted in 2025?", "",
                         json.dumps({"doc_id": [d for d in doc_ids if not d.startswith("000_")]}), api_name="/ask")
    assert ans["citations"], ans["text"]  # (closest passages at least: the check below is not vacuous)
    assert all(not c["doc_id"].startswith("000_") for c in ans["citations"]) and "40,549" not in ans["answer"]
    # the figure appears only as where the answer is, outside the filter
    assert "40,549" not in ans["text"] or "outside the filter" in ans["text"], ans["text"]
    # ... and a filter that excludes every document leaves nothing to cite
    for f in ({"publisher": "No Such Publisher"}, {"date_from": "1900-01-01", "date_to": "1900-12-31"}):
        none = client.predict("How many crossings were thwarted in 2025?", "", json.dumps(f), api_name="/ask")
        assert none["abstained"] and none["citations"] == [] and none["notice"].startswith("Filtered"), f
        assert "nothing in the corpus matches the question under the filter" in none["text"], f
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not valid JSON"):
        client.predict("Anything?", "{not json", "", api_name="/ask")
    with pytest.raises(AppError, match="unknown filter"):
        client.predict("Anything?", "", json.dumps({"colour": "red"}), api_name="/ask")
    # the server is still answering after the errors
    assert client.predict("How many crossings were thwarted in 2025?", "", "", api_name="/ask")["citations"]


def test_timeline_and_who_said_endpoints_give_sentences_with_exact_offsets(served):
    url, asst, _ = served
    client = _client(url)
    events = client.predict("the migration crisis", "", api_name="/timeline")
    assert len(events) >= 2
    for e in events:
        assert asst.document(e["doc_id"]).text[e["start"]:e["end"]] == e["sentence"]
    speakers = client.predict("the migration crisis", "", api_name="/who_said")
    assert speakers and all(sp["statements"] for sp in speakers)
    for sp in speakers:
        for said in sp["statements"]:
            assert asst.document(said["doc_id"]).text[said["start"]:said["end"]] == said["sentence"]
    one = events[0]["doc_id"]
    filtered = client.predict("the migration crisis", json.dumps({"doc_id": [one]}), api_name="/timeline")
    assert filtered and {e["doc_id"] for e in filtered} == {one}
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="unknown filter"):
        client.predict("the migration crisis", json.dumps({"colour": "red"}), api_name="/timeline")


def test_twenty_concurrent_clients_each_get_their_own_answer(served):
    url, asst, _ = served
    questions = _questions(20)
    assert len(questions) == 20
    expected = {q: asst.ask(q).to_dict() for q in questions}  # the same library, one at a time

    def one(q: str) -> tuple[str, dict, float]:
        t0 = time.perf_counter()
        r = _client(url).predict(q, "", "", api_name="/ask")
        return q, r, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, questions))
    wall = time.perf_counter() - t0
    assert len(results) == 20
    for q, r, _ in results:
        assert r["question"] == q
        assert (r["answer"], r["abstained"], [c["quote"] for c in r["citations"]]) == (
            expected[q]["answer"], expected[q]["abstained"], [c["quote"] for c in expected[q]["citations"]]), q
    answered = sum(not r["abstained"] for _, r, _ in results)
    assert answered >= 15, f"only {answered}/20 answered"
    print(f"\n20 concurrent /ask: wall {wall:.1f}s, slowest {max(t for *_, t in results):.1f}s")


def test_upload_name_is_confined_and_file_is_ingested(served):
    url, _, updir = served
    body = ("Harbour board reports record ferry season\n\nPORTVILLE, March 3, 2025 (Coastal Wire) - "
            "The harbour board said on Monday that 48,215 ferry passengers crossed the bay in 2024. "
            "\"It was our busiest year,\" said board chair Mira Testova.\n")
    with httpx.Client(base_url=url, timeout=60) as http:
        up = http.post("gradio_api/upload", files=[("files", ("../evil.txt", body.encode(), "text/plain"))])
        assert up.status_code == 200, up.text
        (server_path,) = up.json()
        payload = {"data": [[{"path": server_path, "orig_name": "../evil.txt",
                              "meta": {"_type": "gradio.FileData"}}]]}
        ev = http.post("gradio_api/call/upload", json=payload).json()["event_id"]
        stream = http.get(f"gradio_api/call/upload/{ev}").text
    assert "event: complete" in stream, stream[-500:]
    saved = list(updir.iterdir())
    assert [p.name for p in saved] == ["evil.txt"]
    assert not (updir.parent / "evil.txt").exists() and not (updir.parent.parent / "evil.txt").exists()
    assert "added" in stream and "evil.txt" in stream
    r = _client(url).predict("How many ferry passengers crossed the bay in 2024?", "", "", api_name="/ask")
    assert "48,215" in r["answer"] and r["citations"][0]["doc_id"] == "evil.txt"


def test_upload_endpoint_refuses_paths_outside_gradio_cache(served, tmp_path):
    url, _, updir = served
    secret = tmp_path / "secret.txt"
    secret.write_text("The secret code was 9876 in 2024.\n")
    payload = {"data": [[{"path": str(secret), "orig_name": "secret.txt", "meta": {"_type": "gradio.FileData"}}]]}
    with httpx.Client(base_url=url, timeout=60) as http:
        resp = http.post("gradio_api/call/upload", json=payload)
        # Gradio accepts the call (200 and an event id) and refuses the file when the event
        # runs: its stream ends in an error. Any other status (a 500 included) is a failure.
        assert resp.status_code == 200, (resp.status_code, resp.text)
        stream = http.get(f"gradio_api/call/upload/{resp.json()['event_id']}").text
    assert "event: error" in stream and "event: complete" not in stream, stream[-500:]
    assert not any(p.name == "secret.txt" for p in updir.glob("*"))


def test_auth_refuses_unauthenticated_requests(served):
    import app

    _, asst, _ = served
    demo = app.build_app(asst)
    port = free_port()
    app.launch(demo, port=port, auth=("analyst", "s3cret pass"), block=False)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_port(port)
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get("config").status_code in (401, 403)
            r = http.post("gradio_api/call/ask", json={"data": ["How many crossings were thwarted in 2025?", "", ""]})
            assert r.status_code in (401, 403), r.text
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises different types across versions
            _client(url)
        with pytest.raises(Exception):  # noqa: B017
            _client(url, auth=("analyst", "wrong"))
        r = _client(url, auth=("analyst", "s3cret pass")).predict(
            "How many crossings were thwarted in 2025?", "", "", api_name="/ask")
        assert "40,549" in r["answer"]
    finally:
        demo.close()


def test_parser_defaults_are_local_and_private():
    import app
    from assistant.errors import ConfigError

    args = app.build_parser().parse_args([])
    assert (args.host, args.port, args.share, args.auth) == ("127.0.0.1", 7860, False, None)
    assert app.parse_auth("u:p:with:colons") == ("u", "p:with:colons")
    assert app.parse_auth(None) is None and app.parse_auth("  ") is None
    for bad in ("nopassword", ":p", "u:"):
        with pytest.raises(ConfigError):
            app.parse_auth(bad)


def test_assistant_serve_builds_missing_index_and_answers(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    src = sorted((ROOT / "seeds").glob("*.txt"))[0]
    shutil.copy(src, seeds / src.name)
    port = free_port()
    env = {**os.environ, "ASSISTANT_SEEDS_DIR": str(seeds), "ASSISTANT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("ASSISTANT_AUTH", None)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "assistant"), "serve", "--index-dir",
                             str(tmp_path / "index"), "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=240, proc=proc)
        r = _client(f"http://127.0.0.1:{port}/").predict("How many crossings were thwarted in 2025?", "", "",
                                                           api_name="/ask")
        assert "40,549" in r["answer"]
        assert "building it from" in (tmp_path / "serve.log").read_text()
    finally:
        stop(proc)
        log.close()
    # Stopping `assistant serve` stops the server: no orphan keeps the port.
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0

"""JSON Lines (.jsonl): one article per line, ``{"id","text","title"?,"date"?,"publisher"?,
"author"?,"url"?}``. Every bad line is a failure of its own; the rest of the file loads."""

from __future__ import annotations

import json
from collections.abc import Iterator

from assistant.ingest.loaders.base import (
    Batch,
    Found,
    LoadFailure,
    Source,
    document,
    register,
    sha256,
    too_many_chars,
)
from assistant.ingest.loaders.decoding import decode_file, normalise_newlines
from assistant.ingest.loaders.html import strip_inline_html
from assistant.ingest.loaders.limits import markup_too_large
from assistant.ingest.metadata import parse_date
from assistant.models import Document
from assistant.text.mojibake import repair_mojibake


def _str_field(obj: dict, key: str) -> str:
    v = obj.get(key)
    return v.strip() if isinstance(v, str) else ""


@register(".jsonl")
class JsonlLoader:
    fmt = "jsonl"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        label = src.label
        text = decode_file(src.data, label)
        if isinstance(text, LoadFailure):
            yield text
            return
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            where = f"{label}:line {n}"
            if len(line) > src.limits.markup_bytes:
                yield LoadFailure(where, markup_too_large("line", len(line), src.limits))
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield LoadFailure(where, f"not valid JSON ({e.msg} at column {e.colno}); each line must be one JSON object")
                continue
            if not isinstance(obj, dict):
                yield LoadFailure(where, f"a JSON {type(obj).__name__}, not an object; each line must be an object like {{\"id\": ..., \"text\": ...}}")
                continue
            body = obj.get("text")
            if not isinstance(body, str) or not body.strip():
                yield LoadFailure(where, "no non-empty string \"text\" field; add the article text under \"text\"")
                continue
            raw_id = obj.get("id")
            if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
                doc_id = f"{src.path.name}:{n}"
            elif isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
                doc_id = str(raw_id).strip()
            else:
                yield LoadFailure(where, f"\"id\" is a {type(raw_id).__name__}; use a string id")
                continue
            if doc_id in batch.ids:
                yield LoadFailure(where, f"duplicate id {doc_id!r} (already used earlier in this batch); give every document a unique id")
                continue
            if len(body) > src.limits.document_chars:
                yield LoadFailure(where, too_many_chars(len(body), src.limits))
                continue
            body = repair_mojibake(normalise_newlines(strip_inline_html(body.replace("\x00", ""))))[0]
            if not body.strip():
                yield LoadFailure(where, "\"text\" holds only markup, no readable text; add the article text")
                continue
            canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            raw_hash = sha256(canonical.encode("utf-8"))
            batch.claim(doc_id, raw_hash, where)
            found = Found()
            found.add("title", strip_inline_html(_str_field(obj, "title")), "jsonl:title")
            date_raw = _str_field(obj, "date")
            found.add("date", parse_date(date_raw) if date_raw else "", "jsonl:date")
            for key in ("publisher", "author", "url"):
                found.add(key, _str_field(obj, key), f"jsonl:{key}")
            yield document(doc_id, body, src, self.fmt, found, raw_hash)

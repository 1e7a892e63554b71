"""The MCP tools: one table of what each takes, what it returns and which library call
it is. The server (``server``) serves the table; nothing here knows MCP.

Arguments are validated against the schema published for them, strictly: an argument
the tool does not take is an error with the fix, not silently dropped (an agent that
misspells ``filters`` must learn it, or it gets unfiltered answers it believes filtered).
Filters, questions and dates are left to the library, so their errors are the library's
own (``assistant.errors``), message and fix, as the CLI and the chat show them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, WithJsonSchema

from assistant.answer.views import Event, Speaker
from assistant.errors import ConfigError, IndexMissing
from assistant.interfaces.options import FILTER_FIELDS
from assistant.models import Answer, Document, Passage

if TYPE_CHECKING:
    from assistant.api import Assistant

__all__ = ["TOOLS", "ToolSpec", "abstain_reason", "doc_uri", "parse_filters", "read_document"]

#: Most passages one ``search`` returns: a bound on one call's work and reply, not a tuned
#: value (50 chunks of ~200 tokens are ~10k tokens, about what one tool reply should hold).
MAX_K = 50
#: Articles listed by ``stats`` (the rest are counted; ``resources/list`` pages through all).
#: A bound on the reply's size for an LLM's context, not a tuned value.
STATS_DOCS_SHOWN = 500
#: The URI scheme of an article resource; the id is percent-encoded (ids may hold "/").
DOC_URI_PREFIX = "news://doc/"
DOC_URI_TEMPLATE = DOC_URI_PREFIX + "{doc_id}"
ABSTAIN_PREFIX = "The corpus does not say: "

_FILTER_HELP = {
    "doc_id": "one article id, or a list of them (the ids stats, search and ask return)",
    "publisher": "one publisher, or a list of them (case- and accent-insensitive)",
    "date_from": "articles dated on or after this day: YYYY, YYYY-MM or YYYY-MM-DD",
    "date_to": "articles dated on or before this day: YYYY, YYYY-MM or YYYY-MM-DD (a month or year "
               "counts to its end)",
}
_ONE_OR_MANY = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
FILTERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Optional. Only articles that match every field given; leave it out to use all articles. "
                   'Example: {"publisher": "Reuters", "date_from": "2025-01"}.',
    "properties": {k: ({**_ONE_OR_MANY} if k in ("doc_id", "publisher") else {"type": "string"})
                   | {"description": _FILTER_HELP[k]} for k in FILTER_FIELDS},
    "additionalProperties": False,
}

#: Filters as the schema above describes them; the value is read by ``parse_filters`` and
#: checked by the library (unknown fields, unreadable dates), whose errors carry the fix.
Filters = Annotated[Any, WithJsonSchema(FILTERS_SCHEMA)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchArgs(_Args):
    query: Annotated[str, Field(description="keywords or a question, e.g. \"Lukashenko migrants\"",
                                json_schema_extra={"minLength": 1})]
    k: Annotated[int, Field(ge=1, le=MAX_K, description=f"how many passages (1-{MAX_K}, default 5)")] = 5
    filters: Filters = None


class AskArgs(_Args):
    question: Annotated[str, Field(description="the question, in the user's words, e.g. \"How many attempts "
                                               "targeted Poland in 2025?\"", json_schema_extra={"minLength": 1})]
    history: Annotated[list[str] | None, Field(
        description="earlier questions of this conversation, oldest first, when the question is a follow-up "
                    "(\"And Lithuania?\", \"What else did he say?\"); leave it out for a standalone question")] = None
    filters: Filters = None
    asked_on: Annotated[str | None, Field(
        description="the day the question is asked, YYYY-MM-DD (default today): what \"this week\", "
                    "\"recently\" or \"this year\" mean")] = None


class TopicArgs(_Args):
    topic: Annotated[str, Field(description="a person, place, organisation or event, e.g. \"the Minsk "
                                            "conference\"", json_schema_extra={"minLength": 1})]
    filters: Filters = None


class DocumentArgs(_Args):
    doc_id: Annotated[str, Field(description="the article's id, as stats, search, ask, timeline and who_said "
                                             "give it")]
    start: Annotated[int | None, Field(ge=0, description="first character of the slice (default 0)")] = None
    end: Annotated[int | None, Field(ge=0, description="character after the slice, exclusive (default: the "
                                                       "end of the text)")] = None


class NoArgs(_Args):
    pass


# -- outputs (their schemas are the library's own result types) ---------------------------------------
class SearchResult(BaseModel):
    passages: list[Passage]


class TimelineResult(BaseModel):
    topic: str
    events: list[Event]


class WhoSaidResult(BaseModel):
    topic: str
    speakers: list[Speaker]


class DocumentText(BaseModel):
    doc_id: str
    uri: str
    title: str
    publisher: str
    date: str
    author: str
    url: str
    length: int
    start: int
    end: int
    text: str


class DocSummary(BaseModel):
    doc_id: str
    title: str
    publisher: str
    date: str
    author: str
    n_chunks: int


class Stats(BaseModel):
    documents: int
    chunks: int
    last_ingest: str
    publishers: list[str]
    earliest_date: str
    latest_date: str
    docs: list[DocSummary]
    docs_shown: int


def _ask_schema() -> dict[str, Any]:
    schema = TypeAdapter(Answer).json_schema()
    schema["properties"]["abstain_reason"] = {
        "type": "string", "description": "why the corpus does not answer (empty unless abstained)"}
    schema.setdefault("required", []).append("abstain_reason")
    return schema


# -- what each tool does ------------------------------------------------------------------------------
def parse_filters(value: Any) -> dict[str, Any] | None:
    """The filters a client sent: an object (or the same as a JSON string, as some clients
    send nested objects), or nothing. Its fields and dates are the library's to check."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, Mapping):
        raise ConfigError(f"filters must be an object, not {type(value).__name__}",
                          fix='pass e.g. {"publisher": "Reuters", "date_from": "2025-01"}, or leave filters out')
    return dict(value) or None


def abstain_reason(ans: Answer) -> str:
    """Why an abstained answer abstains: the first line of its text (compose.abstain)."""
    if not ans.abstained:
        return ""
    return ans.text.split("\n", 1)[0].removeprefix(ABSTAIN_PREFIX).rstrip(".")


def doc_uri(doc_id: str) -> str:
    return DOC_URI_PREFIX + quote(doc_id, safe="")


def _search(asst: Assistant, a: SearchArgs) -> dict[str, Any]:
    asst.refresh()
    passages = asst.retriever.retrieve(a.query, k=a.k, filters=parse_filters(a.filters))
    return {"passages": [p.to_dict() for p in passages]}


def _ask(asst: Assistant, a: AskArgs) -> dict[str, Any]:
    ans = asst.ask(a.question, history=a.history or None, filters=parse_filters(a.filters),
                   asked_on=a.asked_on or None)
    return ans.to_dict() | {"abstain_reason": abstain_reason(ans)}


def _timeline(asst: Assistant, a: TopicArgs) -> dict[str, Any]:
    return {"topic": a.topic, "events": [e.to_dict() for e in asst.timeline(a.topic, filters=parse_filters(a.filters))]}


def _who_said(asst: Assistant, a: TopicArgs) -> dict[str, Any]:
    speakers = asst.who_said_what(a.topic, filters=parse_filters(a.filters))
    return {"topic": a.topic, "speakers": [s.to_dict() for s in speakers]}


def read_document(asst: Assistant, doc_id: str) -> Document:
    """The article ``doc_id``, or the library's error with a fix an agent can follow."""
    asst.refresh()
    try:
        return asst.document(doc_id)
    except IndexMissing as exc:  # the CLI's fix names `assistant stats`; an agent has the stats tool
        raise IndexMissing(exc.message, fix="take the id from the stats tool (or from a search, ask, timeline "
                                            "or who_said result)") from None


def _document(asst: Assistant, a: DocumentArgs) -> dict[str, Any]:
    doc = read_document(asst, a.doc_id)
    n = len(doc.text)
    start = 0 if a.start is None else a.start
    end = n if a.end is None else a.end
    if not start <= end <= n:
        raise ConfigError(f"the slice {start}..{end} is outside document {a.doc_id!r}, which has {n} characters",
                          fix=f"pass 0 <= start <= end <= {n}, or leave start and end out for the whole text")
    return {"doc_id": doc.doc_id, "uri": doc_uri(doc.doc_id), "title": doc.title, "publisher": doc.publisher,
            "date": doc.date, "author": doc.author, "url": doc.url, "length": n, "start": start, "end": end,
            "text": doc.text[start:end]}


def _stats(asst: Assistant, a: NoArgs) -> dict[str, Any]:
    asst.refresh()
    st = asst.stats()
    docs = [{"doc_id": d["doc_id"], "title": d["title"] or "", "publisher": d["publisher"] or "",
             "date": d["date"] or "", "author": d["author"] or "", "n_chunks": int(d["n_chunks"] or 0)}
            for d in st["docs"]]
    dated = sorted(d["date"] for d in docs if d["date"][:1].isdigit())  # "--10-28": no year, no place in a range
    last = dt.datetime.fromtimestamp(st["last_ingest"]).isoformat(timespec="seconds") if st["last_ingest"] else ""
    return {"documents": st["documents"], "chunks": st["chunks"], "last_ingest": last,
            "publishers": sorted({d["publisher"] for d in docs if d["publisher"]}, key=str.casefold),
            "earliest_date": dated[0] if dated else "", "latest_date": dated[-1] if dated else "",
            "docs": docs[:STATS_DOCS_SHOWN], "docs_shown": min(len(docs), STATS_DOCS_SHOWN)}


# -- the table ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    args: type[_Args]
    run: Callable[[Assistant, Any], dict[str, Any]]
    output_schema: dict[str, Any]

    @property
    def input_schema(self) -> dict[str, Any]:
        return self.args.model_json_schema()

    def parse(self, arguments: Mapping[str, Any]) -> Any:
        """The arguments as the tool's model, or ``ConfigError`` saying what to change."""
        try:
            return self.args.model_validate(dict(arguments))
        except ValidationError as exc:
            raise arguments_error(self, exc) from None


_OFFSETS = ("Offsets (start, end) are character offsets into the article's cleaned text, end exclusive: the "
            "document tool (or the resource news://doc/{doc_id}) returns that text, and text[start:end] is the "
            "quoted sentence.")

TOOLS: dict[str, ToolSpec] = {t.name: t for t in (
    ToolSpec("ask", "Answer a question with citations",
             "Answer a question about the news articles: dates, figures, who said what, why or how, a summary of "
             "an article, yes/no, comparisons, lists. Returns a short answer, the reply text with numbered [n] "
             "markers, and each citation with the exact sentence (quote), its article and offsets, plus a "
             "confidence. When the articles do not say, abstained is true, abstain_reason says why and the "
             "closest passages are cited instead: report that the corpus does not say rather than guessing. "
             "For a follow-up (\"And Lithuania?\", \"What did he say?\"), pass the earlier questions in history. "
             + _OFFSETS, AskArgs, _ask, _ask_schema()),
    ToolSpec("search", "Find passages",
             "Find the passages of the news articles that best match a query (keywords or a question), best "
             "first, without composing an answer: to see what the corpus holds on a subject or to gather evidence "
             "yourself. Prefer ask for a question that wants an answer. Each passage has its article's doc_id, "
             "title, publisher and date, the passage text with its offsets, and the sentence that best matches the "
             "query with its offsets. " + _OFFSETS, SearchArgs, _search, SearchResult.model_json_schema()),
    ToolSpec("timeline", "Timeline of a topic",
             "Dated events about a topic across all the articles, oldest first: the date as written and as a "
             "value (YYYY-MM-DD, or shorter when the text is less precise), and the sentence that states it with "
             "its article and offsets. Use it for how something unfolded over time. " + _OFFSETS,
             TopicArgs, _timeline, TimelineResult.model_json_schema()),
    ToolSpec("who_said", "Who said what on a topic",
             "Everyone the articles quote on a topic (people, organisations), each with what they said, most "
             "relevant first: the quoted words (direct, or reported speech), and the sentence that carries them "
             "with its article and offsets. Use it to compare positions or to find who commented. " + _OFFSETS,
             TopicArgs, _who_said, WhoSaidResult.model_json_schema()),
    ToolSpec("document", "Read an article",
             "The cleaned text of one article, whole or the slice start..end (the offsets that ask, search, "
             "timeline and who_said give), with its title, publisher, date and author. Use it to read around a "
             "citation or to quote more of an article.", DocumentArgs, _document, DocumentText.model_json_schema()),
    ToolSpec("stats", "What the index holds",
             "What the corpus holds: the number of articles and passages, when it was last updated, its "
             "publishers and date range (to build filters), and each article's doc_id, title, publisher, date "
             f"and author (the first {STATS_DOCS_SHOWN}). Call it to learn which articles and publishers there "
             "are.", NoArgs, _stats, Stats.model_json_schema()),
)}


# -- argument errors ---------------------------------------------------------------------------------
def arguments_error(spec: ToolSpec, exc: ValidationError) -> ConfigError:
    """A ``ConfigError`` for every problem pydantic found, each with what to pass instead."""
    fields = spec.args.model_fields
    props = spec.input_schema.get("properties", {})
    problems: list[str] = []
    fixes: list[str] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name, top = ".".join(loc), (loc[0] if loc else "")
        if err["type"] == "extra_forbidden":
            problems.append(f"the {spec.name} tool has no argument {name!r}")
            fixes.append(f"use only {', '.join(fields)}" if fields else f"call {spec.name} with no arguments")
        elif err["type"] == "missing":
            problems.append(f"the {spec.name} tool needs the argument {name!r}")
            fixes.append(f"pass {top}: {fields[top].description}")
        else:
            problems.append(f"argument {name!r} of the {spec.name} tool: {err['msg']}")
            optional = top in fields and not fields[top].is_required()
            fixes.append(f"pass {top} as {describe(props.get(top, {}))}" + (", or leave it out" if optional else ""))
    if not problems:  # pragma: no cover  (pydantic always reports at least one)
        problems.append(str(exc))
    return ConfigError("; ".join(problems), fix="; ".join(dict.fromkeys(fixes)))


def describe(schema: Mapping[str, Any]) -> str:
    """A JSON schema in words: "an integer from 1 to 50", "a list of strings"..."""
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    if "anyOf" in schema:
        parts = [describe(s) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(dict.fromkeys(parts)) or "null"
    kind = schema.get("type")
    if kind == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and hi is not None:
            return f"an integer from {lo} to {hi}"
        return f"an integer of at least {lo}" if lo is not None else "an integer"
    if kind == "array":
        item = describe(schema.get("items", {}))
        return "a list of " + (item.split(" ", 1)[1] + "s" if item.startswith(("a ", "an ")) else item)
    return {"string": "a string", "object": "an object", "boolean": "true or false",
            "number": "a number"}.get(str(kind), "a JSON value")

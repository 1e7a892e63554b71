"""Question analysis without a model: the answer type, what it is about, and
what it must match (names, years, a quoted fragment).

Rules follow the classic answer-type taxonomies of factoid QA (Li & Roth 2002;
Moldovan et al. 2000), reduced to the kinds this product answers. Nothing here
runs spaCy, so a question costs microseconds.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.config import MAX_QUESTION_CHARS
from assistant.errors import InvalidQuestion
from assistant.models import QuestionKind
from assistant.text.lexicon import QUESTION_SPEECH_FORMS, STOPWORDS
from assistant.text.periods import Period
from assistant.text.tokens import tokenize

_QUOTED = re.compile(r"[\"“”„«](.{3,}?)[\"“”»]|(?:^|\s)['‘](.{8,}?)['’](?=\W|$)")

#: Words that only say what kind of answer is wanted; they are not evidence.
CUE_WORDS = frozenset(
    ["when", "what", "which", "who", "whom", "whose", "where", "why", "how", "many", "much", "date", "day", "year", "month", "time", "number", "percent", "percentage", "share", "figure", "total", "amount", "according", "did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "quoted", "quote", "said", "say", "tell", "told"]
)

#: Words that open a question in the forms beyond a factoid ("Summarise ...", "List
#: ...", "Timeline of ..."): a capitalised first word among them is not a name.
FORM_OPENERS = frozenset(["summarise", "summarize", "summary", "list", "timeline", "chronology", "compare", "give",
                          "tell", "show", "enumerate", "outline", "recap", "overview", "key", "main", "brief", "tl;dr",
                          "tldr", "explain"])
#: Words that only say which form of reply is wanted: not evidence for those forms.
_FORM_CUE_WORDS = (
    "summarise summarize summarised summarized summary summaries gist overview recap rundown highlights key main "
    "central points point takeaways tldr nutshell brief timeline chronology chronological sequence events milestones "
    "list enumerate everyone everybody every all each compare compared comparison versus vs difference differ "
    "differs larger bigger higher greater more less fewer smaller lower largest biggest highest most least article "
    "story piece report give tell show me about happened long since ago")
FORM_CUES = frozenset(_FORM_CUE_WORDS.split())

ENTITY_NOUNS = {
    "PERSON": "person official minister president leader man woman spokesman spokeswoman spokesperson "
              "reporter journalist author politician diplomat secretary chairman head chief director "
              "ambassador envoy guard soldier officer judge candidate senator governor mayor ceo founder",
    "ORG": "agency organization organisation group company airline party ministry service body institution "
           "outlet newspaper network firm bank union bloc alliance council committee team club media channel",
    "GPE": "country nation city state capital region province town territory republic",
    "LOC": "continent region border river sea mountain area place",
    "NORP": "nationality religion",
    "FAC": "airport building plant facility station bridge",
    "EVENT": "event conference summit war election",
}
NOUN_LABEL = {n: lab for lab, ns in ENTITY_NOUNS.items() for n in ns.split()}


def singular_noun(w: str) -> str:
    """A plural head noun as its ``NOUN_LABEL`` entry ("countries" -> "country", "congressmen"
    -> "congressman"); the word unchanged when no such entry exists."""
    for a, b in (("ies", "y"), ("men", "man"), ("es", ""), ("s", "")):
        if w.endswith(a) and (w[: -len(a)] + b) in NOUN_LABEL:
            return w[: -len(a)] + b
    return w


@dataclass
class QuestionAnalysis:
    text: str
    kind: QuestionKind
    #: BM25-style stems of the words that say what is asked about (cue words removed).
    focus: list[str] = field(default_factory=list)
    #: Capitalised names as written in the question (not the first word).
    names: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    quoted: str = ""
    #: For entity questions: expected NER labels, best first.
    labels: list[str] = field(default_factory=list)
    #: For figure questions: the counted noun's stem ("attempt") or "percent" / "money".
    unit: str = ""
    #: For date questions: "year" | "month" | "day" | "" (any).
    granularity: str = ""
    #: Capitalised words that describe the answer ("which *North African* country"): not required in evidence.
    descriptors: list[str] = field(default_factory=list)
    #: For quote questions: who is asked about, and the topic words.
    subject: str = ""
    topic: list[str] = field(default_factory=list)
    #: The date the question is asked on (ISO), and the period it asks about ("this week"),
    #: read against that date.
    asked_on: str = ""
    period: Period | None = None
    #: The names the evidence must hold (``evidence.required_names``; set on first use,
    #: since it needs the corpus's entity labels).
    required: list[str] | None = None
    #: Details of the classification cue (``classify``), for the kinds that read more of
    #: the question than the fields above (a comparison's sides, what a list collects).
    cue: dict[str, str] = field(default_factory=dict)


def _last_question(text: str) -> str:
    """Quiz-style questions put context first; the ask is the last sentence with a '?'."""
    text = text.strip()
    # Never cut inside a quotation: 'Who said "I won. They lost"?' is one question.
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    parts, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z\"“])", text):
        if not any(a < m.start() < b for a, b in quoted):
            parts.append(text[start: m.start()])
            start = m.end()
    parts.append(text[start:])
    for p in reversed(parts):
        if p.rstrip().endswith("?"):
            return p
    return parts[-1] if parts else text


def extract_quoted(text: str) -> str:
    m = _QUOTED.search(text)
    if not m:
        return ""
    return (m.group(1) or m.group(2) or "").strip()


_CAP = re.compile(r"\b([A-Z\u00C0-\u024F][\w'’\-\u00C0-\u024F]*(?:\s+(?:of\s+|the\s+|de\s+|von\s+|van\s+)?"
                  r"[A-Z\u00C0-\u024F][\w'’\-\u00C0-\u024F]*)*)")


def extract_names(text: str) -> list[str]:
    """Capitalised word sequences that are not just the question's first word or a cue."""
    out = []
    for m in _CAP.finditer(text):
        name = m.group(1).strip()
        words = name.split()
        if m.start() == 0 or text[: m.start()].rstrip().endswith(("?", ".", "!", ":", "\"", "“")):
            # First word of a sentence: drop it if it is a common word ("When", "And", "The").
            while words and (words[0].lower() in STOPWORDS or words[0].lower() in CUE_WORDS
                             or words[0].lower() in FORM_OPENERS):
                words = words[1:]
        words = [w for w in words if w.lower() not in CUE_WORDS]
        if words and not all(w.lower() in STOPWORDS for w in words):
            out.append(" ".join(words).removesuffix("'s").removesuffix("’s"))
    return out


def _who_is_name(q: str) -> str:
    """The name in "Who is Jane Doe?" ("" when the question is not of that form)."""
    q = re.sub(r"^(?:and|so|but|also)[,\s]+", "", q.strip(), flags=re.I)
    m = re.fullmatch(r"\s*[Ww]ho (?:is|was) ([A-Z][\w'’.\-]*(?: [A-Z][\w'’.\-]*){0,3})\s*\??\s*", q)
    if not m and q == q.lower():
        # Typed all in lower case ("who is jane doe"): two to four words, none a common
        # word or a title, read as a name.
        m = re.fullmatch(r"\s*who (?:is|was) ([a-z][\w'’.\-]*(?: [a-z][\w'’.\-]*){1,3})\s*\??\s*", q)
        if m and any(w in STOPWORDS or w in NOUN_LABEL or w in CUE_WORDS for w in m.group(1).split()):
            m = None
    # "Who is the Interior Minister?" asks for a person; "Who is Jane Doe?" for her title.
    return m.group(1) if m and m.group(1).split()[-1].lower() not in NOUN_LABEL else ""


def extract_descriptors(text: str) -> list[str]:
    """Capitalised words inside a "which/what ... <noun>" phrase: they describe the answer
    ("which South American country"), so the evidence need not contain them."""
    out = []
    for m in re.finditer(r"\b(?:[Ww]hich|[Ww]hat)\s+((?:[A-Z][\w\-]*\s+){1,3})(?=[a-z])", text):
        out += m.group(1).split()
    return out


# -- classification: an ordered table of rules ------------------------------------------------
#: A rule's test: (the question lower-cased without a leading "and"/"so", the question as
#: typed) -> the details of the cue it found, or None when it does not apply.
RuleTest = Callable[[str, str], "dict[str, str] | None"]


@dataclass(frozen=True)
class Rule:
    """One classification rule: a question whose cue ``test`` finds is of ``kind``. Rules
    are tried in ``RULES`` order and the first that applies wins, so a more specific cue
    ("how long has X ruled") stands before a more general one ("how long")."""

    name: str
    kind: QuestionKind
    test: RuleTest


def unquoted(s: str) -> str:
    """The question without its quotations: "Who said 'all the people ...'?" is not a list."""
    return _QUOTED.sub(" “…” ", s)


def when(*patterns: str, info: dict[str, str] | None = None, outside_quotes: bool = False) -> RuleTest:
    """A test that applies when any of ``patterns`` matches the lower-cased question
    (``outside_quotes``: its words outside quotations)."""
    compiled = [re.compile(p) for p in patterns]

    def test(s: str, q: str) -> dict[str, str] | None:
        text = unquoted(s) if outside_quotes else s
        return dict(info or {}) if any(c.search(text) for c in compiled) else None

    return test


def _role(s: str, q: str) -> dict[str, str] | None:
    # "Who is Jane Doe?" asks for her title, not for a name.
    name = _who_is_name(q)
    if re.search(r"\b(?:what|which) (?:is |was )?(?:\w+'s )?(?:position|role|job|post|title|office|rank)\b|'s (?:job|role|position|title|post)\b", s) \
            or name:
        # A name typed in lower case is kept, capitalised, since nothing else finds it.
        return {"noun": "role", **({"name": name.title()} if name and name == name.lower() else {})}
    return None


#: After a verb of naming or believing, what a "what" question asks for is a name or a thing,
#: not a statement: "what do you *call a group* of witches", "what did he *declare as* a
#: crisis", "what do officials *believe the objects were*". "Call for", "call on" and the like
#: still ask what was said.
_NAMING = re.compile(r"(?:call|calls|called|label|labels|labeled|labelled)\s+(?!(?:for|on|upon|out|off|in|back|up)\b)\w"
                     r"|\w+\s+as\b"
                     r"|(?:think|thinks|thought|believe|believes|believed)\s+.+\b(?:was|were|is|are)\s*\??\s*$")


def _statement(s: str, q: str) -> dict[str, str] | None:
    m = re.search(rf"\bwhat (?:else )?(?:did|does|do|has|have|had|will|would) (.+?) ((?:{QUESTION_SPEECH_FORMS})\b(.*))", s)
    if m is not None:
        return None if _NAMING.match(m.group(2)) else {"subject": m.group(1), "rest": m.group(3)}
    m = re.search(r"\bhow (?:did|does|do|has) (.+?) (?:describe|characteri[sz]e|respond|react|explain|justify)\b(.*)", s) \
        or re.search(r"\bwhat (?:was|is|were) (.+?)'s (?:message|response|reaction|argument|claim|warning|position)\b(.*)", s)
    return {"subject": m.group(1), "rest": m.group(2)} if m else None


#: A question that asks when: "When did ...", "what year", "since when", "over what period"
#: (lower-cased; a "when" that joins a clause, "... this week when it announced ...", is not one).
DATE_ASKED = re.compile(
    r"^\s*when\b|\bwhen (?:did|does|do|is|was|were|will|has|had|are)\b|\b(?:what|which) (?:date|day|year|month|"
    r"season|time|week|decade)\b|\bsince when\b|\bsince what\b|\bhow long ago\b|\bin what year\b|\bon what date\b"
    r"|\b(?:over|during|in|for) what (?:period|time|timeframe)\b|\bfrom what (?:point|date|time)\b")


def _date(s: str, q: str) -> dict[str, str] | None:
    if not DATE_ASKED.search(s):
        return None
    if re.search(r"\b(what|which|in what|since what) year\b|\bsince when\b", s):
        return {"granularity": "year"}
    if re.search(r"\b(what|which) month\b|\bmonth and year\b", s):
        return {"granularity": "month"}
    if re.search(r"\b(what|which) (date|day)\b|\bon what date\b", s):
        return {"granularity": "day"}
    return {}


#: After "what did", "which will" and the like comes the clause's subject, not the asked noun
#: ("what did *the state* use", "what do *officials* believe").
_SUBJECT_NEXT = re.compile(r"(?:did|does|do|has|have|had|will|would|can|could|should|shall|may|might|must)\s")


def _entity_noun(s: str, q: str, plurals: bool = False) -> dict[str, str] | None:
    for m in re.finditer(r"\b(?:which|what|name the|whose)\s+((?:[\w\-']+\s+){0,3})", s + " "):
        if _SUBJECT_NEXT.match(m.group(1)):
            continue
        for w in m.group(1).split():
            w = re.sub(r"'s$", "", w)
            forms = (w, w.removesuffix("s"), w.removesuffix("es"))
            if plurals:  # "which countries", "which women": the list rule's plural nouns
                forms += (re.sub(r"ies$", "y", w), re.sub(r"men$", "man", w))
            for cand in forms:
                if cand in NOUN_LABEL:
                    return {"noun": cand}
    return None


_COMPARATIVE = (r"\b(?:more|less|fewer|larger|bigger|higher|lower|greater|smaller|longer|shorter|older|younger|"
                r"earlier|later|most|least|largest|biggest|highest|lowest|smallest|worse|better|stronger|weaker)\b")
_AUXILIARY = (r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|shall|may|might|must|"
              r"isn't|aren't|wasn't|weren't|don't|doesn't|didn't|hasn't|haven't|hadn't|won't|wouldn't|can't|couldn't)")
#: Plural forms of the nouns that name an entity's kind ("which countries ..."): a list.
_PLURAL_NOUNS = "|".join(sorted({n[:-1] + "ies" if n.endswith("y") and n[-2:-1] not in "aeiou" else
                                 n[:-3] + "men" if n.endswith("man") else
                                 n + "es" if n.endswith(("s", "sh", "ch", "x")) else n + "s"
                                 for n in NOUN_LABEL} | {"people"}))


def _comparison(s: str, q: str) -> dict[str, str] | None:
    s = unquoted(s).replace("’", "'")
    # "Which had more X, A or B?", "A or B: which ...?", "Did A or B have more X?": a
    # comparative and two alternatives, in a question that asks to choose.
    ask = _last_question(s)
    if re.search(_COMPARATIVE, ask) and re.search(r"\bor\b", ask) \
            and not re.search(r"\b(?:more or less|or not|or (?:more|less|fewer|so|higher|lower|above|below|older|"
                              r"younger|longer|later|earlier))\b", ask) \
            and re.search(r"^\s*(?:which|who|whom|whose|what|did|does|do|is|was|were|are|has|have|had)\b|[,:;]\s*(?:which|who|"
                          r"what)\b", ask):
        return {"form": "winner"}
    if re.search(r"^\s*(?:who|which|whose)\b[^?]*?(?:[,:;–—]|\s-)\s*(?:the\s+)?[\w.'’/-]+(?:\s+[\w.'’/-]+){0,3}"
                 r"\s+or\s+(?:the\s+)?[\w.'’/-]+(?:\s+[\w.'’/-]+){0,3}\s*\??\s*$", ask):
        return {"form": "winner"}  # "who finished ahead in Nevada, Rubio or Cruz?"
    if re.search(r"\bcompared?\b|\bcomparison\b|\bversus\b|\bvs\.?\s|\bdifference between\b"
                 r"|\bhow (?:do|does|did) .{3,80}? (?:differ|compare)\b|\bdiffer(?:s|ed)? (?:from|between|across|among)\b", s):
        return {"form": "values"}
    return None


#: A word between "which" and a plural noun that keeps the noun the answer's kind
#: ("which two Baltic countries"), not "which *year did* women ..." or "what *share of* people".
_MODIFIER = r"(?!(?:of|did|do|does|is|are|was|were|has|have|had|will|would|can|could)\b)[\w-]+"


def _listing(s: str, q: str) -> dict[str, str] | None:
    s = unquoted(s).replace("’", "'")
    if re.search(r"^\s*(?:(?:in|from|to|by|with|of) )?(?:which|what) (?:two|three|both)\b", s):
        return None  # "which two automakers ...": the answer is the pair a sentence names together (the reader)
    if not re.search(r"^\s*(?:(?:can|could|would) you\s+|please\s+)?(?:list|enumerate|itemi[sz]e)\b"
                     r"|\bname (?:all|every|each|everyone|everybody)\b|\bwho said what\b"
                     r"|\b(?:(?:everyone|everybody|anyone|anybody) (?:who|that)|every(?: single)? (?:person|one|official|source|expert|figure|number|"
                     r"estimate|country|place|time))\b"
                     r"|\ball (?:of )?(?:the )?(?:people|persons|officials|sources|experts|speakers|figures|numbers|"
                     r"estimates|tolls|counts|countries|places|names|organi[sz]ations|groups|parties|articles|reports|"
                     r"stories|outlets)\b"
                     r"|\bwho (?:are|were) (?:all )?the (?:[\w-]+ ){0,2}(?:people|officials|speakers|experts|sources|"
                     r"leaders|ministers|politicians)\b"
                     rf"|^\s*(?:(?:in|from|to|by|with|of) )?(?:which|what) (?:{_MODIFIER} ){{0,2}}?(?:{_PLURAL_NOUNS})\b", s):
        return None
    if re.search(r"\b(?:figures?|numbers?|estimates?|tolls?|counts?|totals?|amounts?|sums?|how many|how much)\b", s):
        return {"items": "figures"}
    noun = _entity_noun(s, q, plurals=True)
    if noun and noun["noun"] not in ENTITY_NOUNS["PERSON"].split():
        return {"items": "entities", **noun}
    if re.search(rf"\bwho\b|\b(?:{QUESTION_SPEECH_FORMS})\b|\bcomment(?:ed|s)?\b|\bspoke\b|\bspeakers?\b", s):
        return {"items": "speakers"}
    if re.search(r"^\s*where\b|\bwhere (?:do|does|did|is|are|was|were)\b", s):
        return {"items": "entities", "noun": "place"}
    return {"items": "entities", **(noun or {})}


#: Nouns that make "what ..." ask for a quantity ("what *share* of millennials say ..."); the
#: speaker rule also skips "what is/was ..." ("what is the mission *called*": a name).
_QUANTITY_NOUNS = "percentage|percent|proportion|share|number|amount|fraction|total|sum"
#: A question that opens asking for a quantity: a "who" later in it begins a relative clause
#: ("how big was the settlement paid to the booker *who accused* him"), not a who-said question.
_QUANTITY_FIRST = rf"how (?:many|much|big|large)|what (?:{_QUANTITY_NOUNS})"


#: The rules, tried in order. A new answer kind adds one rule here (its cue), placed
#: before any more general rule its questions would also match.
RULES: list[Rule] = [
    Rule("timeline", QuestionKind.TIMELINE, when(
        r"\btime ?line\b|\bchronolog(?:y|ical)\b|\bsequence of events\b|\bin (?:date|chronological|time) order\b"
        r"|\bkey (?:dates|events)\b|\bmilestones\b|\bhow (?:has|have|did) .{3,60}? (?:evolved?|unfold(?:ed)?|develop(?:ed)?)\b", outside_quotes=True)),
    Rule("summary", QuestionKind.SUMMARY, when(
        r"\bsummar(?:y|ies|ise|ize|ised|ized|ising|izing)\b|\b(?:key|main|central|major) (?:points?|facts?|takeaways?|"
        r"findings?|ideas?|messages?)\b|\bgist\b|\btl;? ?dr\b|\brecap\b|\boverview\b|\bin (?:a )?nutshell\b|\brundown\b"
        r"|\bhighlights\b|\bbrief me\b|\bsum(?:s|med|ming)? (?:it |this |that )?up\b"
        r"|^\s*(?:so\s+)?what(?:'s|’s|s| is| was) the (?:story|deal|scoop) (?:with|on|about|behind)\b"
        r"|^\s*what(?:'s|’s| is| was) (?:the|this|that|their|an?) (?:[\w'’.-]+ ){0,10}?(?:article|story|piece|report|"
        r"op-ed|column|editorial|interview|post)\b.*\babout\s*\??\s*$"
        r"|^\s*what (?:does|did) (?:the|this|that) (?:[\w'’.-]+ ){0,4}?(?:article|story|piece|report) (?:say|tell|cover)\s*\??\s*$", outside_quotes=True)),
    Rule("comparison", QuestionKind.COMPARISON, _comparison),
    Rule("list", QuestionKind.LIST, _listing),
    Rule("yes-no", QuestionKind.YESNO, when(
        rf"^\s*{_AUXILIARY}\b(?!\s+(?:you|u|anyone|somebody|someone)\s+(?:know|tell|say|remember|explain|list|name|"
        r"give|summari[sz]e|show|find)\b)", outside_quotes=True)),
    Rule("author", QuestionKind.ENTITY, when(
        r"\bwho (?:wrote|reported|authored|filed|penned) (?:the|this|that) (?:article|story|piece|report)\b",
        info={"noun": "author"})),
    Rule("role", QuestionKind.ENTITY, _role),
    Rule("speaker", QuestionKind.SPEAKER, when(
        rf"^(?!\s*(?:{_QUANTITY_FIRST})\b).*?\bwho (?:[\w'’-]+ ){{0,3}}?(?:{QUESTION_SPEECH_FORMS})\b",
        rf"^\s*(?:which|what) (?!(?:did|does|do|has|have|had|will|would|else|is|was|are|were|{_QUANTITY_NOUNS})\b)(?:[\w'’-]+ ){{1,3}}?"
        rf"(?:{QUESTION_SPEECH_FORMS})\b",
        r"\baccording to whom\b|\bwho (is|was) quoted\b",
        r"\bwhose (words|remarks|comments|statement)\b")),
    Rule("statement", QuestionKind.QUOTE, _statement),
    Rule("reason", QuestionKind.REASON, when(
        r"^\s*why\b|\bwhy (?:did|does|do|is|was|were|are|has|have|had|would|will|can|could|should|won'?t|wouldn'?t|"
        r"didn'?t|doesn'?t|isn'?t|aren'?t|wasn'?t|hasn'?t|haven'?t|not)\b|\bfor what reasons?\b"
        r"|\bwhat (?:is|was|were|are) the (?:main |stated |official |real )?(?:reasons?|causes?|motives?|motivations?|"
        r"rationale|purpose|explanation)\b|\bwhat (?:caused|causes|led to|leads to|prompted|prompts|triggered|drove|"
        r"drives|explains|motivated|is behind|was behind)\b|\bhow come\b|\bthe reason (?:why|for|that)\b"
        r"|^\s*how (?:did|does|do|has|have|had|was|were|is|are|can|could|will|would)\b", outside_quotes=True)),
    Rule("duration", QuestionKind.DURATION, when(
        r"\bhow long (?:has|have|had)\b|\bfor how long\b|\bhow many years (?:has|have|had)\b|\bsince how long\b"
        r"|\bhow long (?:is|was|are|were) .{1,60}? been\b|\bhow long (?:did|does|do|will|would) .{1,60}? (?:last|rule|"
        r"serve|reign|run|govern|lead|hold|stay|remain|continue|go on)\b", outside_quotes=True)),
    Rule("figure", QuestionKind.FIGURE, when(
        r"\b(how many|how much|what (?:percentage|percent|proportion|share|number|amount|figure|total|sum|"
        r"fraction|price|cost)|by how (?:much|many)|what was the (?:number|total|toll|count|death toll)|"
        r"how (?:large|big|high|long|far|old)|at what (?:rate|price|cost))\b")),
    Rule("date", QuestionKind.DATE, _date),
    Rule("entity noun", QuestionKind.ENTITY, lambda s, q: _entity_noun(s, q)),
    Rule("kind of", QuestionKind.ENTITY, when(r"\b(?:what|which) (?:kind|type|sort|brand|make) of\b", info={"noun": "kind"})),
    Rule("who", QuestionKind.ENTITY, when(
        r"^\s*(?:who|whom|whose)\b|\bwho (?:is|was|are|were|heads|leads|runs|wrote|led)\b", info={"noun": "person"})),
    Rule("where", QuestionKind.ENTITY, when(r"^\s*where\b|\bwhere (?:is|was|did|does|do|are|were|will)\b",
                                            info={"noun": "place"})),
]


def classify(q: str) -> tuple[QuestionKind, dict[str, str]]:
    """The answer kind of the (last) question sentence, and details of the cue found:
    the first rule of ``RULES`` that applies, else ``OTHER``."""
    s = q.strip().lower()
    s = re.sub(r"^(and|so|but|also|ok|okay|then)[,\s]+", "", s)
    for rule in RULES:
        info = rule.test(s, q)
        if info is not None:
            return rule.kind, info
    return QuestionKind.OTHER, {}


_AUX = frozenset(["been", "being", "get", "got", "go", "went", "via", "per", "since", "across", "toward", "towards", "among", "amid", "last", "this", "so", "far"])


#: "How much did the bidder *pay*?", "how much will it *fetch*", "how much was Instagram *fined*":
#: a verb of buying, selling, earning or spending, or a debt, asks for a sum of money (in
#: the question's last sentence). Not "raise" (rates are raised by points) nor "cut".
_MONEY_ASKED = re.compile(
    r"\bhow much\b[^.!?]*\b(?:pay|pays|paid|paying|fetch|fetches|fetched|sell|sells|sold|selling|fined?|damages|"
    r"buy|buys|bought|buying|make|makes|earn|earns|earned|earning|spend|spends|spent|spending|charge|charges|"
    r"charged|donate|donated|donating|owe|owes|owed|debt|loans?|forgiveness)\b")


def _unit_of(s: str) -> str:
    s = s.lower()
    if re.search(r"\b(percent|percentage|per cent|%|proportion|share|rate)\b", s):
        return "percent"
    if re.search(r"\bhow much (?:money|did .* cost|does .* cost|is .* worth)|\b(cost|price|worth|dollars|euros|budget)\b", s) \
            or _MONEY_ASKED.search(s):
        return "money"
    if re.search(r"\bhow (?:long|far|wide|tall|deep)\b", s):
        return "length"
    m = re.search(r"\bhow many (?:of (?:the|these|those|its|their) )?(.*)", s)
    if m:
        # The counted noun: the last word before the first function word
        # ("how many illegal crossing attempts into ..." -> attempt).
        head = ""
        for w in re.findall(r"[a-z][a-z\-]*|\d+", m.group(1))[:6]:
            if w in STOPWORDS or w in CUE_WORDS or w in _AUX:
                break
            if not w.isdigit():
                head = w
        toks = tokenize(head) if head else []
        return toks[0] if toks else ""
    m = re.search(r"\b(?:number|total|count) of ([a-z\-]+)", s)
    if m:
        toks = tokenize(m.group(1))
        return toks[0] if toks else ""
    return ""


#: Words that shape a question but never name what it is about ("what *else* did he say").
_FILLER = ("else", "exactly", "precisely", "specifically", "actually", "really", "per", "done", "regarding",
           "concerning")
#: "with regard to the tolls": the tolls.
_ABOUT_PHRASE = re.compile(r"\b(?:with|in) (?:regard|respect|relation|reference) to\b", re.I)
#: "..., per Reuters, ..." / "according to the agency": where it was reported, not what about.
_SOURCE_PHRASE = re.compile(
    r"(?:^|,)\s*(?:per|according to|as reported by|citing|via)\s+[^,?]+(?=,|\?|$)", re.I)


#: The kinds of the forms beyond a factoid, which drop ``FORM_CUES`` from their focus.
FORM_KINDS = frozenset({QuestionKind.REASON, QuestionKind.SUMMARY, QuestionKind.YESNO, QuestionKind.COMPARISON,
                        QuestionKind.LIST, QuestionKind.DURATION, QuestionKind.TIMELINE})


def analyse(question: str, as_kind: tuple[QuestionKind, dict[str, str]] | None = None) -> QuestionAnalysis:
    """Analyse a (standalone) question; ``as_kind`` (kind, cue details) skips classifying
    it (a comparison asks a figure question of each side)."""
    ask = _last_question(question)
    kind, info = as_kind if as_kind is not None else classify(ask)
    quoted = extract_quoted(question)
    names = extract_names(question.replace(quoted, " ") if quoted else question)
    years = re.findall(r"\b(1[89]\d\d|20\d\d)\b", question)
    numbers = [n for n in re.findall(r"\b\d[\d,.]*\d\b|\b\d\b", question) if n not in years]
    cue_stems = {t for w in (*CUE_WORDS, *_FILLER) for t in tokenize(w, keep_stopwords=True)}
    focus = [t for t in tokenize(question) if t not in cue_stems]
    qa = QuestionAnalysis(text=question, kind=kind, focus=focus, names=names, years=years,
                          numbers=numbers, quoted=quoted)
    qa.descriptors = extract_descriptors(ask)
    qa.cue = info
    if info.get("name") and not qa.names:
        qa.names = [info["name"]]
    if kind in FORM_KINDS:
        form_stems = {t for w in FORM_CUES for t in tokenize(w, keep_stopwords=True)}
        qa.focus = [t for t in qa.focus if t not in form_stems]
    if kind == QuestionKind.ENTITY:
        noun = info.get("noun", "")
        lab = NOUN_LABEL.get(noun)
        if noun == "place":
            qa.labels = ["GPE", "LOC", "FAC"]
        elif noun == "kind":
            qa.labels = ["NORP", "ORG", "PRODUCT", "GPE"]
        elif noun in ("role", "author"):
            qa.labels = ["PERSON"]
        elif lab:
            qa.labels = [lab, *{"GPE": ["LOC"], "LOC": ["GPE"], "ORG": ["NORP", "PERSON"], "NORP": ["GPE"], "PERSON": ["ORG"]}.get(lab, [])]
        else:
            qa.labels = ["PERSON", "ORG", "GPE"]
        qa.unit = noun
    elif kind == QuestionKind.FIGURE:
        qa.unit = _unit_of(ask)
    elif kind == QuestionKind.DATE:
        qa.granularity = info.get("granularity", "")
    elif kind == QuestionKind.QUOTE:
        qa.subject = info.get("subject", "")
        rest = _ABOUT_PHRASE.sub(" ", _SOURCE_PHRASE.sub(" ", info.get("rest", "")))
        qa.topic = [t for t in tokenize(rest) if t not in cue_stems]
    return qa


# -- question hygiene ------------------------------------------------------------------------------
_TAG = re.compile(r"<[^>]{0,200}>")


def sanitise(question: str) -> tuple[str, str]:
    """Clean a raw question; returns (text, notice). Raises InvalidQuestion when nothing is left."""
    if question is None or not str(question).strip():
        raise InvalidQuestion("the question is empty", fix="type a question about the news corpus")
    q = str(question)
    notice = ""
    if len(q) > MAX_QUESTION_CHARS:
        q = q[:MAX_QUESTION_CHARS]
        notice = f"Your question was {len(question):,} characters long; only the first {MAX_QUESTION_CHARS:,} were used."
    q = "".join(c if unicodedata.category(c)[0] != "C" or c in "\n\t" else " " for c in q)
    q = html.unescape(_TAG.sub(" ", q))
    q = " ".join(q.split())
    if not re.search(r"\w", q):
        raise InvalidQuestion("the question has no words in it", fix="type a question about the news corpus")
    return q, notice

"""Figure mentions: number phrases with their currency, magnitude and unit, qualifier and value.

A figure is a run of tokens forming one written number (digits, number words,
vague magnitudes such as "hundreds of", fractions), widened by a currency sign
before it and a magnitude, percent, currency word or measure unit after it, and
read as a range when a second number follows ("10-15", "between 300 and 400").
Numbers that name or time something ("Article 5", "Boeing 737", "10:30",
telephone numbers) are not figures. What each figure counts and its frame are
``figure_roles``; its value is set there too, once the counted noun is known
(``figure_value``: the thousands-dot rule needs it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.nlp.mentions.context import ENTITY_KINDS, span_root
from assistant.nlp.mentions.units import CURRENCY_SIGNS, CURRENCY_WORDS, LABEL_NOUNS, MEASURES
from assistant.text.folding import fold
from assistant.text.numbers import (
    FRACTION_WORDS,
    SCALE_WORDS,
    SUFFIX_SCALES,
    TENS_WORDS,
    UNIT_WORDS,
    VAGUE_MAGNITUDES,
    format_number,
    parse_number,
)

if TYPE_CHECKING:
    from spacy.tokens import Token

    from assistant.nlp.mentions.context import Ctx

#: Words right before a figure that bound or qualify it ("at least", "nearly", "between").
_QUALIFIERS = (
    "no fewer than", "no more than", "not more than", "not less than", "more than", "less than",
    "fewer than", "greater than", "at least", "at most", "up to", "as many as", "as much as",
    "as few as", "as little as", "close to", "upwards of", "in excess of", "just over", "just under",
    "well over", "nearly", "almost", "about", "around", "approximately", "roughly", "some",
    "over", "under", "below", "above", "an estimated", "estimated", "only", "just", "exactly",
    "a total of", "between", "an additional", "another", "a further", "from", "to",
)
#: Qualifiers that make a figure approximate (``extra["approx"]``).
_APPROX = frozenset({"nearly", "almost", "about", "around", "approximately", "roughly", "some",
                     "close to", "an estimated", "estimated", "upwards of"})
_QUALIFIER_RE = re.compile(r"(?i)\b(" + "|".join(re.escape(q) for q in _QUALIFIERS) + r")\s+$")
#: Characters looked at before a figure for its qualifier. Origin of the value not recorded.
_QUALIFIER_LOOKBACK_CHARS = 25
#: Words after a number that make it a clock time.
_TIME_WORDS = frozenset({"a.m.", "p.m.", "am", "pm", "a.m", "p.m", "gmt", "utc", "cet", "est", "edt",
                         "pst", "pdt", "bst", "msk", "o'clock", "hrs", "h"})
#: Determiners and the like that make "one" a pronoun ("one of", "no one").
_ONE_PRONOUN_BEFORE = frozenset({"no", "the", "this", "that", "any", "every", "each", "someone", "which"})

#: Telephone numbers: North American "(202) 555-0187" / "202-555-0187", international "+44 20 7946
#: 0958", and a seven-digit local "555-0143" (checked against its context by ``_code_tokens``).
_PHONE_RE = re.compile(
    r"(?<![\w.,/$€£-])(?:"
    r"(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[.-]\d{4}"
    r"|\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}"
    r"|(?P<local>\d{3}-\d{4})"
    r")(?![\w-]|[.,]\d)")
_PHONE_CUE = re.compile(r"(?i)\b(?:call|calling|dial|phone|telephone|tel|fax|hotline|helpline|text|sms|contact|number|line)\b")
#: Characters before a seven-digit local number searched for a cue that it is a number to call.
#: Origin of the value not recorded.
_PHONE_CUE_LOOKBACK_CHARS = 40

#: One token of digits, and digits glued to an abbreviated magnitude ("3bn", "40k").
_NUMTOK_RE = re.compile(r"\d(?:[\d,.\u00a0\u202f]*\d)?")
_NUMSUFFIX_RE = re.compile(r"(\d(?:[\d,.]*\d)?)(k|m|mn|mln|bn|bln|b|tn|trn)", re.I)


def _code_tokens(ctx: Ctx) -> set[int]:
    """Tokens of telephone numbers and similar codes: digits that neither count nor date."""
    text = ctx.text
    code_tok: set[int] = set()
    for m in _PHONE_RE.finditer(text):
        if m.group("local") and not (re.match(r"0", m.group("local")[4:]) or _PHONE_CUE.search(
                text[max(0, m.start() - _PHONE_CUE_LOOKBACK_CHARS): m.start()])):
            continue  # "500-1000" is a range unless the context says it is a number to call
        code_tok.update(ctx.tokens_in(m.start(), m.end()))
    return code_tok


def _num_kind(t: Token) -> str:
    """'d' digits, 'w' number word, 's' scale word, 'v' vague plural, 'x' digits+magnitude,
    'f' fraction word, '' none."""
    low = t.lower_
    if _NUMTOK_RE.fullmatch(t.text):
        return "d"
    if _NUMSUFFIX_RE.fullmatch(t.text):
        return "x"
    if low in UNIT_WORDS or low in TENS_WORDS:
        return "w"
    if low in SCALE_WORDS or low == "dozen":
        return "s"
    if low in VAGUE_MAGNITUDES:
        return "v"
    if low in FRACTION_WORDS:
        return "f"
    return ""


class Fig:
    """A figure under construction (token indices into the Doc)."""

    __slots__ = ("antecedent", "end", "extra", "gap_subj", "hi_text", "idx", "noun", "num_text",
                 "owned_preps", "qualifier", "qualifier_start", "roles", "root", "scale", "start",
                 "tokens", "unit", "value")

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = tokens
        self.root: Token | None = None
        self.noun: Token | None = None
        self.unit = ""
        self.value = ""
        self.qualifier = ""
        self.qualifier_start = -1
        self.extra: dict[str, Any] = {}
        self.antecedent: Fig | None = None
        self.gap_subj: list[int] = []
        self.roles: list[tuple[str, list[Token]]] = []
        self.owned_preps: list[Token] = []
        self.start = self.end = self.idx = 0
        self.num_text = self.hi_text = ""
        self.scale = 1.0


def _group_numbers(ctx: Ctx) -> list[list[int]]:
    """Runs of tokens forming one written number ("1.5 million", "two hundred and fifty",
    "a dozen", "tens of thousands", "two-thirds")."""
    doc, n = ctx.doc, ctx.n
    groups: list[list[int]] = []
    i = 0
    while i < n:
        t = doc[i]
        k = _num_kind(t)
        if k == "f" and not (t.lower_ == "half" and i + 1 < n and doc[i + 1].lower_ in ("of", "the")):
            k = ""  # "third" alone is an ordinal; "half of" is a fraction
        if i in ctx.date_tok or not k:
            nk = _num_kind(doc[i + 1]) if i + 1 < n else ""
            if t.lower_ in ("a", "an") and i + 1 not in ctx.date_tok and (
                    nk == "s" or (nk == "f" and i + 2 < n and doc[i + 2].lower_ == "of")):
                k = "a"
            else:
                i += 1
                continue
        if k == "f":
            groups.append([i])
            i += 1
            continue
        g = [i]
        j = i + 1
        prev_kind = k
        while j < n and j not in ctx.date_tok:
            u = doc[j]
            uk = _num_kind(u)
            nxt = doc[j + 1] if j + 1 < n else None
            if (uk == "s" and prev_kind in ("d", "w", "s", "a", "v")) or (uk == "w" and prev_kind in ("w", "s") and not (prev_kind == "w" and doc[j - 1].lower_ in UNIT_WORDS)):
                pass
            elif u.text in ("-", "‐") and prev_kind == "w" and nxt is not None and (
                    (nxt.lower_ in UNIT_WORDS and doc[j - 1].lower_ in TENS_WORDS) or _num_kind(nxt) == "f"):
                pass  # "twenty-five", "two-thirds"
            elif u.lower_ == "and" and doc[j - 1].lower_ == "hundred" and nxt is not None and _num_kind(nxt) == "w":
                pass
            elif uk == "f" and prev_kind in ("w", "a") and (
                    u.lower_.endswith("s") or prev_kind == "a" or (nxt is not None and nxt.lower_ == "of")):
                g.append(j)
                j += 1
                break  # a fraction closes the number
            elif u.lower_ == "of" and prev_kind == "v" and nxt is not None and nxt.lower_ in VAGUE_MAGNITUDES:
                pass  # "tens of thousands"
            elif not (uk == "v" and prev_kind == "v" and doc[j - 1].lower_ == "of"):
                break
            g.append(j)
            prev_kind = uk or prev_kind
            j += 1
        groups.append(g)
        i = j
    return groups


def _not_a_quantity(ctx: Ctx, g: list[int], kinds: list[str]) -> bool:
    """Number phrases that name or time something rather than count it."""
    doc = ctx.doc
    first, last = doc[g[0]], doc[g[-1]]
    labels = {ctx.ent_of[i] for i in g}
    nxt = doc[last.i + 1] if last.i + 1 < ctx.n else None
    score = nxt is not None and nxt.text in ("-", "–") and not last.whitespace_ and last.i + 2 < ctx.n \
        and re.fullmatch(r"\d{1,2}", last.text) is not None and re.fullmatch(r"\d{1,2}", doc[last.i + 2].text) is not None
    if labels & ENTITY_KINDS and "" not in labels and not score:
        return True  # inside a name: "Boeing 737", "Group of Seven" (a score "Burnley 3-1" is no name)
    if len(g) == 1 and first.lower_ == "one":
        before = doc[first.i - 1].lower_ if first.i > 0 else ""
        if before in _ONE_PRONOUN_BEFORE or first.dep_ != "nummod":
            return True  # "one of the few", "no one"
    if len(g) == 1 and kinds[0] == "s" and first.lower_ != "dozen":
        return True  # a bare "million" without a count
    prev = doc[first.i - 1] if first.i > 0 else None
    nxt = doc[last.i + 1] if last.i + 1 < ctx.n else None
    if len(g) == 1 and first.lower_ == "one" and prev is not None and prev.lower_ == "at" and \
            nxt is not None and nxt.lower_ in ("time", "point", "stage"):
        return True  # "at one time": an idiom for "once"
    if first.lower_ == "zero" and nxt is not None and nxt.text in ("-", "‐"):
        return True  # "zero-emission", "zero-sum": a compound adjective
    # "the Gang of Eight", "Group of Seven": a capitalised number word closing a name.
    if "d" not in kinds and first.text[:1].isupper() and prev is not None and prev.lower_ == "of" and \
            prev.i > 0 and doc[prev.i - 1].text[:1].isupper() and not doc[prev.i - 1].is_sent_start:
        return True
    modifies_next = last.dep_ == "nummod" and last.head.i > last.i
    # After a label noun it names something: "Article 5", "No. 1", "season two".
    if prev is not None and (prev.lower_ in LABEL_NOUNS or prev.text == "#" or (
            prev.text == "." and prev.i > 0 and doc[prev.i - 1].lower_ == "no")) and (
            not (prev.i > 0 and doc[prev.i - 1].lower_ in ("a", "an", "per"))
            and not (modifies_next and "d" not in kinds)):
        return True
    # A capitalised number word inside a name or title: "the Dirty Dozen", "“Ten Years to …”".
    if "d" not in kinds and first.text[:1].isupper() and not first.is_sent_start and prev is not None and (
            (prev.text[:1].isupper() and prev.pos_ in ("PROPN", "ADJ", "NOUN"))
            or (prev.text in ("“", '"', "‘") and nxt is not None and nxt.text[:1].isupper())):
        return True
    # Right after a name it is part of the name ("Apollo 11", "ChatGPT 4"), unless the name is a
    # place heading a list remnant ("…, Latvia 5,000").
    if "d" in kinds and prev is not None and prev.pos_ == "PROPN" and prev.whitespace_ and \
            prev.ent_type_ not in ("GPE", "NORP", "LOC") and not modifies_next and not (
            nxt is not None and nxt.text in ("-", "–") and last.i + 2 < ctx.n and doc[last.i + 2].like_num):
        return True  # ("Clemson 45-40" is a score, not a name)
    # Clock times: "10:30", "3 p.m.".
    if nxt is not None and (nxt.lower_ in _TIME_WORDS or (
            nxt.text == ":" and nxt.i + 1 < ctx.n and doc[nxt.i + 1].like_num)):
        return True
    return first.tag_ == "JJ" and first.lower_ not in VAGUE_MAGNITUDES


def _attach_prefix(ctx: Ctx, f: Fig) -> None:
    """A currency sign before the number: "$35", "US$5", "€3bn"."""
    doc = ctx.doc
    j = f.tokens[0] - 1
    if j < 0:
        return
    sign = fold(doc[j].lower_)
    if sign not in CURRENCY_SIGNS or not (doc[j].whitespace_ == "" or len(sign) > 1):
        return
    f.extra["currency"] = CURRENCY_SIGNS[sign]
    f.tokens.insert(0, j)
    if j > 0 and doc[j - 1].whitespace_ == "":
        joined = fold(doc[j - 1].text + doc[j].text).lower()
        if joined in CURRENCY_SIGNS:
            f.extra["currency"] = CURRENCY_SIGNS[joined]
            f.tokens.insert(0, j - 1)


def _attach_suffix(ctx: Ctx, f: Fig) -> int:
    """Magnitude, percent, currency word or measure unit after the number; returns the next index."""
    doc = ctx.doc
    k = f.tokens[-1] + 1
    while k < ctx.n:
        u = doc[k]
        low = fold(u.lower_)
        nxt = doc[k + 1].lower_ if k + 1 < ctx.n else ""
        if low in ("%", "percent", "pct") or (low == "per" and nxt == "cent"):
            f.unit = "percent"
            f.tokens.extend(range(k, k + (2 if low == "per" else 1)))
            return f.tokens[-1] + 1
        if low == "percentage" and nxt in ("point", "points"):
            f.unit = "percentage point"
            f.tokens.extend((k, k + 1))
            return k + 2
        bare = low.rstrip(".")
        if (bare in SUFFIX_SCALES and bare not in ("m", "b", "k")) or (
                bare in ("m", "b", "k") and f.extra.get("currency")):
            f.scale = SUFFIX_SCALES[bare]
            f.tokens.append(k)
            k += 1
            continue
        lem = fold(u.lemma_.lower())
        cur = CURRENCY_WORDS.get(lem) or CURRENCY_WORDS.get(low)
        if cur and not f.extra.get("currency"):
            f.extra["currency"] = cur
            f.tokens.append(k)
            return k + 1
        unit = MEASURES.get(low) or MEASURES.get(lem)
        if unit and not f.extra.get("currency") and u.pos_ in ("NOUN", "PROPN", "X", "SYM"):
            if k > 0 and doc[k - 1].lower_ in ("square", "sq"):
                unit = "sq " + unit
            f.unit = unit
            f.extra["measure"] = True
            f.tokens.append(k)
            return k + 1
        if low in ("square", "sq") and nxt and (MEASURES.get(nxt) or MEASURES.get(fold(doc[k + 1].lemma_.lower()))):
            f.tokens.append(k)
            k += 1
            continue
        return k
    return k


def _build_figure(ctx: Ctx, g: list[int], kinds: list[str]) -> Fig:
    doc, text = ctx.doc, ctx.text
    first, last = doc[g[0]], doc[g[-1]]
    f = Fig(list(g))
    f.num_text = text[first.idx: last.idx + len(last.text)]
    _attach_prefix(ctx, f)
    k = _attach_suffix(ctx, f)
    if f.extra.get("currency"):
        f.unit = f.extra["currency"]
    elif "f" in kinds and not f.unit:
        f.unit = "fraction"
    elif not f.unit and g[0] > 0 and doc[g[0] - 1].lower_ == "magnitude":
        f.unit = "magnitude"  # "a magnitude 5.9 earthquake": the scale is named before the number
    start = doc[f.tokens[0]].idx
    rep = -1
    qm = _QUALIFIER_RE.search(text[max(0, start - _QUALIFIER_LOOKBACK_CHARS): start])
    q = qm.group(1).lower() if qm else ""
    # Range: "10-15", "10 to 15", "between 300 and 400" (the upper end is read with the same
    # scale and unit, which may be written after it only: "10 to 15 percent", "1.5 to 2 million").
    sep = doc[k].lower_ if k < ctx.n else ""
    if k + 1 < ctx.n and k + 1 not in ctx.date_tok and (
            (sep in ("-", "–") and kinds[-1] == "d" and _num_kind(doc[k + 1]) == "d" and not doc[k].whitespace_)
            or (sep == "to" and kinds[-1] in "dw" and _num_kind(doc[k + 1]) in ("d", "w"))
            or (sep == "and" and q == "between" and _num_kind(doc[k + 1]) in ("d", "w"))):
        f.tokens.extend((k, k + 1))
        j = k + 2
        while j < ctx.n and _num_kind(doc[j]) == "s" and doc[j].lower_ != "dozen":
            f.tokens.append(j)  # "1.5 to 2 million": the magnitude after the upper end
            j += 1
        f.hi_text = text[doc[k + 1].idx: doc[j - 1].idx + len(doc[j - 1].text)]
        if j < ctx.n and f.unit and ((f.unit == "percent" and doc[j].lower_ in ("%", "percent", "pct"))
                                     or MEASURES.get(fold(doc[j].lower_)) == f.unit):
            rep = j  # "4% to 41%": the unit repeated after the upper end (in the span only)
        if not f.unit and f.scale == 1.0 and not f.extra.get("currency"):
            _attach_suffix(ctx, f)
    f.tokens.sort()
    f.start = start
    f.end = doc[f.tokens[-1]].idx + len(doc[f.tokens[-1]].text.rstrip(".") if doc[f.tokens[-1]].lower_ in ("m.", "b.", "k.") else doc[f.tokens[-1]].text)
    if rep >= 0:
        f.end = doc[rep].idx + len(doc[rep].text)
    if qm and (q not in ("from", "to", "between") or f.hi_text):
        f.qualifier = q
        f.qualifier_start = max(0, start - _QUALIFIER_LOOKBACK_CHARS) + qm.start(1)
        if q in _APPROX:
            f.extra["approx"] = True
    if any(doc[i].lower_ in VAGUE_MAGNITUDES for i in g):
        f.extra.update(approx=True, vague=True)
    f.root = span_root(doc, [i for i in f.tokens if doc[i].text not in ("-", "–", "to")])
    return f


def extract_figures(ctx: Ctx) -> list[Fig]:
    """The figures of the text in order (value, noun and frame still unset); marks ``ctx.fig_tok``."""
    figs: list[Fig] = []
    taken: set[int] = set()
    code_tok = _code_tokens(ctx)
    for g in _group_numbers(ctx):
        if taken.intersection(g) or code_tok.intersection(g):
            continue  # the upper end of a range already read; a telephone number
        kinds = [_num_kind(ctx.doc[i]) for i in g]
        if _not_a_quantity(ctx, g, kinds):
            continue
        f = _build_figure(ctx, g, kinds)
        f.idx = len(figs)
        figs.append(f)
        taken.update(f.tokens)
        for i in f.tokens:
            ctx.fig_tok[i] = f.idx
    return figs


def _thousands_dot_context(fig: Fig) -> bool:
    """Is "N.ddd" a thousands separator here?

    Rule: the integer part has 1-3 digits and exactly three digits follow the
    dot (checked by the caller), no currency, percent or measure unit is attached,
    and the number counts discrete things: its noun is a plural count noun, or it
    is an elliptical remnant of such a count. Copy edited by writers used to the
    continental style writes "10.970 attempts" for 10,970; a count of discrete
    things cannot have three decimals, while "1.415 km" or "$3.125" can.
    """
    if fig.extra.get("currency") or fig.unit in ("percent", "percentage point", "fraction") or \
            fig.extra.get("measure") or fig.scale != 1.0:
        return False
    n = fig.noun
    if n is not None:
        return n.tag_ in ("NNS", "NNPS") and fold(n.lemma_) not in MEASURES
    a = fig.antecedent
    return a is not None and a.noun is not None and a.noun.tag_ in ("NNS", "NNPS") and not a.extra.get("currency")


def figure_value(f: Fig) -> None:
    """Numeric value (and range) of a figure, applying the thousands-dot rule."""
    dotted = bool(re.fullmatch(r"\d{1,3}\.\d{3}", f.num_text))
    tdot = dotted and _thousands_dot_context(f)
    if tdot:
        f.extra["thousands_dot"] = True
    elif dotted:
        f.extra["ambiguous_dot"] = True
    v = parse_number(f.num_text, thousands_dot=tdot)
    if v is None:
        return
    v *= f.scale
    hv = parse_number(f.hi_text, thousands_dot=tdot) if f.hi_text else None
    if hv is None:
        f.value = format_number(v)
        return
    hv *= f.scale
    hi_words = f.hi_text.split()
    if len(hi_words) > 1 and not any(w.lower() in SCALE_WORDS for w in f.num_text.split()):
        base = parse_number(hi_words[0], thousands_dot=tdot)
        if base:
            v *= hv / (base * f.scale)  # the magnitude written once, after the upper end
    f.value = f"{format_number(v)}-{format_number(hv)}"
    if hv > v:
        f.extra.update(low=v, high=hv, range=True)
    else:
        f.extra["pair"] = True  # a score or a vote: "5-4"

"""Remove page furniture (related posts, share bars, paywall teasers, bio boxes...)
from article text, keeping every article line verbatim.

Method: line classification in the spirit of boilerplate detection by shallow
text features (Kohlschütter, Fankhauser & Nejdl 2010, "Boilerplate detection
using shallow text features"; jusText, Pomikálek 2011): each line is judged by
its shape (length, terminal punctuation, bullets, link/domain density), by
generic interface phrases ("Read more", "Leave a Reply"), by repetition, and by
position (everything after a strong end-of-article marker such as a
related-posts heading, a comment form or an author bio box is furniture, as are
headline-like orphans right before it). No rule names a site or a phrase of a
particular corpus.

Cleaning only deletes whole lines. Kept lines keep their exact characters
(trailing spaces aside), so quotes stay verbatim and offsets stay meaningful.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from assistant.ingest.metadata import (
    bio_match,
    extract_metadata,
    headline_like,
    is_caption,
    is_name_line,
    is_role_line,
    merge_metadata,
)
from assistant.models import Document, Removed

# ---------------------------------------------------------------------------
# Line patterns. Each is matched against the whole stripped line, case-insensitively.

_SOCIAL = r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|instagram|threads|bluesky|tiktok|youtube|mastodon|email|e-mail|messenger|viber|vk|flipboard)"

_CHROME = [
    # Reading-time and navigation chrome.
    r"\d+\s*(?:-\s*)?min(?:ute)?s?\.?\s+(?:read|listen|watch)",
    r"(?:estimated\s+)?reading time\s*:?\s*\d+\s*min(?:ute)?s?",
    r"(?:read|show|see|view|load|display)\s+(?:more|less|all)(?:\s+(?:stories|articles|posts|news|comments|results|replies|photos|videos))?",
    r"(?:continue|keep)\s+reading\b.{0,80}",
    r"read\s+(?:the\s+)?(?:full|whole|entire|rest of the)\s+(?:story|article|report|piece)",
    r"click\s+(?:here\s+)?to\s+(?:read|see|view|expand|enlarge|continue).{0,60}",
    r"(?:news|live|activity)\s*feed|(?:main\s+)?menu|search|home(?:\s*page)?|skip\s+to\s+(?:main\s+)?content|back\s+to\s+top|go\s+to\s+top",
    r"advertisement|advertising|sponsored(?:\s+content)?|ad|promoted|paid\s+content|scroll\s+to\s+continue.{0,40}",
    r"avatar|user\s+avatar|author\s+avatar|thumbnail|logo|(?:profile|author)\s+(?:photo|picture|image)|placeholder\s+image|loading\.*",
    # Share bars.
    r"share(?:\s+(?:this|the))?(?:\s+(?:article|story|post|page|link|video))?(?:\s+(?:on|via|to)\s+\w+)?",
    r"spread\s+the\s+words?|tweet(?:\s+this)?|pin\s+it|copy\s+(?:the\s+)?link|link\s+copied|email\s+this|print(?:\s+this)?(?:\s+(?:article|page|story))?",
    rf"{_SOCIAL}(?:\s*[|·•,/]?\s*{_SOCIAL})+",
    rf"(?:share|post)\s+(?:on|to|via)\s+{_SOCIAL}",
    r"follow\s+us(?:\s+on\s+.{1,60})?",
    # Comment forms.
    r"leave\s+a\s+(?:reply|comment|response)|cancel\s+reply|post\s+(?:a\s+)?comment|submit\s+comment|add\s+(?:a\s+)?comment",
    r"your\s+email\s+address\s+will\s+not\s+be\s+published\b.{0,120}",
    r"required\s+fields\s+are\s+marked\b.{0,20}",
    r"save\s+my\s+name,?\s+email.{0,120}",
    r"(?:name|email|e-mail|website|comment)\s*\*",
    r"\d+\s+comments?|comments?\s*\(\d+\)|no\s+comments(?:\s+yet)?|be\s+the\s+first\s+to\s+comment\.?",
    r"log\s*in\s+to\s+(?:comment|reply).{0,40}|you\s+must\s+be\s+logged\s+in.{0,80}",
    # Theme widgets and copy protection.
    r"(?:primary|secondary|accent|background|text|link)\s+colou?r|(?:layout|dark|light|night|reading|boxed|wide|full\s*width)\s+mode",
    r"(?:font|text)\s+size|(?:switch|toggle)\s+(?:theme|mode|colou?rs?)|(?:increase|decrease|reset)\s+font(?:\s+size)?",
    r"(?:error\s*:?\s*)?content\s+is\s+protected\b.{0,20}|right[\s-]+click\s+(?:is\s+)?disabled.{0,40}",
    # "(c)" alone also opens clause (c) of a quoted law, so it needs a year or "copyright" after it.
    r"©.{0,100}|\(c\)\s*(?:\d{4}|copyright)\b.{0,100}|copyright\s*(?:©|\(c\))?\s*\d{4}\b.{0,80}"
    r"|.{0,80}\ball\s+rights\s+reserved\.?",
    # Newsletter and social-follow promos.
    r"(?:sign\s+up|subscribe|register)\s+(?:for|to)\s+.{0,60}?\b(?:newsletters?|podcasts?|channel|alerts|updates|briefing|digest|e-?mails?)\b.{0,80}",
    r"(?:sign\s+up|subscribe)\s+(?:now|today|here)\b.{0,40}",
    rf"follow\s+(?:@\w+|.{{1,80}}\s+on\s+{_SOCIAL})\b.{{0,120}}",
    r"follow\s+@\w+.{0,80}",
    r"(?:join|follow)\s+(?:us|our)\b.{0,60}(?:channel|group|community|page|account)s?\b.{0,40}",
    # Donation asks, cookie banners, app prompts, site links.
    r"(?:please\s+)?(?:donate|make\s+a\s+donation|help\s+us\s+(?:keep|continue))\b.{0,80}",
    r"(?:please\s+)?support\s+(?:our|independent|us)\b(?:\s+\w+){0,2}?\s*(?:journalism|newsroom|reporting|work|media|press)?.{0,60}",
    r".{0,40}\b(?:we\s+use\s+cookies|accept\s+(?:all\s+)?cookies|cookie\s+(?:policy|settings|preferences))\b.{0,200}",
    r"listen\s+to\s+(?:this\s+)?(?:article|story)(?:\s+\d+\s*min(?:ute)?s?)?|open\s+in\s+app|download\s+(?:our|the)\s+app.{0,40}",
    r"(?:next|previous|prev)\s+(?:article|post|story)|bookmark|save(?:\s+(?:article|story|for\s+later))?|(?:hide|show|view|load)\s+comments",
    r"(?:contact\s+us|about\s+us|privacy\s+policy|terms\s+(?:of\s+(?:use|service)|and\s+conditions)|cookie\s+policy)(?:\s*[|·•]\s*.{1,30}){0,8}",
    # Tag and category lists.
    r"(?:tags?|tagged|filed\s+under|categories|category|topics)\s*:.{0,200}",
]
_CHROME_RE = re.compile(r"^(?:" + "|".join(_CHROME) + r")\s*[:.!|»›>→\-–—]*$", re.I)
# A whole-line teaser pointing elsewhere: "Related: Headline", "Read more: Headline".
_INLINE_TEASER_RE = re.compile(
    r"^(?:related|read\s+(?:more|also|next)|see\s+also|also\s+read|more\s+on\s+this(?:\s+story)?|recommended|watch|listen"
    r"|(?:next|previous)\s+(?:article|post|story))"
    r"(?:\s+(?:article|story|coverage|content|posts?))?\s*[:|»›>→–—-]\s*\S.{0,200}$",
    re.I,
)

# Paywall / subscriber-only notices, anywhere in a line.
_PAYWALL_RE = re.compile(
    r"\b(?:available|accessible|reserved)\s+(?:only|exclusively)\s+(?:to|for)\b"
    r"|\bonly\s+(?:available|accessible)\s+(?:to|for)\s+(?:paid\s+|premium\s+)?(?:subscribers|members)\b"
    r"|\b(?:subscribe|log\s*in|sign\s*in|register)\s+(?:now\s+|today\s+)?to\s+(?:read|continue|unlock|access|view|keep\s+reading)\b"
    r"|\bfor\s+(?:paid\s+|premium\s+)?(?:subscribers|members)\s+only\b|\b(?:subscribers?|members?)[-\s]only\b"
    r"|\bto\s+continue\s+reading\b|\balready\s+an?\s+(?:subscriber|member)\b|\bbecome\s+an?\s+(?:subscriber|member)\b"
    r"|\b(?:this|the)\s+(?:content|article|story|material)\s+is\s+for\s+(?:subscribers|members)\b"
    r"|\bsubscribe\s+to\s+(?:read|unlock)\b|\bpremium\s+(?:content|article|story)\b",
    re.I,
)

_REPORTED_RE = re.compile(r"\b(?:said|says|told|according\s+to|announced|reported)\b", re.I)

# Headings that end the article: what follows is a list of other content or a comment section.
_END_MARKER_RE = re.compile(
    r"^(?:related(?:\s+(?:posts?|articles?|stories|news|content|coverage|reading|links|topics))?"
    r"|you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in)|recommended(?:\s+(?:for\s+you|stories|articles|reading))?"
    r"|more\s+(?:stories|articles|news)(?:\s+(?:like\s+this|for\s+you))?|read\s+next|up\s+next|what\s+to\s+read\s+next"
    r"|(?:most\s+(?:read|popular|viewed|shared|commented))(?:\s+(?:stories|articles|posts))?|trending(?:\s+(?:now|stories|posts))?"
    r"|(?:latest|recent|popular)\s+(?:posts|stories|articles)|also\s+read|see\s+also|further\s+reading|don['’]t\s+miss"
    r"|editor['’]?s\s+picks?|from\s+around\s+the\s+web|around\s+the\s+web|sponsored\s+(?:stories|links|content)"
    r"|leave\s+a\s+(?:reply|comment|response)|post\s+a\s+comment|join\s+the\s+(?:conversation|discussion)"
    r"|\d+\s+(?:comments?|responses?|replies)|comments?|about\s+the\s+author|about\s+the\s+writer"
    r"|your\s+email\s+address\s+will\s+not\s+be\s+published.*)\s*[:.!]?$",
    re.I,
)

# "Home > World > Europe": navigation path.
_BREADCRUMB_RE = re.compile(r"^[\w&'’ -]{1,30}(?:\s+[>›»]\s+[\w&'’ -]{1,30}){2,6}$")
_BULLET_RE = re.compile(r"^\s*(?:[-–—•*·▪►◦‣]|\d{1,2}[.)])\s+")
# A section label glued to a headline by text extraction: "PoliticsBelarus ...".
_GLUED_RE = re.compile(r"^[A-Z][a-z]{3,}(?:,\s*[A-Z][a-z]{3,})*[A-Z][a-z]")
_SECTION_TAGS_RE = re.compile(r"^[A-Z][\w&'’-]*(?:\s+[A-Z&][\w&'’-]*)?(?:\s*[,/|]\s*[A-Z][\w&'’-]*(?:\s+[A-Z&][\w&'’-]*)?){0,4}$")
_DOMAIN_RE = re.compile(
    r"^(?:https?://\S+|www\.\S+|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|info|io|co|us|uk|news|media|tv|ru|by|ua|de|fr|eu|pl|lt|lv|in|au|ca)(?:/\S*)?)[.,;]?$",
    re.I,
)
# Photo-credit-only lines: "Photo: Jane Doe/Agency", "(Photo / Agency)", "Agency/Agency."
_CREDIT_RES = [
    re.compile(r"^\(?\s*(?:photo(?:graph)?|image|picture|illustration|video|graphic|footage)s?(?:\s+credit)?\s*(?::|/|\||by\b|credit\b|courtesy\b).{0,80}$", re.I),
    re.compile(r"^\(?\s*(?:credit|courtesy|source|photo\s+courtesy)\s*(?::|of\b).{0,80}$", re.I),
    re.compile(r"^\(\s*[^()]{0,80}(?:/|\bvia\b|\bphotos?\b|\bimages?\b)[^()]{0,80}\)\.?$", re.I),
    re.compile(r"^[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,3}(?:\s*/\s*[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,3})+\.?$"),
    # "Example Images", "Agency Photo": an agency name ending in a picture noun.
    re.compile(r"^[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,3}\s+(?:Images|Photos?|Pictures|Photography)\.?$"),
]
_SENTENCE_END_RE = re.compile(r"[.!?…][\"'”’»)\]]*$")

#: A line this long with sentence punctuation is article prose; position rules never drop it
#: unless it lies after an end-of-article marker.
_PROSE_CHARS = 60
#: Body text needed before an end marker, so that a page top is never mistaken for a page end.
_MIN_BODY_BEFORE_END = 150


@dataclass
class CleanResult:
    """Cleaned text and every line that was dropped, with the rule that dropped it."""

    text: str
    removed: list[Removed] = field(default_factory=list)


def _words(s: str) -> int:
    return len(s.split())


def _strip_bullet(s: str) -> str:
    return _BULLET_RE.sub("", s, count=1).strip()


def _is_credit(s: str) -> bool:
    if _words(s) > 14:
        return False
    return any(rx.match(s) for rx in _CREDIT_RES)


def _is_url_line(s: str) -> bool:
    if "." not in s:
        return False
    toks = [t for t in re.split(r"\s+", s) if t and t not in "&|,-–—·"]
    if not toks or len(toks) > 12:
        return False
    hits = sum(bool(_DOMAIN_RE.match(t)) for t in toks)
    return hits >= 1 and hits >= 0.4 * len(toks)


def _paywall(s: str) -> bool:
    """A subscriber notice: the phrase, in a line that is not a reported sentence."""
    if not _PAYWALL_RE.search(s):
        return False
    body = _strip_bullet(s)
    if _BULLET_RE.match(s) is not None or not _SENTENCE_END_RE.search(body):
        return True
    # A full sentence with attribution is news about access, not a notice to the reader.
    return _words(body) <= 15 and not _REPORTED_RE.search(body)


def line_rule(line: str) -> str:
    """The furniture rule a single line matches on its own, or ``""``."""
    s = line.strip()
    if not s:
        return ""
    bullet = _BULLET_RE.match(s) is not None
    core = _strip_bullet(s) if bullet else s
    nw = _words(core)
    if nw > 30:
        # Long lines can only be paywall notices glued to a teaser; long prose ends like a sentence.
        return "paywall" if _paywall(s) else ""
    if _CHROME_RE.match(core) or (bullet and _CHROME_RE.match(s)):
        return "chrome"
    if _paywall(s):
        return "paywall"
    if _is_credit(core):
        return "photo_credit"
    if nw <= 12 and _is_url_line(core):
        return "url_line"
    if _INLINE_TEASER_RE.match(core):
        rest = re.split(r"[:|»›>→–—-]", core, maxsplit=1)[-1].strip()
        if not _SENTENCE_END_RE.search(rest) or _is_url_line(rest):
            return "inline_teaser"
    if _BREADCRUMB_RE.match(core):
        return "breadcrumb"
    return ""


def _teaser_item(s: str) -> tuple[bool, bool]:
    """``(teaser_like, strong)`` for one bullet item.

    Teaser-like: a headline or section label (short, no sentence ending).
    Strong: a sign no article list has — a paywall notice, or a section label
    glued to the headline by text extraction.
    """
    body = _strip_bullet(s)
    strong = bool(_PAYWALL_RE.search(body) or _GLUED_RE.match(body))
    like = strong or bool(_SECTION_TAGS_RE.match(body) and _words(body) <= 6) or headline_like(body, 25)
    return like, strong


def _bullet_runs(stripped: list[str]) -> list[tuple[int, int]]:
    """Index ranges ``[a, b]`` of bullet lines, allowing single blank lines inside a run."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(stripped)
    while i < n:
        if stripped[i] and _BULLET_RE.match(stripped[i]):
            a = b = i
            j = i + 1
            while j < n:
                if stripped[j] and _BULLET_RE.match(stripped[j]):
                    b = j
                    j += 1
                elif not stripped[j] and j + 1 < n and stripped[j + 1] and _BULLET_RE.match(stripped[j + 1]):
                    j += 1
                else:
                    break
            runs.append((a, b))
            i = b + 1
        else:
            i += 1
    return runs


def _prose(s: str) -> bool:
    return len(s) >= _PROSE_CHARS and bool(_SENTENCE_END_RE.search(s))


def clean_text(text: str) -> CleanResult:
    """Drop page furniture from ``text``; see the module docstring for the method.

    Returns the cleaned text (article lines verbatim, trailing spaces removed,
    runs of blank lines collapsed to one) and one ``Removed`` per dropped line
    with its rule name and 1-based line number in ``text``.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    stripped = [ln.strip() for ln in lines]
    rule = [line_rule(s) for s in stripped]
    _mark_duplicate_headlines(stripped, rule)
    teaser_runs = _mark_teaser_lists(stripped, rule)
    body = _BodyChars(stripped, rule)
    bio_start = _bio_start(stripped, rule, body)
    end = _article_end(stripped, rule, body, bio_start, teaser_runs)
    if end >= 0:
        for i in range(end, len(lines)):
            if stripped[i] and not rule[i]:
                rule[i] = "author_bio" if i >= bio_start >= end and i <= _bio_end(stripped, bio_start) else "after_end_marker"
        _absorb_orphans_before(end, stripped, rule, "tail_orphan")
    return _assemble(lines, stripped, rule)


def _mark_duplicate_headlines(stripped: list[str], rule: list[str]) -> None:
    """A headline repeated verbatim (under the share bar, above the photo). Repeated
    sentences stay: live blogs legitimately restate facts in each update."""
    seen: set[str] = set()
    for i, s in enumerate(stripped):
        if not s or rule[i]:
            continue
        key = " ".join(s.casefold().split())
        if key in seen and _words(s) >= 3 and headline_like(s, 30):
            rule[i] = "duplicate_headline"
        seen.add(key)


def _mark_teaser_lists(stripped: list[str], rule: list[str]) -> list[tuple[int, int]]:
    """Bullet runs of headlines or section labels with a strong teaser sign; returns the
    runs (first and last line)."""
    teaser_runs: list[tuple[int, int]] = []
    for a, b in _bullet_runs(stripped):
        items = [i for i in range(a, b + 1) if stripped[i]]
        if len(items) < 3:
            continue
        judged = [_teaser_item(stripped[i]) for i in items]
        like = sum(j[0] for j in judged)
        strong = sum(j[1] for j in judged)
        if like >= 0.7 * len(items) and strong >= max(2, 0.25 * len(items)):
            teaser_runs.append((a, b))
            for i in items:
                rule[i] = rule[i] if rule[i] in ("chrome",) else "teaser_list"
            _absorb_orphans_before(a, stripped, rule, "teaser_headline")
    return teaser_runs


class _BodyChars:
    """Prose characters of the lines no rule has claimed, between two line numbers, in
    O(1) (prefix sums, taken when made)."""

    def __init__(self, stripped: list[str], rule: list[str]) -> None:
        self.prefix = [0] * (len(stripped) + 1)
        for i, s in enumerate(stripped):
            self.prefix[i + 1] = self.prefix[i] + (len(s) if s and not rule[i] and _prose(s) else 0)

    def __call__(self, a: int, b: int) -> int:
        return self.prefix[b] - self.prefix[a]


def _bio_start(stripped: list[str], rule: list[str], body_chars: _BodyChars) -> int:
    """The line an author's bio starts on (-1: none): a name line followed by a job-title
    line (blank lines between allowed), or a standalone bio sentence ("Jane Doe is a
    reporter at Outlet") that ends the text."""
    nonblank = [i for i, s in enumerate(stripped) if s]
    for k, i in enumerate(nonblank[:-1]):
        j = nonblank[k + 1]
        if is_role_line(stripped[j]) and is_name_line(stripped[i]) and body_chars(0, i) >= _MIN_BODY_BEFORE_END:
            return i
    for i in reversed(nonblank):
        if rule[i]:
            continue
        if bio_match(stripped[i])[0] and body_chars(0, i) >= _MIN_BODY_BEFORE_END:
            rest = [k for k in nonblank if k > i and not rule[k]]
            if all(not _prose(stripped[k]) for k in rest):
                return i
        break
    return -1


def _article_end(stripped: list[str], rule: list[str], body_chars: _BodyChars, bio_start: int,
                 teaser_runs: list[tuple[int, int]]) -> int:
    """The line the article ends before (-1: it runs to the end): the first strong marker
    after enough body text, or a teaser list that runs to the end of the text."""
    n = len(stripped)
    end = -1
    for i in (i for i, s in enumerate(stripped) if s):
        s = stripped[i]
        core = _strip_bullet(s) if _BULLET_RE.match(s) else s
        marker = bool(_END_MARKER_RE.match(core)) or i == bio_start
        if not marker:
            continue
        before = body_chars(0, i)
        after = body_chars(i + 1, n)
        # A marker is trusted only where it cannot swallow most of an article.
        if before >= _MIN_BODY_BEFORE_END and after < before:
            end = i
            break
    for a, b in teaser_runs:
        if all(not stripped[k] or rule[k] for k in range(b + 1, n)) and (end < 0 or a < end):
            end = a
    return end


def _bio_end(stripped: list[str], start: int) -> int:
    """Last line of a bio box starting at ``start`` (name, role, bio sentence)."""
    k = start
    seen_text = 0
    for i in range(start, len(stripped)):
        if not stripped[i]:
            continue
        k = i
        seen_text += 1
        if bio_match(stripped[i])[0] or seen_text >= 3:
            break
    return k


def _absorb_orphans_before(idx: int, stripped: list[str], rule: list[str], name: str) -> None:
    """Mark headline-like lines and chrome just above furniture at ``idx`` as furniture too.

    Method (position): a related-headline or an author name line left alone
    between the last article paragraph and a block of furniture belongs to that
    block. At most three such lines are taken; the walk stops at the first line
    that ends like a sentence, and never takes the first line of the text.
    """
    taken = 0
    i = idx - 1
    while i > 0 and taken < 3:
        s = stripped[i]
        if not s:
            i -= 1
            continue
        if rule[i]:
            i -= 1
            continue
        if headline_like(s) and not is_caption(s):
            rule[i] = name
            taken += 1
            i -= 1
            continue
        break


def _assemble(lines: list[str], stripped: list[str], rule: list[str]) -> CleanResult:
    removed: list[Removed] = []
    kept: list[str] = []
    for i, ln in enumerate(lines):
        if rule[i] and stripped[i]:
            removed.append(Removed(text=ln.rstrip(), rule=rule[i], line=i + 1))
            continue
        kept.append(ln.rstrip())
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return CleanResult(text=out, removed=removed)


def content_hash(text: str, title: str, publisher: str, date: str, author: str, url: str,
                 origins: dict[str, str] | None = None) -> str:
    """sha256 of the cleaned text and its metadata (changes when either changes, or when a
    field's value comes from somewhere else: ``origins``, see ``Document.meta_origin``)."""
    fields: list = [text, title, publisher, date, author, url]
    if origins:
        fields.append(sorted(origins.items()))
    payload = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def clean_document(raw: Document) -> Document:
    """Clean a loaded document and fill its metadata.

    Fields the loader found (JSONL fields, HTML meta tags, PDF document information, Word
    core properties, feed items) win over ones extracted from the text; ``meta_origin``
    says which each field came from.
    """
    res = clean_text(raw.text)
    text_origins: dict[str, str] = {}
    meta = extract_metadata(raw.text, res.text, text_origins)
    loaded = {key: getattr(raw, key) for key in ("title", "publisher", "date", "author", "url")}
    values, origins = merge_metadata(loaded, raw.meta_origin, meta, text_origins, raw.fmt)
    return Document(
        doc_id=raw.doc_id,
        text=res.text,
        title=values["title"],
        publisher=values["publisher"],
        date=values["date"],
        author=values["author"],
        url=values["url"],
        source=raw.source,
        fmt=raw.fmt,
        content_hash=content_hash(res.text, values["title"], values["publisher"], values["date"],
                                  values["author"], values["url"], origins),
        raw_hash=raw.raw_hash or hashlib.sha256(raw.text.encode("utf-8")).hexdigest(),
        removed=list(res.removed),
        meta_origin=origins,
    )


def _short(s: str, width: int = 100) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def format_cleaning_report(doc: Document) -> str:
    """What cleaning dropped from ``doc`` and why, one line per dropped line."""
    head = [
        f"{doc.doc_id}" + (f"  ({doc.source})" if doc.source and doc.source != doc.doc_id else ""),
        f"  title:     {doc.title or '-'}",
        f"  publisher: {doc.publisher or '-'}    date: {doc.date or '-'}    author: {doc.author or '-'}",
    ]
    if doc.meta_origin:
        head.append("  from:      " + ", ".join(f"{k} {v}" for k, v in doc.meta_origin.items()))
    if not doc.removed:
        head.append(f"  kept {len(doc.text)} chars; nothing removed")
        return "\n".join(head)
    counts: dict[str, int] = {}
    for r in doc.removed:
        counts[r.rule] = counts.get(r.rule, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    head.append(f"  kept {len(doc.text)} chars; removed {len(doc.removed)} lines ({summary})")
    width = max(len(r.rule) for r in doc.removed)
    for r in doc.removed:
        head.append(f"    line {r.line:>4}  {r.rule:<{width}}  {_short(r.text)}")
    return "\n".join(head)

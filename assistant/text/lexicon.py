"""Word lists of general English news language, one copy each, shared by ingest
(quote attribution, mention frames) and question time (question cues, search).

Nothing here names a person, outlet or place of any corpus.
"""

from __future__ import annotations

#: Stop words of search (BM25 tokens, a question's focus words): the commonest English
#: function words (a Lucene/NLTK-style list).
STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "for", "from", "had", "has", "have", "he", "her", "hers", "him", "his", "i", "if", "in", "into", "is", "it", "its", "itself", "me", "my", "of", "on", "or", "our", "ours", "she", "so", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "to", "too", "us", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "whose", "why", "will", "with", "would", "you", "your", "yours", "do", "does", "did", "doing", "not", "no", "nor", "can", "could", "should", "shall", "may", "might", "must", "about", "above", "after", "again", "against", "all", "am", "any", "because", "before", "below", "between", "both", "down", "during", "each", "few", "further", "here", "how", "just", "more", "most", "other", "out", "over", "own", "same", "some", "such", "through", "under", "until", "up", "very", "off", "once", "only", "also", "ever"]
)

#: Function words a mention's frame skips (what a figure or date is bound to): the search
#: list plus quantifiers, indefinite pronouns, contractions and rarer prepositions, which
#: carry no topic in a frame.
FRAME_STOPWORDS = (STOPWORDS - frozenset(('doing', 'ever', 'itself'))) | frozenset(
    ["'d", "'ll", "'re", "'s", "'ve", 'across', 'along', 'already', 'although', 'among', 'amongst', 'another', 'anybody', 'anyone', 'anything', 'around', 'behind', 'beyond', 'despite', 'done', 'either', 'even', 'every', 'everyone', 'everything', 'having', "it's", 'like', 'lot', 'lots', 'many', 'mine', 'much', "n't", 'near', 'neither', 'nobody', 'nothing', 'one', 'ones', 'onto', 'ought', 'per', 'several', 'since', 'somebody', 'someone', 'something', 'still', 'thing', 'things', 'though', 'till', 'toward', 'towards', 'unlike', 'upon', 'via', 'whatever', 'whereas', 'whether', 'whoever', 'within', 'without', 'yet', '’s']
)


#: Verbs that introduce speech or writing; they attribute a quote on their own.
SPEECH_VERBS = frozenset(
    ["say", "tell", "add", "note", "stress", "explain", "claim", "argue", "insist", "warn", "write", "tweet", "ask", "reply", "respond", "answer", "state", "declare", "announce", "assert", "contend", "maintain", "acknowledge", "admit", "concede", "confirm", "deny", "reiterate", "repeat", "emphasize", "emphasise", "observe", "remark", "comment", "report", "predict", "promise", "vow", "pledge", "boast", "complain", "lament", "joke", "quip", "recall", "recount", "describe", "call", "accuse", "allege", "urge", "caution", "testify", "estimate", "conclude", "continue", "agree", "disagree", "counter", "retort", "post", "exclaim", "shout", "yell", "scream", "whisper", "mutter", "cry", "chant", "proclaim", "mention", "suggest", "quote", "cite", "inform", "assure", "reassure", "remind", "charge", "brag", "hint", "insinuate", "concur", "dismiss", "reject", "criticize", "criticise", "praise", "hail", "tout", "blast", "slam", "thank", "apologize", "apologise", "question", "wonder", "muse", "reflect", "advise", "recommend", "demand", "plead", "beg", "order", "instruct", "clarify", "elaborate", "summarize", "summarise", "opine", "posit", "theorize", "theorise", "gush", "rave", "rant", "fume", "snap", "growl", "sigh", "laugh", "marvel", "reason", "pronounce", "predict", "forecast", "acknowledge", "project", "threaten", "vow", "caution", "lecture", "preach", "recommend", "propose", "counsel", "assert", "affirm", "aver", "attest", "concede", "divulge", "disclose", "reveal", "confide", "relate", "narrate", "dub", "label", "brand", "term", "refer", "deride", "mock", "ridicule", "scoff", "lash", "decry", "denounce", "condemn", "blame", "fault", "credit", "applaud", "welcome", "speculate", "wager", "bet", "guess", "figure", "add", "express", "voice", "underline", "underscore", "highlight", "liken", "bemoan", "lambast", "reaffirm", "outline"]
)

#: Verbs of belief or finding: they attribute a reported clause ("X believes that ...").
COGNITION_VERBS = frozenset(
    ["think", "believe", "feel", "know", "hope", "fear", "expect", "worry", "suspect", "reckon", "find", "show", "indicate", "signal", "imply", "doubt", "understand", "realize", "realise", "recognize", "recognise", "consider", "acknowledge", "insist", "contend", "learn", "determine", "conclude"]
)

#: Verbs that make a cue with a speech noun object ("issued a statement").
LIGHT_VERBS = frozenset(["deliver", "issue", "make", "give", "offer", "release", "send", "post", "fire", "have", "put", "pen"])

#: Nouns for something said or written.
SPEECH_NOUNS = frozenset(
    ["statement", "remark", "remarks", "comment", "retort", "response", "reply", "answer", "message", "warning", "note", "tweet", "post", "letter", "speech", "address", "claim", "argument", "explanation", "promise", "pledge", "vow", "quip", "joke", "question", "assessment", "verdict", "prediction", "observation", "announcement", "declaration", "plea", "appeal", "rebuttal", "rejoinder", "reminder", "complaint", "criticism", "praise", "apology"]
)

#: Head nouns that name a person by role: "the minister said" refers back to a person.
PERSON_NOUNS = frozenset(
    ["president", "minister", "premier", "chancellor", "secretary", "official", "spokesman", "spokeswoman", "spokesperson", "senator", "governor", "mayor", "candidate", "leader", "chairman", "chairwoman", "chair", "director", "chief", "executive", "ambassador", "diplomat", "envoy", "general", "commander", "officer", "lawyer", "attorney", "judge", "prosecutor", "adviser", "advisor", "aide", "analyst", "expert", "professor", "researcher", "economist", "ruler", "king", "queen", "prince", "dictator", "strongman", "politician", "lawmaker", "legislator", "congressman", "congresswoman", "representative", "nominee", "manager", "strategist", "pollster", "founder", "owner", "head", "deputy", "minister", "man", "woman", "activist", "author", "writer", "reporter", "journalist", "editor", "columnist", "host", "anchor", "commentator", "doctor", "businessman", "businesswoman", "billionaire", "candidate", "incumbent", "challenger", "speaker"]
)

#: Head nouns that name an organisation: "the agency said" refers back to an organisation.
ORG_NOUNS = frozenset(
    ["agency", "ministry", "department", "office", "service", "company", "firm", "group", "organization", "organisation", "committee", "commission", "council", "party", "government", "administration", "bank", "court", "union", "network", "newspaper", "outlet", "channel", "institute", "foundation", "center", "centre", "board", "bureau", "police", "army", "military", "navy", "regime", "cabinet", "parliament", "congress", "senate", "assembly", "authority", "authorities", "watchdog", "team", "club", "association", "federation", "coalition", "alliance", "movement", "corporation", "business", "retailer", "maker", "manufacturer", "publisher", "broadcaster", "station", "magazine", "journal", "daily", "tabloid", "campaign", "paper", "website", "site"]
)

#: Documents, data and findings: a source, never a speaker. "X's analysis" or "a report
#: by X" is attributed to its owner X; with no owner there is no speaker to name.
SOURCE_NOUNS = frozenset(
    ["analysis", "data", "datum", "report", "study", "survey", "poll", "statistic", "estimate", "document", "record", "call", "recording", "footage", "video", "audio", "tape", "transcript", "memo", "email", "e-mail", "filing", "review", "investigation", "research", "census", "tally", "calculation", "assessment", "finding", "projection", "forecast", "ranking", "index", "audit", "release", "statement", "letter", "message", "post", "tweet", "article", "story", "book", "documentary", "interview", "testimony", "evidence", "log", "file", "chart", "map", "graph", "table", "photo", "image", "picture", "screenshot", "text", "conversation", "leak", "cable", "page", "version", "draft", "plan", "proposal", "bill", "law", "rule", "order", "decision", "ruling", "verdict", "resolution", "agreement", "deal", "program", "programme", "platform", "manifesto", "ad", "advertisement", "commercial", "note", "notice", "guidance", "warning", "alert", "update", "summary", "timeline", "list", "sign", "banner", "slogan", "headline", "caption", "result", "trend", "sample", "test", "experiment", "trial", "information", "reporting", "coverage"]
)

#: Titles and honorifics written before a name ("Sen.", "Dr"): not part of the name.
TITLE_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt",
                 "adm", "maj", "prof", "rev", "hon", "pres", "atty", "supt", "sir", "dame", "lord",
                 "lady", "st", "mme", "mlle", "messrs", "cmdr", "amb"})
#: Suffixes written after a name ("Jr.", "III"): never its head.
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "esq", "phd", "md"})

#: The inflected speech verbs that mark a who-said-what question ("who warned ...",
#: "what did X tell ..."): a narrower list than ``SPEECH_VERBS``, since in a question
#: "state", "order" or "report" are more often nouns than cues.
QUESTION_SPEECH_FORMS = (
    "say|says|said|saying|tell|tells|told|states|stated|claim|claims|claimed|argue|argues|argued|"
    "warn|warns|warned|add|adds|added|note|notes|noted|stress|stresses|stressed|insist|insists|insisted|"
    "explain|explains|explained|write|writes|wrote|tweet|tweeted|call|calls|called|describe|describes|described|"
    "accuse|accuses|accused|announce|announces|announced|declare|declares|declared|assert|asserted|"
    "suggest|suggested|predict|predicted|admit|admitted|deny|denied|reply|replied|ask|asked|remark|remarked|"
    "comment|commented|quip|quipped|vow|vowed|pledge|pledged|promise|promised|urge|urged|respond|responded|"
    "mean|meant|think|thinks|thought|believe|believes|believed|describe|reiterate|reiterated|repeat|repeated|"
    "concede|conceded|acknowledge|acknowledged|characterize|characterized|label|labeled|labelled|dismiss|dismissed"
)

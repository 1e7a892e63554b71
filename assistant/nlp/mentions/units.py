"""What a figure is counted in: currency signs and words, measure units, percent words, and
the nouns that make a following number a label rather than a quantity.

Vocabulary tables (used by the figure extractor and by the date grammar, which must not take
"2000 km" or "$2024" for a year) and ``unit_of``, the unit a counted noun stands for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.text.folding import fold

if TYPE_CHECKING:
    from spacy.tokens import Token

#: Currency signs and codes (lower case, folded) -> ISO 4217 code.
CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP",
                  "gbp": "GBP", "¥": "JPY", "jpy": "JPY", "₹": "INR", "₽": "RUB", "₴": "UAH",
                  "c$": "CAD", "ca$": "CAD", "cad": "CAD", "a$": "AUD", "au$": "AUD", "aud": "AUD",
                  "hk$": "HKD", "nz$": "NZD", "s$": "SGD", "chf": "CHF", "cny": "CNY", "rub": "RUB",
                  "pln": "PLN", "uah": "UAH", "byn": "BYN", "zł": "PLN", "r$": "BRL"}
#: Currency names (lemmas) -> ISO 4217 code.
CURRENCY_WORDS = {"dollar": "USD", "euro": "EUR", "pound sterling": "GBP", "sterling": "GBP",
                  "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "rouble": "RUB", "ruble": "RUB",
                  "rupee": "INR", "hryvnia": "UAH", "hryvnias": "UAH", "zloty": "PLN", "zlotys": "PLN",
                  "franc": "CHF", "krona": "SEK", "kronor": "SEK", "krone": "NOK", "lira": "TRY",
                  "real": "BRL", "peso": "MXN", "rand": "ZAR", "won": "KRW", "shekel": "ILS"}
#: Measure units (folded lemma or abbreviation) -> the unit stored.
MEASURES = {
    "km": "km", "kilometre": "km", "kilometer": "km", "kms": "km", "m": "m", "metre": "m", "meter": "m",
    "cm": "cm", "mm": "mm", "mile": "mile", "mi": "mile", "foot": "ft", "feet": "ft", "ft": "ft",
    "inch": "inch", "yard": "yard", "kg": "kg", "kilogram": "kg", "kilogramme": "kg", "gram": "g", "g": "g",
    "tonne": "tonne", "ton": "ton", "t": "tonne", "lb": "lb", "lbs": "lb", "pound": "lb", "ounce": "oz",
    "oz": "oz", "litre": "l", "liter": "l", "l": "l", "gallon": "gallon", "barrel": "barrel",
    "hectare": "ha", "ha": "ha", "acre": "acre", "sq": "sq", "degree": "degree", "°c": "°C", "°f": "°F",
    "mph": "mph", "km/h": "km/h", "kph": "km/h", "mw": "MW", "gw": "GW", "kw": "kW", "kwh": "kWh",
    "min": "minute", "mins": "minute", "twh": "TWh", "gwh": "GWh", "mwh": "MWh", "bcm": "bcm", "mb": "MB", "gb": "GB", "tb": "TB",
}
#: Words that make a number a percentage (or a difference of percentages).
PERCENT_WORDS = ("percent", "per cent", "pct", "%", "percentage point", "percentage points")
#: Nouns that turn a following number into a label ("Article 5", "No. 10"), not a quantity.
LABEL_NOUNS = frozenset(
    ["no", "no.", "nos.", "number", "#", "article", "section", "chapter", "clause", "paragraph", "page", "pages", "resolution", "room", "route", "highway", "interstate", "flight", "title", "amendment", "rule", "level", "phase", "category", "grade", "class", "type", "model", "version", "row", "line", "gate", "platform", "lot", "unit", "block", "building", "floor", "suite", "box", "exit", "bill", "item", "part", "stage", "round", "game", "week", "day", "episode", "season", "volume", "vol.", "issue", "channel", "bus", "train", "tier", "step", "act", "proposition", "prop", "squad", "district", "ward", "precinct", "station", "terminal", "track", "pier", "dock", "zone", "sector", "region", "area", "code", "decree", "order", "protocol", "directive", "regulation", "law", "group", "figure", "table", "appendix", "annex", "point", "case", "file"]
)


def unit_of(noun: Token) -> str:
    """The unit a counted noun stands for: a measure or currency code, else the noun's folded lemma."""
    lem = fold(noun.lemma_.lower() if noun.pos_ != "PROPN" else noun.text.lower())
    if lem in MEASURES:
        return MEASURES[lem]
    if lem in CURRENCY_WORDS:
        return CURRENCY_WORDS[lem]
    return lem

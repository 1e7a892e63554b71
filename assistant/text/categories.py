"""Closed categories a question can ask for by name ("which colour", "which sport"), as word
lists: the reader checks a span against them the way it checks a country against the
country tables (``text.countries``).
"""

from __future__ import annotations

import re

from assistant.text.folding import fold

#: Colour terms: Berlin and Kay's eleven basic colour terms (Basic Color Terms, 1969) and the
#: common secondary ones news writes for flags, ribbons, check marks and comets.
COLOURS = frozenset([
    "black", "white", "red", "green", "yellow", "blue", "brown", "purple", "pink", "orange", "gray", "grey", "gold",
    "silver", "beige", "turquoise", "teal", "navy", "maroon", "violet", "magenta", "cyan", "lavender", "crimson",
    "scarlet", "ivory", "indigo", "amber", "bronze", "cream",
])
#: Sports: the sports and disciplines of the Summer and Winter Olympic programmes (Paris 2024,
#: Milano Cortina 2026) and the professional and school sports of US and UK news. Names that
#: are common words in news first ("breaking", "shooting", "pool", "running", "diving",
#: "skeleton", "squash") are left out: a span holding one is read as naming a sport.
SPORTS = frozenset(s.strip() for s in """
archery, athletics, badminton, basketball, beach volleyball, boxing, breakdancing, canoeing, cycling,
equestrian, fencing, football, golf, gymnastics, handball, hockey, field hockey, judo, karate,
kayaking, modern pentathlon, rowing, rugby, rugby sevens, sailing, skateboarding, sport climbing,
surfing, swimming, table tennis, taekwondo, tennis, track and field, triathlon, volleyball,
water polo, weightlifting, wrestling, biathlon, bobsleigh, curling, figure skating, ice hockey, luge,
ski jumping, skiing, alpine skiing, cross-country skiing, freestyle skiing, snowboarding,
speed skating, baseball, softball, american football, soccer, cricket, lacrosse, netball, snooker,
darts, chess, pickleball, padel, horse racing, motor racing, formula one, nascar, esports,
cheerleading, rodeo, dodgeball, mixed martial arts, mma
""".replace("\n", " ").split(","))


def colour_named(text: str) -> str:
    """The colour ``text`` names ("Gray", "purple"), or ""."""
    return text if fold(text) in COLOURS else ""


def sport_named(text: str) -> str:
    """``text`` when it is a sport ("volleyball", "Formula One"), or ""."""
    return text if fold(text).replace("’", "'") in SPORTS else ""


def names_sport(text: str) -> str:
    """``text`` when a sport is among its words ("women's basketball games", "International
    Chess Federation"), or ""."""
    words = fold(text).replace("’", "'").replace("'s ", " ").split()
    runs = (" ".join(words[i:i + n]) for n in (3, 2, 1) for i in range(len(words) - n + 1))
    return text if any(r in SPORTS for r in runs) else ""


#: The months, as news writes them in full.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
#: The five oceans (International Hydrographic Organization) and the seven continents, with
#: the names news uses for them.
OCEANS = frozenset(f"{o} {w}".strip() for o in ("Atlantic", "Pacific", "Indian", "Arctic", "Southern")
                   for w in ("", "Ocean"))
CONTINENTS = frozenset(["Africa", "Antarctica", "Asia", "Australia", "Europe", "North America", "South America",
                        "Oceania"])


def month_named(text: str) -> str:
    """The month ``text`` names, written with its capital ("May", not "may"), with its year
    or without ("June 2021"); "" for anything else, a day too ("May 11")."""
    month, _, year = text.partition(" ")
    return text if month in MONTHS and (not year or re.fullmatch(r"\d{4}", year)) else ""


def ocean_named(text: str) -> str:
    """The ocean ``text`` names ("Pacific Ocean", "the Pacific" read as "Pacific"), or ""."""
    return text if text in OCEANS else ""


def continent_named(text: str) -> str:
    """The continent ``text`` names ("Antarctica", "South America"), or ""."""
    return text if text in CONTINENTS else ""

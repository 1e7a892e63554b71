"""Countries by name, by demonym and by capital: "Iranian" is Iran's, "South Korean" South
Korea's, "Hanoi" Vietnam's.

A question that asks "which country" is often answered in a news sentence by the people of
that country ("*Iranian* lawmakers urged ...", "*Italian* police uncovered ...") or by its
capital ("Putin touched down in *Hanoi*"), so the reader needs to know which country such a
word names. The names, the other spellings, the demonyms and the capitals come from the
``countryinfo`` package's data (the REST Countries set: 250 countries and territories), read
once at first use. A place is often written with its region after it ("Mobile, Alabama",
"Yakutsk, Russia"): ``region_named`` knows the countries and the states and provinces of
the countries whose news writes them so.
"""

from __future__ import annotations

from functools import cache

from assistant.text.folding import fold

#: Other spellings shorter than this are codes ("IR", "IRN"), not names a sentence writes.
MIN_SPELLING = 4
#: Countries within a country that news calls countries ("which country won the Six
#: Nations?"), which the data lists only as the United Kingdom.
NATIONS_WITHIN = ("England", "Scotland", "Wales", "Northern Ireland")
#: Countries whose news writes a place's state or province after it ("Mobile, Alabama",
#: "Vancouver, British Columbia"): the AP style for the United States and Canada, and the
#: same habit in Australian and Indian reporting. Other countries' first-level divisions
#: in ``countryinfo`` include cities and boroughs ("Birmingham", "Barnet"), which a list
#: of places ("London, Birmingham") would be mistaken for.
REGION_COUNTRIES = ("United States", "Canada", "Australia", "India")
#: Spellings of a region the data lacks: the District of Columbia as news writes it after
#: Washington.
REGION_SPELLINGS = {"dc": "District of Columbia", "d c": "District of Columbia"}
#: Countries news places on two continents ("the Eastern European country of Georgia", "the
#: Middle Eastern country of Egypt"): the data gives each one continent (its UN M49 region),
#: so the other is added. The usual list of transcontinental states.
TRANSCONTINENTAL = {
    "Russia": "Asia", "Turkey": "Europe", "Georgia": "Europe", "Armenia": "Europe", "Azerbaijan": "Europe",
    "Kazakhstan": "Europe", "Cyprus": "Europe", "Egypt": "Asia",
}


def _region_key(text: str) -> str:
    """Folded, with stops as spaces: "D.C." and "D.C" are "d c"."""
    return " ".join(fold(text).replace(".", " ").split())


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(folded name or other spelling -> country name, folded demonym -> country name,
    folded capital -> country name)."""
    from countryinfo import all_countries

    names: dict[str, str] = {}
    people: dict[str, str] = {}
    capitals: dict[str, str] = {}
    # Most populous first: a name or a demonym several territories share ("American": the
    # United States, American Samoa, the Northern Mariana Islands) is the largest one's.
    for c in sorted(all_countries(), key=lambda c: -(c.population() or 0)):
        name = c.name()
        if not name:
            continue
        for s in [name, *(c.alt_spellings() or [])]:
            if len(s) >= MIN_SPELLING or s == name:
                names.setdefault(fold(s), name)
        dem = c.demonym() or ""
        if dem:
            people.setdefault(fold(dem), name)
        caps = c.capital() or []
        for cap in [caps] if isinstance(caps, str) else caps:  # some countries list several
            if cap:
                capitals.setdefault(fold(cap), name)
    for nation in NATIONS_WITHIN:
        names.setdefault(fold(nation), nation)
    # A capital that is also a country's name (Singapore, Kuwait) is the country.
    return (names, {d: name for d, name in people.items() if d not in names},
            {k: name for k, name in capitals.items() if k not in names})


@cache
def _regions() -> dict[str, str]:
    """Folded state or province of a ``REGION_COUNTRIES`` country -> its name."""
    from countryinfo import all_countries

    out = dict(REGION_SPELLINGS)
    for c in all_countries():
        if c.name() in REGION_COUNTRIES:
            out.update({_region_key(p): p for p in c.provinces() or [] if p})
    return out


@cache
def _continents() -> dict[str, frozenset[str]]:
    """Country name -> the continents it lies on (the data's region: Africa, Americas,
    Asia, Europe or Oceania, plus ``TRANSCONTINENTAL``)."""
    from countryinfo import all_countries

    out: dict[str, frozenset[str]] = {}
    for c in all_countries():
        name, region = c.name(), c.region()
        if name and region:
            out[name] = frozenset({region, *([TRANSCONTINENTAL[name]] if name in TRANSCONTINENTAL else [])})
    for nation in NATIONS_WITHIN:
        out[nation] = frozenset({"Europe"})
    return out


def country_continents(name: str) -> frozenset[str]:
    """The continents the country ``name`` (as ``country_named`` gives it) lies on:
    "Africa", "Americas", "Asia", "Europe", "Oceania"; empty when unknown."""
    return _continents().get(name, frozenset())


def province_named(text: str) -> str:
    """The state or province of a ``REGION_COUNTRIES`` country ``text`` names ("Alabama",
    "British Columbia", "DC"), or ""."""
    return _regions().get(_region_key(text), "")


def region_named(text: str) -> str:
    """The country, state or province ``text`` names as the region a place lies in
    ("Alabama", "British Columbia", "Russia", "DC"), or ""."""
    return country_named(text) or province_named(text)


def country_named(text: str) -> str:
    """The country ``text`` names ("Viet Nam", "Republic of Korea"), or ""."""
    return _tables()[0].get(fold(text), "")


def country_of_demonym(text: str) -> str:
    """The country whose people ``text`` names ("Iranian" -> "Iran", and in the plural the
    data leaves out, "Iranians" -> "Iran"), or ""."""
    key, people = fold(text), _tables()[1]
    return people.get(key, "") or (people.get(key[:-1], "") if key.endswith("s") else "")


def country_of_capital(text: str) -> str:
    """The country whose capital ``text`` is ("Hanoi" -> "Vietnam"), or ""."""
    return _tables()[2].get(fold(text), "")

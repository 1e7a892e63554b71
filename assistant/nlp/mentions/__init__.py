"""Typed mentions (interim: the module moved whole into the package; carved next commit)."""

from assistant.nlp.mentions.figures import (
    ENTITY_KINDS,
    date_sort_key,
    extract_mentions,
    figures_equal,
    format_number,
    mention_dicts,
    normalize_date,
    ordinal_value,
    parse_number,
    resolve_relative,
)

__all__ = [
    "ENTITY_KINDS",
    "date_sort_key",
    "extract_mentions",
    "figures_equal",
    "format_number",
    "mention_dicts",
    "normalize_date",
    "ordinal_value",
    "parse_number",
    "resolve_relative",
]

"""Mojibake repair (``assistant.text.mojibake``)."""

from __future__ import annotations

import pytest

from assistant.text.mojibake import repair_mojibake


@pytest.mark.parametrize("right", [
    "Detainees left Guantánamo, said Arturo Sarukhán.",
    "‘Quoted,’ she said — and left…",
    "Miguel Basáñez, Zürich, São Paulo",
])
def test_utf8_read_as_cp1252_is_repaired(right):
    fixed, changed = repair_mojibake(right.encode().decode("cp1252"))
    assert (fixed, changed) == (right, 1)


@pytest.mark.parametrize("text", [
    "Łukašenka and Лукашенко stay as written — “quoted”.",
    "Señor Muñoz paid €5 in Zürich.",
    "À la carte, naïve, coöperate: plain accented text.",
    "",
])
def test_correct_text_is_left_alone(text):
    assert repair_mojibake(text) == (text, 0)


def test_only_the_lines_with_a_sign_change():
    text = "A clean line.\n" + "GuantÃ¡namo" + "\nAnother clean line."
    assert repair_mojibake(text) == ("A clean line.\nGuantánamo\nAnother clean line.", 1)


def test_mojibake_saved_decomposed_is_repaired():
    # "Basáñez" read as cp1252 twice, then stored decomposed (NFD: "A" and a combining tilde).
    import unicodedata

    bad = unicodedata.normalize("NFD", "Basáñez".encode().decode("cp1252").encode().decode("latin-1"))
    assert repair_mojibake(f"Miguel {bad} spoke.") == ("Miguel Basáñez spoke.", 1)
    # Correct decomposed text is not mojibake: left as it is.
    assert repair_mojibake("Cafe\u0301 au lait") == ("Cafe\u0301 au lait", 0)

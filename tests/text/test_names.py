"""Speaker names: the head of a speaker span, and the same speaker across spellings."""

from __future__ import annotations

import pytest

from assistant.text.names import speaker_head, speakers_match


@pytest.mark.parametrize(
    ("span", "head"),
    [
        ("Senator Maria Olsen", "Olsen"),
        ("Maria Olsen, a senator from Ohio", "Olsen"),
        ("Olsen's campaign chairman, Peter Vance", "Vance"),
        ("the Harbor Authority's spokesman", "spokesman"),
        ("Robert Klein Jr.", "Klein"),
        ("One analyst who asked not to be named", "analyst"),
    ],
)
def test_speaker_head(span: str, head: str) -> None:
    assert speaker_head(span) == head


def test_speakers_match_spellings_and_first_names() -> None:
    assert speakers_match("Mr. Olsen", "Maria Olsen")
    assert speakers_match("M. Olsen", "Maria Olsen")
    assert not speakers_match("Peter Olsen", "Maria Olsen")
    assert not speakers_match("Vance", "Olsen")

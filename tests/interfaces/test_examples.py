"""Example questions come from any corpus's annotations: the people quoted most, and
counted things, one spelling per person."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.interfaces.examples import example_questions


@dataclass
class FakeDoc:
    doc_id: str
    text: str
    annotations: dict[str, Any] = field(default_factory=dict)


def test_example_questions_come_from_annotations_and_merge_aliases():
    text = "Officials said 1,234 irregular crossings were stopped in 2025. More text follows here."
    num = text.index("1,234")
    mention = ["FIGURE", num, num + 5, "1,234", "1234", "crossing", "", ["crossing", "stop", "2025"], {}]
    quotes = [{"speaker": "Jan Novak", "speaker_label": "PERSON", "kind": "direct"},
              {"speaker": "Jan Nowak", "speaker_label": "PERSON", "kind": "direct"},
              {"speaker": "Jan Nowak", "speaker_label": "PERSON", "kind": "indirect"},
              {"speaker": "the ministry", "speaker_label": "ORG", "kind": "direct"}]
    docs = [FakeDoc("a", text, annotations={"mentions": [mention], "quotes": quotes})]
    qs = example_questions(docs, n=4, aliases=[["Jan Novak", "Jan Nowak"]])
    assert qs == ["What did Jan Nowak say?", "How many irregular crossings were there in 2025?"]
    assert len(example_questions(docs, n=4)) == 3  # without alias groups both spellings appear
    assert example_questions([FakeDoc("b", "no annotations")]) == []

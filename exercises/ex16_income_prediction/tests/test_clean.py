"""The cleaning rules, on hand-made lines (no Beam, no files)."""

from __future__ import annotations

from typing import Any

from exercises.ex16_income_prediction.census import DeadLetter, Person
from exercises.ex16_income_prediction.tests.conftest import BAD_LINES, GOOD_TEST, GOOD_TRAIN


def test_good_line_becomes_a_typed_person_without_padding(impl: Any) -> None:
    person = impl.clean.clean_line(GOOD_TRAIN, "train")
    assert isinstance(person, Person), person
    assert (person.workclass, person.native_country) == ("State-gov", "United-States"), \
        "fields must be stripped of the spaces after each comma"
    assert person.age == 39
    assert person.capital_gain == 2174
    assert person.income == 0


def test_trailing_dot_of_the_test_labels_is_stripped(impl: Any) -> None:
    person = impl.clean.clean_line(GOOD_TEST, "test")
    assert isinstance(person, Person), \
        f"trailing dot not stripped: '>50K.' must be the label >50K, got {person}"
    assert person.income == 1


def test_question_mark_is_a_dead_letter_naming_the_fields(impl: Any) -> None:
    dead = impl.clean.clean_line(BAD_LINES["missing"], "train")
    assert isinstance(dead, DeadLetter), f"'?' kept as a category: a row with missing values became {dead}"
    assert "workclass" in dead.reason, dead.reason
    assert "occupation" in dead.reason, dead.reason
    assert dead.line == BAD_LINES["missing"]
    assert dead.split == "train"


def test_other_bad_lines_are_dead_letters_with_their_reason(impl: Any) -> None:
    reasons = {name: impl.clean.clean_line(line, "train") for name, line in BAD_LINES.items()}
    assert all(isinstance(d, DeadLetter) for d in reasons.values()), reasons
    assert "15 fields" in reasons["fields"].reason
    assert "age" in reasons["age"].reason
    assert "label" in reasons["label"].reason
    assert impl.clean.clean_line("|1x3 Cross validator", "test").reason == "comment line"
    assert impl.clean.clean_line("", "test").reason == "blank line"

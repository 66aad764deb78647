"""The rule-based answerers: date resolution, typed extraction, fallback, selection."""

from __future__ import annotations

from datetime import date

import pytest

from memenv.answerers import (
    ANSWERERS,
    NOT_MENTIONED,
    ExtractiveAnswerer,
    TopMemoryAnswerer,
    make_answerer,
)
from memenv.answerers.dates import (
    explicit_date,
    memory_date,
    parse_timestamp,
    resolve_relative,
)
from memenv.answerers.extractive import question_type
from memenv.memory import MemoryEntry

STAMP = "1:56 pm on 8 May, 2023"


def mem(text: str, owner: str = "Caroline", timestamp: str = STAMP, step: int = 0) -> MemoryEntry:
    return MemoryEntry(f"m{step}", text, owner, timestamp, (f"D1:{step}",), step, step)


def test_parse_timestamp_formats():
    assert parse_timestamp(STAMP) == date(2023, 5, 8)
    assert parse_timestamp("May 8, 2023") == date(2023, 5, 8)
    assert parse_timestamp("2023/05/20 (Sat) 02:21") == date(2023, 5, 20)
    assert parse_timestamp("no date") is None


def test_explicit_dates_are_normalised():
    assert explicit_date("She moved on 3 March 2023.") == "3 March 2023"
    assert explicit_date("She moved on March 3, 2023.") == "3 March 2023"
    assert explicit_date("in June 2023") == "June 2023"
    assert explicit_date("He has lived there since 2022.") == "2022"
    assert (
        explicit_date("a dog since the week before 4 April 2023") == "the week before 4 April 2023"
    )
    assert explicit_date("nothing here") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I went there yesterday", "7 May 2023"),
        ("She ran a race last Saturday", "the Saturday before 8 May 2023"),
        ("We went camping last week", "the week before 8 May 2023"),
        ("over the weekend she joined", "the weekend before 8 May 2023"),
        ("They met last month", "April 2023"),
        ("She painted it last year", "2022"),
        ("two weeks ago she left", "two weeks before 8 May 2023"),
        ("a few days ago", "a few days before 8 May 2023"),
        ("three days ago", "5 May 2023"),
        ("planning to go next month", "June 2023"),
        ("a conference this month", "May 2023"),
        ("She attended a group recently", "7 May 2023"),
    ],
)
def test_relative_dates(text, expected):
    assert resolve_relative(text, date(2023, 5, 8)) == expected


def test_relative_month_wraps_the_year():
    assert resolve_relative("last month", date(2023, 1, 15)) == "December 2022"


def test_memory_date_prefers_explicit_then_relative_then_day_before():
    assert memory_date("left on 2 May 2023 last week", STAMP) == ("2 May 2023", True)
    assert memory_date("went hiking last week", STAMP) == ("the week before 8 May 2023", True)
    assert memory_date("made a plate", STAMP) == ("7 May 2023", False)
    assert memory_date("made a plate", "") == (None, False)


def test_when_question_resolves_against_the_memory_timestamp():
    memories = [
        mem("Caroline likes painting sunsets.", step=0),
        mem("Caroline went to an LGBTQ support group yesterday.", step=1),
    ]
    answer, selected = ExtractiveAnswerer().answer(
        "When did Caroline go to the LGBTQ support group?", "", memories
    )
    assert answer == "7 May 2023"
    assert selected[0] == 1


def test_what_year_keeps_the_year():
    memories = [mem("Melanie painted a lake sunrise last year.", owner="Melanie")]
    answer, _ = ExtractiveAnswerer().answer("What year did Melanie paint a sunrise?", "", memories)
    assert answer == "2022"


def test_who_where_how_many_how_long():
    a = ExtractiveAnswerer()
    memories = [
        mem("Melanie is a big fan of Ed Sheeran and his music.", owner="Melanie", step=0),
        mem("Melanie's grandmother lives in Sweden.", owner="Melanie", step=1),
        mem("Melanie has 3 children who love hiking.", owner="Melanie", step=2),
        mem("Melanie has been married for 5 years.", owner="Melanie", step=3),
    ]
    assert a.answer("Who is Melanie a fan of?", "", memories)[0] == "Ed Sheeran"
    assert a.answer("Where does Melanie's grandmother live?", "", memories)[0] == "Sweden"
    assert a.answer("How many children does Melanie have?", "", memories)[0] == "3"
    assert a.answer("How long has Melanie been married?", "", memories)[0] == "5 years"


def test_yes_no_questions():
    a = ExtractiveAnswerer()
    memories = [
        mem("Nina is learning the violin.", owner="Nina", step=0),
        mem("Nina quit violin lessons on 1 April 2023.", owner="Nina", step=5),
    ]
    assert a.answer("Is Nina still learning the violin?", "", memories)[0] == "No"
    assert a.answer("Is Nina still learning the violin?", "", memories[:1])[0] == "Yes"
    assert a.answer("Did Nina learn the violin?", "", memories[:1])[0] == "Yes"


def test_phrase_and_previous_value():
    a = ExtractiveAnswerer()
    memories = [
        mem("Grace's favourite food is now mushroom risotto, replacing lasagna.", owner="Grace"),
        mem("Grace has a brother named Ivan.", owner="Grace", step=1),
    ]
    assert a.answer("What is Grace's favourite food?", "", memories)[0] == "mushroom risotto"
    assert a.answer("What is the name of Grace's brother?", "", memories)[0] == "Ivan"
    answer, selected = a.answer(
        "What was Grace's favourite food before mushroom risotto?", "", memories
    )
    assert (answer, selected) == ("lasagna", [0])


def test_not_mentioned_when_overlap_is_weak():
    memories = [mem("Olivia has a brother named Arlo.", owner="Olivia")]
    answer, _ = ExtractiveAnswerer().answer("What car does Olivia drive?", "", memories)
    assert answer == NOT_MENTIONED
    # A question about a speaker who has no such memory is not answered from the other's.
    answer, _ = ExtractiveAnswerer().answer(
        "What is the name of Nina's brother?", "", memories + [mem("Nina likes tea.", "Nina")]
    )
    assert answer == NOT_MENTIONED
    assert ExtractiveAnswerer().answer("What is it?", "", [])[0] == NOT_MENTIONED


def test_selection_indices_skip_empty_slots_and_rank_by_overlap():
    memories = [
        None,
        mem("Caroline likes tea.", step=0),
        None,
        mem("Caroline adopted a dog named Rex.", step=1),
    ]
    answer, selected = ExtractiveAnswerer().answer(
        "What is the name of Caroline's dog?", "", memories
    )
    assert answer == "Rex"
    assert selected[0] == 3
    assert all(memories[i] is not None for i in selected)


def test_question_types():
    assert question_type("When did she go?") == "date"
    assert question_type("What year did she move?") == "date"
    assert question_type("How long has she lived there?") == "duration"
    assert question_type("How many kids does she have?") == "number"
    assert question_type("Who is her mentor?") == "person"
    assert question_type("Where does she live?") == "place"
    assert question_type("Would she enjoy a concert?") == "yesno"
    assert question_type("What hobbies does Grace have?") == "list"
    assert question_type("What is her job?") == "phrase"


def test_top_memory_and_registry():
    memories = [None, mem("first"), mem("second")]
    assert TopMemoryAnswerer().answer("q", "", memories) == ("first", [1])
    assert TopMemoryAnswerer().answer("q", "", []) == ("", [])
    assert set(ANSWERERS) >= {"extractive", "top-memory"}
    assert isinstance(make_answerer("top-memory"), TopMemoryAnswerer)
    with pytest.raises(ValueError, match="unknown answerer 'nope'.*extractive"):
        make_answerer("nope")

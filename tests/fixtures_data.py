"""Writers of tiny valid dataset files (LongMemEval JSON, MSC-Self-Instruct JSONL) for tests.

Each writer takes a file path (or an existing directory, in which case a default file name is
used inside it), writes UTF-8 with non-ASCII text kept literal, and returns the path written.
"""

from __future__ import annotations

import json
from pathlib import Path


def longmemeval_items() -> list[dict]:
    """Four LongMemEval items covering the cases the loader distinguishes.

    - ``lme-u1`` single-session-user: evidence marked on user turn D2:1 of an answer session (an
      official retrieval target); dates with weekday;
    - ``lme-a2`` single-session-assistant: evidence marked on assistant turn D1:2 (not an
      official target: only in the wide evidence);
    - ``lme-m3`` multi-session: int answer 3, no ``has_answer`` marks, so no official target and
      the wide evidence falls back to every turn of the two answer sessions (D1:*, D3:*); one
      unparseable haystack date;
    - ``lme-k4_abs`` knowledge-update abstention question (category 5, abstention flag).
    """
    return [
        {
            "question_id": "lme-u1",
            "question_type": "single-session-user",
            "question": "Which café did I say I like in München?",
            "answer": "Café Größenwahn",
            "question_date": "2023/05/30 (Tue) 23:40",
            "haystack_session_ids": ["filler_1", "answer_u1"],
            "haystack_dates": ["2023/05/20 (Sat) 10:02", "2023/05/21 (Sun) 08:15"],
            "haystack_sessions": [
                [
                    {"role": "user", "content": "Can you suggest a recipe for crêpes?"},
                    {"role": "assistant", "content": "Sure: flour, eggs, milk, butter."},
                ],
                [
                    {
                        "role": "user",
                        "content": "My favourite café in München is Café Größenwahn ☕.",
                        "has_answer": True,
                    },
                    {"role": "assistant", "content": "That sounds lovely!", "has_answer": False},
                    {"role": "user", "content": "I go there every Sunday."},
                ],
            ],
            "answer_session_ids": ["answer_u1"],
        },
        {
            "question_id": "lme-a2",
            "question_type": "single-session-assistant",
            "question": "What tea did you recommend to me?",
            "answer": "Genmaicha (玄米茶)",
            "question_date": "2023/06/02 (Fri) 09:00",
            "haystack_session_ids": ["answer_a2", "filler_2"],
            "haystack_dates": ["2023/05/25 (Thu) 14:30", "2023/05/28 (Sun) 19:45"],
            "haystack_sessions": [
                [
                    {"role": "user", "content": "Recommend a Japanese tea, please."},
                    {
                        "role": "assistant",
                        "content": "Try genmaicha (玄米茶), green tea with roasted rice.",
                        "has_answer": True,
                    },
                ],
                [
                    {"role": "user", "content": "How long is a marathon?"},
                    {"role": "assistant", "content": "42.195 km."},
                ],
            ],
            "answer_session_ids": ["answer_a2"],
        },
        {
            "question_id": "lme-m3",
            "question_type": "multi-session",
            "question": "How many bikes do I own now?",
            "answer": 3,
            "question_date": "2023/07/01 (Sat) 12:00",
            "haystack_session_ids": ["answer_m3_1", "filler_3", "answer_m3_2"],
            "haystack_dates": [
                "2023/06/10 (Sat) 11:11",
                "sometime in June",
                "2023/06/20 (Tue) 17:05",
            ],
            "haystack_sessions": [
                [
                    {"role": "user", "content": "I just bought my second bike."},
                    {"role": "assistant", "content": "Congratulations!"},
                ],
                [
                    {"role": "user", "content": "What is the capital of Ísland?"},
                    {"role": "assistant", "content": "Reykjavík."},
                ],
                [
                    {"role": "user", "content": "Today I added a third bike, a Brompton."},
                    {"role": "assistant", "content": "Nice, a folding bike."},
                    {"role": "user", "content": "It fits in the tram."},
                ],
            ],
            "answer_session_ids": ["answer_m3_1", "answer_m3_2"],
        },
        {
            "question_id": "lme-k4_abs",
            "question_type": "knowledge-update",
            "question": "What is the name of my cat?",
            "answer": "The information provided is not enough. You mentioned a dog, not a cat.",
            "question_date": "2023/08/15 (Tue) 08:00",
            "haystack_session_ids": ["filler_4a", "filler_4b"],
            "haystack_dates": ["2023/08/01 (Tue) 07:30", "2023/08/09 (Wed) 21:00"],
            "haystack_sessions": [
                [
                    {"role": "user", "content": "My dog Šárka loves the park."},
                    {"role": "assistant", "content": "Dogs do love parks."},
                ],
                [
                    {"role": "user", "content": "Šárka is now two years old."},
                    {"role": "assistant", "content": "Happy birthday to Šárka!"},
                ],
            ],
            "answer_session_ids": [],
        },
    ]


def msc_lines() -> list[dict]:
    """Three MSC-Self-Instruct conversations (previous_dialogs + current dialog).

    - line 0: gaps 7 days then 4 hours, ``metadata`` and ``init_personas`` keys (kept in
      ``Conversation.metadata``);
    - line 1: gaps 2 weeks then 1 month; non-ASCII personas and text;
    - line 2: first gap missing (no time_num / time_unit), second 3 days.
    """

    def turns(*texts: str) -> list[dict]:
        return [{"id": f"Speaker {1 + i % 2}", "text": t} for i, t in enumerate(texts)]

    return [
        {
            "personas": [
                ["I have two dogs.", "I work as a nurse."],
                ["I love hiking.", "I live in Zürich."],
            ],
            "init_personas": [["I have two dogs."], ["I love hiking."]],
            "metadata": {"initial_data_id": "train_0", "session_id": 3},
            "previous_dialogs": [
                {
                    "personas": [["I have two dogs."], ["I love hiking."]],
                    "dialog": turns(
                        "Hi! I just got back from walking my two dogs.",
                        "Nice! I went hiking near Zürich today.",
                        "Which trail did you take?",
                        "The Üetliberg one, it was beautiful.",
                    ),
                    "time_num": 7,
                    "time_unit": "days",
                    "time_back": "1 week ago",
                },
                {
                    "dialog": turns(
                        "How was your night shift?",
                        "Long, the hospital was busy.",
                        "You should rest.",
                    ),
                    "time_num": 4,
                    "time_unit": "hours",
                    "time_back": "4 hours ago",
                },
            ],
            "dialog": turns("Did you sleep well?", "Yes, finally!", "Great to hear."),
            "self_instruct": {
                "B": "Which trail did I hike near Zürich?",
                "A": "The Üetliberg trail.",
            },
        },
        {
            "personas": [["J'adore le café crème."], ["Я учу русский язык.", "I play chess."]],
            "previous_dialogs": [
                {
                    "dialog": turns(
                        "Bonjour ! I drink café crème every morning.",
                        "I am learning Russian: привет!",
                    ),
                    "time_num": 2,
                    "time_unit": "weeks",
                    "time_back": "2 weeks ago",
                },
                {
                    "dialog": turns(
                        "How is your Russian going?",
                        "Slowly, but I can read Пушкин now.",
                        "Impressive!",
                        "Thanks, chess helps me focus too.",
                    ),
                    "time_num": 1,
                    "time_unit": "month",
                    "time_back": "1 month ago",
                },
            ],
            "dialog": turns("Any new chess openings?", "The Sicilian, still."),
            "self_instruct": {"B": "Which poet can I read now?", "A": "Пушкин (Pushkin)"},
        },
        {
            "personas": [["I bake bread."], ["I have 3 cats."]],
            "previous_dialogs": [
                {"dialog": turns("I baked sourdough today.", "Yum, my cats love bread crust.")},
                {
                    "dialog": turns("How many cats do you have?", "Three of them."),
                    "time_num": 3,
                    "time_unit": "days",
                    "time_back": "3 days ago",
                },
            ],
            "dialog": turns("Bread again today?", "Rye this time.", "Lovely."),
            "self_instruct": {"B": "How many cats do I have?", "A": 3},
        },
    ]


def _target(path: str | Path, default_name: str) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_longmemeval_fixture(path: str | Path) -> Path:
    """Write :func:`longmemeval_items` as a LongMemEval JSON file; return its path."""
    target = _target(path, "longmemeval_fixture.json")
    target.write_text(json.dumps(longmemeval_items(), ensure_ascii=False, indent=1), "utf-8")
    return target


def write_msc_fixture(path: str | Path) -> Path:
    """Write :func:`msc_lines` as MSC-Self-Instruct JSONL (with a blank line); return its path."""
    target = _target(path, "msc_fixture.jsonl")
    lines = [json.dumps(obj, ensure_ascii=False) for obj in msc_lines()]
    lines.insert(1, "")  # blank lines are skipped by the loader
    target.write_text("\n".join(lines) + "\n", "utf-8")
    return target

"""Issue 17 item 1: every parser of untrusted text is linear-time; no env step is slow.

Inputs are 1 MB mixes of whitespace runs, fences, answer markers and brackets (the shapes that
made the old regexes quadratic or cubic). Times are CPU seconds of this process, so a busy
machine does not make the tests flaky.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memenv  # noqa: F401  (registers the ids)
from agents.parsing import parse_facts, parse_judge_label
from memenv.data.locomo import parse_locomo_datetime, scan_evidence
from memenv.data.longmemeval import parse_longmemeval_date
from memenv.memory.tokenize import tokenize
from memenv.parsing import loads_lenient, parse_answer_output, parse_manager_output
from memenv.textscan import fenced_blocks, last_answer_marker, lone_surrogate
from tests.env_cases import kwargs_for

MB = 1_000_000
PARSER_BUDGET_S = 0.5  # "well under a second" for 1 MB
STEP_BUDGET_S = 0.1

TOKENS = (
    " ",
    "\t",
    "\n",
    "\r\n",
    "\u3000",
    "```",
    "```json",
    "```python\n",
    "*",
    "**",
    "answer",
    "Answer:",
    "**Answer:**",
    ":",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "[7]",
    "- ",
    "1. ",
    ",",
    '"',
    "'",
    "D1:",
    "2023/05/30",
    "1 May",
    "CORRECT",
    '{"memory": [',
    '{"event": "ADD", "text": "x"},',
    "a",
    "1",
    "\ud800",
)

PARSERS: dict[str, Callable[[str], Any]] = {
    "parse_answer_output": parse_answer_output,
    "parse_manager_output": parse_manager_output,
    "loads_lenient": loads_lenient,
    "parse_facts": parse_facts,
    "parse_judge_label": parse_judge_label,
    "fenced_blocks": lambda s: list(fenced_blocks(s)),
    "last_answer_marker": last_answer_marker,
    "lone_surrogate": lone_surrogate,
    "parse_locomo_datetime": parse_locomo_datetime,
    "parse_longmemeval_date": parse_longmemeval_date,
    "scan_evidence": lambda s: scan_evidence([s], set()),
    "tokenize": tokenize,
}


def one_megabyte(pieces: list[tuple[str, int]]) -> str:
    """The runs ``token * count`` concatenated, repeated or cut to exactly 1 MB."""
    text = "".join(token * count for token, count in pieces)[:MB]
    return (text * (MB // len(text) + 1))[:MB]


adversarial_text = st.lists(
    st.tuples(st.sampled_from(TOKENS), st.integers(1, MB)), min_size=1, max_size=5
).map(one_megabyte)

# Runs that used to take minutes to hours: whitespace after a bullet, an answer word or a fence.
KNOWN_BAD = [
    " " * MB,
    "- " + " " * (MB - 2),
    "```" + " " * (MB - 3),
    "```json" + " " * (MB - 7),
    "answer" + " " * (MB - 6),
    "2023/05/30" + " " * (MB - 11) + "x",
    "```[```" * (MB // 7),
    "**Answer:** " + "a b, c " * (MB // 7),
]


def cpu_seconds(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parsers_linear_time_on_known_bad_runs(name):
    parser = PARSERS[name]
    for text in KNOWN_BAD:
        seconds = cpu_seconds(lambda t=text: parser(t))
        assert seconds < PARSER_BUDGET_S, f"{name} took {seconds:.2f} s on {text[:20]!r}..."


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=adversarial_text)
def test_parsers_linear_time_on_any_1mb_mix(text):
    for name, parser in PARSERS.items():
        seconds = cpu_seconds(lambda p=parser: p(text))
        assert seconds < PARSER_BUDGET_S, f"{name} took {seconds:.2f} s"


# ---------------------------------------------------------------- same results as the old regexes
_OLD_FENCE = re.compile(r"```(?:json|JSON|python)?\s*(.*?)```", re.DOTALL)
_OLD_ANY_FENCE = re.compile(r"```[A-Za-z]*\s*(.*?)```", re.DOTALL)
_OLD_MARKER = re.compile(r"\*{0,2}\s*answer\s*:\s*\*{0,2}", re.IGNORECASE)

small_text = st.lists(st.sampled_from(TOKENS + ("x", "json", "JSON", "py")), max_size=30).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(text=small_text)
def test_linear_scanners_match_the_old_regexes(text):
    assert list(fenced_blocks(text, ("json", "JSON", "python"))) == [
        m.group(1) for m in _OLD_FENCE.finditer(text)
    ]
    assert list(fenced_blocks(text)) == [m.group(1) for m in _OLD_ANY_FENCE.finditer(text)]
    old = list(_OLD_MARKER.finditer(text))
    new = last_answer_marker(text)
    assert (new is None) == (not old)
    if old:
        assert new[1] == old[-1].end()
        assert text[old[-1].start() : new[0]].strip(" \t\n\r\u3000*") == ""


# ---------------------------------------------------------------- env steps on 1 MB actions
def text_env_ids() -> list[str]:
    """Registered memenv ids whose actions may be raw LLM strings (not the featurized views)."""
    return sorted(
        env_id
        for env_id, spec in gym.registry.items()
        if isinstance(spec.entry_point, str) and spec.entry_point.startswith("memenv.envs.")
    )


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("env_data")


@pytest.mark.parametrize("env_id", text_env_ids())
def test_env_step_under_a_tenth_of_a_second_on_1mb_actions(env_id, fixture_dir):
    env = gym.make(env_id, **kwargs_for(env_id, fixture_dir))
    env.reset(seed=0)
    env.step("warm-up")  # first-use costs (stemmer tables, caches) are not the action's
    many_ops = '{"memory": [' + '{"event": "ADD", "text": "x"},' * 7000 + "]}"
    for action in [*KNOWN_BAD, many_ops, one_megabyte([("```json", 3), (" ", 50_000)])]:
        env.reset(seed=0)
        seconds = cpu_seconds(lambda a=action: env.step(a))
        assert seconds < STEP_BUDGET_S, f"{env_id}: step took {seconds:.3f} s on {action[:20]!r}"


def test_scan_evidence_reads_digit_runs_of_any_length() -> None:
    """Turn numbers normalise like ``int`` (leading zeros dropped, other scripts' digits read)
    with no limit on their length (``int`` refuses more than 4,300 digits)."""
    long_run = "1" * 5000
    scan = scan_evidence([f"D1:{long_run}", "D01:007", "D\u0661:\u0662"], set())
    assert scan.unknown == (f"D1:{long_run}", "D1:7", "D1:2")
    assert scan.repaired == 2

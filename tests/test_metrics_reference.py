"""The metrics against the official scores of LoCoMo's and Mem0's evaluation code.

``../shared/fixtures/metrics/reference_scores.jsonl`` holds 11,412 (prediction, gold, category)
rows with the scores the official functions give them (LoCoMo F1 per category and set EM; Mem0
F1, BLEU-1 and EM, absent where Mem0 skips the row); every row must match within 1e-9.

Then a stratified sample (100 rows per ``kind``) under hypothesis-generated changes that the
reference definitions ignore, so every score must stay exactly what the fixture says:

- whitespace added before and after the prediction and the gold: LoCoMo splits on whitespace
  after normalising, Mem0 strips both strings before scoring. One exception, from Mem0's own
  code: it returns 0 for an EMPTY string before stripping, so when both sides are blank after
  stripping, padding makes them non-empty and Mem0's EM becomes 1.
- the case of ASCII letters flipped anywhere: every definition lower-cases first (LoCoMo, Mem0
  F1 and EM, BLEU-1 over the tokens of the lower-cased string, the refusal phrases). Flips are
  limited to ASCII letters because for some other characters ``s.upper().lower() != s.lower()``
  (``"ß"``, ``"İ"``, final sigma), and there the references' scores do change.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from memenv.metrics import (
    METRICS,
    bleu1,
    em_locomo,
    em_mem0,
    exact_match,
    f1_locomo,
    f1_mem0,
    score_texts,
)
from tests.shared_fixtures import fixture_path

TOLERANCE = 1e-9
PER_KIND = 100
WHITESPACE = " \t\n\r\x0b\x0c\xa0\u2003"
REFERENCE = "metrics/reference_scores.jsonl"


def _rows() -> list[dict]:
    path = fixture_path(REFERENCE)
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _scores(pred: str, gold: str, category: int) -> dict[str, float]:
    """Our value of every column of the fixture."""
    return {
        "locomo_f1": f1_locomo(pred, gold, category),
        "locomo_em_set": em_locomo(pred, gold),
        "mem0_f1": f1_mem0(pred, gold),
        "mem0_bleu1": bleu1(pred, gold),
        "mem0_em": em_mem0(pred, gold),
    }


def _mismatches(row: dict, pred: str, gold: str) -> list[str]:
    ours = _scores(pred, gold, row["category"])
    return [
        f"{col}: ours {ours[col]!r}, official {row[col]!r}"
        for col in ours
        if col in row and abs(ours[col] - row[col]) > TOLERANCE
    ]


def test_every_fixture_row_matches_the_official_scores() -> None:
    rows = _rows()
    compared: Counter[str] = Counter()
    bad = []
    for i, row in enumerate(rows):
        problems = _mismatches(row, row["prediction"], row["gold"])
        compared.update(col for col in _scores("", "", 1) if col in row)
        if problems:
            bad.append(f"row {i} {row['kind']} {row['prediction']!r} / {row['gold']!r}: {problems}")
    assert not bad, f"{len(bad)} mismatching rows, e.g.:\n" + "\n".join(bad[:10])
    assert compared["locomo_f1"] == compared["locomo_em_set"] == len(rows) > 0
    assert min(compared["mem0_f1"], compared["mem0_bleu1"], compared["mem0_em"]) > 0


def test_locomo_rules_of_score_texts_on_the_fixture() -> None:
    """score_texts (what environments and evaluation use) agrees with LoCoMo's F1 on every row,
    and excludes Mem0's metrics on category 5, as Mem0's evaluation does (the fixture has no
    Mem0 score on category-5 rows either)."""
    for row in _rows():
        scores = score_texts(row["prediction"], row["gold"], row["category"], "locomo")
        assert tuple(scores) == METRICS
        assert abs(scores["f1"] - row["locomo_f1"]) <= TOLERANCE, row
        if row["category"] == 5:
            assert "mem0_f1" not in row
            assert scores["f1_mem0"] is scores["bleu1"] is scores["em_mem0"] is None
            assert scores["em"] == scores["em_locomo"] == scores["f1"]
        elif "mem0_bleu1" in row:
            assert abs(scores["bleu1"] - row["mem0_bleu1"]) <= TOLERANCE, row


def _stratified() -> dict[str, list[dict]]:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in _rows():
        by_kind[row["kind"]].append(row)
    rng = random.Random(0)
    return {
        kind: rng.sample(rows, min(PER_KIND, len(rows))) for kind, rows in sorted(by_kind.items())
    }


_SAMPLE: dict[str, list[dict]] | None = None


def _sample() -> dict[str, list[dict]]:
    global _SAMPLE
    if _SAMPLE is None:
        _SAMPLE = _stratified()
    return _SAMPLE


def _ascii_case(text: str, mode: str, seed: int) -> str:
    """``text`` with the case of its ASCII letters changed (other characters untouched)."""

    def change(c: str, flip: bool) -> str:
        if not (c.isascii() and c.isalpha()):
            return c
        return {"upper": c.upper(), "lower": c.lower(), "swap": c.swapcase()}.get(
            mode, c.swapcase() if flip else c
        )

    rng = random.Random(seed)
    return "".join(change(c, rng.random() < 0.5) for c in text)


_pad = st.text(alphabet=WHITESPACE, max_size=3)
_case = st.sampled_from(["keep", "upper", "lower", "swap", "mixed"])


def test_sample_is_stratified() -> None:
    sample = _sample()
    assert len(sample) >= 10
    assert all(len(rows) == min(PER_KIND, len(rows)) for rows in sample.values())


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    pads=st.tuples(_pad, _pad, _pad, _pad),
    cases=st.tuples(_case, _case),
    seed=st.integers(0, 2**16),
)
def test_scores_invariant_to_padding_and_case(
    pads: tuple[str, str, str, str], cases: tuple[str, str], seed: int
) -> None:
    """One drawn change per example, applied to every row of the stratified sample ("mixed"
    flips a different random subset of letters in each string)."""
    checked = 0
    for kind, rows in _sample().items():
        for i, row in enumerate(rows):
            pred = pads[0] + _ascii_case(row["prediction"], cases[0], seed + 2 * i) + pads[1]
            gold = pads[2] + _ascii_case(row["gold"], cases[1], seed + 2 * i + 1) + pads[3]
            expected = dict(row)
            both_blank = not row["prediction"].strip() and not row["gold"].strip()
            if "mem0_em" in row and both_blank and pred and gold:
                expected["mem0_em"] = 1  # Mem0: 0 only for an empty (not a blank) string
            assert not _mismatches(expected, pred, gold), (kind, row, pred, gold)
            # the project's EM: normalised equality, so also blind to padding and ASCII case
            assert exact_match(pred, gold) == exact_match(row["prediction"], row["gold"])
            checked += 1
    assert checked == sum(len(rows) for rows in _sample().values()) >= 10 * PER_KIND

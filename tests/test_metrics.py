"""Tests for memenv.metrics: hand-computed values for every rule, BLEU-1 against NLTK.

The comparison with the official scores on the shared reference fixture is in
tests/test_metrics_reference.py."""

from __future__ import annotations

import math
import random

import pytest
from nltk.tokenize import NLTKWordTokenizer
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from memenv.data.records import QA
from memenv.metrics import (
    METRICS,
    REGISTRY,
    aggregate,
    bleu1,
    bucket_label,
    check_metric,
    check_reward,
    em_locomo,
    em_mem0,
    exact_match,
    f1_locomo,
    f1_mem0,
    f1_tokens,
    format_table,
    locomo_tokens,
    metric_defined,
    normalize_locomo,
    question_buckets,
    score_answer,
    score_texts,
    simple_tokenize,
    treebank_tokens,
)


def _qa(answer: str, category: int, dataset: str = "locomo", **kw) -> QA:
    return QA(
        id="c/q0",
        question="?",
        answer=answer,
        evidence=(),
        category=category,
        dataset=dataset,
        **kw,
    )


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # commas go, lowercase, "and" and "the" dropped as words
        ("Hiking, chess, and The Theater!", "hiking chess theater"),
        ("An apple a day", "apple day"),
        # articles inside words survive
        ("theater another bandana Andy", "theater another bandana andy"),
        # punctuation is stripped BEFORE the article rule: "the-end" -> "theend"
        ("the-end", "theend"),
        # apostrophes are punctuation: "Anderson's" -> "andersons" (no whole-word "and")
        ("Anderson's band", "andersons band"),
        ("U.S.A.", "usa"),
        ("  multiple   spaces\tand\nlines ", "multiple spaces lines"),
        ("The", ""),
        ("", ""),
    ],
)
def test_normalize_locomo(text: str, expected: str) -> None:
    assert normalize_locomo(text) == expected


def test_article_rule_uses_regex_word_boundaries() -> None:
    # LoCoMo removes articles with the third-party `regex` module: a combining mark is a word
    # character there (so "the\u0301" is not the word "the"), a superscript digit is not (so
    # "the\u00b2" starts with the word "the"); the standard `re` module says the opposite.
    assert normalize_locomo("toge\u0301the\u0301r the\u0301") == "toge\u0301the\u0301r the\u0301"
    assert normalize_locomo("the\u00b2") == "\u00b2"
    # the example: LoCoMo's own script gives 0.5 (not 0.444)
    pred, gold = "To move\u0301 in toge\u0301the\u0301r", "To move in together"
    assert f1_locomo(pred, gold, 4) == pytest.approx(0.5)


def test_locomo_tokens_are_stemmed() -> None:
    # Porter: running -> run, runs -> run, hiking -> hike, paris -> pari
    assert locomo_tokens("Running runs, hiking in Paris") == ("run", "run", "hike", "in", "pari")


def test_treebank_tokens() -> None:
    # a final period, "$", "n't", "'s" and brackets are tokens of their own; lower-cased
    assert treebank_tokens("7 May 2023.") == ("7", "may", "2023", ".")
    assert treebank_tokens("$100") == ("$", "100")
    assert treebank_tokens("She didn't (really) go to Anna's") == (
        "she", "did", "n't", "(", "really", ")", "go", "to", "anna", "'s",
    )  # fmt: skip
    assert treebank_tokens("") == ()


def test_simple_tokenize() -> None:
    # only . , ! ? become spaces; other punctuation and articles stay; duplicates kept
    assert simple_tokenize("The cat's hat. A hat!? Yes,no") == (
        "the", "cat's", "hat", "a", "hat", "yes", "no",
    )  # fmt: skip
    assert simple_tokenize(" ... ") == ()


# --------------------------------------------------------------------------- LoCoMo F1


def test_f1_tokens_stemming_makes_forms_match() -> None:
    assert f1_tokens("running", "runs") == 1.0
    # pred {she, run, daili} vs gold {run}: P=1/3, R=1, F1=2*(1/3*1)/(1/3+1)=1/2
    assert f1_tokens("She runs daily", "running") == pytest.approx(0.5)


def test_f1_tokens_partial_overlap() -> None:
    # pred [i, went, to, pari], gold [pari, in, spring]: common 1
    # P=1/4, R=1/3, F1=2*(1/12)/(7/12)=2/7
    assert f1_tokens("I went to Paris", "Paris in spring") == pytest.approx(2 / 7)


def test_f1_tokens_empty_sides() -> None:
    assert f1_tokens("", "Paris") == 0.0
    assert f1_tokens("Paris", "") == 0.0
    # both empty (also after normalisation): no common token -> 0, as LoCoMo's script
    assert f1_tokens("", "") == 0.0
    assert f1_tokens("The", "a") == 0.0


def test_multiset_locomo_vs_set_mem0() -> None:
    # LoCoMo (multiset): pred {dog:2, cat:1}, gold {dog:1, cat:2}, common 2
    # P=2/3, R=2/3, F1=2/3.  Mem0 (sets): {dog, cat} == {dog, cat} -> 1
    assert f1_tokens("dog dog cat", "dog cat cat") == pytest.approx(2 / 3)
    assert f1_mem0("dog dog cat", "dog cat cat") == 1.0
    # LoCoMo: pred red x3 vs gold red x1: common 1, P=1/3, R=1, F1=1/2.  Mem0: {red}=={red} -> 1
    assert f1_tokens("red red red", "red") == pytest.approx(0.5)
    assert f1_mem0("red red red", "red") == 1.0
    # LoCoMo: pred {red:2, blue:1}, gold {red:2}: common 2, P=2/3, R=1, F1=2*(2/3)/(5/3)=4/5
    # Mem0: {red, blue} vs {red}: P=1/2, R=1, F1=2*(1/2)/(3/2)=2/3
    assert f1_tokens("red red blue", "red red") == pytest.approx(0.8)
    assert f1_mem0("red red blue", "red red") == pytest.approx(2 / 3)


def test_category1_comma_split() -> None:
    # gold parts "hiking" (best 0) and "chess" (best 1): mean (0+1)/2 = 1/2
    assert f1_locomo("chess", "hiking, chess", 1) == pytest.approx(0.5)
    assert f1_locomo("chess, hiking", "hiking, chess", 1) == 1.0
    # pred has no comma: one part [hike, chess]; vs [hike]: P=1/2,R=1 -> 2/3; same vs [chess]
    # mean (2/3+2/3)/2 = 2/3
    assert f1_locomo("hiking and chess", "hiking, chess", 1) == pytest.approx(2 / 3)
    # the same pair as plain F1 (category 2): commas removed, [hike, chess] == [hike, chess]
    assert f1_locomo("hiking and chess", "hiking, chess", 2) == 1.0
    # prediction parts: best part " Paris" matches fully -> 1
    assert f1_locomo("London, Paris", "Paris", 1) == 1.0
    # plain F1 (category 4): [london, pari] vs [pari]: P=1/2, R=1 -> 2/3
    assert f1_locomo("London, Paris", "Paris", 4) == pytest.approx(2 / 3)
    # three gold parts, two found: (1+1+0)/3 = 2/3
    assert f1_locomo("tea, coffee", "coffee, tea, milk", 1) == pytest.approx(2 / 3)


def test_category3_semicolon() -> None:
    # gold keeps "Psychology" only
    assert f1_locomo("counseling", "Psychology; counseling", 3) == 0.0
    assert f1_locomo("psychology", "Psychology; counseling", 3) == 1.0
    # [like, psycholog] vs [psycholog]: P=1/2, R=1 -> 2/3  ("likely" stems to "like")
    assert f1_locomo("Likely psychology", "Psychology; counseling", 3) == pytest.approx(2 / 3)
    # without the rule (category 4): [counsel] vs [psycholog, counsel]: P=1, R=1/2 -> 2/3
    assert f1_locomo("counseling", "Psychology; counseling", 4) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        ("Not mentioned in the conversation", 1.0),
        ("NO INFORMATION AVAILABLE.", 1.0),
        ("Sorry, it is not Mentioned anywhere", 1.0),
        ("There is No information available about that", 1.0),
        ("Nothing about it", 0.0),
        ("not  mentioned", 0.0),  # substring rule: the double space breaks the phrase
        ("Paris", 0.0),
        ("", 0.0),
    ],
)
def test_category5_phrases(pred: str, expected: float) -> None:
    assert f1_locomo(pred, "Paris", 5) == expected
    assert f1_locomo(pred, "", 5) == expected  # the gold is ignored


# --------------------------------------------------------------------------- EM and Mem0 F1


def test_em_locomo_compares_token_sets() -> None:
    assert em_locomo("2023 May 7", "7 May 2023") == 1.0  # order ignored
    assert em_locomo("May May 7 2023", "7 May 2023") == 1.0  # repetition ignored
    assert em_locomo("The tower.", "tower") == 1.0
    assert em_locomo("towers", "tower") == 0.0  # no stemming
    assert em_locomo("", "the") == 1.0  # both normalise to the empty set
    assert em_locomo("Paris", "Paris France") == 0.0


def test_em_mem0_is_case_insensitive_equality() -> None:
    assert em_mem0("  Paris ", "paris") == 1.0
    assert em_mem0("7 May 2023.", "7 May 2023") == 0.0  # punctuation counts
    assert em_mem0("", "") == 0.0  # an empty side scores 0
    assert em_mem0(" ", " ") == 1.0  # not empty: both strip to ""
    assert em_mem0("2023 May 7", "7 May 2023") == 0.0


def test_exact_match() -> None:
    assert exact_match("The Eiffel Tower.", "eiffel tower") == 1.0
    assert exact_match("Eiffel, Tower", "eiffel tower") == 1.0
    assert exact_match("an apple and a pear", "Apple pear") == 1.0
    assert exact_match("Eiffel Towers", "eiffel tower") == 0.0  # no stemming
    assert exact_match("tower eiffel", "eiffel tower") == 0.0  # order matters
    assert exact_match("The", "a") == 1.0  # both normalise to ""


def test_f1_mem0() -> None:
    assert f1_mem0("Paris, France!", "paris france") == 1.0
    # sets {i, went, to, paris} vs {paris, in, spring}: P=1/4, R=1/3, F1=2/7
    assert f1_mem0("I went to Paris.", "Paris in spring") == pytest.approx(2 / 7)
    assert f1_mem0("running", "runs") == 0.0  # no stemming
    # articles kept: {the, cat} vs {cat}: P=1/2, R=1 -> 2/3 (LoCoMo F1 gives 1)
    assert f1_mem0("the cat", "cat") == pytest.approx(2 / 3)
    assert f1_tokens("the cat", "cat") == 1.0
    assert f1_mem0("it's", "its") == 0.0  # apostrophes are not stripped
    assert f1_mem0("", "x") == 0.0
    assert f1_mem0("...", "x") == 0.0
    assert f1_mem0("", "") == 0.0


# --------------------------------------------------------------------------- BLEU-1


def test_bleu1_uses_treebank_tokens() -> None:
    # Mem0: "7 may 2023 ." (4 tokens) vs "7 may 2023": p1 = 3/4, BP = 1 (c > r)
    assert bleu1("7 May 2023.", "7 May 2023") == pytest.approx(0.75)
    # "100 dollars" vs "$ 100": one match of 2, c = r: 0.5
    assert bleu1("100 dollars", "$100") == pytest.approx(0.5)


def test_bleu1_hand_values() -> None:
    # c=3 < r=6, all 3 match: p1=1, BP=exp(1-6/3)=exp(-1)
    assert bleu1("the cat sat", "the cat sat on the mat") == pytest.approx(math.exp(-1))
    # c=4 > r=2: BP=1; clipped matches min(4, 1)=1: p1=1/4
    assert bleu1("the the the the", "the cat") == pytest.approx(0.25)
    # c=r=2, 1 match: p1=1/2, BP=exp(0)=1
    assert bleu1("big dog", "big cat") == pytest.approx(0.5)
    assert bleu1("", "the cat") == 0.0
    assert bleu1("dog", "the cat") == 0.0
    assert bleu1("cat", "") == 0.0


BLEU_PAIRS: list[tuple[str, str]] = [
    ("", ""),
    ("", "the cat"),
    ("cat", ""),
    ("...", "cat"),
    ("dog", "the cat"),  # no overlap
    ("the cat", "the cat"),
    ("The Cat!", "the cat."),
    ("cat", "the cat sat on the mat"),  # much shorter
    ("the cat sat", "the cat sat on the mat"),
    ("the cat sat on the mat today in the sun", "the cat sat"),  # longer
    ("the the the the", "the cat"),  # repeated tokens, clipped
    ("the the the the the the the", "the cat is on the mat"),
    ("cat cat", "cat cat cat"),
    ("a b c d e", "e d c b a"),
    ("a b c d e f g h", "a"),
    ("a", "a b c d e f g h"),
    ("7 May 2023", "7 May 2023"),
    ("May 7, 2023", "7 May 2023"),
    ("In 2022", "2022"),
    ("2022", "In 2022"),
    ("Caroline went hiking, and painted.", "Caroline painted a sunset"),
    ("She likes pottery, camping, painting", "pottery, camping, painting, swimming"),
    ("Not mentioned in the conversation", "Not mentioned in the conversation"),
    ("Not mentioned", "Not mentioned in the conversation"),
    ("No information available.", "Not mentioned in the conversation"),
    ("x y z", "x"),
    ("x x x y", "x y y y"),
    ("one two three four five six", "one two three"),
    ("psychology; counseling", "Psychology; counseling"),
    ("it's fine", "its fine"),
    ("Yes! Yes? yes.", "yes"),
    ("running", "runs"),
    ("LGBTQ activist", "Transgender woman"),
    ("single", "single"),
    ("a a b b c c", "a b c"),
    ("a b c", "a a b b c c"),
]


def _nltk_bleu1(pred: str, gold: str) -> float:
    """Mem0's calculate_bleu_scores for one line (word_tokenize without sentence splitting)."""
    if not pred or not gold:
        return 0.0
    tok = NLTKWordTokenizer()
    return sentence_bleu(
        [tok.tokenize(gold.strip().lower())],
        tok.tokenize(pred.strip().lower()),
        weights=(1, 0, 0, 0),
        smoothing_function=SmoothingFunction().method1,
    )


@pytest.mark.parametrize(("pred", "gold"), BLEU_PAIRS)
def test_bleu1_equals_nltk(pred: str, gold: str) -> None:
    assert abs(bleu1(pred, gold) - _nltk_bleu1(pred, gold)) <= 1e-9


def test_bleu1_equals_nltk_random() -> None:
    rng = random.Random(0)
    vocab = ["a", "b", "c", "d", "e", "the", "cat", "x.", "$5", "don't", "(a)", "A"]
    for _ in range(300):
        pred = " ".join(rng.choices(vocab, k=rng.randint(0, 9)))
        gold = " ".join(rng.choices(vocab, k=rng.randint(0, 9)))
        assert abs(bleu1(pred, gold) - _nltk_bleu1(pred, gold)) <= 1e-9, (pred, gold)


def test_bleu_pairs_cover_edge_cases() -> None:
    values = [_nltk_bleu1(p, g) for p, g in BLEU_PAIRS]
    assert len(BLEU_PAIRS) >= 30
    assert 0 in values and 1 in values and any(0 < v < 1 for v in values)


# --------------------------------------------------------------------------- score_answer


def test_score_answer_keys_and_values() -> None:
    scores = score_answer("The Eiffel Tower.", _qa("Eiffel Tower", 4))
    assert tuple(scores) == METRICS == tuple(REGISTRY)
    assert scores["f1"] == 1.0 and scores["em"] == 1.0 and scores["em_locomo"] == 1.0
    # f1_mem0: {the, eiffel, tower} vs {eiffel, tower}: P=2/3, R=1 -> 0.8
    assert scores["f1_mem0"] == pytest.approx(0.8)
    # bleu1: [the, eiffel, tower, .] vs [eiffel, tower]: c=4 > r=2, BP=1, p1=2/4
    assert scores["bleu1"] == pytest.approx(0.5)
    assert scores["em_mem0"] == 0.0


@pytest.mark.parametrize("gold", ["", "Paris", "No"])
def test_score_answer_category5_refusal_rule_and_mem0_excluded(gold: str) -> None:
    # whatever the item carries (no answer, or an answer next to adversarial_answer), category 5
    # is scored by LoCoMo's refusal rule, and Mem0's metrics exclude it, as Mem0 does
    qa = _qa(gold, 5, adversarial_answer="Yes")
    refusal = {"f1": 1.0, "em": 1.0, "em_locomo": 1.0}
    none = {"f1_mem0": None, "bleu1": None, "em_mem0": None}
    assert score_answer("Not mentioned in the conversation", qa) == {**refusal, **none}
    assert score_answer("No information available.", qa) == {**refusal, **none}
    wrong = {"f1": 0.0, "em": 0.0, "em_locomo": 0.0, **none}
    assert score_answer(gold or "Paris", qa) == wrong
    assert score_answer("Yes", qa) == wrong


def test_score_texts_category_rules() -> None:
    scores = score_texts("psychology", "Psychology; counseling", 3)
    assert scores["f1"] == 1.0
    assert scores["em_locomo"] == 1.0  # LoCoMo's script cuts the gold at ';' before scoring
    assert scores["em"] == 0.0  # the project's EM: against the full gold
    # f1_mem0: "psychology;" keeps its ';' -> {psychology;, counseling}: no common token
    assert scores["f1_mem0"] == 0.0
    # category 1 splits on commas in f1 only
    assert score_texts("chess", "hiking, chess", 1)["f1"] == pytest.approx(0.5)
    assert score_texts("chess", "hiking, chess", 1)["em_locomo"] == 0.0


def test_plain_rules_for_longmemeval_and_msc() -> None:
    # LongMemEval's knowledge-update questions are category 5 there, not adversarial
    for dataset in ("longmemeval", "msc"):
        assert score_texts("25:50", "25:50", 5, dataset) == dict.fromkeys(METRICS, 1.0)
        refusal = score_texts("Not mentioned in the conversation", "25:50", 5, dataset)
        assert refusal["f1"] == 0.0 and refusal["em"] == 0.0
        # no comma split for category 1: [hike, chess] vs [hike, chess] -> 1
        assert score_texts("hiking and chess", "hiking, chess", 1, dataset)["f1"] == 1.0
    assert score_texts("hiking and chess", "hiking, chess", 1, "locomo")["f1"] == pytest.approx(
        2 / 3
    )
    with pytest.raises(ValueError, match="no scoring rules for dataset 'nope'"):
        score_texts("a", "a", 1, "nope")


def test_score_answer_follows_the_questions_dataset() -> None:
    assert score_answer("25:50", _qa("25:50", 5, "longmemeval"))["f1"] == 1.0
    assert score_answer("25:50", _qa("25:50", 5, "locomo"))["f1"] == 0.0
    assert score_answer("25:50", _qa("25:50", 5, "synth"))["f1"] == 0.0


def test_metric_checks() -> None:
    assert check_metric("bleu1").source.startswith("mem0ai/mem0")
    with pytest.raises(ValueError, match="reward must be one of"):
        check_metric("rouge", "reward")
    cat5, cat4 = _qa("", 5), _qa("x", 4)
    assert metric_defined("f1", cat5) and not metric_defined("bleu1", cat5)
    assert metric_defined("bleu1", _qa("x", 5, "longmemeval"))
    check_reward("bleu1", [cat4])
    check_reward("em", [cat4, cat5])
    with pytest.raises(ValueError, match="Mem0 metric.*category-5"):
        check_reward("f1_mem0", [cat4, cat5])


def test_question_buckets_and_labels() -> None:
    assert question_buckets(_qa("x", 4)) == ("4",)
    lme = _qa("x", 6, "longmemeval", abstention=True, category_name="temporal-reasoning")
    assert question_buckets(lme) == ("6", "abstention")
    assert bucket_label("locomo", "1") == "1 single-hop / LoCoMo multi-hop"
    assert bucket_label("synth", "4") == "4 open-domain / LoCoMo single-hop"
    assert bucket_label("longmemeval", "5") == "5 knowledge-update"
    assert bucket_label("longmemeval", "abstention") == "abstention"
    assert bucket_label("msc", "1") == "1 self-instruct"


# --------------------------------------------------------------------------- aggregation


def _rows() -> list[tuple[int, dict[str, float]]]:
    return [
        (10, {"f1": 0.8, "em": 0.0}),
        (1, {"f1": 1.0, "em": 1.0}),
        (1, {"f1": 0.0, "em": 0.0}),
        (1, {"f1": 0.5, "em": 0.0}),
        (4, {"f1": 1.0, "em": 1.0}),
        (2, {"f1": 0.3, "em": 0.0}),
    ]


def test_aggregate_question_weighted() -> None:
    summary = aggregate(_rows())
    assert list(summary["by_category"]) == ["1", "2", "4", "10"]  # numeric, not lexical
    cat1 = summary["by_category"]["1"]
    # category 1: f1 (1+0+0.5)/3 = 1/2, em 1/3
    assert cat1["n"] == 3
    assert cat1["f1"] == pytest.approx(0.5)
    assert cat1["em"] == pytest.approx(1 / 3)
    overall = summary["overall"]
    # overall f1: (0.8+1+0+0.5+1+0.3)/6 = 3.6/6 = 0.6 (the mean of the category means would be
    # (0.5+0.3+1+0.8)/4 = 0.65); em 2/6 = 1/3
    assert overall["n"] == 6
    assert overall["f1"] == pytest.approx(0.6)
    assert overall["em"] == pytest.approx(1 / 3)


def test_aggregate_unequal_sizes_and_scale() -> None:
    # category 1: three questions f1 1, 0, 1/2 (mean 1/2); category 4: one question f1 1
    rows = [(1, {"f1": 1.0}), (1, {"f1": 0.0}), (1, {"f1": 0.5}), (4, {"f1": 1.0})]
    summary = aggregate(rows, scale=100.0)
    # question-weighted: (1+0+0.5+1)/4 = 0.625 -> 62.5 (category-mean would be 75)
    assert summary["overall"] == {"n": 4, "f1": pytest.approx(62.5)}
    assert summary["by_category"]["1"] == {"n": 3, "f1": pytest.approx(50.0)}
    assert summary["by_category"]["4"] == {"n": 1, "f1": pytest.approx(100.0)}


def test_aggregate_empty_and_missing() -> None:
    empty = aggregate([])
    assert empty["overall"]["n"] == 0
    assert all(empty["overall"][m] is None for m in METRICS)
    assert empty["by_category"] == {}
    assert aggregate(iter(()), metrics=("f1",)) == {
        "overall": {"n": 0, "f1": None},
        "by_category": {},
    }
    # a metric absent from some rows is averaged over the rows that have it
    summary = aggregate([(1, {"f1": 1.0}), (1, {"f1": 0.0, "em": 1.0})])
    assert summary["overall"] == {"n": 2, "f1": 0.5, "em": 1.0}


def test_aggregate_accepts_score_answer_rows() -> None:
    rows = [
        (4, score_answer("Paris", _qa("Paris", 4))),
        (5, score_answer("not mentioned", _qa("", 5))),
    ]
    summary = aggregate(rows)
    assert tuple(summary["overall"]) == ("n", *METRICS)
    assert summary["overall"]["f1"] == 1.0
    # the Mem0 metrics are None on category 5: averaged over the other question only
    assert summary["overall"]["bleu1"] == 1.0 and summary["by_category"]["5"]["bleu1"] is None


def test_aggregate_buckets() -> None:
    # an abstention question counts in its type's bucket and in "abstention", once overall
    rows = [(("6", "abstention"), {"f1": 1.0}), (6, {"f1": 0.0}), (("1",), {"f1": 0.5})]
    summary = aggregate(rows)
    assert list(summary["by_category"]) == ["1", "6", "abstention"]
    assert summary["by_category"]["6"] == {"n": 2, "f1": 0.5}
    assert summary["by_category"]["abstention"] == {"n": 1, "f1": 1.0}
    assert summary["overall"] == {"n": 3, "f1": 0.5}


def test_format_table() -> None:
    summary = aggregate([(1, {"f1": 0.5, "bleu1": 0.25}), (4, {"f1": 1.0, "bleu1": 1.0})])
    table = format_table(summary, names={"1": "Multi-hop", 4: "Single-hop"})
    lines = table.splitlines()
    assert lines[0] == "| category | n | f1 | bleu1 |"
    assert lines[1] == "| --- | ---: | ---: | ---: |"
    assert lines[2] == "| Multi-hop | 1 | 0.50 | 0.25 |"
    assert lines[3] == "| Single-hop | 1 | 1.00 | 1.00 |"
    # overall: f1 (0.5+1)/2 = 0.75, bleu1 (0.25+1)/2 = 0.625 -> "0.62" (round half even)
    assert lines[4] == "| overall | 2 | 0.75 | 0.62 |"
    assert format_table(aggregate([]), metrics=("f1",)).splitlines()[-1] == "| overall | 0 | - |"

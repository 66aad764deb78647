"""Text normalisation and tokenisation shared by the answer metrics.

Three tokenisers, one per reference implementation:

- LoCoMo's QA script (:func:`normalize_locomo`, :func:`locomo_tokens`): remove commas, lowercase,
  strip ``string.punctuation``, drop the words *a*, *an*, *the*, *and*, collapse whitespace, then
  Porter-stem each token. The article rule is matched with the third-party ``regex`` module, as
  LoCoMo does: its ``\\b`` counts combining marks as word characters and superscript digits as
  non-word characters, unlike the standard ``re`` module.
- Mem0's F1 (:func:`simple_tokenize`): lowercase, replace ``. , ! ?`` with a space, split on
  whitespace (no stemming, no article removal).
- Mem0's BLEU-1 (:func:`treebank_tokens`): NLTK's Treebank word tokenizer (the one
  ``nltk.word_tokenize`` applies to each sentence) on the lower-cased text, as one line: no
  sentence splitting, so NLTK's punkt data is never needed.

These functions sit in environment steps, so the stemmer and tokenizer are built once, regexes
and translation tables are precompiled, and stemming and whole-string tokenisation are memoised.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any

import regex

__all__ = ["locomo_tokens", "normalize_locomo", "simple_tokenize", "stem", "treebank_tokens"]

_STEMMER: Any = None  # nltk's PorterStemmer, built on first use (importing nltk takes ~1 s)
_TREEBANK: Any = None  # nltk's NLTKWordTokenizer, built on first use
_PUNCT_TABLE = str.maketrans("", "", string.punctuation)
_ARTICLES = regex.compile(r"\b(a|an|the|and)\b")
_SIMPLE_TABLE = str.maketrans({".": " ", ",": " ", "!": " ", "?": " "})


def normalize_locomo(s: str) -> str:
    """Normalise text as LoCoMo's evaluation script does.

    Commas removed, lowercased, ``string.punctuation`` removed, the whole words a/an/the/and
    removed (``"theater"`` keeps its "the"), whitespace collapsed to single spaces and stripped.
    Punctuation goes before the article rule, so ``"the-end"`` becomes the single word
    ``"theend"``.
    """
    s = s.replace(",", "").lower().translate(_PUNCT_TABLE)
    return " ".join(_ARTICLES.sub(" ", s).split())


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Porter stem of one word (NLTK's default ``NLTK_EXTENSIONS`` mode), memoised."""
    global _STEMMER
    if _STEMMER is None:
        from nltk.stem import PorterStemmer

        _STEMMER = PorterStemmer()
    return _STEMMER.stem(word)


@lru_cache(maxsize=1 << 14)
def _locomo_tokens(s: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in normalize_locomo(s).split())


def locomo_tokens(s: str) -> tuple[str, ...]:
    """Stemmed tokens of :func:`normalize_locomo` (memoised per string)."""
    return _locomo_tokens(s)


@lru_cache(maxsize=1 << 14)
def _simple_tokens(s: str) -> tuple[str, ...]:
    return tuple(s.lower().translate(_SIMPLE_TABLE).split())


def simple_tokenize(s: str) -> tuple[str, ...]:
    """Mem0-protocol tokens: lowercase, ``. , ! ?`` to spaces, split on whitespace (keeps dups)."""
    return _simple_tokens(s)


@lru_cache(maxsize=1 << 14)
def _treebank_tokens(s: str) -> tuple[str, ...]:
    global _TREEBANK
    if _TREEBANK is None:
        from nltk.tokenize import NLTKWordTokenizer

        _TREEBANK = NLTKWordTokenizer()
    return tuple(_TREEBANK.tokenize(s.lower()))


def treebank_tokens(s: str) -> tuple[str, ...]:
    """Lower-cased Treebank tokens of one line, as ``nltk.word_tokenize(s.lower())`` gives them
    when punkt keeps the text as one sentence: a final period, ``$``, ``n't``, ``'s`` and
    brackets are tokens of their own (``"$100."`` -> ``("$", "100", ".")``)."""
    return _treebank_tokens(s)

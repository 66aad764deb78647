"""Text normalisation and tokenisation shared by the answer metrics.

Two tokenisers are used by the two evaluation protocols in the literature:

- LoCoMo's official QA script (:func:`normalize_locomo`, :func:`locomo_tokens`): remove commas,
  lowercase, strip ``string.punctuation``, drop the words *a*, *an*, *the*, *and*, collapse
  whitespace, then Porter-stem each token.
- The Mem0 evaluation protocol (:func:`simple_tokenize`): lowercase, replace ``. , ! ?`` with a
  space, split on whitespace (no stemming, no article removal).

These functions sit in environment steps, so the stemmer is built once, regexes and translation
tables are precompiled, and stemming and whole-string tokenisation are memoised.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any

__all__ = ["locomo_tokens", "normalize_locomo", "simple_tokenize", "stem"]

_STEMMER: Any = None  # nltk's PorterStemmer, built on first use (importing nltk takes ~1 s)
_PUNCT_TABLE = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the|and)\b")
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
    s = s.replace(",", "").lower().translate(_PUNCT_TABLE)
    return tuple(stem(w) for w in _ARTICLES.sub(" ", s).split())


def locomo_tokens(s: str) -> tuple[str, ...]:
    """Stemmed tokens of :func:`normalize_locomo` (memoised per string)."""
    return _locomo_tokens(s)


@lru_cache(maxsize=1 << 14)
def _simple_tokens(s: str) -> tuple[str, ...]:
    return tuple(s.lower().translate(_SIMPLE_TABLE).split())


def simple_tokenize(s: str) -> tuple[str, ...]:
    """Mem0-protocol tokens: lowercase, ``. , ! ?`` to spaces, split on whitespace (keeps dups)."""
    return _simple_tokens(s)

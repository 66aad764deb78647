"""Memory banks (one per speaker) and the retrievers behind them."""

from memenv.memory.bank import MemoryBank
from memenv.memory.bm25 import BM25Index
from memenv.memory.dense import DenseIndex
from memenv.memory.entry import BankSnapshot, ChangeRecord, MemoryEntry, OpResult
from memenv.memory.retriever import Retriever, make_retriever
from memenv.memory.tokenize import tokenize

__all__ = [
    "BM25Index",
    "BankSnapshot",
    "ChangeRecord",
    "DenseIndex",
    "MemoryBank",
    "MemoryEntry",
    "OpResult",
    "Retriever",
    "make_retriever",
    "tokenize",
]

"""Datasets as typed records: loaders, splits, categories, the LoCoMo download, statistics."""

from memenv.data.categories import LOCOMO_NAMES, PAPER_NAMES, category_name
from memenv.data.download import LOCOMO_SHA256, LOCOMO_URL, locomo_path
from memenv.data.errors import DataFormatError, DatasetUnavailableError
from memenv.data.locomo import (
    LoadReport,
    evidence_report,
    load_locomo,
    parse_evidence,
    parse_locomo_datetime,
    parse_locomo_item,
)
from memenv.data.records import OPERATIONS, QA, Conversation, Fact, Session, Turn
from memenv.data.registry import DATASETS, load_conversations
from memenv.data.splits import SPLITS, select_split
from memenv.data.stats import dataset_stats, format_stats

__all__ = [
    "DATASETS",
    "LOCOMO_NAMES",
    "LOCOMO_SHA256",
    "LOCOMO_URL",
    "OPERATIONS",
    "PAPER_NAMES",
    "QA",
    "SPLITS",
    "Conversation",
    "DataFormatError",
    "DatasetUnavailableError",
    "Fact",
    "LoadReport",
    "Session",
    "Turn",
    "category_name",
    "dataset_stats",
    "evidence_report",
    "format_stats",
    "load_conversations",
    "load_locomo",
    "locomo_path",
    "parse_evidence",
    "parse_locomo_datetime",
    "parse_locomo_item",
    "select_split",
]

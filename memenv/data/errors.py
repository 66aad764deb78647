"""Errors raised by the dataset loaders, the splits and the download cache."""

from __future__ import annotations

from typing import Any


def json_type_name(value: Any) -> str:
    """The JSON name of a parsed value's type (``string``, ``array``, ...), for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


class DataFormatError(ValueError):
    """A dataset file does not have the expected structure.

    The message names the file and the JSON path of the bad item, e.g.
    ``locomo10.json: [0].qa[12].evidence: expected a list, got str``.
    """

    def __init__(self, source: str, path: str, message: str):
        self.source = source
        self.path = path
        self.reason = message
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {message}")


class DatasetUnavailableError(RuntimeError):
    """A dataset (or the requested part of it) cannot be read: missing file, offline download,
    failed checksum, or a split the file does not contain. The message says what to do."""

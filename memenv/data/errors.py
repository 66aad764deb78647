"""Errors raised by the dataset loaders, the splits and the download cache."""

from __future__ import annotations


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

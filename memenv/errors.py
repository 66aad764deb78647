"""Errors of memenv's parts that are not about the data (those are in :mod:`memenv.data.errors`)."""

from __future__ import annotations


class ServiceError(RuntimeError):
    """An outside service (an LLM server) failed for good. The message is one line for the user:
    it names the service (its URL) and the fault; the command line prints it without a
    traceback and exits with status 1."""

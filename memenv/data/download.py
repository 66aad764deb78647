"""Download and sha256-checked cache of the official LoCoMo file.

The cache folder is ``$MEMENV_DATA_DIR`` (default ``~/.cache/memenv``); ``$MEMENV_LOCOMO_URL``
replaces the default URL (e.g. a local mirror), the checksum still applies.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from memenv.data.errors import DatasetUnavailableError

LOCOMO_URL = "https://raw.githubusercontent.com/snap-research/LoCoMo/3eb6f2c/data/locomo10.json"
LOCOMO_SHA256 = "79fa87e90f04081343b8c8debecb80a9a6842b76a7aa537dc9fdf651ea698ff4"
LOCOMO_FILENAME = "locomo10.json"
DATA_DIR_ENV = "MEMENV_DATA_DIR"
URL_ENV = "MEMENV_LOCOMO_URL"
TIMEOUT_S = 60.0
_CHUNK = 1 << 16


def default_data_dir() -> Path:
    """``$MEMENV_DATA_DIR``, or ``~/.cache/memenv``."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "memenv"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def locomo_path(
    data_path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    url: str = LOCOMO_URL,
    sha256: str | None = LOCOMO_SHA256,
    download: bool = True,
    timeout: float = TIMEOUT_S,
) -> Path:
    """Path of the LoCoMo file: ``data_path`` if given, else the cached download.

    ``data_path`` may also be a folder holding ``locomo10.json``; it is used as it is (no
    checksum, so subsets such as the train/val file work). Without it, a cached file whose sha256
    matches is reused, otherwise the file is downloaded (unless ``download=False``), checked and
    written atomically. ``sha256=None`` skips the check. Raises
    :class:`DatasetUnavailableError` with instructions when the file cannot be had.
    """
    if data_path is not None:
        return _given_path(Path(data_path).expanduser())
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    target = folder / LOCOMO_FILENAME
    if url == LOCOMO_URL:
        url = os.environ.get(URL_ENV) or url
    if target.is_file() and (sha256 is None or sha256_of(target) == sha256):
        return target
    if not download:
        state = "has a different checksum" if target.exists() else "is not there"
        raise DatasetUnavailableError(
            f"the LoCoMo file {target} {state} and download=False. {_instructions(url, target)}"
        )
    _download(url, target, sha256, timeout)
    return target


def _given_path(path: Path) -> Path:
    if path.is_dir():
        path = path / LOCOMO_FILENAME
    if not path.is_file():
        raise DatasetUnavailableError(
            f"LoCoMo file not found: {path}. Pass the path of the official {LOCOMO_FILENAME} "
            f"(or leave data_path out to download it from {LOCOMO_URL})."
        )
    return path


def _instructions(url: str, target: Path) -> str:
    return (
        f"Download {url} by hand and save it as {target} (or set {DATA_DIR_ENV} to the folder "
        f"holding {LOCOMO_FILENAME}), or pass data_path= (CLI: --path / --data-path) to a copy "
        "of the file."
    )


def _fetch(url: str, out: BinaryIO, timeout: float) -> str:
    """Stream ``url`` into ``out``; return the sha256 of what was read."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        expected = response.headers.get("Content-Length")
        received = 0
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
            received += len(chunk)
    # read(n) returns short data instead of raising when the connection drops early.
    if expected is not None and expected.isdigit() and received != int(expected):
        raise http.client.IncompleteRead(b"", int(expected) - received)
    return digest.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, under another user
        return True
    return True


def _remove_orphans(target: Path) -> None:
    """Delete temp files of earlier downloads whose process is gone (killed before it could
    clean up); a download still running in another process keeps its file."""
    prefix = f".{target.name}."
    for part in target.parent.glob(f"{prefix}*.part"):
        pid = part.name[len(prefix) :].split(".", 1)[0]
        if not (pid.isdigit() and _pid_alive(int(pid))):
            with contextlib.suppress(OSError):
                part.unlink()


def _download(url: str, target: Path, sha256: str | None, timeout: float) -> None:
    """Fetch ``url`` into ``target`` through a temp file in the same folder (atomic); the temp
    file's name holds the process id, so a later download can remove it if this one is killed."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_orphans(target)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise DatasetUnavailableError(
            f"cannot write to the data folder {target.parent}: {exc}. {_instructions(url, target)}"
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                got = _fetch(url, out, timeout)
            except urllib.error.HTTPError as exc:
                raise DatasetUnavailableError(
                    f"could not download the LoCoMo file: HTTP {exc.code} {exc.reason} "
                    f"from {url}. {_instructions(url, target)}"
                ) from exc
            except http.client.IncompleteRead as exc:
                raise DatasetUnavailableError(
                    f"incomplete download from {url} ({exc.expected} bytes missing). "
                    f"{_instructions(url, target)}"
                ) from exc
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                raise DatasetUnavailableError(
                    f"could not download the LoCoMo file from {url} (offline?): {reason}. "
                    f"{_instructions(url, target)}"
                ) from exc
            out.flush()
            os.fsync(out.fileno())
        if sha256 is not None and got != sha256:
            raise DatasetUnavailableError(
                f"the file downloaded from {url} has sha256 {got}, expected {sha256}; "
                f"nothing was saved. {_instructions(url, target)}"
            )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()

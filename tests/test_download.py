"""The LoCoMo download cache, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from memenv.data import download
from memenv.data.errors import DatasetUnavailableError

BODY = '[{"sample_id": "conv-1", "text": "caf\u00e9 \u2014 \U0001f31f"}]'.encode()
SHA = hashlib.sha256(BODY).hexdigest()


@dataclass
class Server:
    base: str
    files: dict[str, bytes] = field(default_factory=dict)
    truncated: set[str] = field(default_factory=set)
    hits: Counter = field(default_factory=Counter)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.lstrip("/")
            state.hits[name] += 1
            body = state.files.get(name)
            if body is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # A truncated transfer: half the promised bytes, then the connection closes.
            self.wfile.write(body[: len(body) // 2] if name in state.truncated else body)

        def log_message(self, format: str, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """Never touch the real cache, never follow a URL override from the outside."""
    monkeypatch.setenv(download.DATA_DIR_ENV, str(tmp_path / "env-cache"))
    monkeypatch.delenv(download.URL_ENV, raising=False)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_then_reuse_cache(server, tmp_path):
    server.files["locomo10.json"] = BODY
    cache = tmp_path / "cache"
    path = download.locomo_path(data_dir=cache, url=server.url("locomo10.json"), sha256=SHA)
    assert path == cache / "locomo10.json"
    assert path.read_bytes() == BODY
    again = download.locomo_path(data_dir=cache, url=server.url("locomo10.json"), sha256=SHA)
    assert again == path
    assert server.hits["locomo10.json"] == 1
    assert files_in(cache) == ["locomo10.json"]


def test_stale_cache_is_downloaded_again(server, tmp_path):
    server.files["locomo10.json"] = BODY
    (tmp_path / "locomo10.json").write_bytes(b"[]")
    path = download.locomo_path(data_dir=tmp_path, url=server.url("locomo10.json"), sha256=SHA)
    assert path.read_bytes() == BODY
    assert server.hits["locomo10.json"] == 1


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    server.files["locomo10.json"] = BODY
    cache = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="sha256") as info:
        download.locomo_path(data_dir=cache, url=server.url("locomo10.json"), sha256="0" * 64)
    assert "nothing was saved" in str(info.value)
    assert files_in(cache) == []


def test_http_404(server, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="HTTP 404") as info:
        download.locomo_path(data_dir=cache, url=server.url("missing.json"), sha256=SHA)
    assert str(cache / "locomo10.json") in str(info.value)
    assert files_in(cache) == []


def test_offline_error_explains_what_to_do(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError) as info:
        download.locomo_path(
            data_dir=cache, url=f"http://127.0.0.1:{port}/locomo10.json", sha256=SHA, timeout=5
        )
    message = str(info.value)
    assert "offline" in message
    assert str(cache / "locomo10.json") in message and "data_path=" in message
    assert files_in(cache) == []


def test_truncated_transfer_leaves_no_partial_file(server, tmp_path):
    server.files["locomo10.json"] = BODY
    server.truncated.add("locomo10.json")
    cache = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="incomplete download"):
        download.locomo_path(data_dir=cache, url=server.url("locomo10.json"), sha256=None)
    assert files_in(cache) == []


def test_failed_refresh_keeps_the_old_file(server, tmp_path):
    (tmp_path / "locomo10.json").write_bytes(b"old")
    with pytest.raises(DatasetUnavailableError):
        download.locomo_path(data_dir=tmp_path, url=server.url("missing.json"), sha256=SHA)
    assert files_in(tmp_path) == ["locomo10.json"]
    assert (tmp_path / "locomo10.json").read_bytes() == b"old"


def test_data_dir_and_url_from_environment(server, tmp_path, monkeypatch):
    server.files["mirror.json"] = BODY
    monkeypatch.setenv(download.DATA_DIR_ENV, str(tmp_path / "from-env"))
    monkeypatch.setenv(download.URL_ENV, server.url("mirror.json"))
    path = download.locomo_path(sha256=SHA)
    assert path == tmp_path / "from-env" / "locomo10.json"
    assert path.read_bytes() == BODY
    assert server.hits["mirror.json"] == 1
    assert download.default_data_dir() == tmp_path / "from-env"


def test_default_data_dir_without_environment(monkeypatch):
    monkeypatch.delenv(download.DATA_DIR_ENV)
    assert download.default_data_dir() == Path.home() / ".cache" / "memenv"


def test_no_download_allowed(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="download=False") as info:
        download.locomo_path(data_dir=tmp_path, download=False)
    assert "is not there" in str(info.value)
    (tmp_path / "locomo10.json").write_bytes(BODY)
    assert download.locomo_path(data_dir=tmp_path, sha256=SHA, download=False).is_file()
    assert download.locomo_path(data_dir=tmp_path, sha256=None, download=False).is_file()


def test_explicit_data_path(tmp_path):
    given = tmp_path / "my-locomo.json"
    given.write_bytes(b"[]")  # used as it is: no checksum for a user's file
    assert download.locomo_path(given) == given
    assert download.locomo_path(str(given)) == given
    (tmp_path / "locomo10.json").write_bytes(b"[]")
    assert download.locomo_path(tmp_path) == tmp_path / "locomo10.json"
    with pytest.raises(DatasetUnavailableError, match="nope.json"):
        download.locomo_path(tmp_path / "nope.json")


def test_default_constants():
    assert download.LOCOMO_URL.endswith("/snap-research/LoCoMo/3eb6f2c/data/locomo10.json")
    assert len(download.LOCOMO_SHA256) == 64

"""Issue 17 items 3 and 6: the OpenAI-compatible backend under network faults, and its API key.

A local server on 127.0.0.1 plays each fault: a body cut off (``IncompleteRead``), JSON cut off
on a connection without a length, a server trickling one byte at a time, JSON of the wrong
shape, a client error in the middle of ``memenv eval``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agents.llm.openai_compat import OpenAIBackendError, OpenAICompatBackend, OpenAIConfig
from memenv_app.cli import main

GOOD = {"choices": [{"text": "Paris", "message": {"content": "**Answer:** Paris"}}]}


class _Handler(BaseHTTPRequestHandler):
    faults: deque[str]
    seen: list[dict[str, str]]

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append({**self.headers, "path": self.path})
        fault = self.faults.popleft() if self.faults else "ok"
        payload = json.dumps(GOOD).encode()
        try:
            if fault == "truncated":  # says 200 bytes, sends 20, hangs up
                self.send_response(200)
                self.send_header("Content-Length", "200")
                self.end_headers()
                self.wfile.write(payload[:20])
            elif fault == "unframed":  # no length: the body ends where the connection does
                self.close_connection = True
                self.send_response(200)
                self.end_headers()
                self.wfile.write(payload[:25])
            elif fault == "trickle":  # one byte every 0.2 s, for 10 s
                self.send_response(200)
                self.send_header("Content-Length", "50")
                self.end_headers()
                for _ in range(50):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            elif fault == "trickle-headers":
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            elif fault.startswith("{"):  # a given JSON document
                self._send(200, fault.encode())
            elif fault.isdigit():
                self._send(int(fault), b'{"error": "nope"}')
            else:
                self._send(200, payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def server():
    faults: deque[str] = deque()
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Handler,), {"faults": faults, "seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    httpd.faults, httpd.seen = faults, seen  # type: ignore[attr-defined]
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def client(server, **kw: Any) -> OpenAICompatBackend:
    config = {"model": "m", "backoff": 0.01, "max_backoff": 0.05, "timeout": 5.0, **kw}
    return OpenAICompatBackend(OpenAIConfig(base_url=server.url, **config))


@pytest.mark.parametrize("fault", ["truncated", "unframed", "503"])
def test_http_transient_faults_are_retried(server, fault):
    server.faults.extend([fault, fault])
    backend = client(server)
    assert backend.generate(["q"])[0].text == "Paris"
    assert backend.stats["retries"] == 2 and backend.stats["requests"] == 3


def test_http_truncated_body_fails_cleanly_after_the_retries(server):
    server.faults.extend(["truncated"] * 3)
    with pytest.raises(OpenAIBackendError, match="IncompleteRead") as err:
        client(server, max_retries=2).generate(["q"])
    assert server.url in str(err.value) and "3 attempts" in str(err.value)


@pytest.mark.parametrize("fault", ["trickle", "trickle-headers"])
def test_http_deadline_is_per_request_not_per_read(server, fault):
    server.faults.append(fault)
    backend = client(server, timeout=1.0, max_retries=0)
    start = time.monotonic()
    with pytest.raises(OpenAIBackendError, match="timed out"):
        backend.generate(["q"])
    assert time.monotonic() - start < 3.0  # the old per-read timeout ran for the whole trickle


@pytest.mark.parametrize(
    "document, chat, why",
    [
        ('{"choices": [{"message": "x"}]}', True, "choices[0].message is a str"),
        ('{"choices": [{"text": "x"}], "usage": [1]}', False, "usage is a list"),
        ('{"choices": [{"text": 5}]}', False, "choices[0].text is a int"),
        ('{"choices": ["x"]}', False, "choices[0] is a str"),
        ('{"choices": [{"text": "x"}], "usage": {"completion_tokens": "3"}}', False, "str"),
        ('{"choices": []}', False, "'choices' is empty"),
    ],
)
def test_http_malformed_json_shapes_are_one_clear_error(server, document, chat, why):
    server.faults.append(document)
    backend = client(server, mode="chat" if chat else "auto")
    with pytest.raises(OpenAIBackendError, match="malformed response") as err:
        backend.generate(["q"])
    assert why in str(err.value) and server.url in str(err.value)
    assert backend.stats["requests"] == 1  # not retried


def eval_args(tmp_path, url: str, *extra: str) -> list[str]:
    return [
        "eval",
        "--dataset",
        "synth",
        "--synth-kwargs",
        '{"n": 1}',
        "--answerer",
        "llm",
        "--llm",
        f"openai:{url}",
        "--batch-size",
        "1",
        "--limit",
        "4",
        "--out",
        str(tmp_path / "run"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-progress",
        *extra,
    ]


@pytest.mark.parametrize("fault", ["400", '{"choices": [{"message": "x"}]}'])
def test_cli_http_fault_is_one_error_line_and_rows_are_kept(server, tmp_path, capsys, fault):
    server.faults.extend(["ok", "ok", fault])
    args = eval_args(tmp_path, server.url)
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("memenv: error: POST " + server.url), err
    rows = (tmp_path / "run" / "partial.jsonl").read_text().splitlines()
    assert len(rows) == 2  # the two questions answered before the fault
    assert main(args) == 0  # resumed: the server works again
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["timings"]["resumed_questions"] == 2 and len(results["questions"]) == 4


def test_environment_key_goes_to_https_only_unless_named(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    monkeypatch.delenv("MEMENV_OPENAI_KEY", raising=False)
    client(server).generate(["q"])
    assert "Authorization" not in server.seen[-1]  # plain http: $OPENAI_API_KEY stays home
    client(server, api_key="env:OPENAI_API_KEY").generate(["q"])
    assert server.seen[-1]["Authorization"] == "Bearer sk-real"  # named by the user
    client(server, api_key="sk-given").generate(["q"])
    assert server.seen[-1]["Authorization"] == "Bearer sk-given"
    monkeypatch.setenv("MEMENV_OPENAI_KEY", "sk-memenv")  # a key set for memenv on purpose
    client(server).generate(["q"])
    assert server.seen[-1]["Authorization"] == "Bearer sk-memenv"
    monkeypatch.delenv("MEMENV_OPENAI_KEY")
    https = OpenAICompatBackend(OpenAIConfig(base_url="https://api.example.invalid/v1"))
    assert https.api_key == "sk-real"
    with pytest.raises(ValueError, match="NOT_SET_ANYWHERE"):
        client(server, api_key="env:NOT_SET_ANYWHERE")


def test_http_401_without_a_key_says_so(server, monkeypatch):
    monkeypatch.delenv("MEMENV_OPENAI_KEY", raising=False)
    server.faults.append("401")
    with pytest.raises(OpenAIBackendError, match="no API key was sent"):
        client(server).generate(["q"])


def test_http_connect_deadline_on_a_silent_listener():
    """A socket that accepts nothing (backlog full) must not hang past the deadline."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue so further connects stall
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        backend = OpenAICompatBackend(
            OpenAIConfig(base_url=f"http://127.0.0.1:{port}", timeout=1.0, max_retries=0)
        )
        start = time.monotonic()
        with pytest.raises(OpenAIBackendError):
            backend.generate(["q"])
        assert time.monotonic() - start < 3.0
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_http_proxy_from_the_environment_is_used(server, monkeypatch):
    monkeypatch.setenv("http_proxy", server.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    backend = OpenAICompatBackend(OpenAIConfig(base_url="http://llm.example.invalid:8000/v1"))
    assert backend.generate(["q"])[0].text == "Paris"  # the proxy (this server) answered
    assert server.seen[-1]["path"] == "http://llm.example.invalid:8000/v1/completions"


def test_https_with_an_untrusted_certificate_fails_at_once(tmp_path, monkeypatch):
    """A certificate error is not transient: one attempt, one clear error, no key sent."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    faults: deque[str] = deque()
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Handler,), {"faults": faults, "seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    try:
        backend = OpenAICompatBackend(
            OpenAIConfig(base_url=f"https://127.0.0.1:{httpd.server_address[1]}", backoff=0.01)
        )
        assert backend.api_key == "sk-real"  # https: the environment key may go there
        with pytest.raises(OpenAIBackendError, match="TLS certificate not accepted"):
            backend.generate(["q"])
        assert backend.stats["requests"] == 1 and seen == []  # not retried, nothing sent
    finally:
        httpd.shutdown()
        httpd.server_close()

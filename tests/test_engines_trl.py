"""TRL adapter: MemoryManager / AnswerAgent episodes as GRPOTrainer environments."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("trl", reason="the TRL adapter needs the llm extra (trl)")

from agents.engines.episodes import EpisodeSpec, ManagerEpisode, SharedStates, episode_specs
from agents.engines.trl_env import (
    END_OF_EPISODE,
    AnswerAgentToolEnv,
    MemoryManagerToolEnv,
    answer_rows,
    manager_environment_factory,
    manager_episode_rows,
    with_tool_template,
)
from agents.engines.trl_train import EpisodeTrainConfig, load_episode_config, train_episodes
from memenv.data.registry import load_conversations
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv

SYNTH = {"n": 4, "n_sessions": 1, "facts_per_session": 2}


@pytest.fixture(scope="module")
def conversations():
    return load_conversations("synth", split="train", synth_kwargs=SYNTH)


def _env(conversations, **kwargs):
    return MemoryManagerEnv(conversations=conversations, terminal_reward=True, **kwargs)


def test_tool_env_plays_an_episode_and_the_env_owns_the_reward(conversations):
    tool_env = MemoryManagerToolEnv(_env(conversations))
    row = manager_episode_rows(tool_env.episode.env, [EpisodeSpec(1)])[0]
    first = tool_env.reset(**row)
    assert first.startswith("\n\nFact 1 of ")
    n = tool_env.episode.window_size
    results = [tool_env.add("") for _ in range(n)]
    assert results[-1] == END_OF_EPISODE and tool_env.noop() == END_OF_EPISODE
    reward = tool_env.get_reward()

    # The same actions straight on a MemoryManagerEnv give the same return.
    env = _env(conversations)
    env.reset(options={"conversation": 1})
    total, done = 0.0, False
    while not done:
        _, r, done, _, _ = env.step({"op": 0, "text": ""})
        total += r
    assert reward == pytest.approx(total) and reward > 0


def test_undecided_facts_are_noop_and_bad_ids_are_invalid(conversations):
    tool_env = MemoryManagerToolEnv(_env(conversations, invalid_penalty=0.5))
    tool_env.reset(conversation=2)
    text = tool_env.delete(7)  # no memory is shown yet
    assert text.startswith("(invalid: ")
    assert tool_env.episode.records[0].invalid
    tool_env.update(0, "a new memory")  # a memory may or may not be shown: either way it steps
    reward = tool_env.get_reward()
    assert tool_env.episode.done
    assert tool_env.episode.stats()["decisions"] == tool_env.episode.window_size
    assert reward <= tool_env.episode.total_reward + 1e-9


def test_group_members_start_from_one_shared_state(conversations):
    factory = manager_environment_factory(lambda: _env(conversations))
    a, b = factory(), factory()
    spec = EpisodeSpec(1, start_fact=2, max_facts=2)
    row = manager_episode_rows(a.episode.env, [spec])[0]
    assert a.reset(**row) == b.reset(**row)
    state_a, state_b = a.episode.env.get_state(), b.episode.env.get_state()
    assert state_a == state_b and any(len(s.entries) for s in state_a.banks.values())
    a.add("")
    a.get_reward()
    b.reset(**row)  # a's actions never leak into b's (or a later member's) start
    assert b.episode.env.get_state() == state_b
    assert len(factory.states) == 1


def test_windows_cover_every_fact(conversations):
    env = _env(conversations)
    episode = ManagerEpisode(env, SharedStates())
    covered = {}
    for spec in episode_specs(env, window=2):
        episode.start(spec)
        while not episode.done:
            covered.setdefault(spec.conversation, []).append(env.fact_index)
            episode.step({"op": "ADD"})
    for ci in range(len(conversations)):
        env.reset(options={"conversation": ci})
        assert covered[ci] == list(range(len(env.facts)))


def test_episode_spec_rejects_bad_rows():
    with pytest.raises(ValueError, match="conversation"):
        EpisodeSpec.from_row({"start_fact": 1})
    with pytest.raises(ValueError, match="prefix_policy"):
        EpisodeSpec(0, prefix_policy="mem0")
    with pytest.raises(ValueError, match="start_fact"):
        EpisodeSpec(0, start_fact=-1)


def test_tool_schema_comes_from_the_docstrings(conversations):
    from transformers.utils import get_json_schema

    tool_env = MemoryManagerToolEnv(_env(conversations))
    schemas = {
        f.__name__: get_json_schema(f)["function"]
        for f in (tool_env.add, tool_env.update, tool_env.delete, tool_env.noop)
    }
    assert schemas["update"]["parameters"]["properties"]["memory_id"]["type"] == "integer"
    assert schemas["add"]["parameters"]["required"] == ["text"]
    assert "no longer true" in schemas["delete"]["description"]


def test_answer_tool_env_is_scored_by_the_env(conversations):
    env = AnswerAgentEnv(conversations=conversations, reward="f1")
    tool_env = AnswerAgentToolEnv(env)
    rows = answer_rows(env)
    assert len(rows) == env.num_questions
    tool_env.reset(**rows[0])
    gold = env.qa.answer
    tool_env.answer(gold, [0])
    assert tool_env.get_reward() == pytest.approx(1.0)
    tool_env.reset(**rows[0])
    assert tool_env.get_reward() == 0.0  # never answered


def test_presets_load_and_bad_settings_are_named():
    config = load_episode_config("trl-smollm2")
    assert config.model == "smollm2" and config.agent == "manager"
    assert load_episode_config("trl-paper-gpu").learning_rate == 1e-6
    with pytest.raises(ValueError, match="unknown settings"):
        load_episode_config("trl-tiny", overrides=["lr=1"])
    with pytest.raises(ValueError, match="num_generations"):
        load_episode_config("trl-tiny", overrides=["num_generations=1"])


# ---------------------------------------------------------------------- a real training run
CALLS = (
    '<tool_call>\n{"name": "add", "arguments": {"text": ""}}\n</tool_call>',
    '<tool_call>\n{"name": "noop", "arguments": {}}\n</tool_call>',
)


def _tool_calling_tiny_model(folder, config: EpisodeTrainConfig):
    """A 2-layer Llama whose tokenizer is trained on the run's own prompts (short sequences)
    and knows the two tool calls as single tokens, warm-started with a few supervised steps to
    answer with one of them, so that sampled rollouts differ and GRPO has a signal."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )
    from trl.chat_template_utils import qwen2_5_chat_template

    from agents.engines.trl_train import build_rows_and_factory

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]

    def tokenizer(corpus):
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.train_from_iterator(
            corpus,
            trainer=trainers.BpeTrainer(
                vocab_size=2048,
                special_tokens=special,
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                show_progress=False,
            ),
        )
        fast = PreTrainedTokenizerFast(
            tokenizer_object=tok,
            bos_token="<|endoftext|>",
            eos_token="<|im_end|>",
            pad_token="<|pad|>",
            padding_side="left",
            truncation_side="left",
        )
        fast.chat_template = qwen2_5_chat_template
        return fast

    rows, factory = build_rows_and_factory(config)
    tool_env = factory()
    tools = [tool_env.add, tool_env.update, tool_env.delete, tool_env.noop]
    conversations = []
    for row in rows:
        messages = [dict(m) for m in row["prompt"]]
        messages[-1]["content"] += tool_env.reset(**row)
        conversations.append(messages)
    bootstrap = tokenizer(["x"])
    rendered = [
        bootstrap.apply_chat_template(m, tools=tools, add_generation_prompt=True, tokenize=False)
        for m in conversations
    ]
    tok = tokenizer(rendered + list(CALLS) * 8)
    tok.add_tokens(list(CALLS))
    model_config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(model_config)
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    pairs = []
    for rendered_prompt in rendered:
        prompt_ids = tok(rendered_prompt, add_special_tokens=False)["input_ids"]
        for call in CALLS:
            pairs.append(
                (prompt_ids, tok(call + "<|im_end|>", add_special_tokens=False)["input_ids"])
            )
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(24):
        prompt_ids, target = pairs[step % len(pairs)]
        ids = torch.tensor([prompt_ids + target])
        labels = ids.clone()
        labels[0, : len(prompt_ids)] = -100
        model(input_ids=ids, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model


def test_grpo_trains_a_manager_over_whole_episodes(tmp_path):

    config = load_episode_config(
        "trl-tiny",
        overrides=[
            f"output_dir={tmp_path / 'run'}",
            "max_steps=3",
            "max_completion_length=192",
            "max_tool_calling_iterations=6",
        ],
    )
    folder = tmp_path / "model"
    start = {
        n: p.detach().clone()
        for n, p in _tool_calling_tiny_model(folder, config).named_parameters()
    }
    config.model = str(folder)
    result = train_episodes(config)

    assert result["steps"] == 3
    logs = [h for h in result["log_history"] if "loss" in h]
    assert len(logs) == 3
    assert all("rewards/MemoryManagerToolEnv/mean" in h for h in logs)
    assert sum(h["tools/call_frequency"] for h in logs) > 0  # the env's tools were called
    assert any(h["rewards/MemoryManagerToolEnv/std"] > 0 for h in logs)
    trained = result["trainer"].model
    changed = sum(
        float((p.detach().cpu() - start[n]).abs().sum()) for n, p in trained.named_parameters()
    )
    assert changed > 0
    lines = (tmp_path / "run" / "log.jsonl").read_text().splitlines()
    assert any("rewards/MemoryManagerToolEnv/mean" in json.loads(line) for line in lines)
    assert (tmp_path / "run" / "final" / "config.json").is_file()


def test_with_tool_template_swaps_chatml_and_rejects_others():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from trl.chat_template_utils import supports_tool_calling

    from agents.llm.tiny import tiny_path
    from agents.train.model import load_tokenizer

    chatml = load_tokenizer(tiny_path())
    assert not supports_tool_calling(chatml)
    assert supports_tool_calling(with_tool_template(chatml))

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(["plain words"], trainer=trainers.BpeTrainer(vocab_size=300))
    plain = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>")
    plain.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    with pytest.raises(ValueError, match="ChatML"):
        with_tool_template(plain)

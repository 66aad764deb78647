"""GRPO on the Medium memory-manager task with the tier-1 model, in one file (CleanRL style).

Read it top to bottom: settings, the model, one rollout of a group of episodes that start from
one shared environment state, group-normalised advantages, the clipped policy-gradient update,
a greedy evaluation. No framework: only torch, transformers, gymnasium and the tier-1 prompt
format. The library version with more algorithms is ``agents/rl`` (``memenv rl-bench``).

    python -m experiments.rl.grpo_cleanrl --iterations 20 --init DIR   # DIR: a tier-1 folder
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from transformers import DynamicCache, LlamaForCausalLM, PreTrainedTokenizerFast

import memenv  # noqa: F401  (registers the environment ids)
from agents.tier1.build import resolve_tier1_path
from agents.tier1.prompts import parse_manager_action, render_manager_prompt


@dataclass
class Args:
    init: str | None = None  # a tier-1 model folder, or an SFT of one (default: cached build)
    seed: int = 0
    iterations: int = 20
    group_size: int = 4  # episodes per shared start state
    groups: int = 2  # start states (conversations) per iteration
    lr: float = 1e-4
    clip: float = 0.2
    minibatch: int = 64
    max_new_tokens: int = 24
    eval_conversations: int = 16
    env_id: str = "MemoryManager-Synth-Medium-v0"


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in vars(Args()).items():
        kind = type(value) if value is not None else str
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)
    return Args(**vars(parser.parse_args()))


# ------------------------------------------------------------------ sampling with log-probs
@torch.no_grad()
def sample(model, tok, prompts, gen, max_new_tokens, greedy=False):
    """Left-padded batch, KV cache; returns prompt ids, completion ids and their log-probs."""
    encoded = [tok(p)["input_ids"] for p in prompts]
    width = max(len(e) for e in encoded)
    ids = torch.tensor([[tok.pad_token_id] * (width - len(e)) + e for e in encoded])
    mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded])
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    cache = DynamicCache()
    hidden = model.model(input_ids=ids, attention_mask=mask, position_ids=pos, cache=cache)
    last, next_pos = hidden.last_hidden_state[:, -1], pos[:, -1]
    out = [[] for _ in prompts]
    logps = [[] for _ in prompts]
    done = torch.zeros(len(prompts), dtype=torch.bool)
    for _ in range(max_new_tokens):
        logp = torch.log_softmax(model.lm_head(last), -1)
        token = logp.argmax(-1) if greedy else torch.multinomial(logp.exp(), 1, generator=gen)[:, 0]
        for i in range(len(prompts)):
            if not done[i]:
                out[i].append(int(token[i]))
                logps[i].append(float(logp[i, token[i]]))
        done |= token == tok.eos_token_id
        if done.all():
            break
        mask = torch.cat([mask, torch.ones(len(prompts), 1, dtype=torch.long)], 1)
        next_pos = next_pos + 1
        step = model.model(
            input_ids=token[:, None],
            attention_mask=mask,
            position_ids=next_pos[:, None],
            cache=cache,
        )
        last = step.last_hidden_state[:, -1]
    texts = [tok.decode([t for t in o if t != tok.eos_token_id]) for o in out]
    return encoded, out, logps, texts


def to_action(text, info):
    """The env action of a completion; malformed -> NOOP (and a penalty, below)."""
    action = parse_manager_action(text, len(info["shown_memory_ids"]))
    return (action.as_env_action(), True) if action else ({"op": 3, "target": 0, "text": ""}, False)


# ------------------------------------------------------------------ one group of episodes
def rollout_group(model, tok, envs, conversation, gen, args, greedy=False):
    """Every env starts from the state of the first after reset: one shared start state."""
    obs, info = envs[0].reset(options={"conversation": conversation})
    shared = envs[0].get_state()
    starts = [(obs, info)] + [env.set_state(shared) for env in envs[1:]]
    obs, infos = [o for o, _ in starts], [i for _, i in starts]
    steps = [[] for _ in envs]  # per episode: (prompt ids, completion ids, log-probs)
    returns, scores = np.zeros(len(envs)), np.zeros(len(envs))
    live = list(range(len(envs)))
    while live:
        prompts = [render_manager_prompt(obs[i]) for i in live]
        p_ids, c_ids, logps, texts = sample(model, tok, prompts, gen, args.max_new_tokens, greedy)
        still = []
        for j, i in enumerate(live):
            action, valid = to_action(texts[j], infos[i])
            obs[i], reward, done, _, infos[i] = envs[i].step(action)
            returns[i] += reward - (0 if valid else envs[i].invalid_penalty)
            steps[i].append((p_ids[j], c_ids[j], logps[j]))
            if done:
                scores[i] = infos[i]["outcome_score"]
            else:
                still.append(i)
        live = still
    return steps, returns, scores


# ------------------------------------------------------------------ the update
def completion_logprobs(model, prompt_ids, completion_ids):
    """Right-padded prompt + completion; log-probs of the completion tokens, and their mask."""
    rows = [p + c for p, c in zip(prompt_ids, completion_ids, strict=True)]
    width, longest = max(map(len, rows)), max(map(len, completion_ids))
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    logits = model(input_ids=ids).logits
    logp = torch.zeros(len(rows), longest)
    mask = torch.zeros(len(rows), longest)
    for i, (p, c) in enumerate(zip(prompt_ids, completion_ids, strict=True)):
        positions = torch.arange(len(p) - 1, len(p) - 1 + len(c))
        logp[i, : len(c)] = torch.log_softmax(logits[i, positions], -1)[torch.arange(len(c)), c]
        mask[i, : len(c)] = 1
    return logp, mask


def grpo_update(model, optimizer, batch, args, gen):
    """Clipped surrogate, token mean per step, mean over steps; one epoch of minibatches."""
    order = torch.randperm(len(batch), generator=gen).tolist()
    for start in range(0, len(order), args.minibatch):
        rows = [batch[k] for k in order[start : start + args.minibatch]]
        prompt_ids, completion_ids, old, adv = zip(*rows, strict=True)
        logp, mask = completion_logprobs(model, list(prompt_ids), list(completion_ids))
        old_logp = torch.zeros_like(logp)
        for i, o in enumerate(old):
            old_logp[i, : len(o)] = torch.tensor(o)
        adv = torch.tensor(adv)[:, None]
        ratio = torch.exp(logp - old_logp)
        surrogate = torch.minimum(ratio * adv, ratio.clamp(1 - args.clip, 1 + args.clip) * adv)
        loss = -((surrogate * mask).sum(1) / mask.sum(1)).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return float(loss.detach())


def evaluate(model, tok, env_id, n, args):
    """Greedy outcome score on the first ``n`` validation conversations."""
    envs = [gym.make(env_id, split="val").unwrapped for _ in range(1)]
    return float(
        np.mean(
            [rollout_group(model, tok, envs, c, None, args, greedy=True)[2][0] for c in range(n)]
        )
    )


def main() -> LlamaForCausalLM:
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    folder = Path(args.init) if args.init else resolve_tier1_path()
    tok = PreTrainedTokenizerFast.from_pretrained(folder)
    model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32, use_safetensors=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    envs = [gym.make(args.env_id, split="train").unwrapped for _ in range(args.group_size)]
    model.eval()
    val = evaluate(model, tok, args.env_id, args.eval_conversations, args)
    print(f"iteration 0: val {100 * val:.1f}")
    for iteration in range(1, args.iterations + 1):
        t0 = time.time()
        batch = []
        scores = []
        for conversation in rng.choice(len(envs[0].conversations), args.groups, replace=False):
            steps, returns, group_scores = rollout_group(
                model, tok, envs, int(conversation), gen, args
            )
            advantages = (returns - returns.mean()) / (returns.std() + 1e-4)
            for episode, adv in zip(steps, advantages, strict=True):
                batch += [(p, c, lp, float(adv)) for p, c, lp in episode]  # same A on every step
            scores += list(group_scores)
        model.train()
        loss = grpo_update(model, optimizer, batch, args, gen)
        model.eval()
        seconds = time.time() - t0
        score = 100 * np.mean(scores)
        print(f"iteration {iteration}: score {score:.1f} loss {loss:+.4f} ({seconds:.0f}s)")
    val = evaluate(model, tok, args.env_id, args.eval_conversations, args)
    print(f"final: val {100 * val:.1f}")
    return model


if __name__ == "__main__":
    main()

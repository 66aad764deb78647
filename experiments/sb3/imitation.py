"""How much of the mem0 rules can a policy read from the featurized observation? A probe.

Behaviour cloning on the graded Medium manager: the mem0 rule policy plays the text environment;
at every step the featurized wrapper's observation (the view SB3 learners get) is recorded with
the rules' first operation as a flat action. A small MLP (two tanh layers of 128, masked
cross-entropy, Adam) learns to predict it; the probe reports its accuracy on the training
steps and on the 48 test conversations, and the episode outcome of playing it greedily (masked
argmax) on those test conversations. If a supervised learner cannot copy the rules from these
features, neither can an RL learner that has to find them from rewards::

    python -m experiments.sb3.imitation --train-conversations 64 512 \\
        --out experiments/results/sb3_imitation

Each number of training conversations gives two rows: the default features, and with
``FeaturizedMemoryManager(token_features=True)``. The rules' second operation (an ADD after a
DELETE) has no flat action, so a perfect copy scores somewhat below the rules themselves.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import memenv  # noqa: F401  (registers the ids)
from memenv.levels import SYNTH_SIZES
from memenv.systems import make_memory_system
from memenv.wrappers import FeaturizedMemoryManager

ENV_ID = "MemoryManager-Synth-Medium-v0"
HIDDEN = 128
STEPS = 3000
BATCH = 256
LR = 1e-3


def make_env(split: str, train_conversations: int, token_features: bool) -> FeaturizedMemoryManager:
    sizes = {**SYNTH_SIZES, "train": train_conversations}
    base = gym.make(ENV_ID, split=split, synth_kwargs={"n": sizes})
    return FeaturizedMemoryManager(base, token_features=token_features)


def flatten(obs: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([obs[key].ravel() for key in sorted(obs)]).astype(np.float32)


def collect(env: FeaturizedMemoryManager, episodes: int) -> tuple[np.ndarray, ...]:
    """(flattened features, flat action of the rules, action mask) of every step of
    ``episodes``."""
    observations, ys, masks, _ = demonstrations(env, episodes)
    return np.stack([flatten(o) for o in observations]), ys, masks


def demonstrations(
    env: FeaturizedMemoryManager, episodes: int, gamma: float = 1.0
) -> tuple[list[dict[str, np.ndarray]], np.ndarray, np.ndarray, np.ndarray]:
    """The mem0 rules on conversations ``0..episodes-1``: per step the featurized observation,
    the rules' first operation as a flat action, the action mask, and the discounted return
    (``gamma``) of the environment's rewards from that step on."""
    base = env.base
    xs, ys, masks, rewards, ends = [], [], [], [], []
    base.render_text = True  # the rules read the text observation
    for episode in range(episodes):
        text_obs, info = base.reset(seed=episode, options={"conversation": episode})
        policy = make_memory_system("mem0").make_policy(base)
        done = False
        while not done:
            xs.append(env.features())
            action = policy.act(text_obs, info)
            ys.append(env.from_base_action(action))
            masks.append(env.action_masks())
            text_obs, reward, done, _, info = base.step(action)
            rewards.append(float(reward))
            ends.append(done)
    base.render_text = False
    returns = np.zeros(len(rewards), np.float32)
    running = 0.0
    for i in range(len(rewards) - 1, -1, -1):
        running = rewards[i] + (0.0 if ends[i] else gamma * running)
        returns[i] = running
    return xs, np.array(ys), np.stack(masks), returns


def fit(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, seed: int, steps: int = STEPS
) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], HIDDEN),
        torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, HIDDEN),
        torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, mask.shape[1]),
    )
    opt = torch.optim.Adam(net.parameters(), LR)
    xt, yt, mt = torch.tensor(x), torch.tensor(y), torch.tensor(mask)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(xt), (BATCH,), generator=gen)
        logits = net(xt[idx]).masked_fill(~mt[idx], -1e9)
        loss = torch.nn.functional.cross_entropy(logits, yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def accuracy(net: torch.nn.Module, x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    with torch.no_grad():
        logits = net(torch.tensor(x)).masked_fill(~torch.tensor(mask), -1e9)
    return float((logits.argmax(1).numpy() == y).mean())


def play(net: torch.nn.Module, env: FeaturizedMemoryManager, episodes: int) -> list[float]:
    """Episode outcomes of the cloned policy (masked argmax) on conversations 0..episodes-1."""
    scores = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=episode, options={"conversation": episode})
        done, info = False, {}
        while not done:
            with torch.no_grad():
                logits = net(torch.tensor(flatten(obs))[None])[0]
            logits = logits.masked_fill(~torch.tensor(env.action_masks()), -1e9)
            obs, _, done, _, info = env.step(int(logits.argmax()))
        scores.append(float(info["outcome_score"]))
    return scores


def run_row(
    train_conversations: int,
    token_features: bool,
    seed: int,
    test_conversations: int = SYNTH_SIZES["test"],
    steps: int = STEPS,
) -> dict[str, Any]:
    start = time.perf_counter()
    train_env = make_env("train", train_conversations, token_features)
    test_env = make_env("test", train_conversations, token_features)
    x, y, m = collect(train_env, train_conversations)
    xt, yt, mt = collect(test_env, test_conversations)
    net = fit(x, y, m, seed, steps)
    scores = play(net, test_env, test_conversations)
    return {
        "train_conversations": train_conversations,
        "token_features": token_features,
        "train_steps": len(y),
        "train_accuracy": accuracy(net, x, y, m),
        "test_accuracy": accuracy(net, xt, yt, mt),
        "test_outcome": 100 * float(np.mean(scores)),
        "test_outcomes": scores,
        "seconds": round(time.perf_counter() - start, 1),
    }


def markdown(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        "# Cloning the mem0 rules from the featurized observation (Medium)",
        "",
        f"MLP {HIDDEN}-{HIDDEN} tanh, {STEPS} Adam steps of {BATCH} rows, lr {LR}; accuracy of "
        "the rules' first operation; outcome: EM over every question, percent, 48 test "
        "conversations, greedy masked argmax.",
        "",
        "| train conversations | features | train steps | train accuracy | test accuracy | "
        "test outcome |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        features = "default + token_features" if r["token_features"] else "default"
        lines.append(
            f"| {r['train_conversations']} | {features} | {r['train_steps']} | "
            f"{100 * r['train_accuracy']:.1f}% | {100 * r['test_accuracy']:.1f}% | "
            f"{r['test_outcome']:.1f} |"
        )
    lines += ["", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-conversations", nargs="+", type=int, default=[64, 512])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder for results.json and results.md")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.train_conversations):
        parser.error("--train-conversations must be >= 1")
    torch.set_num_threads(1)
    rows = []
    for n in args.train_conversations:
        for token_features in (False, True):
            row = run_row(n, token_features, args.seed)
            print(
                f"train {n} tokens {token_features}: accuracy {row['train_accuracy']:.3f} / "
                f"{row['test_accuracy']:.3f}, outcome {row['test_outcome']:.1f}",
                flush=True,
            )
            rows.append(row)
    command = "python -m experiments.sb3.imitation --train-conversations " + " ".join(
        str(n) for n in args.train_conversations
    )
    if args.seed:
        command += f" --seed {args.seed}"
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps({"command": command, "rows": rows}, indent=1))
        (out / "results.md").write_text(markdown(rows, command))
    return rows


if __name__ == "__main__":
    main()

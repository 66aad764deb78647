"""The main job (``make demo``): where managing memory pays, and RL learning to manage it.

1. **The task.** ``MemoryManager-Synth-Medium-v0``: a manager reads each fact of a synthetic
   multi-session conversation and chooses ADD, UPDATE, DELETE or NOOP on a bank of at most 8
   memories per speaker; after the last fact a frozen reader answers every question of the
   conversation from the final banks, and the episode's outcome is its exact-match rate. The
   scripted managers (:mod:`memenv.systems` and the baselines) play the held-out conversations.
2. **RL.** The tier-1 model (a 3.9M-parameter LM pretrained here on the synthetic dialogues; the
   demo uses a short pretraining budget, cached) is fine-tuned on a teacher's decisions (the
   initial policy), then trained with GRPO on whole episodes. Its greedy score on the same
   held-out conversations is printed before and after, with the paired difference.
3. **What next**: commands to try.

Every part says what it does before it starts; the RL part shows a progress bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

DEMO_ENV = "MemoryManager-Synth-Medium-v0"
DEMO_TASK = "manager-medium"
REFERENCES = ("oracle", "mem0", "ideal-ops", "random", "add-all", "noop")


@dataclass(frozen=True)
class DemoSettings:
    """What ``memenv demo`` runs; the defaults take under 5 minutes on 2 CPU cores."""

    episodes: int = 16
    """Held-out (test split) conversations every policy is scored on."""
    rl_iterations: int = 6
    """GRPO iterations (0: skip the RL part)."""
    groups: int = 2
    """Conversations per GRPO iteration."""
    group_size: int = 4
    """Episodes per conversation (the GRPO group)."""
    lr: float = 1e-4
    """Policy learning rate."""
    pretrain_seconds: float = 60.0
    """Nominal pretraining budget of the demo's tier-1 build (the full build uses 450)."""
    sft_steps: int = 40
    """SFT steps of the initial policy on the teacher's decisions."""
    sft_noise: float = 0.3
    """Share of the teacher's decisions replaced by random ones (an imperfect teacher)."""
    teacher: str = "mem0"
    """The SFT teacher (a memory system name)."""
    seed: int = 0
    """Seeds the model build, the SFT rows, the GRPO run and the random manager."""
    model: str | None = None
    """A tier-1 folder to start from instead of the demo's build (e.g. ``memenv tier1 build``'s)."""
    threads: int = 0
    """torch threads for SFT, GRPO and scoring (0: the available cores, at most 2, which the demo
    is sized for; 1 is ``memenv rl-bench``'s reference setting and gave bit-identical results
    to 2 on the machine the README quotes; the SFT cache key records a count other than 1)."""

    def __post_init__(self) -> None:
        if not 1 <= self.episodes <= 48:
            raise ValueError(
                f"episodes must be in 1..48 (the test conversations), got {self.episodes}"
            )
        if self.threads < 0:
            raise ValueError(
                f"threads must be >= 0 (0: the available cores, at most 2), got {self.threads}"
            )
        if self.rl_iterations < 0:
            raise ValueError(f"rl_iterations must be >= 0, got {self.rl_iterations}")


def say(text: str = "") -> None:
    print(text, flush=True)


def paired_interval(diff: np.ndarray, seed: int = 0, samples: int = 4000) -> tuple[float, float]:
    """95% bootstrap interval of the mean of per-episode differences."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(diff), size=(samples, len(diff)))
    lo, hi = np.percentile(diff[picks].mean(axis=1), [2.5, 97.5])
    return float(lo), float(hi)


def reference_table(settings: DemoSettings) -> tuple[list[str], dict[str, list[float]]]:
    """Part 1: the scripted managers on the first ``settings.episodes`` held-out conversations
    (markdown rows, per-episode scores in [0, 1])."""
    from memenv_app.reference import reference_scores

    result = reference_scores(
        DEMO_ENV,
        split="test",
        episodes=settings.episodes,
        seed=settings.seed,
        policies=REFERENCES,
    )
    rows = ["| manager | outcome (EM %) | 95% interval |", "| --- | ---: | ---: |"]
    scores: dict[str, list[float]] = {}
    for name, row in sorted(result["policies"].items(), key=lambda kv: -kv[1]["mean"]):
        lo, hi = row["ci"]
        rows.append(f"| {name} | {row['mean']:.1f} | [{lo:.1f}, {hi:.1f}] |")
        scores[name] = row.get("scores", [])
    return rows, scores


def tier1_model(settings: DemoSettings, log: Callable[[str], None]) -> Any:
    """The demo's tier-1 build (cached; about a minute to build on 2 cores)."""
    from agents.tier1.build import (
        Tier1Config,
        build_tier1,
        default_path,
        is_built,
        resolve_tier1_path,
    )

    if settings.model is not None:
        return resolve_tier1_path(settings.model)
    config = Tier1Config().with_budget(settings.pretrain_seconds)
    path = default_path(settings.seed, config)
    if is_built(path):
        log(f"tier-1 model: cached at {path}")
        return path
    log(
        f"tier-1 model: pretraining a 3.9M-parameter LM on synthetic dialogues "
        f"({settings.pretrain_seconds:.0f} nominal seconds; cached at {path})"
    )
    return build_tier1(seed=settings.seed, config=config, log=lambda line: None)


def available_cores() -> int:
    """CPU cores this process may run on (affinity and container limits included)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def run_rl(settings: DemoSettings) -> list[str]:
    """Part 2: initial policy, GRPO, before/after on the held-out conversations."""
    from agents.rl.policy import quiet_file_bars

    with quiet_file_bars():
        return _run_rl(settings)


def _run_rl(settings: DemoSettings) -> list[str]:
    import torch
    from tqdm.auto import tqdm

    from agents.rl.collector import EnvPool
    from agents.rl.policy import LMPolicy
    from agents.rl.sft import SFTConfig, build_sft
    from agents.rl.tasks import get_task
    from agents.rl.trainer import RLConfig, evaluate, train

    threads = settings.threads or min(2, available_cores())
    torch.set_num_threads(threads)
    start = time.perf_counter()
    base = tier1_model(settings, say)
    sft = SFTConfig(
        task=DEMO_TASK,
        teacher=settings.teacher,
        noise=settings.sft_noise,
        steps=settings.sft_steps,
        seed=settings.seed,
    )
    say(
        f"initial policy: SFT on the {settings.teacher} rules' decisions, {settings.sft_noise:.0%}"
        f" of them replaced by random ones ({settings.sft_steps} steps, cached)"
    )
    init = build_sft(base, sft, num_threads=threads)
    task = get_task(DEMO_TASK)
    test_pool = EnvPool(task, "test")
    keys = list(test_pool.keys[: settings.episodes])  # the conversations of part 1
    say(f"scoring the initial policy on {len(keys)} held-out conversations ...")
    before = np.asarray(evaluate(LMPolicy.load(init), test_pool, keys))

    config = RLConfig(
        task=DEMO_TASK,
        algo="grpo",
        seed=settings.seed,
        iterations=settings.rl_iterations,
        groups=settings.groups,
        group_size=settings.group_size,
        lr=settings.lr,
        eval_every=0,
        num_threads=threads,
    )
    say(
        f"GRPO: {config.iterations} iterations x {config.groups} training conversations x "
        f"{config.group_size} episodes from one shared start state; the reward is the "
        "episode's outcome"
    )
    import tempfile

    out = tempfile.mkdtemp(prefix="memenv-demo-grpo-")
    with tqdm(total=config.iterations, desc="GRPO iterations", unit="it", file=sys.stderr) as bar:

        def log(entry: dict[str, Any]) -> None:
            if "iteration" in entry and "return" in entry:
                bar.set_postfix({"train score": f"{100 * entry['score']:.1f}"}, refresh=False)
                bar.update(1)

        train(config, init, out, log=log)
    say(f"scoring the trained policy on the same {len(keys)} conversations ...")
    after = np.asarray(evaluate(LMPolicy.load(f"{out}/final"), test_pool, keys))
    diff = after - before
    lo, hi = paired_interval(diff, settings.seed)
    seconds = time.perf_counter() - start
    verdict = (
        "GRPO improved the policy (the interval excludes 0)"
        if lo > 0
        else "GRPO made it worse (the interval excludes 0)"
        if hi < 0
        else "no difference this short run can show (the interval contains 0); longer runs: "
        "memenv rl-bench"
    )
    return [
        "| tier-1 policy | outcome (EM %) |",
        "| --- | ---: |",
        f"| initial (SFT on {settings.teacher}, noise {settings.sft_noise}) | "
        f"{100 * before.mean():.1f} |",
        f"| after {config.iterations} GRPO iterations | {100 * after.mean():.1f} |",
        "",
        f"Paired difference (after - initial) on the same {len(keys)} conversations: "
        f"{100 * diff.mean():+.1f} points, 95% interval [{100 * lo:+.1f}, {100 * hi:+.1f}]: "
        f"{verdict}. ({seconds:.0f} s, model build included; run folder {out})",
    ]


WHAT_NEXT = """\
What next:
- memenv reference MemoryManager-Synth-Hard-v0        # the level where the rules fall short
- memenv tier1 build                                  # the full tier-1 model (~10 min, cached)
- memenv rl-bench --tier 1 --task manager-medium --algo grpo,ppo,rloo --seeds 0-4 --out runs/rl
- python -m experiments.rl.grpo_cleanrl --help        # GRPO in one readable file
- docs/tutorials/01-environments.md ... 04            # the teaching track
- memenv eval --help                                  # LLM managers and answerers, LoCoMo"""


def run_demo(settings: DemoSettings | None = None) -> None:
    """Run the demo, printing as it goes."""
    settings = settings or DemoSettings()
    rl = settings.rl_iterations > 0
    say("memenv demo: what it does" + (" (under 5 minutes on 2 CPU cores)" if rl else ""))
    say(
        f"  1. the graded task {DEMO_ENV}: scripted memory managers on "
        f"{settings.episodes} held-out conversations (a bank of at most 8 memories per speaker;"
        " the outcome is the frozen reader's exact match over every question)"
    )
    if rl:
        say(
            "  2. RL on it: the tier-1 model, SFT on an imperfect teacher, then GRPO on whole"
            " episodes; before/after on the same held-out conversations"
        )
    say("  3. what to try next")
    say()
    say(f"1. Scripted managers on {DEMO_ENV} ...")
    rows, scores = reference_table(settings)
    say("\n".join(rows))
    gap = 100 * (np.mean(scores["oracle"]) - np.mean(scores["add-all"]))
    say(
        "add-all keeps every fact until the bank is full; oracle follows the generator's ideal "
        "operations and evicts what no later question needs: managing memory is worth "
        f"{gap:.0f} points here."
    )
    say()
    if rl:
        say("2. RL with the tier-1 model")
        say("\n".join(run_rl(settings)))
        say()
    say(WHAT_NEXT)

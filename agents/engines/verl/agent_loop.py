"""A verl agent loop (``verl.experimental.agent_loop``, verl 0.9) that plays a Memory Manager
episode.

Registered as ``memenv_manager`` (dataset rows name it in their ``agent_name`` column; the
``agent_loop.yaml`` next to this package's configs registers it with its environment settings
through ``actor_rollout_ref.rollout.agent.agent_loop_config_path``). For one dataset row it:

1. restores the episode's start state (:class:`~agents.engines.episodes.EpisodeSpec` read from
   ``extra_info``; every rollout of the row restores the same snapshot, cached per worker
   process in a :class:`~agents.engines.episodes.SharedStates`);
2. renders the first fact as the prompt and asks the rollout server for the manager's JSON;
3. steps the :class:`~memenv.envs.MemoryManagerEnv` with the decoded text, appends the next
   fact as a user turn (masked out of the loss) and generates again, until the window ends or
   the response budget (``rollout.response_length``) is spent;
4. plays undecided facts as NOOP and stores the episode return and its counts in
   ``extra_fields`` (``memenv_return``, ...), where :mod:`agents.engines.verl.reward` reads it.

The environment computes every reward; the loop only carries it. Nothing here runs at import
time except the registration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput, register

from agents.engines.episodes import EpisodeSpec, ManagerEpisode, SharedStates, turn_messages
from agents.engines.verl.common import env_settings, make_manager_env, plain

AGENT_NAME = "memenv_manager"
_STATES: dict[str, SharedStates] = {}


@register(AGENT_NAME)
class MemenvManagerAgentLoop(AgentLoopBase):
    """Plays one Memory Manager episode per dataset row (see the module docstring).

    ``env`` (from the agent-loop YAML, or ``memenv.env`` in the trainer config) holds the
    :class:`~memenv.envs.MemoryManagerEnv` settings: ``dataset``, ``data_path``, ``split``,
    ``synth_kwargs``, ``reward``, ``reward_metric``, ``terminal_reward``, ...
    """

    def __init__(self, *args: Any, env: Mapping[str, Any] | None = None, **kwargs: Any):
        kwargs.pop("tools", None)  # verl passes its tool list to every loop; this one has none
        super().__init__(*args, **kwargs)
        configured = plain(self.config.get("memenv", {}) or {}).get("env", {})
        self.env_config = env_settings(plain(env) if env is not None else configured)
        self.response_length = int(self.rollout_config.response_length)

    def _episode(self, extra_info: Mapping[str, Any]) -> tuple[ManagerEpisode, EpisodeSpec]:
        """The episode of a row: its split (``extra_info.split``) over the configured data."""
        settings = dict(self.env_config)
        if extra_info.get("split"):
            settings["split"] = extra_info["split"]
        key = json.dumps(settings, sort_keys=True, default=str)
        states = _STATES.setdefault(key, SharedStates())
        episode = ManagerEpisode(make_manager_env(settings), states)
        spec = EpisodeSpec.from_row(extra_info)
        expected = extra_info.get("conversation_id")
        conversations = episode.env.conversations
        if spec.conversation >= len(conversations) or (
            expected and conversations[spec.conversation].id != expected
        ):
            raise ValueError(
                f"row names conversation {spec.conversation} ({expected}), which is not in the "
                f"configured data ({settings.get('dataset')}, split {settings.get('split')}): "
                "build the parquet files with the same environment settings"
            )
        return episode, spec

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        extra_info = plain(kwargs.get("extra_info") or {})
        episode, spec = self._episode(extra_info)
        obs = episode.start(spec)
        messages = turn_messages(obs, first=True)
        prompt_ids = await self.ct_build_initial_tokens(messages)
        mask: list[int] = []
        logprobs: list[float] = []
        request_id = uuid4().hex
        turns = 0
        metrics: dict[str, Any] = {}
        while not episode.done:
            output = await self.server_manager.generate(
                request_id=request_id, prompt_ids=prompt_ids, sampling_params=sampling_params
            )
            merged, mask, merged_logprobs = await self.ct_merge_assistant_token(
                prompt_ids,
                output.token_ids,
                mask,
                logprobs if (logprobs or output.log_probs) else None,
                assistant_logprobs=output.log_probs or None,
            )
            prompt_ids = merged.token_ids
            if merged_logprobs is not None:
                logprobs = list(merged_logprobs)
            turns += 1
            text = self.tokenizer.decode(output.token_ids, skip_special_tokens=True)
            messages.append({"role": "assistant", "content": text})
            obs, _, done, _ = episode.step(text)
            if done or len(mask) >= self.response_length:
                break
            previous = list(messages)
            messages.extend(turn_messages(obs, first=False))
            merged, new_mask, new_logprobs = await self.ct_merge_context_msg(
                previous, messages, prompt_ids, mask, logprobs or None
            )
            if len(new_mask) >= self.response_length:
                break  # the next fact does not fit: the rest of the window is NOOP
            prompt_ids, mask = merged.token_ids, new_mask
            if logprobs:
                logprobs = list(new_logprobs or [])
        episode_return = episode.finish()
        response_ids = prompt_ids[len(prompt_ids) - len(mask) :] if mask else []
        prompt_only = prompt_ids[: len(prompt_ids) - len(mask)]
        stats = episode.stats()
        result = AgentLoopOutput(
            prompt_ids=prompt_only,
            response_ids=response_ids[: self.response_length],
            response_mask=mask[: self.response_length],
            response_logprobs=logprobs[: self.response_length] if logprobs else None,
            num_turns=2 * turns,
            metrics=metrics,
            extra_fields={
                "memenv_return": float(episode_return),
                "memenv_stats": stats,
                "turn_scores": [r.reward for r in episode.records],
                "tool_rewards": [],
            },
        )
        return result

"""LLM agents for memenv: backends, prompts, parsers, policies and trainers.

Importing it turns the Hugging Face Hub offline and its telemetry off unless the user set those
switches (:func:`memenv.offline.hub_offline_defaults`): nothing here needs the network.
"""

from memenv.offline import hub_offline_defaults

hub_offline_defaults()

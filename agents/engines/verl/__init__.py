"""verl adapters (verl 0.9): the ``memenv_manager`` agent loop (:mod:`.agent_loop`), the reward
hook (:mod:`.reward`), the parquet dataset builder (:mod:`.dataset`) and Hydra configs
(``config/``). verl pins ``transformers<5.11``: install it in its own virtual environment
(``make test-verl`` builds ``.venv-verl``). Importing this package imports no verl; the agent
loop module does.
"""

from pathlib import Path

CONFIG_DIR = Path(__file__).parent / "config"

"""End-to-end evaluation: memory system x answerer over a dataset split (``memenv eval``)."""

from memenv_app.evaluation.compare import compare_runs
from memenv_app.evaluation.pipeline import EvalConfig, load_results, run_eval

__all__ = ["EvalConfig", "compare_runs", "load_results", "run_eval"]

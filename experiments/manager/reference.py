"""Reference rows for the manager table, no model needed: always ADD, and the ideal operation.

Scores, on the same validation rows as the trained managers, the output that ADDs every fact
and the synthetic generator's ideal operation (the SFT teacher), and writes
``experiments/results/manager/{add_all,ideal}_val.jsonl``.

    python -m experiments.manager.reference
"""

from __future__ import annotations

import json

from agents.train.config import load_config
from agents.train.tasks import make_task, manager_teacher_text
from experiments.manager.report import RESULTS

OVERRIDES = ["data.agent=manager", "data.dataset=synth", "reward.metric=em", "sft.teacher=ideal"]


def main() -> None:
    config = load_config(preset="cpu-smollm2", overrides=OVERRIDES)
    task = make_task(config, parts=("val",))
    env = task.envs["val"]
    rows = task.val_rows
    add_all = []
    for row in rows:
        env.set_state(row.state)
        add_all.append(manager_teacher_text(env, {"op": 0}))
    ideal = [row.teacher or '{"memory": []}' for row in rows]
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, texts in (("add_all", add_all), ("ideal", ideal)):
        parts = task.score(rows, texts)
        with (RESULTS / f"{name}_val.jsonl").open("w", encoding="utf-8") as f:
            for row, text, p in zip(rows, texts, parts, strict=True):
                f.write(json.dumps({"row_id": row.row_id, "output": text, **p}) + "\n")
        print(name, task.summary(parts))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Resume the GRPO seed-0 run (it was OOM-killed at step 11 when two 13 GB runs shared the
# machine), then PPO seed 0, then both with seed 1.
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
RL="train.init_checkpoint=$OUT/sft/best train.max_steps=12 train.batch_size=2 \
  train.learning_rate=1.0e-4 train.eval_every=6 train.save_every=3 train.num_threads=1 seed=0"
[ -d "$OUT/grpo-s0/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=grpo \
  output_dir=$OUT/grpo-s0 $RL grpo.num_generations=4 --resume
cp "$OUT/grpo-s0/val_best.jsonl" "$R/grpo_val.jsonl"
[ -d "$OUT/ppo-s0/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=ppo \
  output_dir=$OUT/ppo-s0 $RL ppo.rollouts_per_prompt=4 ppo.ppo_epochs=2 --resume
cp "$OUT/ppo-s0/val_best.jsonl" "$R/ppo_val.jsonl"
SEED=1 experiments/answer_agent/more_seeds.sh

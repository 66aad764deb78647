#!/usr/bin/env bash
# GRPO straight from the untrained model, with a shaped reward instead of the SFT warm-up
# (EM + F1 + 0.5 format + 0.5 length), and a second GRPO-from-SFT seed.
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
RL="train.max_steps=12 train.batch_size=2 train.learning_rate=1.0e-4 \
  train.eval_every=6 train.save_every=3 train.num_threads=1 grpo.num_generations=4"
[ -d "$OUT/grpo-base/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=grpo \
  output_dir=$OUT/grpo-base $RL reward.format_weight=0.5 reward.length_weight=0.5 --resume
cp "$OUT/grpo-base/val_best.jsonl" "$R/grpo_base_val.jsonl"
